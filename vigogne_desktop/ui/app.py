"""Start the Qt application and the main window."""

from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..core.resources import resource_path
from .main_window import MainWindow


def run(model: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Vigogne Desktop")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Vigogne")
    app.setWindowIcon(QIcon(str(resource_path("icons/vigogne.svg"))))
    window = MainWindow()
    window.show()
    if model:
        window.load_model(model)
    else:
        window.open_default_model()
    return app.exec()
