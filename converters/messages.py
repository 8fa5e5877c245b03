"""User-facing sentences in French and English.

French first: the language is French unless VIGOGNE_LANGUAGE says "en". The app sets it
once at start (`set_language`), so the children it starts (engine, converter) speak the
same language as the window.
"""

from __future__ import annotations

import os

LANGUAGE_VARIABLE = "VIGOGNE_LANGUAGE"


def language() -> str:
    return "en" if os.environ.get(LANGUAGE_VARIABLE, "fr").startswith("en") else "fr"


def set_language(code: str) -> None:
    os.environ[LANGUAGE_VARIABLE] = "en" if code.startswith("en") else "fr"


def say(french: str, english: str) -> str:
    """The sentence in the current language."""
    return english if language() == "en" else french
