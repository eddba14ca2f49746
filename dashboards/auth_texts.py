"""The sign-in texts (Dutch first, English when picked), kept beside auth.py so the
login frame and the page texts in i18n.py can change independently."""

from __future__ import annotations

from typing import Any

from dashboards.i18n import current_language

TEXTS: dict[str, dict[str, str]] = {
    "closed.title": {
        "nl": "Inloggen is niet ingesteld",
        "en": "Sign-in is not configured",
    },
    "closed.body": {
        "nl": (
            "Deze dashboards tonen alleen gegevens aan ingelogde gebruikers, en er is nog "
            "geen inlogprovider (OpenID Connect) ingesteld. Daarom wordt hier niets getoond.\n\n"
            "**Voor de beheerder:** zet de gegevens van de provider (issuer-URL, client-id, "
            "client-secret, redirect-URI) in `[auth]` van `.streamlit/secrets.toml` en ken "
            "gebruikers een rol en departementen toe in `config/roles.toml`. De README "
            "beschrijft hoe (sectie *Inloggen, rollen en departementen*).\n\n"
            "Alleen om lokaal te proberen, met synthetische gegevens: `make demo` of "
            "`leerdata demo` start de demomodus voor die ene sessie."
        ),
        "en": (
            "These dashboards show data to signed-in users only, and no sign-in provider "
            "(OpenID Connect) is configured yet. That is why nothing is shown here.\n\n"
            "**For the administrator:** put the provider's details (issuer URL, client id, "
            "client secret, redirect URI) in `[auth]` of `.streamlit/secrets.toml`, and give "
            "users a role and departments in `config/roles.toml`. The README explains how "
            "(section *Inloggen, rollen en departementen*).\n\n"
            "Only to try it locally, on synthetic data: `make demo` or `leerdata demo` "
            "switches demo mode on for that run."
        ),
    },
    "no_access": {
        "nl": "Aan {email} is geen rol met departementen toegekend (config/roles.toml), "
        "of de groepen van dit account wijzen verschillende rollen aan. Vraag de "
        "beheerder om toegang. Er worden geen gegevens getoond.",
        "en": "No role with departments is assigned to {email} (config/roles.toml), or "
        "this account's groups name different roles. Ask the administrator for access. "
        "No data is shown.",
    },
    "scope": {"nl": "Departementen: {departments}", "en": "Departments: {departments}"},
    "scope_all": {"nl": "alle", "en": "all"},
    "role": {"nl": "Rol: {role}", "en": "Role: {role}"},
}


def say(key: str, lang: str | None = None, **values: Any) -> str:
    text = TEXTS[key][lang or current_language()]
    return text.format(**values) if values else text
