"""leerdata dashboards: `streamlit run dashboards/app.py` (or `leerdata demo`).

The frame: language, who is looking (role and departments, from the login; see
auth.py), and the pages that role may open. Every page lives in app_pages/ and reads
data only through dashboards/data.py, which limits it to the viewer's departments.
"""

from __future__ import annotations

import streamlit as st

# `dashboards` is installed as a package with leerdata (pyproject.toml), so these
# imports work under `streamlit run`, which only puts dashboards/ itself on sys.path.
from dashboards import access_log, auth, ui, unavailable
from dashboards.i18n import t
from dashboards.roles import RoleConfigError, load_roles

PAGE_ICONS: dict[str, str] = {
    "overzicht": ":material/dashboard:",
    "deelname": ":material/groups:",
    "verrekening": ":material/account_balance:",
    "factuurcontrole": ":material/receipt_long:",
    "evaluatie": ":material/star_half:",
    "datakwaliteit": ":material/fact_check:",
}

st.set_page_config(page_title="leerdata", page_icon=":material/school:", layout="wide")

lang = ui.language_picker()
try:
    role_config = load_roles()
except RoleConfigError as error:  # a broken roles file opens nothing
    st.error(f"config/roles.toml: {error}")
    st.stop()
role = auth.current_access(role_config, lang).role
pages = [
    st.Page(
        f"app_pages/{name}.py",
        title=t(f"page.{name}"),
        icon=PAGE_ICONS[name],
        url_path=name,
        default=index == 0,
    )
    for index, name in enumerate(role.pages)
]
# Addresses this role may not open, or that name no page, get a page of our own (not
# Streamlit's English "Page not found" dialog).
navigation = st.navigation([*pages, *unavailable.hidden_pages(role, pages[0])])
access_log.page_opened(unavailable.access_log_name(navigation.url_path, role))
navigation.run()
# Last, so it also tells a reader (and the browser test) that the page has finished.
ui.build_caption()
