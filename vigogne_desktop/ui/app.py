"""Start the Qt application: language, theme, one instance per data folder, then the main
window; unexpected errors become one sentence on screen and a traceback in errors.log."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from types import TracebackType
from typing import NoReturn

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ..core.errors import VigogneError
from ..core.history import HistoryBusy
from ..core.resources import resource_path
from ..core.settings import AppSettings, data_dir
from . import error_log
from .first_paint import after_first_paint
from .i18n import install_language
from .single_instance import InstanceLock
from .theme import apply_theme

# Set, the window says on stderr when its first paint is done (bench/startup.py times it).
FIRST_PAINT_VARIABLE = "VIGOGNE_DESKTOP_REPORT_FIRST_PAINT"
FIRST_PAINT_LINE = "vigogne-desktop: first paint"


def make_app() -> tuple[QApplication, AppSettings]:
    """The QApplication with the saved language and theme applied."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Vigogne Desktop")
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


class _ErrorReporter(QObject):
    """Shows the sentence about an unexpected error, on the GUI thread whatever thread the
    error happened on (a dialog opened from another thread can crash Qt)."""

    happened = Signal(str)

    def __init__(self, window: QWidget) -> None:
        super().__init__(QCoreApplication.instance())  # lives, and shows, on the GUI thread
        self._window = window
        self._showing = False
        self.happened.connect(self._show)  # queued when emitted from another thread

    def excepthook(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        self.happened.emit(error_log.sentence(error, error_log.record(error)))

    def threading_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
            self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(str)
    def _show(self, text: str) -> None:
        if self._showing:
            return  # one dialog at a time: a burst of errors is in the log anyway
        self._showing = True
        try:
            parent = self._window if shiboken6.isValid(self._window) else None
            QMessageBox.warning(parent, QCoreApplication.translate("App", "Vigogne Desktop"), text)
        finally:
            self._showing = False


def report_unexpected_errors(window: QWidget) -> None:
    """A bug must not end in a traceback on screen: one sentence, the details in a log."""
    reporter = _ErrorReporter(window)
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.threading_excepthook


def close_on_terminate(window: QWidget) -> None:
    """SIGTERM (a session that ends, `kill PID`) closes the window as the user would: the
    reply in progress is kept, the engine and the history are closed, the exit code is 0.

    Python runs a signal handler only between bytecodes, and Qt's loop runs none while it
    waits: the signal's number is written to a socket the loop watches instead.
    """
    if sys.platform == "win32":
        return  # no SIGTERM there: Windows ends a session with its own messages
    sockets = socket.socketpair()  # kept open by `read_signals`, as long as the window
    for end in sockets:
        end.setblocking(False)
    signal.set_wakeup_fd(sockets[0].fileno())
    signal.signal(signal.SIGTERM, lambda _number, _frame: None)  # the socket does the work
    notifier = QSocketNotifier(sockets[1].fileno(), QSocketNotifier.Type.Read, window)

    def read_signals() -> None:
        if signal.SIGTERM in sockets[1].recv(64):
            window.close()

    notifier.activated.connect(read_signals)


def _cannot_open(error: Exception) -> NoReturn:
    """The window could not be built: one sentence, then end now.

    What the half-built window had started (the history writer's thread, the engine's
    thread) may keep a normal exit waiting forever; nothing the user had is in flight yet.
    """
    if isinstance(error, VigogneError):
        text = str(error)  # a sentence the user can act on, no bug to log
    else:
        text = error_log.sentence(error, error_log.record(error))
    print(f"vigogne-desktop: {text}", file=sys.stderr)
    if QGuiApplication.platformName() != "offscreen":  # nobody could close it there
        QMessageBox.critical(None, QCoreApplication.translate("App", "Vigogne Desktop"), text)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)


def _retry(text: str) -> bool:
    """Ask whether to try again (nothing was touched); offscreen, nobody can answer."""
    if QGuiApplication.platformName() == "offscreen":
        return False
    answer = QMessageBox.warning(
        None,
        QCoreApplication.translate("App", "Vigogne Desktop"),
        text,
        QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Close,
        QMessageBox.StandardButton.Retry,
    )
    return answer == QMessageBox.StandardButton.Retry


def run(model: str | None = None) -> int:
    app, settings = make_app()
    instance = InstanceLock(data_dir())
    if not instance.acquire():
        message = QCoreApplication.translate(
            "App", "Vigogne Desktop is already running with the data folder {folder}."
        ).format(folder=instance.folder)
        print(f"vigogne-desktop: {message}", file=sys.stderr)
        return 0
    from .main_window import MainWindow  # after the translators: its strings are translated

    while True:
        try:
            window = MainWindow(settings)
            break
        except HistoryBusy as exc:  # another program holds the history: the user may retry
            if not _retry(str(exc)):
                _cannot_open(exc)
        except Exception as exc:  # any failure: one sentence, and no process left hanging
            _cannot_open(exc)
    report_unexpected_errors(window)
    close_on_terminate(window)
    instance.show_on_request(window)

    def painted() -> None:
        from .. import __version__  # importlib.metadata: 40 ms the first paint need not wait

        app.setApplicationVersion(__version__)
        if os.environ.get(FIRST_PAINT_VARIABLE):
            print(FIRST_PAINT_LINE, file=sys.stderr, flush=True)

    after_first_paint(window, painted)
    window.show()
    if model:
        window.load_model(model)
    else:
        window.open_default_model()
    window.new_conversation()
    code = app.exec()
    instance.release()
    return code
