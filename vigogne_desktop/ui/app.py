"""Start the Qt application: language, theme, then the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..core.resources import resource_path
from ..core.settings import AppSettings
from .i18n import install_language
from .theme import apply_theme


def make_app() -> tuple[QApplication, AppSettings]:
    """The QApplication with the saved language and theme applied."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Vigogne Desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Vigogne")
    app.setWindowIcon(QIcon(str(resource_path("icons/vigogne.svg"))))
    settings = AppSettings.load()
    install_language(app, settings.language)
    apply_theme(app, settings.theme)

    def follow_system(_scheme: Qt.ColorScheme) -> None:
        if AppSettings.load().theme == "system":
            apply_theme(app, "system")

    QGuiApplication.styleHints().colorSchemeChanged.connect(follow_system)
    return app, settings


def run(model: str | None = None) -> int:
    app, settings = make_app()
    from .main_window import MainWindow  # after the translators: its strings are translated

    window = MainWindow(settings)
    window.show()
    if model:
        window.load_model(model)
    else:
        window.open_default_model()
    window.new_conversation()
    return app.exec()
