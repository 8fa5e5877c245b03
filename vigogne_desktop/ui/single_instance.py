"""One window per data folder: the first start locks the folder and listens on a local
socket; a later start rings that socket (the first window comes to the front) and ends.

Two windows on one folder would each keep their own idea of the conversations and write
the same history; the second user action most often meant is "show me the app" anyway.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Qt
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

RING_TIMEOUT_S = 3.0  # a first instance that holds the lock may be a moment from listening


def server_name(folder: Path) -> str:
    """The local socket's name for a data folder (short: Unix socket paths are limited)."""
    digest = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"vigogne-desktop-{digest}"


def ring(name: str, timeout_s: float = RING_TIMEOUT_S) -> bool:
    """Ask the instance listening on `name` to show its window; False if none answered."""
    deadline = time.monotonic() + timeout_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(int(timeout_s * 1000)):
            socket.write(b"show\n")
            written = socket.waitForBytesWritten(1000)
            socket.disconnectFromServer()
            return written
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)  # not listening yet: it took the lock an instant ago


class InstanceLock(QObject):
    """Held for the whole life of the one instance that runs on a data folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._lock = QLockFile(str(folder / "instance.lock"))
        # Held for hours, so never stale by age: only when its process is gone.
        self._lock.setStaleLockTime(0)
        self._name = server_name(folder)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._rung)
        self._window: QWidget | None = None

    def acquire(self) -> bool:
        """True when this process is the folder's instance; False when another one runs
        (it has been asked to show its window)."""
        if not self._lock.tryLock(0):
            ring(self._name)
            return False
        # The lock is ours, so a socket of that name was left by an instance that died.
        QLocalServer.removeServer(self._name)
        self._server.listen(self._name)  # if it cannot, later starts only say "running"
        return True

    def show_on_request(self, window: QWidget) -> None:
        """Bring `window` to the front whenever a later start rings."""
        self._window = window

    def _rung(self) -> None:
        while (caller := self._server.nextPendingConnection()) is not None:
            caller.disconnected.connect(caller.deleteLater)
            caller.disconnectFromServer()
        window = self._window
        if window is None:
            return
        if window.isMinimized():
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.show()
        window.raise_()
        window.activateWindow()

    def release(self) -> None:
        self._server.close()
        self._lock.unlock()
