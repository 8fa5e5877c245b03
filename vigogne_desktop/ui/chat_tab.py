"""The chat tab: the banner, the messages, the message box and its buttons, and what the
chat and engine controllers say about them."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .chat_banner import ChatBanner
from .chat_controller import ChatController
from .chat_view import ChatView
from .composer import Composer
from .engine_controller import EngineController
from .session import Session


class ChatTab(QWidget):
    """Everything inside the « Discussion » tab; the window places it and asks for files."""

    choose_file_requested = Signal()  # another model file, through the window's file dialog
    library_requested = Signal()

    def __init__(self, chat_view: ChatView) -> None:
        super().__init__()
        self.chat_view = chat_view
        self.banner = ChatBanner()
        self.edit_bar = QLabel(
            self.tr("Editing a message: sending replaces what follows it (Esc cancels).")
        )
        self.edit_bar.setObjectName("reason")
        self.edit_bar.setWordWrap(True)  # long sentences must not widen the window
        self.edit_bar.hide()
        self.composer = Composer()
        self.composer.setPlaceholderText(
            self.tr("Write your message… (Enter sends, Shift+Enter for a new line)")
        )
        self.composer.setAccessibleName(self.tr("Message"))
        self.composer.setMaximumHeight(110)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setAccessibleName(self.tr("Send"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setAccessibleName(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the reply (Esc)"))
        self.reason = QLabel()
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.composer, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.chat_view, 1)
        layout.addWidget(self.edit_bar)
        layout.addLayout(row)
        layout.addWidget(self.reason)
        self.banner.choose_requested.connect(self.choose_file_requested)

    def attach(self, session: Session, chat: ChatController, engines: EngineController) -> None:
        """Listen to the controllers, and send them what the user does here."""
        self._session, self._chat, self._engines = session, chat, engines
        self.composer.submitted.connect(self.send)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(chat.stop)
        self.banner.restart_requested.connect(self._restart_engine)
        chat.busy.connect(self._on_busy)
        chat.composer_done.connect(self.composer.clear)
        chat.editing.connect(self._on_editing)
        chat.failed.connect(self._on_engine_failed)
        engines.loaded.connect(self.banner.hide)
        engines.load_failed.connect(self.banner.show_load_failure)

    def send(self) -> None:
        self._chat.send(self.composer.toPlainText())

    def update_controls(self, reason: str) -> None:
        """Enable what may be done now; `reason` says why sending is not possible."""
        session = self._session
        self.send_button.setEnabled(session.ready)
        self.stop_button.setEnabled(session.reply is not None)
        self.reason.setText(reason)
        self.send_button.setToolTip(reason or self.tr("Send (Enter)"))

    def _restart_engine(self) -> None:
        self.banner.hide()
        self._engines.restart()

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.banner.hide()
        self.chat_view.set_busy(busy)

    def _on_editing(self, text: str) -> None:
        self.edit_bar.setVisible(bool(text))
        if text:
            self.composer.setPlainText(text)
            self.composer.setFocus()

    def _on_engine_failed(self, message: str, crashed: bool) -> None:
        self.banner.show_crash(message, crashed and bool(self._session.model_path))
