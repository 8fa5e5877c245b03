"""The engine seen from Qt: a QObject on its own thread, speaking only in queued signals.

Widgets never call the engine directly, except `cancel()`, which is thread-safe and only
writes one line to the worker child.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.engine import LocalEngine
from ..core.errors import VigogneError
from ..core.protocol import (
    ChatFailed,
    ChatFinished,
    ChatStarted,
    LoadSettings,
    ModelInfo,
    SamplingParams,
    TextChunk,
)


class EngineWorker(QObject):
    loaded = Signal(object)  # ModelInfo
    load_failed = Signal(str)
    started = Signal(object)  # ChatStarted
    chunk = Signal(str)
    finished = Signal(object)  # ChatFinished
    failed = Signal(str, bool)  # message, crashed

    def __init__(self, engine: LocalEngine) -> None:
        super().__init__()
        self.engine = engine

    @Slot(str, object)
    def load(self, path: str, settings: LoadSettings) -> None:
        try:
            info: ModelInfo = self.engine.load(path, settings)
        except VigogneError as exc:
            self.load_failed.emit(str(exc))
            return
        self.loaded.emit(info)

    @Slot(object, object)
    def chat(self, messages: list[dict[str, str]], params: SamplingParams) -> None:
        for event in self.engine.chat(messages, params):
            if isinstance(event, TextChunk):
                self.chunk.emit(event.text)
            elif isinstance(event, ChatStarted):
                self.started.emit(event)
            elif isinstance(event, ChatFinished):
                self.finished.emit(event)
            elif isinstance(event, ChatFailed):
                self.failed.emit(event.message, event.crashed)


class EngineThread(QObject):
    """Owns the QThread the EngineWorker lives on, and the engine's child process."""

    request_load = Signal(str, object)
    request_chat = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.engine = LocalEngine()
        self.worker = EngineWorker(self.engine)
        self._thread = QThread()
        self._thread.setObjectName("engine")
        self.worker.moveToThread(self._thread)
        self.request_load.connect(self.worker.load)
        self.request_chat.connect(self.worker.chat)
        self._thread.start()

    def cancel(self) -> None:
        self.engine.cancel()

    def shutdown(self) -> None:
        self.engine.cancel()
        self.engine.close()
        self._thread.quit()
        self._thread.wait(5000)
