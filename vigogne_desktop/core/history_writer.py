"""Writes of a streaming reply, in order, on a thread of their own.

A reply in progress is saved about once a second; each save re-indexes the text for
search and may copy the WAL into the database (an fsync). None of that may hold the
window, so the window hands the saves to this writer and goes on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .history import History, HistoryError

_STOP = object()


class HistoryWriter:
    """Applies `update_message` calls in the order given; `flush()` waits for them."""

    def __init__(self, path: Path, on_error: Callable[[str], None]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, args=(path,), name="history-writer")
        self._thread.start()

    def _run(self, path: Path) -> None:
        with History(path) as history:  # this connection also does the WAL checkpoints
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                mid, content, status, meta = item
                try:
                    history.update_message(mid, content, status=status, meta=meta)
                except HistoryError as exc:
                    self._on_error(str(exc))

    def update_message(
        self,
        mid: int,
        content: str,
        *,
        status: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self._queue.put((mid, content, status, None if meta is None else dict(meta)))

    def flush(self) -> None:
        """Return once every update given so far is on disk."""
        done = threading.Event()
        self._queue.put(done)
        done.wait()

    def close(self) -> None:
        """Finish every pending write, then stop."""
        self._queue.put(_STOP)
        self._thread.join()
