"""The engine seen from Qt: a QObject on its own thread, speaking only in queued signals.

Widgets never call the engine directly, except `cancel()`, which is thread-safe and only
writes one line to the worker child (or closes a remote stream).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.engine import Engine
from ..core.errors import EngineCrashed, VigogneError
from ..core.local_engine import LocalEngine
from ..core.protocol import (
    ChatFailed,
    ChatFinished,
    ChatStarted,
    LoadSettings,
    ModelInfo,
    SamplingParams,
    TextChunk,
)
from ..core.settings import Endpoint


class EngineWorker(QObject):
    loaded = Signal(object)  # ModelInfo
    # message, the ModelInfo still loaded (or None), the raw details of a crash (or "")
    load_failed = Signal(str, object, str)
    remote_ready = Signal(str, str)  # endpoint name, model name
    started = Signal(object)  # ChatStarted
    chunk = Signal(str)
    finished = Signal(object)  # ChatFinished
    failed = Signal(str, bool, str)  # message, crashed, the raw details (for « Details »)

    def __init__(self, engine: LocalEngine) -> None:
        super().__init__()
        self.local = engine
        self.active: Engine = engine

    @Slot(str, object)
    def load(self, path: str, settings: LoadSettings) -> None:
        self.active = self.local
        try:
            info: ModelInfo = self.local.load(path, settings)
        except VigogneError as exc:
            details = exc.details if isinstance(exc, EngineCrashed) else ""
            self.load_failed.emit(str(exc), self.local.model, details)
            return
        self.loaded.emit(info)

    @Slot(object)
    def use_remote(self, endpoint: Endpoint) -> None:
        from ..core.remote_engine import RemoteEngine  # httpx: imported by the first server

        try:
            remote = RemoteEngine(
                endpoint.base_url, endpoint.api_key or None, endpoint.model or None
            )
            model = remote.model_name()
        except VigogneError as exc:
            # The engine in use goes on: the local model, if it is the one.
            kept = self.local.model if self.active is self.local else None
            self.load_failed.emit(str(exc), kept, "")
            return
        if self.active is not self.local:
            self.active.close()
        if self.local.alive:
            self.local.unload()  # the remote server does the work: free this machine's memory
        self.active = remote
        self.remote_ready.emit(endpoint.name, model)

    @Slot(object, object, object)
    def chat(
        self, messages: list[dict[str, str]], params: SamplingParams, prompt_format: str | None
    ) -> None:
        for event in self.active.chat(messages, params, prompt_format):
            if isinstance(event, TextChunk):
                self.chunk.emit(event.text)
            elif isinstance(event, ChatStarted):
                self.started.emit(event)
            elif isinstance(event, ChatFinished):
                self.finished.emit(event)
            elif isinstance(event, ChatFailed):
                self.failed.emit(event.message, event.crashed, event.details)

    def cancel(self) -> None:
        self.active.cancel()

    def close(self) -> None:
        if self.active is not self.local:
            self.active.close()
        self.local.close()


class EngineThread(QObject):
    """Owns the QThread the EngineWorker lives on, and the engine's child process."""

    request_load = Signal(str, object)
    request_remote = Signal(object)
    request_chat = Signal(object, object, object)

    def __init__(self) -> None:
        super().__init__()
        self.engine = LocalEngine()
        self.worker = EngineWorker(self.engine)
        self._thread = QThread()
        self._thread.setObjectName("engine")
        self.worker.moveToThread(self._thread)
        self.request_load.connect(self.worker.load)
        self.request_remote.connect(self.worker.use_remote)
        self.request_chat.connect(self.worker.chat)
        self._thread.start()

    def cancel(self) -> None:
        self.worker.cancel()

    def shutdown(self) -> None:
        self.worker.cancel()
        self.worker.close()
        self._thread.quit()
        self._thread.wait(5000)
