"""The banner above the chat: what went wrong with the engine or a load, and the way back."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class ChatBanner(QFrame):
    """One sentence and the buttons that answer it: restart the engine, or choose a file."""

    restart_requested = Signal()
    choose_requested = Signal()  # another model file, through the window's file dialog

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.text = QLabel()
        self.text.setWordWrap(True)  # a long French sentence must not widen the window
        self.restart_button = QPushButton(self.tr("Restart the engine"))
        self.choose_button = QPushButton(self.tr("Choose another file…"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        row = QHBoxLayout(self)
        row.addWidget(self.text, 1)
        for button in (self.restart_button, self.choose_button, self.dismiss_button):
            row.addWidget(button)
        self.restart_button.clicked.connect(self.restart_requested)
        self.choose_button.clicked.connect(self.choose_requested)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def show_crash(self, message: str, can_restart: bool) -> None:
        """The engine stopped, or a reply failed."""
        self._show(message, restart=can_restart, choose=False)

    def show_load_failure(self, message: str) -> None:
        """A model could not be loaded: another file may be."""
        self._show(message, restart=False, choose=True)

    def _show(self, message: str, *, restart: bool, choose: bool) -> None:
        self.text.setText(message)
        self.restart_button.setVisible(restart)
        self.choose_button.setVisible(choose)
        self.show()
