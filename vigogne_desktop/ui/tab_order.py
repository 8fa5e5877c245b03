"""The keyboard's way through the window (sidebar → chat → message box → settings), and the
widgets built after the window (the messages) put back where they show."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget


def chain(*widgets: QWidget) -> None:
    """Tab goes from each widget to the next; one placed brings its children along."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def follow_reading_order(container: QWidget) -> None:
    """Qt appends a widget built after its window to the end of the Tab chain: the messages
    came after the eleven settings. This puts the focusable widgets inside `container` right
    after it, top to bottom and left to right, as they show."""

    def place(widget: QWidget) -> tuple[int, int]:
        corner = widget.mapTo(container, QPoint(0, 0))
        return corner.y(), corner.x()

    inside = [
        widget
        for widget in container.findChildren(QWidget)
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(container)
    ]
    chain(container, *sorted(inside, key=place))
