"""French and English: our compiled translations plus Qt's own, chosen by locale or setting.

The source strings are English; French is complete (a test checks every string).
"""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from ..core.resources import resource_path
from ..core.settings import set_language

LANGUAGES = ("fr", "en")
_installed: list[QTranslator] = []


def pick_language(choice: str, system: QLocale | None = None) -> str:
    """ "fr" or "en": the setting, or else the system's language (French unless English)."""
    if choice in LANGUAGES:
        return choice
    name = (system or QLocale.system()).name()
    return "en" if name.startswith("en") else "fr" if name.startswith("fr") else "en"


def decimal(value: float, decimals: int = 1) -> str:
    """A number as the user's language writes it (21,4 in French, 21.4 in English)."""
    return QLocale().toString(float(value), "f", decimals)


def install_language(app: QApplication, choice: str) -> str:
    """Install the translators for `choice` ("system", "fr" or "en"); returns the language."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language = pick_language(choice)
    set_language(language)  # the core's messages, here and in the children started later
    QLocale.setDefault(
        QLocale(QLocale.Language.French if language == "fr" else QLocale.Language.English)
    )
    ours = QTranslator(app)  # for English, only the plural forms
    if ours.load(str(resource_path(f"translations/vigogne_{language}.qm"))):
        app.installTranslator(ours)
        _installed.append(ours)
    qt = QTranslator(app)
    if language != "en" and qt.load(
        f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ):
        app.installTranslator(qt)
        _installed.append(qt)
    return language
