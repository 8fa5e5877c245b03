"""The chat tab: the model bar, the banner, the messages (or the welcome while there are
none), the message box and its button, and what the controllers say about them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .chat_banner import ChatBanner
from .chat_controller import ChatController
from .chat_view import ChatView
from .composer import Composer
from .conversation_actions import ConversationActions
from .engine_controller import EngineController
from .library_controller import LibraryController
from .model_bar import ModelBar
from .session import Session
from .welcome_view import WelcomeView


class ChatTab(QWidget):
    """Everything inside the « Discussion » tab; the window places it and asks for files."""

    choose_file_requested = Signal()  # another model file, through the window's file dialog
    library_requested = Signal()

    def __init__(self, chat_view: ChatView) -> None:
        super().__init__()
        self.chat_view = chat_view
        self.model_bar = ModelBar()
        self.welcome = WelcomeView()
        self.pages = QStackedWidget()  # the welcome while the conversation is empty
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(chat_view)
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
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setAccessibleName(self.tr("Send"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setAccessibleName(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the reply (Esc)"))
        # One place for both: Send becomes Stop while a reply is written, under the pointer.
        self.send_or_stop = QStackedWidget()
        self.send_or_stop.addWidget(self.send_button)
        self.send_or_stop.addWidget(self.stop_button)
        self.reason = QLabel()
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)
        self.composer.refused.connect(self.reason.setText)  # until what may be done changes
        row = QHBoxLayout()
        row.addWidget(self.composer, 1)
        row.addWidget(self.send_or_stop, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addWidget(self.model_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.edit_bar)
        layout.addLayout(row)
        layout.addWidget(self.reason)
        for view in (self.banner, self.model_bar, self.welcome):
            view.choose_requested.connect(self.choose_file_requested)
        for view in (self.model_bar, self.welcome):
            view.library_requested.connect(self.library_requested)
        self.welcome.question_chosen.connect(self.ask)
        model = chat_view.model
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._show_page)

    def attach(
        self,
        session: Session,
        chat: ChatController,
        engines: EngineController,
        library: LibraryController,
        conversations: ConversationActions,
    ) -> None:
        """Listen to the controllers, and send them what the user does here."""
        self._session, self._chat, self._engines = session, chat, engines
        self._conversations = conversations
        bar = self.model_bar
        bar.model_chosen.connect(self._choose_model)
        engines.models_found.connect(bar.set_models)
        engines.progress.connect(bar.show_progress)
        engines.progress_ended.connect(bar.end_progress)
        library.local_ready.connect(bar.show_library_models)
        self.composer.submitted.connect(self.send)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(chat.stop)
        self.banner.restart_requested.connect(self._restart_engine)
        self.banner.retry_requested.connect(self._retry)
        chat.busy.connect(self._on_busy)
        chat.composer_done.connect(self.composer.clear)
        chat.editing.connect(self._on_editing)
        chat.failed.connect(self._on_engine_failed)
        engines.loaded.connect(self.banner.hide)
        engines.loaded.connect(chat.model_ready)  # a question waiting for « Retry » goes
        engines.load_failed.connect(self.banner.show_load_failure)

    def send(self) -> None:
        self._chat.send(self.composer.toPlainText())

    def ask(self, question: str) -> None:
        """A question chosen in the welcome: sent as if the user had typed it; what they had
        begun to write stays in the message box (sending clears it)."""
        draft = self.composer.toPlainText()
        self._chat.send(question)
        if draft and not self.composer.toPlainText():
            self.composer.setPlainText(draft)
        self.composer.setFocus()  # the question's button is gone with the welcome

    def update_controls(self, reason: str) -> None:
        """Enable what may be done now; `reason` says why sending is not possible."""
        session = self._session
        busy = session.reply is not None
        self.send_button.setEnabled(session.ready)
        self.stop_button.setEnabled(busy)
        self.send_or_stop.setCurrentWidget(self.stop_button if busy else self.send_button)
        self.reason.setText(reason)
        self.send_button.setToolTip(reason or self.tr("Send (Enter)"))
        self.model_bar.show_state(session)
        self.welcome.show_state(session)

    def _show_page(self) -> None:
        empty = not self.chat_view.model.rowCount()
        self.pages.setCurrentWidget(self.welcome if empty else self.chat_view)

    def _choose_model(self, path: str) -> None:
        """A model picked in the bar: loaded, and the conversation goes on with it."""
        if self._engines.choose(path):
            self._conversations.remember_model(path)
        else:
            self.model_bar.show_model(self._session.model_path)  # the choice is refused

    def _restart_engine(self) -> None:
        self.banner.hide()
        self._engines.restart()

    def _retry(self) -> None:
        self.banner.hide()
        if self._chat.retry():  # the engine stopped: it starts again, then the question goes
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

    def _on_engine_failed(self, message: str, crashed: bool, details: str) -> None:
        self.banner.show_crash(message, crashed and bool(self._session.model_path), details)
