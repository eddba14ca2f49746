"""Who is looking, and what they may see: an OIDC login (st.login / st.user) when
.streamlit/secrets.toml configures a provider; else, only when demo mode is switched on,
a local demo in which a role is picked by hand; else nothing (fail closed).

With a provider, the role and the departments come from the identity alone (e-mail and
group claim, mapped in config/roles.toml); no URL parameter or sidebar widget is read.
The viewer's departments are handed to dashboards/data.py, which applies them to every
query.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import streamlit as st

from dashboards import access_log, data
from dashboards.auth_texts import say
from dashboards.i18n import t
from dashboards.roles import Access, RoleConfig, Scope

# `leerdata demo` sets this for its own streamlit process: demo mode for that run only.
DEMO_ENV = "LEERDATA_DEMO"
# The demo role picker's widget, and where the picked role is kept between runs (a
# widget's own state is lost when its label changes language; see _demo_access).
ROLE_STATE_KEY = "demo_role"
ROLE_CHOICE_KEY = "demo_role_choice"


def _auth_section() -> dict[str, Any]:
    secrets = st.secrets
    if not secrets.load_if_toml_exists():
        return {}
    section = secrets.get("auth")
    return dict(section) if section else {}


def oidc_configured() -> bool:
    section = _auth_section()
    # A single provider has its client_id in [auth]; named providers are sub-tables.
    return bool(section.get("client_id")) or any(isinstance(v, dict) for v in section.values())


def demo_enabled(config: RoleConfig) -> bool:
    return config.demo_enabled or os.environ.get(DEMO_ENV, "") == "1"


def _provider_name() -> str | None:
    section = _auth_section()
    if section.get("client_id"):
        return None
    return next((name for name, value in section.items() if isinstance(value, dict)), None)


def _claim_groups(claim: str) -> list[str]:
    value = st.user.get(claim)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(group) for group in value]
    return []  # any other shape names no group: no role (fails closed)


def _oidc_access(config: RoleConfig, lang: str) -> Access:
    if not st.user.is_logged_in:
        st.title(t("app.title"))
        if importlib.util.find_spec("authlib") is None:
            st.error(t("auth.authlib_missing"))
            st.stop()
        st.info(t("auth.please_login"))
        provider = _provider_name()
        st.button(t("auth.login"), on_click=st.login, args=(provider,) if provider else ())
        st.stop()
    email = str(st.user.get("email") or "")
    st.sidebar.caption(t("auth.logged_in_as", email=email))
    st.sidebar.button(t("auth.logout"), on_click=st.logout)
    # An address the provider says it has not verified grants nothing by itself (anyone
    # could have typed it); the groups it vouches for still count.
    trusted_email = email if st.user.get("email_verified", True) is not False else None
    access = config.access_for(trusted_email, _claim_groups(config.groups_claim))
    if access is None:
        access_log.record(email, None, Scope.nothing(), "refused")
        st.error(say("no_access", email=email))
        st.stop()
    st.sidebar.caption(say("role", role=access.role.label(lang)))
    return access


def _demo_access(config: RoleConfig, lang: str) -> Access:
    st.sidebar.warning(t("auth.demo_mode"), icon=":material/science:")
    names = list(config.roles)
    if st.session_state.get(ROLE_CHOICE_KEY) not in config.roles:
        # A demo link may name the role (…/verrekening?role=finance); demo mode only.
        requested = st.query_params.get("role")
        st.session_state[ROLE_CHOICE_KEY] = (
            requested if requested in config.roles else config.demo_default_role
        )
    # The browser sends back the picked option by its shown label; after a language
    # switch that label ("Financiën") no longer matches any option ("Finance") and the
    # widget fell back to the default role. The choice lives in its own key and is
    # handed to the widget on every run, so it survives language and page changes.
    st.session_state[ROLE_STATE_KEY] = st.session_state[ROLE_CHOICE_KEY]

    def keep_choice() -> None:
        st.session_state[ROLE_CHOICE_KEY] = st.session_state[ROLE_STATE_KEY]

    name = st.sidebar.selectbox(
        t("auth.demo_role"),
        names,
        format_func=lambda n: config.roles[n].label(lang),
        key=ROLE_STATE_KEY,
        on_change=keep_choice,
    )
    # In the address too (set on every run: a page change drops it), so a reload or a
    # shared demo link opens with the same role instead of the default one.
    st.query_params["role"] = name
    return Access(config.roles[name], Scope.everything())


def _closed() -> None:
    """No provider, no demo: say why in Dutch (or English when picked), show no data."""
    st.title(say("closed.title"))
    st.warning(say("closed.body"), icon=":material/lock:")
    st.stop()


def current_access(config: RoleConfig, lang: str) -> Access:
    """The viewer's role and departments; stops the run (after showing why) when there
    are none. Sets the departments every data query of this run is limited to."""
    data.set_scope(Scope.nothing())  # until the viewer is known, nothing is visible
    if oidc_configured():
        access = _oidc_access(config, lang)
        who = str(st.user.get("email") or "")
    elif demo_enabled(config):
        access = _demo_access(config, lang)
        who = "demo"
    else:
        _closed()
        raise AssertionError("unreachable: st.stop() ends the run")
    data.set_scope(access.scope)
    st.session_state[access_log.WHO_STATE_KEY] = (who, access.role.name, access.scope)
    if not access.scope.is_everything:
        codes = ", ".join(access.scope.codes()) or "–"
        st.sidebar.caption(say("scope", departments=codes))
    return access
