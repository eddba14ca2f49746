"""Our own page for an address the viewer cannot open, instead of Streamlit's bare
English "Page not found" dialog.

st.navigation falls back to the first page and sends that dialog whenever the requested
address matches none of the pages it was given. So every address it could be asked for
gets a page: each known page the role may not open, and the address asked for in this
run when it names no page at all, are registered as hidden pages that say so (in the
session's language) with a link back. They run no query.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboards.i18n import t
from dashboards.roles import ALL_PAGES, Role

# What st.Page accepts as a url_path (no "/", nothing to strip); anything else cannot be
# registered and is left to Streamlit.
_VALID_PATH = re.compile(r"[^/\s]{1,100}")


def requested_address() -> str | None:
    """The page name the browser asked for in this run ('' or None: the app's root)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    return ctx.pages_manager.intended_page_name


def _say(kind: str, page: str, home: st.Page) -> Callable[[], None]:
    def render() -> None:
        st.title(t(f"unavailable.{kind}.title"))
        page_name = t(f"page.{page}") if page in ALL_PAGES else f"/{page}"
        st.warning(t(f"unavailable.{kind}.body", page=page_name), icon=":material/block:")
        st.page_link(home, label=t("unavailable.back", page=home.title), icon=":material/home:")

    return render


def hidden_pages(role: Role, home: st.Page) -> list[st.Page]:
    """Hidden pages for every address this role may not open or that does not exist."""
    refused = [
        st.Page(
            _say("not_allowed", name, home),
            title=t("unavailable.not_allowed.title"),
            url_path=name,
            visibility="hidden",
        )
        for name in ALL_PAGES
        if name not in role.pages
    ]
    asked = (requested_address() or "").strip()
    unknown = (
        [
            st.Page(
                _say("not_found", asked, home),
                title=t("unavailable.not_found.title"),
                url_path=asked,
                visibility="hidden",
            )
        ]
        if asked
        and asked not in ALL_PAGES
        and _VALID_PATH.fullmatch(asked)
        and asked.strip("/") == asked
        else []
    )
    return refused + unknown


def access_log_name(url_path: str, role: Role) -> str:
    """What the access log records: never a free text from the address bar."""
    if url_path in role.pages or not url_path:
        return url_path or role.pages[0]
    return f"refused:{url_path}" if url_path in ALL_PAGES else "not_found"
