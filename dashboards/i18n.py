"""Every label of the dashboards, in Dutch (default) and English.

The labels live in gettext message catalogs, one per language:
dashboards/locale/<lang>/LC_MESSAGES/messages.po, msgid the key and msgstr the text, read
with Babel when the module is imported (no compiled .mo to keep in step). One lookup:
`t("key")` in the language picked in the sidebar. A test checks that every key has both
languages and that every key the code uses exists.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.pofile import read_po

LANGUAGES: dict[str, str] = {"nl": "Nederlands", "en": "English"}
DEFAULT_LANGUAGE = "nl"
LANGUAGE_STATE_KEY = "lang"

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


def _catalog(lang: str) -> dict[str, str]:
    """The labels of one language: key → text, from its gettext catalog (.po)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    return {str(message.id): str(message.string) for message in catalog if message.id}


def _translations() -> dict[str, dict[str, str]]:
    """key → {language → text}; a key one catalog lacks has no entry for that language
    (tests/test_dashboard_units.py says which)."""
    catalogs = {lang: _catalog(lang) for lang in LANGUAGES}
    keys = dict.fromkeys(key for catalog in catalogs.values() for key in catalog)
    return {
        key: {lang: catalog[key] for lang, catalog in catalogs.items() if key in catalog}
        for key in keys
    }


TRANSLATIONS: dict[str, dict[str, str]] = _translations()


def current_language() -> str:
    try:
        import streamlit as st

        lang = st.session_state.get(LANGUAGE_STATE_KEY, DEFAULT_LANGUAGE)
    except Exception:  # outside a Streamlit run there is no session
        lang = DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=8)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def t_count(key: str, n: int, lang: str | None = None, **values: Any) -> str:
    """A text about `n` things in the plural form CLDR gives `n` in the language (Babel's
    plural rules): the variant `<key>_<form>` where one exists ("1 cel" is `_one`),
    else `key` ("0 cellen", "2 cellen")."""
    lang = lang or current_language()
    variant = f"{key}_{_locale(lang).plural_form(n)}"
    return t(variant if variant in TRANSLATIONS else key, lang, n=n, **values)


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The label for `key` in `lang` (default: the session's language)."""
    entry = TRANSLATIONS[key]
    text = entry[lang or current_language()]
    return text.format(**values) if values else text
