"""gettext for the UI, the CLI messages and the engine's errors.

Source strings are English; ``pos/core/locale/fr/LC_MESSAGES/pos.mo`` holds French.
The language is ``ui.language`` from the settings: ``fr``, ``en`` or ``auto``
(French when the system locale is French, else English).
"""

from __future__ import annotations

import gettext
import locale
import os
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "pos"
LANGUAGES = ("fr", "en")

_current = gettext.NullTranslations()
_lang = "en"


def system_language() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "fr" if loc.lower().startswith("fr") else "en"


def set_language(lang: str) -> str:
    """Switch the language (``fr``, ``en`` or ``auto``); returns the one in use."""
    global _current, _lang
    if lang not in LANGUAGES:
        lang = system_language()
    _lang = lang
    _current = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)
    return lang


def language() -> str:
    return _lang


def _(message: str) -> str:
    return _current.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message
