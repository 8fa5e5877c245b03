"""Start the Qt application: language, theme, then the main window."""

from __future__ import annotations

import sys
import time
import traceback
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from .. import __version__
from ..core.resources import resource_path
from ..core.settings import AppSettings, data_dir
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


def report_unexpected_errors(window: QWidget) -> None:
    """A bug must not end in a traceback on screen: one sentence, the details in a log."""
    log = data_dir() / "errors.log"

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        try:
            with log.open("a", encoding="utf-8") as out:
                out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
                out.write("".join(traceback.format_exception(kind, error, trace)))
        except OSError:  # nowhere to write: keep the details on stderr at least
            traceback.print_exception(kind, error, trace)
        QMessageBox.warning(
            window,
            QCoreApplication.translate("App", "Vigogne Desktop"),
            QCoreApplication.translate(
                "App",
                "Something went wrong ({error}). Your conversations are safe; the details are "
                "in {log}.",
            ).format(error=kind.__name__, log=log),
        )

    sys.excepthook = hook


def run(model: str | None = None) -> int:
    app, settings = make_app()
    from .main_window import MainWindow  # after the translators: its strings are translated

    window = MainWindow(settings)
    report_unexpected_errors(window)
    window.show()
    if model:
        window.load_model(model)
    else:
        window.open_default_model()
    window.new_conversation()
    return app.exec()
