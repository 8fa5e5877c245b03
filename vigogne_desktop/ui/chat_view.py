"""The chat view: one widget per message (message_widget.py), built from a MessageListModel
it observes, in a readable column centred in the view.

A streaming reply redraws only its last piece, and a long conversation is built newest
first, a few messages per turn of the event loop, so neither ever holds the window.
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from .message_parts import COLUMN_WIDTH
from .message_widget import MessageWidget
from .models import MessageListModel

__all__ = ["ChatView", "MessageWidget"]

BUILD_SLICE_S = 0.004  # time spent building message widgets per turn of the event loop
INITIAL_ROWS = 24  # messages built when a conversation opens (the newest)
MORE_ROWS = 12  # built each time the user scrolls near the edge of what is built
SIDE_MARGIN = 12  # between the column and the view's edges when the view is narrower


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
        self._limit_row = -1  # the first reply that says the model takes only the last rounds

        self.placeholder = QLabel(self.tr("Ask Vigogne anything. Your conversation stays here."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        container = QWidget()
        self.column = QVBoxLayout(container)
        self.column.setSpacing(12)  # air between messages, whose actions take no row
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

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            # The column: COLUMN_WIDTH wide and centred, or the view's width less margins
            # (the viewport, not the view: a scroll bar appearing narrows it).
            side = max(SIDE_MARGIN, (self.viewport().width() - COLUMN_WIDTH) // 2)
            self.column.setContentsMargins(side, SIDE_MARGIN, side, SIDE_MARGIN)
        return super().viewportEvent(event)

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
        self._limit_row = self._first_limit_row()
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
        widget.show_message(
            self.model.messages[row],
            can_regenerate=last,
            busy=self._busy,
            first_limit=row == self._limit_row,
        )

    def _first_limit_row(self) -> int:
        messages = self.model.messages
        return next((n for n, m in enumerate(messages) if m.meta.get("round_limit")), -1)

    def _follow_limit_row(self) -> None:
        """The notice of the model's limit moves to the reply that now comes first."""
        old, self._limit_row = self._limit_row, self._first_limit_row()
        if old != self._limit_row:
            self._refresh_row(old)
            self._refresh_row(self._limit_row)

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
        self._follow_limit_row()

    def _removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        count = last - first + 1

        def shift(bound: int) -> int:
            return bound - count if bound > last else min(bound, first)

        for row in range(last, first - 1, -1):
            self._drop(self.widgets.pop(row))
        self._want = (shift(self._want[0]), shift(self._want[1]))
        self._built = (shift(self._built[0]), shift(self._built[1]))
        self._refresh_row(first - 1)
        self._follow_limit_row()
        self.placeholder.setVisible(self.model.rowCount() == 0)

    def _changed(
        self, top: QModelIndex | QPersistentModelIndex, bottom: QModelIndex | QPersistentModelIndex
    ) -> None:
        for row in range(top.row(), bottom.row() + 1):
            self._refresh_row(row)
        self._follow_limit_row()

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
        widget.mark_found(True)

        def unmark() -> None:
            if shiboken6.isValid(widget):  # else the conversation was closed meanwhile
                widget.mark_found(False)

        QTimer.singleShot(2500, unmark)
        return widget
