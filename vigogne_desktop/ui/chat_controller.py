"""The chat's job: send, regenerate, edit, stop, instruct, and the engine's replies.

It turns what the user asks into history writes and engine requests, and the engine's
events into the streaming `Reply`. It touches no widget: it says what to show in signals.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.errors import VigogneError
from ..core.history import History
from ..core.history_writer import HistoryWriter
from ..core.prompts import merge_instruction_and_input
from ..core.protocol import ChatFinished, ChatStarted
from ..core.settings import ConversationSettings
from .engine_worker import EngineThread
from .i18n import decimal
from .models import MessageListModel
from .session import Reply, Session

RENDER_INTERVAL_MS = 40  # redraw of a streaming reply: 25 times a second at most
SAVE_INTERVAL_S = 0.8  # a streaming reply is written to disk at most this often: a reply
# on screen for a second is kept even if the app is killed then (tests/reliability/test_kills)
# The speed is shown once it means something: after this many tokens, or this long.
SPEED_MIN_TOKENS = 8
SPEED_MIN_SPAN_S = 1.0
# Tokens reach this thread in bursts (queued signals wait while the window draws): over a
# shorter span the rate measures a burst, not the engine (it once read 199,851 tokens/s).
SPEED_MIN_BURST_S = 0.25


class ChatController(QObject):
    status = Signal(str)
    changed = Signal()  # what may be done now has changed
    busy = Signal(bool)  # a reply is being written
    composer_done = Signal()  # its text was sent or its edit given up: empty the composer
    editing = Signal(str)  # the text of the message being edited, or "" when editing ends
    speed = Signal(str)
    context = Signal(str)
    answer = Signal(str)  # instruct mode's answer so far ("" when a new one starts)
    failed = Signal(str, bool, str)  # message, whether the engine crashed, the raw details
    conversations_changed = Signal()
    open_requested = Signal(int)  # a conversation to show (again)

    def __init__(
        self,
        session: Session,
        history: History,
        writer: HistoryWriter,
        messages: MessageListModel,
        engine: EngineThread,
    ) -> None:
        super().__init__()
        self.session = session
        self.history = history
        self.writer = writer
        self.messages = messages
        self.engine = engine
        self._instruction = ""  # the last instruct-mode question, as sent
        self._instruction_format = "instruct"
        # The question whose reply failed, and that reply (0 where nothing of it was kept):
        # what « Retry » sends again; `_retrying` while it waits for the engine to restart.
        self._failed: tuple[int, int] | None = None
        self._retrying = False
        # The status line says when a reply's context was restored; that sentence is about
        # that reply only, so the next one takes it away.
        self._said_restored = False
        self.render_timer = QTimer(self)
        self.render_timer.setInterval(RENDER_INTERVAL_MS)
        self.render_timer.timeout.connect(self.render_reply)
        worker = engine.worker
        worker.started.connect(self._on_started)
        worker.chunk.connect(self._on_chunk)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)

    # -- what the user asks -----------------------------------------------------------

    def send(self, text: str) -> None:
        session = self.session
        text = text.strip()
        if not text or not session.ready:
            return
        try:
            if session.conv_id is None:
                settings = session.conv_settings.to_json()
                session.conv_id = self.history.create_conversation(settings=settings).id
            shown = self.messages.messages
            parent: int | None = shown[-1].id if shown else None
            if session.editing is not None:
                parent = session.editing.parent_id
                self.messages.truncate(max(self.messages.row_of(session.editing.id), 0))
                self.end_editing()
            question = self.history.add_message(session.conv_id, "user", text, parent_id=parent)
        except VigogneError as exc:
            self.status.emit(str(exc))
            return
        self.composer_done.emit()
        self.messages.append(question)
        self._start_reply(question.id)
        self.conversations_changed.emit()

    def _start_reply(self, parent_id: int) -> None:
        session = self.session
        assert session.conv_id is not None
        history = [{"role": m.role, "content": m.content} for m in self.messages.messages]
        system = session.conv_settings.system.strip()
        if system:
            history.insert(0, {"role": "system", "content": system})
        try:
            placeholder = self.history.add_message(
                session.conv_id, "assistant", "", parent_id=parent_id, status="streaming"
            )
        except VigogneError as exc:
            self.status.emit(str(exc))
            return
        self.messages.append(placeholder)
        session.reply = Reply("chat", placeholder.id, saved_at=time.perf_counter())
        self._begin_generation()
        fmt = session.conv_settings.prompt_format
        self.engine.request_chat.emit(
            history, session.conv_settings.sampling, None if fmt == "auto" else fmt
        )

    def _begin_generation(self) -> None:
        self._failed, self._retrying = None, False  # a new reply: the failed one is left be
        if self._said_restored:
            self._said_restored = False
            self.status.emit("")
        self.speed.emit(self.tr("Reading the prompt…"))
        self.render_timer.start()
        self.busy.emit(True)
        self.changed.emit()

    def regenerate_last(self) -> None:
        shown = self.messages.messages
        if shown and shown[-1].role == "assistant":
            self.regenerate(shown[-1].id)

    def regenerate(self, mid: int) -> None:
        """A new version of a reply; the previous one stays reachable (‹ 1/2 ›)."""
        cid = self.session.conv_id
        row = self.messages.row_of(mid)
        if not self.session.ready or cid is None or row < 0:
            return
        parent = self.messages.messages[row].parent_id
        try:
            self.history.show_parent_of(cid, mid)
        except VigogneError as exc:
            self.status.emit(str(exc))
            return
        self.messages.truncate(row)
        if parent is not None:
            self._start_reply(parent)

    def edit_message(self, mid: int) -> None:
        row = self.messages.row_of(mid)
        if row < 0 or self.session.reply is not None:
            return
        self.session.editing = self.messages.messages[row]
        self.editing.emit(self.session.editing.content)
        self.changed.emit()

    def end_editing(self) -> None:
        self.session.editing = None
        self.editing.emit("")

    def show_version(self, mid: int) -> None:
        cid = self.session.conv_id
        if cid is None or self.session.reply is not None:
            return
        try:
            self.history.show_version(cid, mid)
        except VigogneError as exc:
            self.status.emit(str(exc))
            return
        self.open_requested.emit(cid)

    def stop(self) -> None:
        """Esc: stops the reply being written, or else leaves the edit in progress."""
        if self.session.reply is not None:
            self.engine.cancel()
        elif self.session.editing is not None:
            self.end_editing()
            self.composer_done.emit()
            self.changed.emit()

    def run_instruction(self, instruction: str, input_text: str, instruct_format: bool) -> None:
        if not self.session.ready:
            return
        self.answer.emit("")
        self.session.reply = Reply("instruct")
        self._instruction = merge_instruction_and_input(instruction, input_text)
        self._begin_generation()
        messages = [{"role": "user", "content": self._instruction}]
        self._instruction_format = "instruct" if instruct_format else "auto"
        fmt = "instruct" if instruct_format else None
        self.engine.request_chat.emit(messages, self.session.conv_settings.sampling, fmt)

    def keep_instruction(self, answer: str) -> None:
        """Keep the instruction and its answer as a conversation in the instruct format."""
        if not answer:
            return
        settings = ConversationSettings(
            model=self.session.model_path, prompt_format=self._instruction_format, system=""
        )
        try:
            cid = self.history.create_conversation(settings=settings.to_json()).id
            question = self.history.add_message(cid, "user", self._instruction, parent_id=None)
            self.history.add_message(cid, "assistant", answer, parent_id=question.id)
        except VigogneError as exc:
            self.status.emit(str(exc))
            return
        self.conversations_changed.emit()
        self.open_requested.emit(cid)

    # -- what the engine says -----------------------------------------------------------

    def _on_started(self, started: ChatStarted) -> None:
        reply = self.session.reply
        if reply is None:
            return
        reply.prompt_tokens = started.prompt_tokens
        reply.dropped_rounds = started.dropped_rounds
        reply.round_limit = started.round_limit
        if started.dropped_rounds and reply.target == "chat":
            row = self.messages.row_of(reply.message_id)
            message = self.messages.messages[row]
            self.messages.update(row, meta={**message.meta, **reply.left_out})
        if started.restored_tokens > 0:
            self._said_restored = True
            self.status.emit(self._restored(started))
        if started.note:
            self.status.emit(started.note)
        self._show_context()

    def _restored(self, started: ChatStarted) -> str:
        """No silent magic: the conversation's kept state was put back, not read again."""
        # A copy often takes hundredths of a second, a small model's less than one: shown
        # to the hundredth, at least 0.01 s, since « 0,0 s » would read as nothing done.
        seconds = max(started.restore_seconds, 0.01)
        # The count needs no singular: a state is kept only past kv_cache.WORTH_KEEPING tokens.
        return self.tr("Context restored in {seconds} s ({tokens} tokens not read again).").format(
            seconds=decimal(seconds, 1 if seconds >= 0.95 else 2),
            tokens=decimal(started.restored_tokens, 0),
        )

    def _on_chunk(self, text: str) -> None:
        if self.session.reply is not None:
            self.session.reply.add(text, time.perf_counter())

    def render_reply(self) -> None:
        """Show what arrived since the last redraw, and save it now and then."""
        reply = self.session.reply
        if reply is None or not reply.dirty:
            return
        reply.dirty = False
        if reply.target == "instruct":
            self.answer.emit(reply.text)
        else:
            row = self.messages.row_of(reply.message_id)
            if row >= 0:
                self.messages.update(row, content=reply.text)
            if time.perf_counter() - reply.saved_at >= SAVE_INTERVAL_S:
                reply.saved_at = time.perf_counter()
                self.writer.update_message(reply.message_id, reply.text)
        self.speed.emit(self._speed(reply))
        self._show_context()

    def _speed(self, reply: Reply) -> str:
        """The speed so far, or "" while too few tokens or too short a time measure it."""
        span = reply.last_at - reply.first_at
        if span < SPEED_MIN_BURST_S or (
            reply.tokens < SPEED_MIN_TOKENS and span < SPEED_MIN_SPAN_S
        ):
            return ""
        return self.tr("{speed} tokens/s").format(speed=decimal(reply.tokens_per_second))

    def _show_context(self) -> None:
        reply, model = self.session.reply, self.session.model
        if reply is not None and model is not None and model.n_ctx:
            used = reply.prompt_tokens + reply.tokens
            self.context.emit(
                self.tr("Context: {used} / {n_ctx}").format(used=used, n_ctx=model.n_ctx)
            )

    def _on_finished(self, done: ChatFinished) -> None:
        reply = self.session.reply
        if reply is None:
            return
        reply.dirty = True
        self.render_reply()
        self._end_generation()
        model = self.session.model
        meta: dict[str, Any] = {
            "tokens": done.completion_tokens,
            "speed": round(done.tokens_per_second, 2),
            "shown_speed": round(reply.tokens_per_second, 2),
            "prompt_tokens": done.prompt_tokens,
            "model": model.name if model else "",
            "finish": done.finish_reason,
        }
        meta.update(reply.left_out)
        status = "stopped" if done.finish_reason == "cancelled" else "complete"
        if reply.target == "chat":
            self._finish_message(reply, status, meta)
        self.speed.emit(
            self.tr("%n token(s)", "", done.completion_tokens)
            + " · "
            + self.tr("{speed} tokens/s").format(speed=decimal(done.tokens_per_second))
        )
        self.changed.emit()

    def _finish_message(self, reply: Reply, status: str, meta: dict[str, Any]) -> None:
        row = self.messages.row_of(reply.message_id)
        if not reply.text and status != "complete":
            # Nothing arrived: no empty reply is kept.
            try:
                self.history.delete_message(reply.message_id)
            except VigogneError as exc:
                self.status.emit(str(exc))
            self.messages.truncate(row)
            return
        self.writer.update_message(reply.message_id, reply.text, status=status, meta=meta)
        if row >= 0:
            self.messages.update(row, content=reply.text, status=status, meta=meta)
        self.conversations_changed.emit()

    def _end_generation(self) -> None:
        self.render_timer.stop()
        self.session.reply = None
        self.busy.emit(False)

    def _on_failed(self, message: str, crashed: bool, details: str) -> None:
        reply = self.session.reply
        if reply is None:
            return
        self._end_generation()
        if reply.target == "chat":
            row = self.messages.row_of(reply.message_id)
            question = self.messages.messages[row].parent_id if row >= 0 else None
            meta = {"error": message, "crashed": crashed}  # what the message says of itself
            self._finish_message(reply, "unfinished", meta)
            if question is not None:
                kept = reply.message_id if self.messages.row_of(reply.message_id) >= 0 else 0
                self._failed = (question, kept)
        if crashed:
            self.session.model = None
            self.session.stopped = True
            self.status.emit("")  # « Model ready » from the last load is no longer true
        self.failed.emit(message, crashed, details)
        self.changed.emit()

    def retry(self) -> bool:
        """« Retry » after a failed reply: its question is sent again, for a new version of
        the reply (the unfinished one stays). True when the engine stopped and must be
        started again first: the question goes once a model is ready (`model_ready`)."""
        self._retrying = self._failed is not None
        if self.session.model is None:
            return True
        self.model_ready()
        return False

    def model_ready(self) -> None:
        """A model is loaded (again): a question waiting for « Retry » is sent now."""
        failed, retrying = self._failed, self._retrying
        self._retrying = False
        if not retrying or failed is None or not self.session.ready:
            return
        question, reply = failed
        shown = self.messages.messages
        if reply and self.messages.row_of(reply) >= 0:
            self.regenerate(reply)
        elif shown and shown[-1].id == question:  # nothing of the reply was kept
            self._start_reply(question)

    def close(self) -> None:
        """The window closes: what the user saw of a reply is kept, marked unfinished."""
        worker = self.engine.worker
        for signal in (worker.started, worker.chunk, worker.finished, worker.failed):
            signal.disconnect()  # nothing the engine still says may touch a closing window
        self.render_timer.stop()
        reply, self.session.reply = self.session.reply, None
        if reply is not None and reply.target == "chat":
            self.writer.update_message(reply.message_id, reply.text, status="unfinished")
