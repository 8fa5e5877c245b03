"""A layout that sets its widgets in a row, right-aligned, and wraps them onto more rows when
the space is narrow: a row of buttons never decides how narrow the window may be."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, gap: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = gap

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt's name)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """Everything on one row."""
        sizes = [item.sizeHint() for item in self._shown()]
        width = sum(s.width() for s in sizes) + self._gap * max(0, len(sizes) - 1)
        return self._with_margins(QSize(width, max((s.height() for s in sizes), default=0)))

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt's name)
        """One item a row: the widest one sets the width."""
        sizes = [item.minimumSize().expandedTo(item.sizeHint()) for item in self._shown()]
        widest = max((s.width() for s in sizes), default=0)
        return self._with_margins(QSize(widest, max((s.height() for s in sizes), default=0)))

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]  # hidden widgets take no room

    def _with_margins(self, size: QSize) -> QSize:
        return size.grownBy(self.contentsMargins())

    def _arrange(self, rect: QRect, place: bool) -> int:
        """Lays the items out in `rect` (when `place`) and returns the height they take."""
        margins = self.contentsMargins()
        area = rect.marginsRemoved(margins)
        rows: list[list[QLayoutItem]] = [[]]
        used = 0
        for item in self._shown():
            width = item.sizeHint().width()
            if rows[-1] and used + self._gap + width > area.width():
                rows.append([])
                used = 0
            used += width + (self._gap if rows[-1] else 0)
            rows[-1].append(item)
        y = area.y()
        for row in rows:
            height = max((item.sizeHint().height() for item in row), default=0)
            width = sum(item.sizeHint().width() for item in row) + self._gap * (len(row) - 1)
            x = area.x() + max(0, area.width() - width)
            for item in row:
                if place:  # an item wider than the space is squeezed, not let out
                    fitted = min(item.sizeHint().width(), area.width())
                    item.setGeometry(QRect(QPoint(x, y), QSize(fitted, height)))
                x += item.sizeHint().width() + self._gap
            y += height + (self._gap if row is not rows[-1] else 0)
        return y - rect.y() + margins.bottom()
