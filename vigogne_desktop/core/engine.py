"""The engine contract: one interface for streaming chat, whatever runs the model.

`LocalEngine` (local_engine.py) runs llama.cpp in a worker child and talks JSON lines
over its stdio; `RemoteEngine` (remote_engine.py) talks to any OpenAI-compatible server.
Both stream `ChatEvent`s through a `ReplyStream` and honour `cancel()` from another
thread within a fraction of a second.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from .protocol import (
    ChatEvent,
    ChatFailed,
    ChatFinished,
    ChatStarted,
    Message,
    SamplingParams,
    TextChunk,
)

# After cancel(), how long a reply waits for the engine's own final count before it
# ends with a local one. Keeps cancel under 200 ms even while a long prompt is read.
CANCEL_GRACE_S = 0.15


class Engine(Protocol):
    def chat(
        self,
        messages: Sequence[Message],
        params: SamplingParams | None = None,
        prompt_format: str | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream one reply: ChatStarted, TextChunks, then ChatFinished or ChatFailed.

        History that does not fit the context is trimmed, and ChatStarted says how many
        rounds were left out.
        """
        ...

    def cancel(self) -> None:
        """Stop the reply being streamed, from any thread; it ends "cancelled"."""
        ...

    def close(self) -> None: ...


_WAKE = object()


class ReplyStream:
    """The events of one reply: filled by a reader thread, drained by the caller."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Any] = queue.Queue()
        self.cancelled = threading.Event()

    def put(self, event: ChatEvent) -> None:
        self.queue.put(event)

    def cancel(self) -> None:
        self.cancelled.set()
        self.queue.put(_WAKE)

    def events(self) -> Iterator[ChatEvent]:
        started = time.perf_counter()
        first: float | None = None
        deadline: float | None = None
        prompt_tokens = chunks = 0
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                event = self.queue.get(timeout=timeout)
            except queue.Empty:
                elapsed = time.perf_counter() - (first or started)
                yield ChatFinished(
                    "cancelled",
                    prompt_tokens,
                    chunks,
                    chunks / elapsed if elapsed > 0 else 0.0,
                    (first or time.perf_counter()) - started,
                )
                return
            if deadline is None and self.cancelled.is_set():
                deadline = time.perf_counter() + CANCEL_GRACE_S
            if event is _WAKE:
                continue
            if isinstance(event, TextChunk):
                if deadline is not None:
                    continue  # the user asked to stop: show nothing more, even if queued
                if not chunks:
                    # Prompts end with "<|assistant|>:" or "[/INST]" and the model answers
                    # " Bonjour". Kept, that space would make the next prompt read
                    # "<|assistant|>:  Bonjour", unlike the training data.
                    event = TextChunk(event.text.lstrip())
                    if not event.text:
                        continue
                chunks += 1
                first = first or time.perf_counter()
            elif isinstance(event, ChatStarted):
                prompt_tokens = event.prompt_tokens
            yield event
            if isinstance(event, ChatFinished | ChatFailed):
                return
