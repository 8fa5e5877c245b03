"""A conversion child seen from Qt: progress, completion and failure as queued signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.conversion import Conversion, ConversionFailed


class ConversionWorker(QObject):
    progress = Signal(str, int, int, float)  # phase, done, total, ETA in seconds (-1: unknown)
    finished = Signal(str)  # output path
    failed = Signal(str)

    def __init__(self, conversion: Conversion) -> None:
        super().__init__()
        self.conversion = conversion

    @Slot()
    def run(self) -> None:
        try:
            for step in self.conversion.progress():
                eta = -1.0 if step.eta_s is None else float(step.eta_s)
                self.progress.emit(step.phase, step.done, step.total, eta)
        except ConversionFailed as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(str(self.conversion.output))


class ConversionThread(QObject):
    """Owns the thread a ConversionWorker runs on; `cancel()` stops the child."""

    def __init__(self, conversion: Conversion) -> None:
        super().__init__()
        self.worker = ConversionWorker(conversion)
        self._thread = QThread()
        self._thread.setObjectName("conversion")
        self.worker.moveToThread(self._thread)
        self._thread.started.connect(self.worker.run)
        self.worker.finished.connect(self._thread.quit)
        self.worker.failed.connect(self._thread.quit)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        """Wait for the thread to end (a QThread must not be destroyed while running)."""
        self._thread.quit()
        self._thread.wait()

    def cancel(self) -> None:
        self.worker.conversion.cancel()
        self.join()
