"""evaluatie (stub)."""

import streamlit as st

from dashboards.i18n import t

st.title(t("page.evaluatie"))
