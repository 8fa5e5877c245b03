"""How the app starts its own child processes (checkout or frozen bundle), and hears them.

A frozen (PyInstaller) app has no `python -m`: it re-invokes its own executable with a
mode flag, which vigogne_desktop.__main__ dispatches back to these modules.
"""

from __future__ import annotations

import collections
import sys
import threading
from typing import IO

MODES = {
    "worker": "vigogne_desktop.core.worker",
    "share-server": "vigogne_desktop.core.sharing",
    "convert": "converters.cli",
}


def child_command(mode: str, *args: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, f"--{mode}", *args]
    return [sys.executable, "-m", MODES[mode], *args]


class StderrTail:
    """A child's stderr, read to the end on a daemon thread; the last lines are kept.

    Nobody reading a pipe is not harmless: once it holds 64 KiB (Linux), the child's next
    write blocks, and a model server or converter freezes mid-work. So every child's
    stderr is drained from the start, and only a short tail is kept for error messages.
    """

    def __init__(self, stream: IO[bytes] | IO[str], keep: int = 20) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes] | IO[str]) -> None:
        with stream:
            for line in stream:
                if isinstance(line, bytes):
                    line = line.decode("utf-8", "replace")
                text = line.strip()
                if text:
                    self._lines.append(text)

    def lines(self, wait_s: float = 0.0) -> list[str]:
        """The last lines written, oldest first. `wait_s` lets a child that has just ended
        be read to its end first."""
        self._thread.join(wait_s)
        return list(self._lines)

    def last(self, wait_s: float = 0.0) -> str:
        """The last line written, or ""."""
        kept = self.lines(wait_s)
        return kept[-1] if kept else ""
