"""Short jobs off the GUI thread (history reads, starting the sharing server).

The result comes back as a queued signal to a method of a QObject living in the GUI
thread, so callbacks always run there. Every job ends in one of the two callbacks: a
window waiting for a job that died silently would wait forever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, SignalInstance

from ..core.errors import VigogneError
from . import error_log


class _Carrier(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], carrier: _Carrier) -> None:
        super().__init__()
        self.work = work
        self.carrier = carrier

    def run(self) -> None:
        try:
            result = self.work()
        except VigogneError as exc:
            self._tell(self.carrier.failed, str(exc))
            return
        except Exception as exc:  # a bug or the system (OSError, sqlite3): say so, log it
            self._tell(self.carrier.failed, error_log.sentence(exc, error_log.record(exc)))
            return
        self._tell(self.carrier.done, result)

    @staticmethod
    def _tell(signal: SignalInstance, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The owner (and the carrier with it) was destroyed while the job ran, as when the
            # window closes mid-read: nobody is waiting for the answer any more.
            return


def run_in_background(
    owner: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[str], None],
) -> None:
    """Run `work()` on the thread pool; `on_done`/`on_failed` must be methods of `owner`."""
    carrier = _Carrier(owner)
    carrier.done.connect(on_done)
    carrier.failed.connect(on_failed)
    carrier.done.connect(carrier.deleteLater)
    carrier.failed.connect(carrier.deleteLater)
    QThreadPool.globalInstance().start(_Job(work, carrier))
