"""Run something once a window's first paint is over: what the first frame does not show
(the version lookup, the start-up report) waits until the user sees the window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, then: Callable[[], None]) -> None:
        super().__init__(window)  # goes with the window if it never paints
        self._then = then
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            # The window's paint event comes before it and its children are drawn and the
            # frame is flushed: `then` is queued behind all of that.
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._then)
        return False


def after_first_paint(window: QWidget, then: Callable[[], None]) -> None:
    """Call `then()` once, on the GUI thread, after `window` is first drawn."""
    _FirstPaint(window, then)
