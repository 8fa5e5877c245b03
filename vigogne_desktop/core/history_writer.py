"""The window's writes that must not hold it, in order, on a thread of their own.

A reply in progress is saved about once a second; each save re-indexes the text for
search and may copy the WAL into the database (an fsync). A conversation's settings are
saved when the user pauses typing. None of that may hold the window, so the window hands
the saves to this writer and goes on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from converters.messages import say

from .history import History, HistoryError

_STOP = object()
# How often a waiting flush() looks whether the writer is still alive.
_ALIVE_CHECK_S = 0.1


class HistoryWriter:
    """Applies `update_message`/`update_settings` calls in order; `flush()` waits for them.

    The thread is a daemon, so a window that fails half-built cannot keep the process
    alive; `close()` (the window's, at exit) finishes the pending writes first. If the
    writer cannot go on (its connection cannot be opened, an unexpected error), it says so
    once through `on_error`, and `flush()`/`close()` return instead of waiting forever.
    """

    def __init__(self, path: Path, on_error: Callable[[str], None]) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(
            target=self._run, args=(path,), name="history-writer", daemon=True
        )
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            # This connection does the WAL checkpoints (the window's never does).
            with History(path) as history:
                self._serve(history)
        except HistoryError as exc:
            self._on_error(str(exc))
        except Exception as exc:  # the thread ends: say so rather than lose writes silently
            self._on_error(
                say(
                    f"Les conversations ne sont plus enregistrées ({type(exc).__name__}) : "
                    "copiez ce qui compte et redémarrez l'application.",
                    f"Conversations are no longer being saved ({type(exc).__name__}): copy what "
                    "matters and restart the app.",
                )
            )
            raise

    def _serve(self, history: History) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            try:
                item(history)
            except HistoryError as exc:
                self._on_error(str(exc))

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def update_message(
        self,
        mid: int,
        content: str,
        *,
        status: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        saved_meta = None if meta is None else dict(meta)
        self._queue.put(
            lambda history: history.update_message(mid, content, status=status, meta=saved_meta)
        )

    def update_settings(self, cid: int, settings: Mapping[str, Any]) -> None:
        saved = dict(settings)
        self._queue.put(lambda history: history.update_settings(cid, saved))

    def flush(self) -> None:
        """Return once every update given so far is on disk, or the writer has stopped."""
        done = threading.Event()
        self._queue.put(done)
        while not done.wait(_ALIVE_CHECK_S):
            if not self._thread.is_alive():
                return

    def close(self) -> None:
        """Finish every pending write, then stop."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
