"""The chat view: one widget per message, built from a MessageListModel it observes.

Messages render as Markdown in pieces (see markdown.py): a streaming reply redraws only
its last piece, and a long conversation is built newest first, a few messages per turn
of the event loop, so neither ever holds the window.
"""

from __future__ import annotations

import time
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.history import Message
from .i18n import decimal
from .markdown import Segmenter, code_blocks, copy_target, to_rich_text, with_copy_links
from .models import MessageListModel

BUILD_SLICE_S = 0.004  # time spent building message widgets per turn of the event loop
INITIAL_ROWS = 24  # messages built when a conversation opens (the newest)
MORE_ROWS = 12  # built each time the user scrolls near the edge of what is built


class MarkdownLabel(QLabel):
    """A QLabel showing Markdown (without raw HTML) that remembers its height for a width
    until its text changes.

    Qt forgets every cached height of a layout when one widget is added to it; without
    this, adding a message re-lays out the Markdown of every message already shown.
    """

    def __init__(self) -> None:
        super().__init__()
        self._heights: dict[int, int] = {}
        self.markdown = ""
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.setOpenExternalLinks(False)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def set_markdown(self, markdown: str) -> None:
        if markdown == self.markdown:
            return  # every refresh of a message sets its text again: skip the conversion
        self.markdown = markdown
        self.setText(to_rich_text(markdown) if markdown else "")

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._heights.clear()
        super().setText(text)

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height


class MessageWidget(QFrame):
    """One message: who, the text as Markdown, and what can be done with it."""

    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    version_requested = Signal(int)

    def __init__(self, message: Message) -> None:
        super().__init__()
        self.setObjectName(f"message-{message.role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.message = message
        self._segmenter = Segmenter()
        self._piece_labels: list[MarkdownLabel] = []  # one per finished piece of the segmenter
        self._shown: tuple[Message, tuple[bool, bool]] | None = None

        self.speaker = QLabel()
        self.speaker.setObjectName("speaker")
        self.state = QLabel()
        self.state.setObjectName("state")
        self.previous = self._tool("‹", self.tr("Previous version"))
        self.version = QLabel()
        self.next = self._tool("›", self.tr("Next version"))
        self.copy_button = self._tool(self.tr("Copy"), self.tr("Copy this message"))
        self.edit_button = self._tool(self.tr("Edit"), self.tr("Edit and send again"))
        self.regenerate_button = self._tool(self.tr("Regenerate"), self.tr("Write another reply"))
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.footer = QLabel()
        self.footer.setObjectName("footer")
        self.tail = MarkdownLabel()
        self.tail.linkActivated.connect(self._on_link)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.speaker)
        header.addWidget(self.state)
        header.addStretch(1)
        tools: list[QWidget] = [self.previous, self.version, self.next, self.copy_button]
        for widget in [*tools, self.edit_button, self.regenerate_button]:
            header.addWidget(widget)
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(0)
        self.body.addWidget(self.tail)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(header)
        layout.addLayout(self.body)
        layout.addWidget(self.footer)

        self.copy_button.clicked.connect(self._copy)
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.message.id))
        self.regenerate_button.clicked.connect(
            lambda: self.regenerate_requested.emit(self.message.id)
        )
        self.previous.clicked.connect(lambda: self._switch(-1))
        self.next.clicked.connect(lambda: self._switch(+1))
        self.show_message(message, can_regenerate=False, busy=False)

    def _tool(self, text: str, name: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(name)
        button.setAccessibleName(name)
        button.setAutoRaise(True)
        return button

    def show_message(self, message: Message, *, can_regenerate: bool, busy: bool) -> None:
        old = self.message
        state = (can_regenerate, busy)
        if self._shown == (replace(message, content=""), state):
            # Only more text of a streaming reply: render it, touch nothing else.
            self.message = message
            self._render(message.content)
            return
        self._shown = (replace(message, content=""), state)
        self.message = message
        names = {
            "user": self.tr("You"),
            "assistant": self.tr("Vigogne"),
            "system": self.tr("System"),
        }
        self.speaker.setText(f"<b>{names.get(message.role, message.role)}</b>")
        states = {
            "unfinished": self.tr("unfinished: the app stopped while writing"),
            "stopped": self.tr("stopped"),
        }
        self.state.setText(states.get(message.status, ""))
        self.state.setVisible(message.status in states)
        many = len(message.siblings) > 1
        for widget in (self.previous, self.version, self.next):
            widget.setVisible(many)
        self.version.setText(f"{message.version}/{len(message.siblings)}")
        self.previous.setEnabled(not busy and message.version > 1)
        self.next.setEnabled(not busy and message.version < len(message.siblings))
        self.edit_button.setVisible(message.role == "user")
        self.edit_button.setEnabled(not busy)
        self.regenerate_button.setVisible(message.role == "assistant" and can_regenerate)
        self.regenerate_button.setEnabled(not busy)
        dropped = int(message.meta.get("dropped_rounds", 0) or 0)
        limit = int(message.meta.get("round_limit", 0) or 0)
        if limit:
            notice = self.tr(
                "This model takes only the last %n exchange(s) of a conversation: the earlier "
                "ones were not sent to it.",
                "",
                limit,
            )
        else:
            notice = self.tr(
                "%n earlier exchange(s) did not fit in the context window and were left out "
                "of this reply.",
                "",
                dropped,
            )
        self.notice.setText(notice)
        self.notice.setVisible(dropped > 0)
        self.footer.setText(self._footer_text(message))
        self.footer.setVisible(bool(self.footer.text()))
        if old.id != message.id or not message.content.startswith(self._segmenter.text):
            self._reset_body()
        self._render(message.content)

    def _footer_text(self, message: Message) -> str:
        meta = message.meta
        if message.role != "assistant" or "tokens" not in meta:
            return ""
        parts = [
            self.tr("%n token(s)", "", int(meta["tokens"])),
            self.tr("{speed} tokens/s").format(speed=decimal(float(meta.get("speed", 0)))),
        ]
        if meta.get("model"):
            parts.append(str(meta["model"]))
        return " · ".join(parts)

    def _reset_body(self) -> None:
        for label in self._piece_labels:
            label.deleteLater()
        self._piece_labels.clear()
        self._segmenter = Segmenter()

    def _render(self, text: str) -> None:
        new = self._segmenter.feed(text)
        for piece in self._segmenter.pieces[len(self._segmenter.pieces) - new :]:
            label = MarkdownLabel()
            label.linkActivated.connect(self._on_link)
            number = len(self._piece_labels)
            label.set_markdown(with_copy_links(piece, number, self.tr("Copy code")))
            self.body.insertWidget(self.body.count() - 1, label)
            self._piece_labels.append(label)
        tail = self._segmenter.tail
        number = len(self._segmenter.pieces)
        self.tail.set_markdown(with_copy_links(tail, number, self.tr("Copy code")))
        self.tail.setVisible(bool(tail))

    def _on_link(self, link: str) -> None:
        # Model text can hold any link, ours included: only a copy link that names a code
        # block of this message does anything.
        target = copy_target(link)
        pieces = [*self._segmenter.pieces, self._segmenter.tail]
        if target is None or target[0] >= len(pieces):
            return
        blocks = code_blocks(pieces[target[0]])
        if target[1] < len(blocks):
            QGuiApplication.clipboard().setText(blocks[target[1]])

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.message.content)

    def _switch(self, step: int) -> None:
        siblings = self.message.siblings
        self.version_requested.emit(siblings[self.message.version - 1 + step])

    def text(self) -> str:
        """What the user reads, as the Markdown it is drawn from (for tests)."""
        labels = [*self._piece_labels, self.tail]
        return "\n".join(label.markdown for label in labels if label.markdown)


