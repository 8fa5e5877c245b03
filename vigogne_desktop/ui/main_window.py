"""The main window: it builds the views and menus, wires them to one controller per job
(chat, engine, conversations, library, sharing) and enables what may be done now.

The controllers hold the behaviour and share one `Session`; the window asks the user
(file dialogs, a title) and shows what the controllers say.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QTabWidget,
)

from ..core import settings as paths
from ..core.history import History, SearchHit, default_path
from ..core.history_writer import HistoryWriter
from ..core.protocol import LoadSettings
from ..core.settings import AppSettings
from .chat_controller import ChatController
from .chat_tab import ChatTab
from .chat_view import ChatView
from .conversation_actions import ConversationActions
from .conversation_panel import ConversationPanel
from .engine_controller import EngineController
from .engine_worker import EngineThread
from .gui_gc import collect_on_gui_thread
from .instruct_view import InstructView
from .library_controller import LibraryController
from .library_view import LibraryView
from .models import ConversationListModel, MessageListModel
from .session import Session
from .settings_dialog import SettingsDialog
from .sharing_controller import SharingController
from .shortcuts import AboutBox, ShortcutsDialog
from .sidebar import Sidebar
from .tab_order import chain, follow_reading_order
from .theme import apply_theme
from .workspace import Workspace


class MainWindow(QMainWindow):
    def __init__(self, app_settings: AppSettings | None = None) -> None:
        super().__init__()
        collect_on_gui_thread()  # Qt objects in cycles must die on this thread
        self.setWindowTitle(self.tr("Vigogne Desktop"))
        self.resize(1180, 760)
        self.setAcceptDrops(True)
        self.session = Session(app_settings or AppSettings.load())
        # The app's first connection: it alone marks replies a crash left "streaming".
        self.history = History(default_path(paths.data_dir()), checkpoints=False, recover=True)
        self.history.purge_deleted()
        self.writer = HistoryWriter(self.history.path, self._history_error)
        self.engine = EngineThread()
        self._settings_dialog: SettingsDialog | None = None
        self._closed = False

        self.conversation_list = ConversationListModel()
        self.messages = MessageListModel()
        self.chat = ChatController(
            self.session, self.history, self.writer, self.messages, self.engine
        )
        self.engines = EngineController(self.session, self.engine)
        self.conversations = ConversationActions(
            self.session, self.history, self.writer, self.conversation_list, self.messages
        )
        self.sharing = SharingController(self.session)
        self.library = LibraryController(self.session)
        for controller in (self.chat, self.engines, self.conversations, self.sharing, self.library):
            controller.setParent(self)  # they live as long as the window, no longer

        self.sidebar = Sidebar(self.conversation_list)
        self.chat_view = ChatView(self.messages)
        self.panel = ConversationPanel()
        self.instruct = InstructView()
        self.library_view = LibraryView()
        self._build_chat_tab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chat_tab, self.tr("Chat"))
        self.tabs.addTab(self.instruct, self.tr("Instruct"))
        self.tabs.addTab(self.library_view, self.tr("Library"))
        self.workspace = Workspace(self.sidebar, self.tabs, self.panel)
        self.setCentralWidget(self.workspace)
        self.undo_button = self.sidebar.undo_button  # a deletion is undone next to the list
        self._build_status_bar()
        self._build_menus()
        self._remember_columns()
        self._set_tab_order()
        self._connect_views()
        self._connect_controllers()

        self.conversations.refresh()
        self.engines.refresh_models()
        if self.history.recovered_from is not None:
            self.status.setText(
                self.tr(
                    "The history file was damaged: it was kept as {file} and a new one begun."
                ).format(file=self.history.recovered_from.name)
            )
        self._update_controls()

    # -- building ------------------------------------------------------------------------

    def _build_chat_tab(self) -> None:
        self.chat_tab = ChatTab(self.chat_view)
        tab = self.chat_tab  # the window's tests and menus reach these by their old names
        self.banner, self.edit_bar, self.composer = tab.banner, tab.edit_bar, tab.composer
        # The model is named once, in the bar above the chat (its prompt format in the
        # tooltip); the status bar says what happens, the speed and the context.
        self.model_label = tab.model_bar.details
        self.send_button, self.stop_button, self.reason = (
            tab.send_button,
            tab.stop_button,
            tab.reason,
        )

    def _build_status_bar(self) -> None:
        self.status = QLabel()
        self.speed_label = QLabel()
        self.speed_label.setAccessibleName(self.tr("Generation speed"))
        self.context_label = QLabel()
        self.context_label.setAccessibleName(self.tr("Context used"))
        self.status.setMinimumWidth(60)  # a long sentence must not widen the window
        bar = self.statusBar()
        bar.addWidget(self.status, 1)
        bar.addPermanentWidget(self.speed_label)
        bar.addPermanentWidget(self.context_label)

    def _action(
        self, menu: QMenu, text: str, slot: Callable[..., object], shortcut: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _toggle(
        self,
        menu: QMenu,
        text: str,
        wanted: Callable[[bool], None],
        shown: SignalInstance,
        shortcut: str = "",
    ) -> QAction:
        """A View entry: a click is the user's wish; its check mark follows what is shown."""
        action = self._action(menu, text, wanted, shortcut)
        action.setCheckable(True)
        action.setChecked(True)
        shown.connect(action.setChecked)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file, edit, view, help_ = (
            bar.addMenu(t)
            for t in (self.tr("&File"), self.tr("&Edit"), self.tr("&View"), self.tr("&Help"))
        )
        self._action(file, self.tr("New conversation"), self.new_conversation, "Ctrl+N")
        self._action(file, self.tr("Open a model…"), self.choose_model, "Ctrl+O")
        self._action(file, self.tr("Model library"), self.show_library, "Ctrl+Shift+L")
        self._action(file, self.tr("Convert a model…"), lambda: self.library_view.open_convert())
        self._action(file, self.tr("Import conversations…"), self.import_conversations)
        for kind, text in (
            ("md", self.tr("Export this conversation as Markdown…")),
            ("json", self.tr("Export this conversation as JSON…")),
        ):
            self._action(file, text, lambda *_, k=kind: self.export(self.session.conv_id, k))
        self._action(file, self.tr("Export all conversations…"), self.export_all)
        self._action(file, self.tr("Settings…"), self.open_settings, "Ctrl+,")
        self._action(file, self.tr("Quit"), self.close, "Ctrl+Q")
        self._action(edit, self.tr("Write a message"), self.focus_composer, "Ctrl+L")
        self._action(edit, self.tr("Copy the last reply"), self.copy_last_reply, "Ctrl+Shift+C")
        self._action(edit, self.tr("Search conversations"), self.focus_search, "Ctrl+F")
        self.regenerate_action = self._action(
            edit, self.tr("Regenerate the last reply"), self.chat.regenerate_last, "Ctrl+Shift+R"
        )
        self.stop_action = self._action(edit, self.tr("Stop the reply"), self.chat.stop, "Esc")
        space = self.workspace
        self.sidebar_action = self._toggle(
            view,
            self.tr("Conversation list"),
            space.set_sidebar_wanted,
            space.sidebar_shown,
            "Ctrl+B",
        )
        self.panel_action = self._toggle(
            view, self.tr("Conversation settings"), space.set_panel_wanted, space.panel_shown
        )
        self._action(help_, self.tr("Keyboard shortcuts"), self.show_shortcuts, "F1")
        self._action(help_, self.tr("About Vigogne Desktop"), lambda: AboutBox(self).open())

    def _remember_columns(self) -> None:
        """The side columns as the user left them last time, and kept so from now on."""
        space, settings = self.workspace, self.session.settings
        space.set_sidebar_wanted(settings.show_sidebar)
        space.set_panel_wanted(settings.show_settings_panel)
        space.wishes_changed.connect(self._on_column_wishes)

    def _on_column_wishes(self, sidebar: bool, panel: bool) -> None:
        settings = self.session.settings
        if (settings.show_sidebar, settings.show_settings_panel) != (sidebar, panel):
            settings.show_sidebar, settings.show_settings_panel = sidebar, panel
            self.engines.save_settings()

    def _set_tab_order(self) -> None:
        """Tab goes sidebar → chat → message box → settings, and round: the eleven settings
        come after the message box and Send, never between the list and the messages."""
        chain(self.panel, self.sidebar, self.tabs)  # the chat tab keeps its own order inside
        chain(self.composer, self.send_button, self.stop_button, self.panel)

    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802 (Qt's name)
        follow_reading_order(self.chat_view)  # the messages built since the last Tab
        return super().focusNextPrevChild(forward)

    def _connect_views(self) -> None:
        """What the user does in the views goes to the controller whose job it is."""
        chat, conversations = self.chat, self.conversations
        self.chat_tab.attach(self.session, chat, self.engines, self.library, conversations)
        self.chat_tab.choose_file_requested.connect(self.choose_model)
        self.chat_tab.library_requested.connect(self.show_library)
        self.undo_button.clicked.connect(conversations.undo_delete)
        self.sidebar.new_requested.connect(self.new_conversation)
        self.sidebar.conversation_selected.connect(conversations.open_conversation)
        self.sidebar.hit_selected.connect(conversations.open_hit)
        self.sidebar.search_changed.connect(conversations.search)
        self.sidebar.rename_requested.connect(self.rename_conversation)
        self.sidebar.pin_requested.connect(conversations.pin)
        self.sidebar.delete_requested.connect(conversations.delete)
        self.sidebar.export_requested.connect(self.export)
        self.chat_view.edit_requested.connect(chat.edit_message)
        self.chat_view.regenerate_requested.connect(chat.regenerate)
        self.chat_view.version_requested.connect(chat.show_version)
        self.panel.changed.connect(conversations.edit_settings)
        self.instruct.run_requested.connect(chat.run_instruction)
        self.instruct.stop_requested.connect(chat.stop)
        self.instruct.keep_requested.connect(lambda: chat.keep_instruction(self.instruct.answer))
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.library_view.observe(self.library)
        self.library_view.chat_requested.connect(self.chat_with)

    def _connect_controllers(self) -> None:
        """What the controllers say is shown here."""
        chat, engines, conversations = self.chat, self.engines, self.conversations
        self.library.status.connect(self.status.setText)
        for controller in (chat, engines, conversations):
            controller.status.connect(self.status.setText)
            controller.changed.connect(self._update_controls)
        chat.speed.connect(self.speed_label.setText)
        chat.context.connect(self.context_label.setText)
        chat.answer.connect(self.instruct.show_answer)
        chat.failed.connect(self._on_engine_failed)
        chat.conversations_changed.connect(conversations.refresh)
        chat.open_requested.connect(conversations.open_conversation)
        engines.context.connect(self.context_label.setText)
        engines.loaded.connect(self.sharing.model_loaded)
        conversations.shown.connect(self._on_conversation_shown)
        conversations.settings_shown.connect(self.panel.show_settings)
        conversations.selected.connect(self.sidebar.select)
        conversations.hits.connect(self._on_hits)
        conversations.scroll_to.connect(self.chat_view.scroll_to_message)
        conversations.undo_offered.connect(self.sidebar.offer_undo)
        conversations.model_wanted.connect(engines.load_model)
        self.sharing.shown.connect(self._on_sharing_shown)

    # -- what the user asks, forwarded -------------------------------------------------

    def load_model(self, path: str, load_settings: LoadSettings | None = None) -> None:
        self.engines.load_model(path, load_settings)

    def use_endpoint(self, name: str) -> None:
        self.engines.use_endpoint(name)

    def open_default_model(self) -> None:
        self.engines.open_default_model()

    def new_conversation(self) -> None:
        self.conversations.new_conversation()

    def open_conversation(self, cid: int) -> None:
        self.conversations.open_conversation(cid)

    def send(self) -> None:
        self.chat_tab.send()

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a model"), str(paths.models_dir()), self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.engines.load_model(path)

    def show_library(self) -> None:
        self.tabs.setCurrentWidget(self.library_view)

    def chat_with(self, path: str) -> None:
        """« Chat » in the library: a new conversation with that model, in the chat tab."""
        if self.engines.choose(path):
            self.new_conversation()
            self.session.conv_settings.model = path  # the model it goes on with when reopened
            self.tabs.setCurrentWidget(self.chat_tab)

    def _on_tab_changed(self) -> None:
        library = self.tabs.currentWidget() is self.library_view  # it takes the whole width
        self.workspace.set_full_width(library)
        for action in (self.sidebar_action, self.panel_action):
            action.setEnabled(not library)

    def focus_composer(self) -> None:
        self.tabs.setCurrentWidget(self.chat_tab)
        self.composer.setFocus()

    def copy_last_reply(self) -> None:
        replies = [m.content for m in self.messages.messages if m.role == "assistant"]
        if replies and replies[-1]:
            QApplication.clipboard().setText(replies[-1])
            self.status.setText(self.tr("The last reply is copied."))
        else:
            self.status.setText(self.tr("There is no reply to copy yet."))

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.findChildren(QAction), self.sidebar.keys, self).open()

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def rename_conversation(self, cid: int) -> None:
        title, ok = QInputDialog.getText(
            self, self.tr("Rename"), self.tr("New title:"), text=self.conversations.title(cid)
        )
        if ok:
            self.conversations.rename(cid, title)

    def export(self, cid: int | None, kind: str) -> None:
        if cid is None:
            self.status.setText(self.tr("Nothing to export yet: send a first message."))
            return
        name = self.conversations.export_name(cid, kind)
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export"), name)
        if path:
            self.conversations.export(cid, kind, path)

    def export_all(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export all"), "vigogne-conversations.json"
        )
        if path:
            self.conversations.export_all(path)

    def import_conversations(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import"), "", self.tr("Exports (*.json)")
        )
        if path:
            self.conversations.import_file(path)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.session.settings, self.session.model_path, self)
        self._settings_dialog = dialog
        dialog.applied.connect(self._apply_settings)
        dialog.sharing_toggled.connect(self.sharing.set_sharing)
        self.sharing.show_state()
        dialog.open()

    def _apply_settings(self, new: AppSettings) -> None:
        old, self.session.settings = self.session.settings, new
        self.engines.save_settings()
        app = QApplication.instance()
        if new.theme != old.theme and isinstance(app, QApplication):
            apply_theme(app, new.theme)
        self.engines.apply_settings(old, new)
        if new.share != (self.sharing.server is not None):
            self.sharing.set_sharing(new.share)

    # -- files dropped on the window -----------------------------------------------------

    @staticmethod
    def _dropped(event: QDragEnterEvent | QDropEvent) -> list[Path]:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        return [f for f in files if f.suffix.lower() in (".gguf", ".json")]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt's name)
        if self._dropped(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt's name)
        """A .gguf dropped on the window is loaded; a .json export is imported."""
        files = self._dropped(event)
        if not files:
            return
        event.acceptProposedAction()
        for file in files:
            if file.suffix.lower() == ".json":
                self.conversations.import_file(str(file))
        models = [f for f in files if f.suffix.lower() == ".gguf"]
        if models and self.session.reply is None:
            self.engines.load_model(str(models[-1]))

    # -- what the controllers say, shown -------------------------------------------------

    def _history_error(self, message: str) -> None:
        """From the history writer's thread: shown on the GUI thread."""
        self.conversations.status.emit(message)

    def _on_engine_failed(self, _message: str, crashed: bool) -> None:
        self.speed_label.clear()
        if crashed:  # the context it counted went with it
            self.context_label.clear()

    def _on_conversation_shown(self) -> None:
        self.chat.end_editing()
        self.tabs.setCurrentWidget(self.chat_tab)
        if self.session.conv_id is None:  # a blank one: the user writes next
            self.composer.setFocus()
            self.speed_label.clear()  # the last reply's speed belongs to another conversation
            model = self.session.model
            self.context_label.setText(
                self.tr("Context: 0 / {n_ctx}").format(n_ctx=model.n_ctx)
                if model and model.n_ctx
                else ""
            )

    def _on_hits(self, hits: list[SearchHit]) -> None:
        if self.sidebar.search.text().strip():  # the search was not cleared meanwhile
            self.sidebar.show_hits(hits)

    def _on_sharing_shown(self, address: str, key: str, state: str) -> None:
        if self._settings_dialog is not None:
            self._settings_dialog.show_sharing(address, key, state)

    # -- state ------------------------------------------------------------------------

    def _update_controls(self) -> None:
        session = self.session
        ready, busy = session.ready, session.reply is not None
        self.stop_action.setEnabled(busy or session.editing is not None)
        shown = self.messages.messages
        self.regenerate_action.setEnabled(ready and bool(shown) and shown[-1].role == "assistant")
        if session.loading:
            reason = self.tr("The model is loading…")
        elif session.stopped:
            reason = self.tr(
                "The engine stopped: « Retry » above starts it again, or choose a model in the bar."
            )
        elif session.model is None:
            reason = self.tr("Load a model first (File › Open a model).")
        elif busy:
            reason = self.tr("Vigogne is writing… (Esc stops)")
        else:
            reason = ""
        self.chat_tab.update_controls(reason)
        self.instruct.set_state(ready=ready, busy=busy, reason=reason)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._closed:
            self._closed = True
            self.chat.close()
            self.conversations.close()
            self.sharing.stop()
            self.library.close()
            self.engines.close()
            self.writer.close()
            self.history.close()
        super().closeEvent(event)
