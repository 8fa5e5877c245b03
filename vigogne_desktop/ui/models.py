"""The Qt list models views observe: the conversations (grouped by date) and one chat."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from ..core.history import Conversation, Message

ConversationRole = Qt.ItemDataRole.UserRole + 1
HeaderRole = Qt.ItemDataRole.UserRole + 2
MessageRole = Qt.ItemDataRole.UserRole + 3

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_FONT = Qt.ItemDataRole.FontRole
_ANSWERED = frozenset((_DISPLAY, _ACCESSIBLE, _FONT, ConversationRole, HeaderRole))


def date_group(when: float, today: dt.date) -> str:
    """The sidebar heading for a conversation last changed at `when`."""
    day = dt.date.fromtimestamp(when)
    age = (today - day).days
    translate = QCoreApplication.translate
    if age <= 0:
        return translate("ConversationList", "Today")
    if age == 1:
        return translate("ConversationList", "Yesterday")
    if age < 7:
        return translate("ConversationList", "Previous 7 days")
    if age < 30:
        return translate("ConversationList", "Previous 30 days")
    return QLocale().toString(QDate(day.year, day.month, 1), "MMMM yyyy").capitalize()


class ConversationListModel(QAbstractListModel):
    """Conversations under date headings; pinned ones first, under their own heading."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[str | Conversation] = []
        self._row_by_id: dict[int, int] = {}

    def set_conversations(self, conversations: list[Conversation]) -> None:
        today = dt.date.today()
        pinned = QCoreApplication.translate("ConversationList", "Pinned")
        # One heading per day, not per conversation: 10,000 conversations span a few
        # hundred days, and naming a month through QLocale is the slow part.
        days: dict[dt.date, str] = {}
        rows: list[str | Conversation] = []
        heading = None
        for conv in conversations:
            day = dt.date.fromtimestamp(conv.updated)
            group = pinned if conv.pinned else days.get(day)
            if group is None:
                group = days[day] = date_group(conv.updated, today)
            if group != heading:
                rows.append(group)
                heading = group
            rows.append(conv)
        self.beginResetModel()
        self._rows = rows
        self._row_by_id = {
            row.id: number for number, row in enumerate(rows) if isinstance(row, Conversation)
        }
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # The view asks about ten roles per row to lay out each of 10,000 rows: the ones
        # this model does not answer go back at once.
        if role not in _ANSWERED or not index.isValid():
            return None
        row = self._rows[index.row()]
        header = isinstance(row, str)
        if role == _DISPLAY:
            if isinstance(row, str):
                return row
            title = row.title or QCoreApplication.translate("ConversationList", "New conversation")
            return title
        if role == _ACCESSIBLE and not isinstance(row, str):
            return row.title
        if role == ConversationRole:
            return None if isinstance(row, str) else row
        if role == HeaderRole:
            return header
        if role == _FONT and header:
            font = QFont()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 0.85)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and isinstance(self._rows[index.row()], str):
            return Qt.ItemFlag.ItemIsEnabled
        return super().flags(index)

    def row_of(self, cid: int) -> int:
        return self._row_by_id.get(cid, -1)


class MessageListModel(QAbstractListModel):
    """The messages shown in the open conversation, the reply being written included."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def set_messages(self, messages: list[Message]) -> None:
        self.beginResetModel()
        self.messages = list(messages)
        self.endResetModel()

    def append(self, message: Message) -> None:
        row = len(self.messages)
        self.beginInsertRows(QModelIndex(), row, row)
        self.messages.append(message)
        self.endInsertRows()

    def update(self, row: int, **changes: Any) -> None:
        self.messages[row] = replace(self.messages[row], **changes)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def truncate(self, rows: int) -> None:
        """Keep only the first `rows` messages (before a new version replaces the rest)."""
        if rows < len(self.messages):
            self.beginRemoveRows(QModelIndex(), rows, len(self.messages) - 1)
            del self.messages[rows:]
            self.endRemoveRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.messages)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        message = self.messages[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return message.content
        if role == MessageRole:
            return message
        return None

    def row_of(self, mid: int) -> int:
        return next((n for n, m in enumerate(self.messages) if m.id == mid), -1)