class ChatView(QScrollArea):
    """Observes a MessageListModel; forwards what the user asks for as signals.

    Only a window of rows has widgets: the newest when a conversation opens, more as the
    user scrolls up (or down after a jump), so a conversation of any length opens at once
    and every relayout stays small.
    """

    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    version_requested = Signal(int)

    def __init__(self, model: MessageListModel) -> None:
        super().__init__()
        self.setAccessibleName(self.tr("Conversation"))
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.model = model
        self.widgets: list[MessageWidget | None] = []
        self._busy = False
        self._want = (0, 0)  # rows that should have widgets: [first, end)
        self._built = (0, 0)  # rows that have them, inside _want, contiguous
        self._stick_to_bottom = True
        # While rows are added above what the user reads: that widget and its offset.
        self._anchor: tuple[MessageWidget, int] | None = None
        self._adjusting = False
        self._builder = QTimer(self)
        self._builder.setInterval(0)
        self._builder.timeout.connect(self._build_some)

        self.placeholder = QLabel(self.tr("Ask Vigogne anything. Your conversation stays here."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        container = QWidget()
        self.column = QVBoxLayout(container)
        self.column.addWidget(self.placeholder)
        self.column.addStretch(1)
        self.setWidget(container)

        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._scrolled)
        model.modelReset.connect(self._rebuild)
        model.rowsInserted.connect(self._inserted)
        model.rowsRemoved.connect(self._removed)
        model.dataChanged.connect(self._changed)

    # -- the window of built rows --------------------------------------------------------

    def _drop(self, widget: MessageWidget | None) -> None:
        if widget is not None:
            self.column.removeWidget(widget)
            widget.hide()
            widget.deleteLater()

    def _show_rows(self, first: int, end: int, anchor: int) -> None:
        """Forget every widget; build `anchor` now, then the rest of [first, end) in slices."""
        for widget in self.widgets:
            self._drop(widget)
        count = self.model.rowCount()
        self.widgets = [None] * count
        self.placeholder.setVisible(count == 0)
        self._want = (first, end)
        self._built = (anchor, anchor)
        if first < end:
            self._build_row(anchor)
            self._built = (anchor, anchor + 1)
        self._builder.start()

    def _rebuild(self) -> None:
        count = self.model.rowCount()
        self._stick_to_bottom = True
        self._show_rows(max(0, count - INITIAL_ROWS), count, max(0, count - 1))

    def _build_row(self, row: int) -> None:
        widget = self._make(row)
        self.widgets[row] = widget
        self.column.insertWidget(1 + row - self._built[0] if row >= self._built[0] else 1, widget)

    def _build_some(self) -> None:
        """Grow the built rows towards the wanted ones for at most BUILD_SLICE_S, then yield."""
        deadline = time.perf_counter() + BUILD_SLICE_S
        while time.perf_counter() < deadline:
            (first, end), (built_first, built_end) = self._want, self._built
            if built_first > first:
                reading = self.widgets[built_first]
                if self._anchor is None and reading is not None and not self._stick_to_bottom:
                    self._anchor = (reading, reading.y() - self.verticalScrollBar().value())
                self._build_row(built_first - 1)
                self._built = (built_first - 1, built_end)
            elif built_end < end:
                self._build_row(built_end)
                self._built = (built_first, built_end + 1)
            else:
                self._builder.stop()
                return

    @property
    def building(self) -> bool:
        return self._built != self._want

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        if not self._adjusting:
            self._anchor = None  # the user moved: nothing to hold in place any more
        self._stick_to_bottom = value >= bar.maximum() - 4
        if self.building:
            return
        (first, end), count = self._want, self.model.rowCount()
        if value < bar.pageStep() // 2 and first > 0:
            self._want = (max(0, first - MORE_ROWS), end)
            self._builder.start()
        elif value > bar.maximum() - bar.pageStep() // 2 and end < count:
            self._want = (first, min(count, end + MORE_ROWS))
            self._builder.start()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_bottom:
            self.verticalScrollBar().setValue(maximum)
        elif self._anchor is not None:
            QTimer.singleShot(0, self._hold_anchor)  # once the layout has placed the widgets

    def _hold_anchor(self) -> None:
        """Messages were added above what the user reads: keep it where it was on screen."""
        if self._anchor is None or not shiboken6.isValid(self._anchor[0]):
            return
        widget, offset = self._anchor
        self._adjusting = True
        self.verticalScrollBar().setValue(widget.y() - offset)
        self._adjusting = False

    # -- following the model -----------------------------------------------------------

    def _make(self, row: int) -> MessageWidget:
        widget = MessageWidget(self.model.messages[row])
        widget.edit_requested.connect(self.edit_requested)
        widget.regenerate_requested.connect(self.regenerate_requested)
        widget.version_requested.connect(self.version_requested)
        self._refresh(row, widget)
        return widget

    def _refresh(self, row: int, widget: MessageWidget) -> None:
        last = row == self.model.rowCount() - 1
        widget.show_message(self.model.messages[row], can_regenerate=last, busy=self._busy)

    def _inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self.placeholder.hide()
        count = last - first + 1
        for row in range(first, last + 1):
            self.widgets.insert(row, None)
        if self._built[1] != first or self._want[1] != first:
            self._stick_to_bottom = True  # a new message: show the end of the conversation
            total = self.model.rowCount()
            self._show_rows(max(0, total - INITIAL_ROWS), total, total - 1)
            return
        for row in range(first, last + 1):
            self._build_row(row)
            self._built = (self._built[0], row + 1)
        self._want = (self._want[0], self._want[1] + count)
        self._refresh_row(first - 1)  # the previous last reply loses its regenerate button

    def _removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1

        def shift(bound: int) -> int:
            return bound - count if bound > last else min(bound, first)

        for row in range(last, first - 1, -1):
            self._drop(self.widgets.pop(row))
        self._want = (shift(self._want[0]), shift(self._want[1]))
        self._built = (shift(self._built[0]), shift(self._built[1]))
        self._refresh_row(first - 1)
        self.placeholder.setVisible(self.model.rowCount() == 0)

    def _changed(
        self, top: QModelIndex | QPersistentModelIndex, bottom: QModelIndex | QPersistentModelIndex
    ) -> None:
        for row in range(top.row(), bottom.row() + 1):
            self._refresh_row(row)

    def _refresh_row(self, row: int) -> None:
        if 0 <= row < len(self.widgets):
            widget = self.widgets[row]
            if widget is not None:
                self._refresh(row, widget)

    # -- what the window asks -----------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        for row in range(*self._built):
            self._refresh_row(row)

    def scroll_to_message(self, mid: int) -> MessageWidget | None:
        """Show message `mid` (with its neighbours) and mark it for a moment."""
        row = self.model.row_of(mid)
        if row < 0:
            return None
        if self.widgets[row] is None:
            count = self.model.rowCount()
            self._show_rows(max(0, row - MORE_ROWS), min(count, row + MORE_ROWS), row)
        widget = self.widgets[row]
        assert widget is not None
        self._stick_to_bottom = False
        QTimer.singleShot(0, lambda: self.ensureWidgetVisible(widget, 0, 40))
        widget.setProperty("found", True)
        widget.style().unpolish(widget)
        widget.style().polish(widget)

        def unmark() -> None:
            if not shiboken6.isValid(widget):
                return  # the conversation was closed meanwhile
            widget.setProperty("found", False)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

        QTimer.singleShot(2500, unmark)
        return widget
