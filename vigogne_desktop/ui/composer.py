"""The box the user writes a message in: two lines high, growing with its text."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent, QTextOption
from PySide6.QtWidgets import QPlainTextEdit

from .i18n import decimal

# Two lines leave the messages (or the welcome) their room on a 600 px window; a longer
# text makes the box grow up to eight, then it scrolls.
MIN_LINES, MAX_LINES = 2, 8
# About 6,000 tokens, more than the Vigogne models' contexts (2,048 to 4,096) hold; a paste of
# 50,000 characters took Qt 77–91 ms here, over the window's 50 ms budget. A paste beyond is
# refused with one sentence; the clipboard keeps it.
MAX_CHARACTERS = 20_000
# Qt wraps a paragraph with no space to break at in quadratic time: 1 MB of it froze the
# window for minutes, 100,000 characters for 2 s a keystroke. Broken anywhere, it takes
# 36 ms; only such long paragraphs are, so ordinary text still wraps between words.
LONG_PARAGRAPH = 5_000


class Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line, Tab goes on to the next control."""

    submitted = Signal()
    refused = Signal(str)  # why a paste or a drop was not taken

    def __init__(self) -> None:
        super().__init__()
        self.setTabChangesFocus(True)  # a message rarely needs a tab; the keyboard user does
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.document().contentsChange.connect(self._wrap_long_paragraphs)
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

    def _wrap_long_paragraphs(self, position: int, removed: int, added: int) -> None:
        document = self.document()
        if added < LONG_PARAGRAPH and removed == 0:  # typing: only its paragraph may grow
            long = document.findBlock(position).length() > LONG_PARAGRAPH
            if not long or self.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere:
                return
        else:
            block, long = document.begin(), False
            while block.isValid() and not long:
                long = block.length() > LONG_PARAGRAPH
                block = block.next()
        mode = QTextOption.WrapMode
        wanted = mode.WrapAnywhere if long else mode.WrapAtWordBoundaryOrAnywhere
        if self.wordWrapMode() != wanted:
            self.setWordWrapMode(wanted)

    def insertFromMimeData(self, source: QMimeData) -> None:  # noqa: N802 (Qt's name)
        """A paste or a drop, unless it would make the message longer than any context."""
        text = source.text() if source.hasText() else ""
        pasted = len(text)
        # characterCount() counts the paragraph separator every document ends with.
        kept = self.document().characterCount() - 1 - len(self.textCursor().selectedText())
        if kept + pasted > MAX_CHARACTERS:
            self.refused.emit(
                self.tr(
                    "This text is too long to paste ({count} characters, a message holds "
                    "{limit} at most): paste a shorter part of it."
                ).format(count=decimal(pasted, 0), limit=decimal(MAX_CHARACTERS, 0))
            )
            return
        if any(len(line) > LONG_PARAGRAPH for line in text.splitlines()):
            # Before the text goes in: laid out once, not by words first and then again.
            self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        super().insertFromMimeData(source)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()  # a new width wraps the text into more or fewer lines

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)
