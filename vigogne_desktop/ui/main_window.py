"""The main window: conversations, the chat, instruct mode, the status bar.

It turns what the user asks for into history writes and engine requests. The engine and
history reads run elsewhere (engine thread, thread pool); here only small writes happen,
each a single SQLite statement in WAL mode.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from converters.templates import merge_instruction_and_input

from ..core import settings as paths
from ..core.conversion import prepare_demo
from ..core.errors import VigogneError
from ..core.history import History, Message, default_path, read_json, write_json, write_text
from ..core.history_writer import HistoryWriter
from ..core.library import installed_models
from ..core.protocol import ChatFinished, ChatStarted, LoadSettings, ModelInfo
from ..core.settings import LOCAL, AppSettings, ConversationSettings
from ..core.sharing import SharedServer, start_sharing
from .background import run_in_background
from .chat_view import ChatView
from .conversation_panel import ConversationPanel
from .conversion_worker import ConversionThread
from .engine_worker import EngineThread
from .i18n import decimal
from .instruct_view import InstructView
from .models import ConversationListModel, MessageListModel
from .settings_dialog import SettingsDialog
from .sidebar import Sidebar
from .theme import apply_theme

RENDER_INTERVAL_MS = 40  # redraw of a streaming reply: 25 times a second at most
SAVE_INTERVAL_S = 1.0  # a streaming reply is written to disk at most once a second
UNDO_DELETE_MS = 8000


class Composer(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


@dataclass
class Reply:
    """The reply being written: where it goes and what has arrived."""

    target: str  # "chat" or "instruct"
    message_id: int = 0
    text: str = ""
    tokens: int = 0
    prompt_tokens: int = 0
    dropped_rounds: int = 0
    round_limit: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    saved_at: float = 0.0
    dirty: bool = False

    @property
    def left_out(self) -> dict[str, int]:
        """What the conversation must say about history left out of this reply."""
        if not self.dropped_rounds:
            return {}
        return {"dropped_rounds": self.dropped_rounds, "round_limit": self.round_limit}

    @property
    def tokens_per_second(self) -> float:
        """As the user sees it: tokens shown over the time between the first and last."""
        span = self.last_at - self.first_at
        return (self.tokens - 1) / span if self.tokens > 1 and span > 0 else 0.0


class MainWindow(QMainWindow):
    history_error = Signal(str)  # from the history writer's thread

    def __init__(self, app_settings: AppSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Vigogne Desktop"))
        self.resize(1180, 760)
        self.setAcceptDrops(True)
        self.settings = app_settings or AppSettings.load()
        self.history = History(default_path(paths.data_dir()), checkpoints=False)
        self.history.purge_deleted()
        self.writer = HistoryWriter(self.history.path, self.history_error.emit)
        self.engine = EngineThread()
        self.model: ModelInfo | None = None
        self.model_path = ""
        self.remote_name = ""
        self.loading = False
        self.reply: Reply | None = None
        self.conv_id: int | None = None
        self.conv_settings = ConversationSettings()
        self.editing: Message | None = None
        self.sharing: SharedServer | None = None
        self._conversion: ConversionThread | None = None
        self._open_token = 0
        self._search_token = 0
        self._pending_hit: int | None = None
        self._deleted: int | None = None
        self._instruction = ""  # the last instruct-mode question, as sent
        self._instruction_format = "instruct"
        self._closed = False

        self.conversations = ConversationListModel()
        self.messages = MessageListModel()
        self.sidebar = Sidebar(self.conversations)
        self.chat_view = ChatView(self.messages)
        self.panel = ConversationPanel()
        self.instruct = InstructView()
        self._build_chat_tab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chat_tab, self.tr("Chat"))
        self.tabs.addTab(self.instruct, self.tr("Instruct"))
        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(1, 1)
        self.panel.setMaximumWidth(380)
        self.sidebar.setMaximumWidth(420)
        self.splitter.setSizes([260, 640, 280])
        self.setCentralWidget(self.splitter)
        self._build_status_bar()
        self._build_menus()
        self._connect()

        self._render_timer = QTimer(self)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self._render_reply)
        self._refresh_conversations()
        self._refresh_models()
        if self.history.recovered_from is not None:
            self.status.setText(
                self.tr(
                    "The history file was damaged: it was kept as {file} and a new one begun."
                ).format(file=self.history.recovered_from.name)
            )
        self._update_controls()

    # -- building ------------------------------------------------------------------------

    def _build_chat_tab(self) -> None:
        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.restart_button = QPushButton(self.tr("Restart the engine"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        banner_row = QHBoxLayout(self.banner)
        banner_row.addWidget(self.banner_text, 1)
        banner_row.addWidget(self.restart_button)
        banner_row.addWidget(self.dismiss_button)
        self.banner.hide()
        self.edit_bar = QLabel(
            self.tr("Editing a message: sending replaces what follows it (Esc cancels).")
        )
        self.edit_bar.setObjectName("reason")
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
        row = QHBoxLayout()
        row.addWidget(self.composer, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        row.addLayout(buttons)
        layout = QVBoxLayout()
        layout.addWidget(self.banner)
        layout.addWidget(self.chat_view, 1)
        layout.addWidget(self.edit_bar)
        layout.addLayout(row)
        layout.addWidget(self.reason)
        self.chat_tab = QWidget()
        self.chat_tab.setLayout(layout)

    def _build_status_bar(self) -> None:
        self.model_label = QLabel(self.tr("No model loaded"))
        self.model_label.setAccessibleName(self.tr("Model"))
        self.status = QLabel()
        self.speed_label = QLabel()
        self.speed_label.setAccessibleName(self.tr("Generation speed"))
        self.context_label = QLabel()
        self.context_label.setAccessibleName(self.tr("Context used"))
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.hide()
        bar = self.statusBar()
        bar.addWidget(self.model_label)
        bar.addWidget(self.status, 1)
        bar.addPermanentWidget(self.undo_button)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.speed_label)
        bar.addPermanentWidget(self.context_label)

    def _action(self, menu: QMenu, text: str, slot, shortcut: str | None = None) -> QAction:  # noqa: ANN001
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file, edit, view = (
            bar.addMenu(t) for t in (self.tr("&File"), self.tr("&Edit"), self.tr("&View"))
        )
        self._action(file, self.tr("New conversation"), self.new_conversation, "Ctrl+N")
        self._action(file, self.tr("Open a model…"), self.choose_model, "Ctrl+O")
        self._action(file, self.tr("Import conversations…"), self.import_conversations)
        self._action(
            file,
            self.tr("Export this conversation as Markdown…"),
            lambda: self.export(self.conv_id, "md"),
        )
        self._action(
            file,
            self.tr("Export this conversation as JSON…"),
            lambda: self.export(self.conv_id, "json"),
        )
        self._action(file, self.tr("Export all conversations…"), self.export_all)
        self._action(file, self.tr("Settings…"), self.open_settings, "Ctrl+,")
        self._action(file, self.tr("Quit"), self.close, "Ctrl+Q")
        self._action(edit, self.tr("Search conversations"), self.focus_search, "Ctrl+F")
        self.regenerate_action = self._action(
            edit, self.tr("Regenerate the last reply"), self.regenerate_last, "Ctrl+Shift+R"
        )
        self.stop_action = self._action(edit, self.tr("Stop the reply"), self.stop, "Esc")
        self.panel_action = self._action(
            view, self.tr("Conversation settings"), lambda on: self.panel.setVisible(on)
        )
        self.panel_action.setCheckable(True)
        self.panel_action.setChecked(True)

    def _connect(self) -> None:
        self.history_error.connect(self._on_history_error)
        worker = self.engine.worker
        worker.loaded.connect(self._on_loaded)
        worker.load_failed.connect(self._on_load_failed)
        worker.remote_ready.connect(self._on_remote_ready)
        worker.started.connect(self._on_started)
        worker.chunk.connect(self._on_chunk)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self.composer.submitted.connect(self.send)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.restart_button.clicked.connect(self.restart_engine)
        self.dismiss_button.clicked.connect(self.banner.hide)
        self.undo_button.clicked.connect(self.undo_delete)
        self.sidebar.new_requested.connect(self.new_conversation)
        self.sidebar.conversation_selected.connect(self.open_conversation)
        self.sidebar.hit_selected.connect(self.open_hit)
        self.sidebar.search_changed.connect(self.search)
        self.sidebar.rename_requested.connect(self.rename_conversation)
        self.sidebar.pin_requested.connect(self.pin_conversation)
        self.sidebar.delete_requested.connect(self.delete_conversation)
        self.sidebar.export_requested.connect(self.export)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.regenerate_requested.connect(self.regenerate)
        self.chat_view.version_requested.connect(self.show_version)
        self.panel.changed.connect(self._on_settings_changed)
        self.panel.model_chosen.connect(self._on_model_chosen)
        self.instruct.run_requested.connect(self.run_instruction)
        self.instruct.stop_requested.connect(self.stop)
        self.instruct.keep_requested.connect(self.keep_instruction)

    # -- models and engines -----------------------------------------------------------

    def _refresh_models(self) -> None:
        found = [str(p) for p in installed_models(paths.models_dir())]
        self.panel.set_models(found, self.model_path or self.settings.last_model)

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a model"), str(paths.models_dir()), self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.load_model(path)

    def load_model(self, path: str, load_settings: LoadSettings | None = None) -> None:
        self.loading = True
        self.model = None
        self.remote_name = ""
        self.status.setText(self.tr("Loading {model}…").format(model=Path(path).name))
        self.progress.setRange(0, 0)
        self.progress.show()
        self._update_controls()
        self.engine.request_load.emit(
            path, load_settings or self.settings.preset(path).load_settings()
        )

    def use_endpoint(self, name: str) -> None:
        endpoint = self.settings.endpoint(name)
        if endpoint is None:
            return
        self.loading = True
        self.model = None
        self.status.setText(self.tr("Connecting to {server}…").format(server=endpoint.base_url))
        self.progress.setRange(0, 0)
        self.progress.show()
        self._update_controls()
        self.engine.request_remote.emit(endpoint)

    def open_default_model(self) -> None:
        """The engine chosen in the settings: a remote server, the last model, or the demo."""
        if self.settings.engine != LOCAL and self.settings.endpoint(self.settings.engine):
            self.use_endpoint(self.settings.engine)
            return
        models = paths.models_dir()
        if self.settings.last_model and Path(self.settings.last_model).is_file():
            self.load_model(self.settings.last_model)
            return
        conversion = None if installed_models(models) else prepare_demo(models)
        if conversion is None:
            self.load_model(str(installed_models(models)[0]))
            return
        self.loading = True
        self._update_controls()
        self.status.setText(self.tr("First start: preparing the demonstration model…"))
        self.progress.setRange(0, 0)
        self.progress.show()
        self._conversion = ConversionThread(conversion)
        worker = self._conversion.worker
        worker.progress.connect(self._on_conversion_progress)
        worker.finished.connect(self._on_conversion_finished)
        worker.failed.connect(self._on_conversion_failed)
        self._conversion.start()

    def _on_conversion_progress(self, phase: str, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _end_conversion(self) -> None:
        self.progress.hide()
        if self._conversion is not None:
            self._conversion.join()
            self._conversion = None

    def _on_conversion_finished(self, path: str) -> None:
        self._end_conversion()
        self._refresh_models()
        self.load_model(path)

    def _on_conversion_failed(self, message: str) -> None:
        self._end_conversion()
        self.loading = False
        self.status.setText(message)
        self._update_controls()

    def _on_loaded(self, info: ModelInfo) -> None:
        self.model = info
        self.model_path = info.path
        self.loading = False
        self.progress.hide()
        self.banner.hide()
        self.settings.last_model = info.path
        self._save_settings()
        quant = f" · {info.file_type}" if info.file_type else ""
        self.model_label.setText(f"{info.name}{quant} · {info.prompt_format}")
        self.status.setText(
            self.tr("Model ready (loaded in {seconds} s).").format(
                seconds=decimal(info.load_seconds)
            )
        )
        self.context_label.setText(self.tr("Context: 0 / {n_ctx}").format(n_ctx=info.n_ctx))
        self._refresh_models()
        self._update_controls()
        if self.sharing is not None or self.settings.share:
            self.set_sharing(True)

    def _on_remote_ready(self, name: str, model: str) -> None:
        self.loading = False
        self.remote_name = name
        self.model = ModelInfo("", model, "", 0, 0, "", "remote", "", 0.0, {})
        self.progress.hide()
        self.model_label.setText(self.tr("{model} on {server}").format(model=model, server=name))
        self.status.setText(self.tr("Connected."))
        self.context_label.clear()
        self._update_controls()

    def _on_load_failed(self, message: str) -> None:
        self.loading = False
        self.progress.hide()
        self.status.setText(message)
        self.model_label.setText(self.tr("No model loaded"))
        self._update_controls()

    def _on_model_chosen(self, path: str) -> None:
        if self.reply is not None:
            self.status.setText(
                self.tr("Wait for the reply to end, or stop it, before changing model.")
            )
            self.panel.set_models(
                [self.panel.model.itemData(i) for i in range(self.panel.model.count())],
                self.model_path,
            )
            return
        if path != self.model_path or self.remote_name:
            self.load_model(path)

    def restart_engine(self) -> None:
        self.banner.hide()
        if self.model_path:
            self.load_model(self.model_path)

    # -- conversations --------------------------------------------------------------------

    def _refresh_conversations(self) -> None:
        self.conversations.set_conversations(self.history.conversations())
        self.sidebar.select(self.conv_id)

    def new_conversation(self) -> None:
        """A blank conversation: written to disk only when its first message is sent."""
        if self.reply is not None:
            return
        self.conv_id = None
        self.editing = None
        self.edit_bar.hide()
        self.conv_settings = ConversationSettings(model=self.model_path)
        self.panel.show_settings(self.conv_settings)
        self.messages.set_messages([])
        self.sidebar.select(None)
        self.tabs.setCurrentWidget(self.chat_tab)
        self.composer.setFocus()
        self.context_label.setText(
            self.tr("Context: 0 / {n_ctx}").format(n_ctx=self.model.n_ctx)
            if self.model and self.model.n_ctx
            else ""
        )
        self._update_controls()

    def open_conversation(self, cid: int) -> None:
        """Read the conversation on the thread pool; show it when it arrives."""
        if self.reply is not None and cid != self.conv_id:
            self.status.setText(
                self.tr("Wait for the reply to end, or stop it, before changing conversation.")
            )
            self.sidebar.select(self.conv_id)
            return
        self._open_token += 1
        token = self._open_token
        path = self.history.path

        def read() -> tuple[int, int, list[Message], dict]:
            self.writer.flush()  # the last words of a reply are on disk before reading
            with History(path) as reader:
                return token, cid, reader.shown(cid), reader.conversation(cid).settings

        run_in_background(self, read, self._on_conversation_read, self._on_history_error)

    def _on_conversation_read(self, result: tuple[int, int, list[Message], dict]) -> None:
        token, cid, shown, settings = result
        if token != self._open_token:
            return  # the user opened another one meanwhile
        self.conv_id = cid
        self.editing = None
        self.edit_bar.hide()
        self.conv_settings = ConversationSettings.from_json(settings)
        self.panel.show_settings(self.conv_settings)
        self.messages.set_messages(shown)
        self.sidebar.select(cid)
        self.tabs.setCurrentWidget(self.chat_tab)
        wanted = self.conv_settings.model
        if wanted and wanted != self.model_path and not self.remote_name and not self.loading:
            if Path(wanted).is_file():
                self.load_model(wanted)  # each conversation goes on with its own model
            else:
                self.status.setText(
                    self.tr(
                        "This conversation's model “{model}” is no longer on this computer: "
                        "the loaded model answers instead."
                    ).format(model=Path(wanted).name)
                )
        if self._pending_hit is not None:
            hit, self._pending_hit = self._pending_hit, None
            self.chat_view.scroll_to_message(hit)
        self._update_controls()

    def _on_history_error(self, message: str) -> None:
        self.status.setText(message)

    def search(self, text: str) -> None:
        if not text:
            return
        self._search_token += 1
        token, path = self._search_token, self.history.path

        def find() -> tuple[int, list]:
            self.writer.flush()
            with History(path) as reader:
                return token, reader.search(text)

        run_in_background(self, find, self._on_found, self._on_history_error)

    def _on_found(self, result: tuple[int, list]) -> None:
        token, hits = result
        if token == self._search_token and self.sidebar.search.text().strip():
            self.sidebar.show_hits(hits)

    def open_hit(self, cid: int, mid: int | None) -> None:
        if mid is not None:
            shown = self.history.shown(cid)
            if all(m.id != mid for m in shown):
                self.history.show_version(cid, mid)  # the hit is in an older version
        self._pending_hit = mid
        self.open_conversation(cid)

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def rename_conversation(self, cid: int) -> None:
        title, ok = QInputDialog.getText(
            self,
            self.tr("Rename"),
            self.tr("New title:"),
            text=self.history.conversation(cid).title,
        )
        if ok and title.strip():
            self._guard(lambda: self.history.rename(cid, title.strip()))
            self._refresh_conversations()

    def pin_conversation(self, cid: int, pinned: bool) -> None:
        self._guard(lambda: self.history.set_pinned(cid, pinned))
        self._refresh_conversations()

    def delete_conversation(self, cid: int) -> None:
        if self.reply is not None and cid == self.conv_id:
            return
        self._guard(lambda: self.history.delete(cid))
        self._deleted = cid
        title = self.history.conversation(cid).title
        self.status.setText(self.tr("« {title} » deleted.").format(title=title))
        self.undo_button.show()
        QTimer.singleShot(UNDO_DELETE_MS, self._forget_undo)
        if cid == self.conv_id:
            self.new_conversation()
        self._refresh_conversations()

    def undo_delete(self) -> None:
        if self._deleted is not None:
            self._guard(lambda: self.history.restore(self._deleted or 0))
            self.status.setText(self.tr("Conversation restored."))
            self._deleted = None
            self.undo_button.hide()
            self._refresh_conversations()

    def _forget_undo(self) -> None:
        self.undo_button.hide()
        self._deleted = None

    def _on_settings_changed(self, settings: ConversationSettings) -> None:
        self.conv_settings = settings
        if self.conv_id is not None:
            self._guard(lambda: self.history.update_settings(self.conv_id or 0, settings.to_json()))

    def _guard(self, write) -> bool:  # noqa: ANN001
        """Run a history write; a failure is one sentence in the status bar."""
        try:
            write()
        except VigogneError as exc:
            self.status.setText(str(exc))
            return False
        return True

    # -- export and import --------------------------------------------------------------

    def export(self, cid: int | None, kind: str) -> None:
        if cid is None:
            self.status.setText(self.tr("Nothing to export yet: send a first message."))
            return
        title = self.history.conversation(cid).title or "conversation"
        safe = (
            "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
            or "conversation"
        )
        suffix = ".md" if kind == "md" else ".json"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export"), safe + suffix)
        if not path:
            return
        names = {
            "system": self.tr("System"),
            "user": self.tr("You"),
            "assistant": self.tr("Vigogne"),
        }
        if kind == "md":
            done = self._guard(lambda: write_text(self.history.export_markdown(cid, names), path))
        else:
            done = self._guard(lambda: write_json(self.history.export_json(cid), path))
        if done:
            self.status.setText(self.tr("Exported to {file}.").format(file=path))

    def export_all(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export all"), "vigogne-conversations.json"
        )
        self.writer.flush()
        if path and self._guard(lambda: write_json(self.history.export_all(), path)):
            self.status.setText(self.tr("Exported to {file}.").format(file=path))

    def import_conversations(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import"), "", self.tr("Exports (*.json)")
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        try:
            ids = self.history.import_json(read_json(path))
        except VigogneError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(self.tr("%n conversation(s) imported.", "", len(ids)))
        self._refresh_conversations()
        if ids:
            self.open_conversation(ids[-1])

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
                self.import_file(str(file))
        models = [f for f in files if f.suffix.lower() == ".gguf"]
        if models and self.reply is None:
            self.load_model(str(models[-1]))

    # -- chatting ---------------------------------------------------------------------------

    def _ready(self) -> bool:
        return self.model is not None and not self.loading and self.reply is None

    def send(self) -> None:
        text = self.composer.toPlainText().strip()
        if not text or not self._ready():
            return
        if self.conv_id is None:
            conv = self.history.create_conversation(settings=self.conv_settings.to_json())
            self.conv_id = conv.id
        parent: int | None = self.messages.messages[-1].id if self.messages.messages else None
        if self.editing is not None:
            row = self.messages.row_of(self.editing.id)
            parent = self.editing.parent_id
            self.messages.truncate(max(row, 0))
            self.editing = None
            self.edit_bar.hide()
        try:
            question = self.history.add_message(self.conv_id, "user", text, parent_id=parent)
        except VigogneError as exc:
            self.status.setText(str(exc))
            return
        self.composer.clear()
        self.messages.append(question)
        self._start_reply(question.id)
        self._refresh_conversations()

    def _start_reply(self, parent_id: int) -> None:
        assert self.conv_id is not None
        history = [{"role": m.role, "content": m.content} for m in self.messages.messages]
        system = self.conv_settings.system.strip()
        if system:
            history.insert(0, {"role": "system", "content": system})
        try:
            placeholder = self.history.add_message(
                self.conv_id, "assistant", "", parent_id=parent_id, status="streaming"
            )
        except VigogneError as exc:
            self.status.setText(str(exc))
            return
        self.messages.append(placeholder)
        self.reply = Reply("chat", placeholder.id, saved_at=time.perf_counter())
        self._begin_generation()
        fmt = self.conv_settings.prompt_format
        self.engine.request_chat.emit(
            history, self.conv_settings.sampling, None if fmt == "auto" else fmt
        )

    def _begin_generation(self) -> None:
        self.banner.hide()
        self.speed_label.setText(self.tr("Reading the prompt…"))
        self._render_timer.start()
        self.chat_view.set_busy(True)
        self._update_controls()

    def regenerate_last(self) -> None:
        if self.messages.messages and self.messages.messages[-1].role == "assistant":
            self.regenerate(self.messages.messages[-1].id)

    def regenerate(self, mid: int) -> None:
        """A new version of a reply; the previous one stays reachable (‹ 1/2 ›)."""
        if not self._ready() or self.conv_id is None:
            return
        row = self.messages.row_of(mid)
        if row < 0:
            return
        parent = self.messages.messages[row].parent_id
        self.history.show_parent_of(self.conv_id, mid)
        self.messages.truncate(row)
        if parent is not None:
            self._start_reply(parent)

    def edit_message(self, mid: int) -> None:
        row = self.messages.row_of(mid)
        if row < 0 or self.reply is not None:
            return
        self.editing = self.messages.messages[row]
        self.composer.setPlainText(self.editing.content)
        self.composer.setFocus()
        self.edit_bar.show()

    def show_version(self, mid: int) -> None:
        if self.conv_id is None or self.reply is not None:
            return
        self.history.show_version(self.conv_id, mid)
        self.open_conversation(self.conv_id)

    def stop(self) -> None:
        if self.editing is not None and self.reply is None:
            self.editing = None
            self.edit_bar.hide()
            self.composer.clear()
            return
        if self.reply is not None:
            self.engine.cancel()

    def run_instruction(self, instruction: str, input_text: str, instruct_format: bool) -> None:
        if not self._ready():
            return
        self.instruct.clear_answer()
        self.reply = Reply("instruct")
        self._instruction = merge_instruction_and_input(instruction, input_text)
        self._begin_generation()
        messages = [{"role": "user", "content": self._instruction}]
        self._instruction_format = "instruct" if instruct_format else "auto"
        fmt = "instruct" if instruct_format else None
        self.engine.request_chat.emit(messages, self.conv_settings.sampling, fmt)

    def keep_instruction(self) -> None:
        """Keep the instruction and its answer as a conversation in the instruct format."""
        if not self.instruct.answer:
            return
        settings = ConversationSettings(
            model=self.model_path, prompt_format=self._instruction_format, system=""
        )
        conv = self.history.create_conversation(settings=settings.to_json())
        question = self.history.add_message(conv.id, "user", self._instruction, parent_id=None)
        self.history.add_message(conv.id, "assistant", self.instruct.answer, parent_id=question.id)
        self._refresh_conversations()
        self.open_conversation(conv.id)

    # -- engine events ------------------------------------------------------------------

    def _on_started(self, started: ChatStarted) -> None:
        if self.reply is None:
            return
        self.reply.prompt_tokens = started.prompt_tokens
        self.reply.dropped_rounds = started.dropped_rounds
        self.reply.round_limit = started.round_limit
        if started.dropped_rounds and self.reply.target == "chat":
            row = self.messages.row_of(self.reply.message_id)
            message = self.messages.messages[row]
            self.messages.update(row, meta={**message.meta, **self.reply.left_out})
        self._show_context()

    def _on_chunk(self, text: str) -> None:
        reply = self.reply
        if reply is None:
            return
        now = time.perf_counter()
        if not reply.tokens:
            reply.first_at = now
        reply.tokens += 1
        reply.last_at = now
        reply.text += text
        reply.dirty = True

    def _render_reply(self) -> None:
        reply = self.reply
        if reply is None or not reply.dirty:
            return
        reply.dirty = False
        if reply.target == "instruct":
            self.instruct.show_answer(reply.text)
        else:
            row = self.messages.row_of(reply.message_id)
            if row >= 0:
                self.messages.update(row, content=reply.text)
            if time.perf_counter() - reply.saved_at >= SAVE_INTERVAL_S:
                reply.saved_at = time.perf_counter()
                self.writer.update_message(reply.message_id, reply.text)
        self.speed_label.setText(
            self.tr("{speed} tokens/s").format(speed=decimal(reply.tokens_per_second))
        )
        self._show_context()

    def _show_context(self) -> None:
        if self.reply is not None and self.model is not None and self.model.n_ctx:
            used = self.reply.prompt_tokens + self.reply.tokens
            self.context_label.setText(
                self.tr("Context: {used} / {n_ctx}").format(used=used, n_ctx=self.model.n_ctx)
            )

    def _on_finished(self, done: ChatFinished) -> None:
        reply = self.reply
        if reply is None:
            return
        reply.dirty = True
        self._render_reply()
        self._end_generation()
        meta = {
            "tokens": done.completion_tokens,
            "speed": round(done.tokens_per_second, 2),
            "shown_speed": round(reply.tokens_per_second, 2),
            "prompt_tokens": done.prompt_tokens,
            "model": self.model.name if self.model else "",
            "finish": done.finish_reason,
        }
        meta.update(reply.left_out)
        status = "stopped" if done.finish_reason == "cancelled" else "complete"
        if reply.target == "chat":
            self._finish_message(reply, status, meta)
        self.speed_label.setText(
            self.tr("%n token(s)", "", done.completion_tokens)
            + " · "
            + self.tr("{speed} tokens/s").format(speed=decimal(done.tokens_per_second))
        )
        self._update_controls()

    def _finish_message(self, reply: Reply, status: str, meta: dict) -> None:
        row = self.messages.row_of(reply.message_id)
        if not reply.text and status != "complete":
            # Nothing arrived: no empty reply is kept.
            self._guard(lambda: self.history.delete_message(reply.message_id))
            self.messages.truncate(row)
            return
        self.writer.update_message(reply.message_id, reply.text, status=status, meta=meta)
        if row >= 0:
            self.messages.update(row, content=reply.text, status=status, meta=meta)
        self._refresh_conversations()

    def _end_generation(self) -> None:
        self._render_timer.stop()
        self.reply = None
        self.chat_view.set_busy(False)

    def _on_failed(self, message: str, crashed: bool) -> None:
        reply = self.reply
        if reply is None:
            return
        self._end_generation()
        if reply.target == "chat":
            self._finish_message(reply, "unfinished", {"error": message})
        self.banner_text.setText(message)
        self.restart_button.setVisible(crashed and bool(self.model_path))
        self.banner.show()
        if crashed:
            self.model = None
            self.model_label.setText(self.tr("The engine stopped"))
        self.speed_label.clear()
        self._update_controls()

    # -- settings and sharing ----------------------------------------------------------

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.model_path, self)
        self._settings_dialog = dialog
        dialog.applied.connect(self._apply_settings)
        dialog.sharing_toggled.connect(self.set_sharing)
        self._show_sharing()
        dialog.open()

    def _apply_settings(self, new: AppSettings) -> None:
        old = self.settings
        self.settings = new
        self._save_settings()
        app = QApplication.instance()
        if new.theme != old.theme and isinstance(app, QApplication):
            apply_theme(app, new.theme)
        if new.engine != old.engine or (
            new.engine != LOCAL and new.endpoint(new.engine) != old.endpoint(old.engine)
        ):
            if new.engine == LOCAL:
                if self.model_path:
                    self.load_model(self.model_path)
            else:
                self.use_endpoint(new.engine)
        elif (
            self.model_path
            and new.preset(self.model_path) != old.preset(self.model_path)
            and not self.remote_name
        ):
            self.load_model(self.model_path)
        if new.share != bool(self.sharing):
            self.set_sharing(new.share)

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.status.setText(
                self.tr("The settings could not be saved ({error}).").format(error=exc.strerror)
            )

    def set_sharing(self, on: bool) -> None:
        if self.sharing is not None:
            self.sharing.stop()
            self.sharing = None
        self.settings.share = on
        if not on or not self.model_path or self.model is None or self.remote_name:
            self._show_sharing(
                self.tr("Not shared.") if not on else self.tr("Load a local model to share it.")
            )
            return
        path = self.model_path
        fmt = self.model.prompt_format if self.model.prompt_format != "file" else "chat-v2"
        load = self.settings.preset(path).load_settings()
        self._show_sharing(self.tr("Starting the server…"))
        run_in_background(
            self,
            lambda: start_sharing(path, prompt_format=fmt, settings=load),
            self._on_sharing_started,
            self._on_sharing_failed,
        )

    def _on_sharing_started(self, server: SharedServer) -> None:
        if not self.settings.share:
            server.stop()
            return
        self.sharing = server
        self._show_sharing(self.tr("Shared: other apps on this computer can use the model."))

    def _on_sharing_failed(self, message: str) -> None:
        self.settings.share = False
        self._show_sharing(message)

    def _show_sharing(self, state: str = "") -> None:
        dialog = getattr(self, "_settings_dialog", None)
        if dialog is None:
            return
        server = self.sharing
        dialog.show_sharing(
            server.base_url if server else "", server.api_key if server else "", state
        )

    # -- state ------------------------------------------------------------------------

    def _update_controls(self) -> None:
        ready = self._ready()
        busy = self.reply is not None
        self.send_button.setEnabled(ready)
        self.stop_button.setEnabled(busy)
        self.stop_action.setEnabled(busy or self.editing is not None)
        last_is_reply = (
            bool(self.messages.messages) and self.messages.messages[-1].role == "assistant"
        )
        self.regenerate_action.setEnabled(ready and last_is_reply)
        if self.loading:
            reason = self.tr("The model is loading…")
        elif self.model is None:
            reason = self.tr("Load a model first (File › Open a model).")
        elif busy:
            reason = self.tr("Vigogne is writing… (Esc stops)")
        else:
            reason = ""
        self.reason.setText(reason)
        self.send_button.setToolTip(reason or self.tr("Send (Enter)"))
        self.instruct.set_state(ready=ready, busy=busy, reason=reason)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self._closed:
            super().closeEvent(event)
            return
        self._closed = True
        worker = self.engine.worker
        for signal in (
            worker.loaded,
            worker.load_failed,
            worker.remote_ready,
            worker.started,
            worker.chunk,
            worker.finished,
            worker.failed,
        ):
            signal.disconnect()  # nothing the engine still says may touch a closing window
        if self._conversion is not None:
            self._conversion.cancel()
        reply, self.reply = self.reply, None
        if reply is not None and reply.target == "chat":
            # What the user saw is kept; it is marked unfinished.
            self.writer.update_message(reply.message_id, reply.text, status="unfinished")
        if self.sharing is not None:
            self.sharing.stop()
        self.engine.shutdown()
        self.writer.close()
        self.history.close()
        super().closeEvent(event)
