"""Who is looking: an OIDC login (st.login / st.user) when .streamlit/secrets.toml
configures a provider, else the local demo mode in which a role is picked by hand."""

from __future__ import annotations

import importlib.util
from typing import Any

import streamlit as st

from dashboards.i18n import t
from dashboards.roles import Role, RoleConfig

ROLE_STATE_KEY = "demo_role"


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


def _provider_name() -> str | None:
    section = _auth_section()
    if section.get("client_id"):
        return None
    return next((name for name, value in section.items() if isinstance(value, dict)), None)


def _oidc_role(config: RoleConfig) -> Role:
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
    role = config.role_for_email(email)
    if role is None:
        st.error(t("auth.no_role", email=email))
        st.stop()
    return role


def _demo_role(config: RoleConfig, lang: str) -> Role:
    if not config.demo_enabled:
        st.error(t("auth.demo_disabled"))
        st.stop()
    st.sidebar.warning(t("auth.demo_mode"), icon=":material/science:")
    names = list(config.roles)
    # A demo link may name the role (…/verrekening?role=finance); demo mode only.
    requested = st.query_params.get("role")
    wanted = requested if requested in config.roles else config.demo_default_role
    default = names.index(wanted) if wanted in names else 0
    name = st.sidebar.selectbox(
        t("auth.demo_role"),
        names,
        index=default,
        format_func=lambda n: config.roles[n].label(lang),
        key=ROLE_STATE_KEY,
    )
    return config.roles[name]


def current_role(config: RoleConfig, lang: str) -> Role:
    """The viewer's role; stops the run (after showing why) when there is none."""
    if oidc_configured():
        return _oidc_role(config)
    return _demo_role(config, lang)
