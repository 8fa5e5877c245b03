"""Help › Keyboard shortcuts, read from the window's own actions so it cannot drift from
them, and Help › About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class ShortcutsDialog(QDialog):
    """Every action of the window that has a shortcut, then the keys the views read
    themselves (`keys`: the sidebar's, the message box's)."""

    def __init__(
        self, actions: list[QAction], keys: list[tuple[QKeySequence, str]], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        typing = [
            (QKeySequence(Qt.Key.Key_Enter), self.tr("Send the message")),
            (QKeySequence("Shift+Enter"), self.tr("New line in the message")),
            (QKeySequence("Ctrl+Enter"), self.tr("Run the instruction (Instruct tab)")),
        ]
        rows = [
            (action.shortcut(), self._meaning(action))
            for action in actions
            if not action.shortcut().isEmpty()
        ]
        rows += keys + typing
        self.table = QTableWidget(len(rows), 2)
        self.table.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.table.setHorizontalHeaderLabels([self.tr("Shortcut"), self.tr("Action")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        for number, (key, meaning) in enumerate(rows):
            shown = key.toString(QKeySequence.SequenceFormat.NativeText)
            self.table.setItem(number, 0, QTableWidgetItem(shown))
            self.table.setItem(number, 1, QTableWidgetItem(meaning))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def _meaning(self, action: QAction) -> str:
        name = action.text().replace("&", "").rstrip("…")
        return self.tr("Show or hide: {name}").format(name=name) if action.isCheckable() else name

    def listed(self) -> list[tuple[str, str]]:
        """(shortcut, action) as shown, row by row."""
        cells = [
            [item.text() if (item := self.table.item(row, column)) else "" for column in (0, 1)]
            for row in range(self.table.rowCount())
        ]
        return [(key, meaning) for key, meaning in cells]


class AboutBox(QMessageBox):
    """Help › About: what the app is, and its promise."""

    def __init__(self, parent: QWidget) -> None:
        from .. import __version__  # read from the installed metadata: not at the start

        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("About Vigogne Desktop"))
        self.setIcon(QMessageBox.Icon.Information)
        self.setText(self.tr("Vigogne Desktop {version}").format(version=__version__))
        self.setInformativeText(
            self.tr(
                "Chat offline with the French Vigogne models, through llama.cpp. Nothing "
                "leaves this computer unless you ask: no telemetry, the network only for the "
                "downloads and the servers you choose."
            )
        )
