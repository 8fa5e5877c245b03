"""The conversations' job: open, search, rename, pin, delete and undo, export and import.

Reads run on the thread pool; the settings the user edits are saved at most twice a
second, off the GUI thread. It touches no widget: it says what to show in signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.errors import VigogneError
from ..core.history import (
    History,
    Message,
    Searcher,
    SearchHit,
    SearchInterrupted,
    read_json,
    write_json,
    write_text,
)
from ..core.history_writer import HistoryWriter
from ..core.settings import ConversationSettings
from .background import run_in_background
from .models import ConversationListModel, MessageListModel
from .session import Session

UNDO_DELETE_MS = 8000
SAVE_SETTINGS_MS = 500  # typing a system prompt saves it once the typing pauses

Read = tuple[int, int, list[Message], dict[str, Any]]


class ConversationActions(QObject):
    status = Signal(str)
    changed = Signal()  # what may be done now has changed
    shown = Signal()  # another conversation (or a blank one) is on screen
    settings_shown = Signal(object)  # its ConversationSettings
    selected = Signal(object)  # the conversation id to select in the list, or None
    hits = Signal(list)  # search results, list[SearchHit]
    scroll_to = Signal(int)  # a message to bring into view
    undo_offered = Signal(bool)  # a deleted conversation can be brought back
    model_wanted = Signal(str)  # the conversation opened goes on with its own model

    def __init__(
        self,
        session: Session,
        history: History,
        writer: HistoryWriter,
        conversations: ConversationListModel,
        messages: MessageListModel,
    ) -> None:
        super().__init__()
        self.session = session
        self.history = history
        self.writer = writer
        self.conversations = conversations
        self.messages = messages
        self._open_token = 0
        self._search_token = 0
        self._searcher: Searcher | None = None  # one reader for every search, opened at the first
        self._pending_hit: int | None = None
        self._deleted: int | None = None
        # Settings edited and not yet handed to the writer, with their conversation.
        self._unsaved: tuple[int, ConversationSettings] | None = None
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_SETTINGS_MS)
        self._save_timer.timeout.connect(self.save_settings)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_DELETE_MS)
        self._undo_timer.timeout.connect(self._forget_undo)

    def refresh(self) -> None:
        self.conversations.set_conversations(self.history.conversations())
        self.selected.emit(self.session.conv_id)

    def new_conversation(self) -> None:
        """A blank conversation: written to disk only when its first message is sent."""
        if self.session.reply is not None:
            return
        self.save_settings()
        self.session.conv_id = None
        self.session.conv_settings = ConversationSettings(model=self.session.model_path)
        self.settings_shown.emit(self.session.conv_settings)
        self.messages.set_messages([])
        self.selected.emit(None)
        self.shown.emit()
        self.changed.emit()

    def open_conversation(self, cid: int) -> None:
        """Read the conversation on the thread pool; show it when it arrives."""
        if self.session.reply is not None and cid != self.session.conv_id:
            self.status.emit(
                self.tr("Wait for the reply to end, or stop it, before changing conversation.")
            )
            self.selected.emit(self.session.conv_id)
            return
        self.save_settings()
        self._open_token += 1
        token = self._open_token
        path = self.history.path

        def read() -> Read:
            self.writer.flush()  # the last words of a reply are on disk before reading
            with History(path) as reader:
                return token, cid, reader.shown(cid), reader.conversation(cid).settings

        run_in_background(self, read, self._on_read, self._say)

    def _on_read(self, result: Read) -> None:
        token, cid, shown, settings = result
        if token != self._open_token:
            return  # the user opened another one meanwhile
        session = self.session
        session.conv_id = cid
        session.conv_settings = ConversationSettings.from_json(settings)
        self.settings_shown.emit(session.conv_settings)
        self.messages.set_messages(shown)
        self.selected.emit(cid)
        self.shown.emit()
        wanted = session.conv_settings.model
        moving = not session.remote_name and not session.loading
        if wanted and wanted != session.model_path and moving:
            if Path(wanted).is_file():
                self.model_wanted.emit(wanted)  # each conversation goes on with its own model
            else:
                self.status.emit(
                    self.tr(
                        "This conversation's model “{model}” is no longer on this computer: "
                        "the loaded model answers instead."
                    ).format(model=Path(wanted).name)
                )
        if self._pending_hit is not None:
            hit, self._pending_hit = self._pending_hit, None
            self.scroll_to.emit(hit)
        self.changed.emit()

    def search(self, text: str) -> None:
        """Search on the thread pool; the search still running, if any, stops (the user typed
        on) and ends with no result, the newest one shows its hits."""
        if not text:
            return
        if self._searcher is None:
            try:
                self._searcher = Searcher(self.history.path)
            except VigogneError as exc:
                self.status.emit(str(exc))
                return
        self._search_token += 1
        token, searcher = self._search_token, self._searcher
        searcher.interrupt()

        def find() -> tuple[int, list[SearchHit] | None]:
            self.writer.flush()
            if token != self._search_token:
                return token, None  # typed on meanwhile: a newer search is on its way
            try:
                return token, searcher.find(text)
            except SearchInterrupted:
                return token, None

        run_in_background(self, find, self._on_found, self._say)

    def _on_found(self, result: tuple[int, list[SearchHit] | None]) -> None:
        token, hits = result
        if hits is not None and token == self._search_token:
            self.hits.emit(hits)

    def open_hit(self, cid: int, mid: int | None) -> None:
        if mid is not None:
            try:
                if all(m.id != mid for m in self.history.shown(cid)):
                    self.history.show_version(cid, mid)  # the hit is in an older version
            except VigogneError as exc:
                self.status.emit(str(exc))
        self._pending_hit = mid
        self.open_conversation(cid)

    def title(self, cid: int) -> str:
        return self.history.conversation(cid).title

    def rename(self, cid: int, title: str) -> None:
        if title.strip():
            self._guard(lambda: self.history.rename(cid, title.strip()))
            self.refresh()

    def pin(self, cid: int, pinned: bool) -> None:
        self._guard(lambda: self.history.set_pinned(cid, pinned))
        self.refresh()

    def delete(self, cid: int) -> None:
        if self.session.reply is not None and cid == self.session.conv_id:
            return
        if not self._guard(lambda: self.history.delete(cid)):
            return
        self._deleted = cid
        self.status.emit(self.tr("« {title} » deleted.").format(title=self.title(cid)))
        self.undo_offered.emit(True)
        self._undo_timer.start()
        if cid == self.session.conv_id:
            self.new_conversation()
        self.refresh()

    def undo_delete(self) -> None:
        deleted = self._deleted
        if deleted is not None:
            self._guard(lambda: self.history.restore(deleted))
            self.status.emit(self.tr("Conversation restored."))
            self._forget_undo()
            self.refresh()

    def _forget_undo(self) -> None:
        self.undo_offered.emit(False)
        self._deleted = None

    def edit_settings(self, settings: ConversationSettings) -> None:
        """The user changed a setting in the panel: used at once, saved once the editing
        pauses. The model is the model bar's to change (`remember_model`), so it is kept."""
        self._edited(replace(settings, model=self.session.conv_settings.model))

    def remember_model(self, path: str) -> None:
        """The user picked a model for this conversation: it goes on with it when reopened."""
        self._edited(replace(self.session.conv_settings, model=path))

    def _edited(self, settings: ConversationSettings) -> None:
        self.session.conv_settings = settings
        if self.session.conv_id is not None:
            self._unsaved = (self.session.conv_id, settings)
            self._save_timer.start()

    def save_settings(self) -> None:
        """Hand the settings waiting to be saved to the writer now."""
        self._save_timer.stop()
        if self._unsaved is not None:
            (cid, settings), self._unsaved = self._unsaved, None
            self.writer.update_settings(cid, settings.to_json())

    # -- export and import --------------------------------------------------------------

    def export_name(self, cid: int, kind: str) -> str:
        """A file name to suggest for exporting `cid`: its title, safe on every system."""
        title = self.title(cid) or "conversation"
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
        return (safe or "conversation") + (".md" if kind == "md" else ".json")

    def export(self, cid: int, kind: str, path: str) -> None:
        if kind == "md":
            names = {
                "system": self.tr("System"),
                "user": self.tr("You"),
                "assistant": self.tr("Vigogne"),
            }
            done = self._guard(lambda: write_text(self.history.export_markdown(cid, names), path))
        else:
            done = self._guard(lambda: write_json(self.history.export_json(cid), path))
        if done:
            self.status.emit(self.tr("Exported to {file}.").format(file=path))

    def export_all(self, path: str) -> None:
        self.writer.flush()
        if self._guard(lambda: write_json(self.history.export_all(), path)):
            self.status.emit(self.tr("Exported to {file}.").format(file=path))

    def import_file(self, path: str) -> None:
        try:
            ids = self.history.import_json(read_json(path))
        except VigogneError as exc:
            self.status.emit(str(exc))
            return
        self.status.emit(self.tr("%n conversation(s) imported.", "", len(ids)))
        self.refresh()
        if ids:
            self.open_conversation(ids[-1])

    def _say(self, message: str) -> None:
        self.status.emit(message)

    def _guard(self, work: Callable[[], object]) -> bool:
        """Run a history call; a failure is one sentence in the status bar."""
        try:
            work()
        except VigogneError as exc:
            self.status.emit(str(exc))
            return False
        return True

    def close(self) -> None:
        """The window closes: the settings being edited go to the writer (the window closes it),
        the search still running stops."""
        self.save_settings()
        if self._searcher is not None:
            self._searcher.close()
