"""What a message is drawn with: Markdown labels, framed code blocks with their copy button,
the typing dots, and the small action buttons (with « Copié » feedback)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QToolTip,
    QVBoxLayout,
)

from .icons import action_icon
from .markdown import to_rich_text

COLUMN_WIDTH = 760  # the longest comfortable line of the chat's text, in pixels
CHAT_POINT_SIZE = 11.5  # the chat's text; the platforms' 9 pt default is tiring to read
CODE_POINT_SIZE = 10.5
COPIED_MS = 1500  # how long a copy button says « Copié »
TYPING_STEP_MS = 350


def chat_font() -> QFont:
    font = QFont(QApplication.font())
    font.setPointSizeF(max(CHAT_POINT_SIZE, font.pointSizeF()))
    return font


def code_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(CODE_POINT_SIZE, QApplication.font().pointSizeF()))
    return font


class WrappingLabel(QLabel):
    """A word-wrapped label that never asks for more width than one pixel: its text wraps,
    and a long word (a URL, a French status) is cut at the edge rather than widening the
    message past the view. Its height comes from heightForWidth alone."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        # QLabel's own is its height at its narrowest width: a column of letters, which
        # would make the whole conversation as tall as the sum of such columns.
        return QSize(1, self.fontMetrics().height())


class MarkdownLabel(WrappingLabel):
    """A QLabel showing Markdown (without raw HTML) that remembers its height for a width
    until its text changes.

    Qt forgets every cached height of a layout when one widget is added to it; without
    this, adding a message re-lays out the Markdown of every message already shown.
    """

    def __init__(self) -> None:
        super().__init__()
        self._heights: dict[int, int] = {}
        self.markdown = ""
        self.natural_width = 0.0  # the width the text takes unwrapped
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setOpenExternalLinks(False)  # a link the model wrote is shown, never followed
        self.setFont(chat_font())

    def set_markdown(self, markdown: str) -> None:
        if markdown == self.markdown:
            return  # every refresh of a message sets its text again: skip the conversion
        self.markdown = markdown
        html, self.natural_width = to_rich_text(markdown, self.font()) if markdown else ("", 0)
        self.setText(html)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._heights.clear()
        super().setText(text)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height


class ActionButton(QToolButton):
    """A small icon button of a message (`icon` as in icons.py, or "" for a text one); says
    when it has the keyboard focus, so the message shows its actions to a keyboard user as
    it does on hover."""

    focused = Signal(bool)

    def __init__(self, icon: str, name: str) -> None:
        super().__init__()
        self.icon_name = icon
        self.name = name
        self.setToolTip(name)
        self.setAccessibleName(name)
        self.setAutoRaise(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._paint_icon()

    def _paint_icon(self) -> None:
        if not self.icon_name:
            return  # a button with a text (the version arrows)
        colour = QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        self.setIcon(action_icon(self.icon_name, colour))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icon()  # the theme changed: the icon follows its colours
        super().changeEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        super().focusInEvent(event)
        self.focused.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        super().focusOutEvent(event)
        self.focused.emit(False)


class CopyButton(ActionButton):
    """Copies what `source` gives, then says « Copié » (icon, tooltip, text) for a moment."""

    def __init__(self, name: str, source: Callable[[], str], *, with_text: bool = False) -> None:
        super().__init__("copy", name)
        self._source = source
        self._with_text = with_text
        self._restore = QTimer(self)
        self._restore.setSingleShot(True)
        self._restore.setInterval(COPIED_MS)
        self._restore.timeout.connect(self._show_copied_state)
        if with_text:
            self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._show_copied_state()
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._source())
        self._show_copied_state(copied=True)
        QToolTip.showText(self.mapToGlobal(self.rect().bottomLeft()), self.toolTip(), self)
        self._restore.start()

    def _show_copied_state(self, copied: bool = False) -> None:
        self.icon_name = "done" if copied else "copy"
        self._paint_icon()
        said = self.tr("Copied") if copied else self.name
        self.setToolTip(said)
        self.setAccessibleName(said)
        if self._with_text:
            self.setText(self.tr("Copied") if copied else self.tr("Copy"))


class CodeBlock(QFrame):
    """A fenced code block: its language and copy button above, the code in a framed box.

    A long block arrives cut into chunks (see markdown.Segmenter): each is a label of its
    own, so a streaming block redraws only its last chunk, and the button copies them all.
    """

    def __init__(self, language: str) -> None:
        super().__init__()
        self.setObjectName("code")
        self.language = WrappingLabel(language)
        self.language.setObjectName("language")
        self.copy_button = CopyButton(self.tr("Copy code"), self.code, with_text=True)
        header = QHBoxLayout()
        header.setContentsMargins(8, 2, 2, 0)
        header.addWidget(self.language, 1)
        header.addWidget(self.copy_button)
        self.chunks = QVBoxLayout()
        self.chunks.setContentsMargins(10, 0, 10, 8)
        self.chunks.setSpacing(0)
        self._chunks: list[QLabel] = []
        self._tail = self._chunk()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addLayout(self.chunks)

    def _chunk(self) -> QLabel:
        label = WrappingLabel()
        label.setTextFormat(Qt.TextFormat.PlainText)  # code is shown as written, never read
        label.setFont(code_font())
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chunks.addWidget(label)
        return label

    def add_chunk(self, code: str) -> None:
        """A finished chunk; it goes before the one still being written."""
        label = self._chunk()
        self.chunks.insertWidget(len(self._chunks), label)
        label.setText(code)
        self._chunks.append(label)

    def set_tail(self, code: str) -> None:
        """The chunk still being written (empty: none)."""
        if code != self._tail.text():
            self._tail.setText(code)
        self._tail.setVisible(bool(code))

    def code(self) -> str:
        labels = [*self._chunks, self._tail] if self._tail.text() else self._chunks
        return "\n".join(label.text() for label in labels)


class TypingDots(QLabel):
    """« ● ● ● » with one dot lit in turn, until the first words of the reply arrive."""

    FRAMES = ("● ○ ○", "○ ● ○", "○ ○ ●")

    def __init__(self) -> None:
        super().__init__(self.FRAMES[0])
        self.setObjectName("typing")
        name = self.tr("Vigogne is thinking…")
        self.setAccessibleName(name)
        self.setToolTip(name)
        self._frame = 0
        self._timer = QTimer(self)
        self._timer.setInterval(TYPING_STEP_MS)
        self._timer.timeout.connect(self._step)

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt's name)
        super().setVisible(visible)
        if visible:
            self._timer.start()
        else:
            self._timer.stop()  # no timer runs for the many messages already written

    def _step(self) -> None:
        self._frame = (self._frame + 1) % len(self.FRAMES)
        self.setText(self.FRAMES[self._frame])
