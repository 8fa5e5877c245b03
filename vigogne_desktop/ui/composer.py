"""The box the user writes a message in: two lines high, growing with its text."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QPlainTextEdit

# Two lines leave the messages (or the welcome) their room on a 600 px window; a longer
# text makes the box grow up to eight, then it scrolls.
MIN_LINES, MAX_LINES = 2, 8


class Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line, Tab goes on to the next control."""

    submitted = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setTabChangesFocus(True)  # a message rarely needs a tab; the keyboard user does
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def lines(self) -> int:
        """The lines the text takes at the box's width, wrapped ones counted."""
        return max(1, int(self.document().size().height()))

    def _fit(self) -> None:
        lines = min(max(self.lines(), MIN_LINES), MAX_LINES)
        frame = self.contentsMargins().top() + self.contentsMargins().bottom()
        margins = int(2 * self.document().documentMargin()) + 2  # 2 px: no scroll bar at fit
        height = lines * self.fontMetrics().lineSpacing() + frame + margins
        if self.minimumHeight() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()  # a new width wraps the text into more or fewer lines

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)
