"""Python's cyclic garbage collected on the GUI thread only.

A Qt object caught in a reference cycle dies whenever the collector runs, on whichever
thread happens to allocate at that moment; a widget or timer destroyed off the GUI thread
aborts the process (seen in the suite: "Fatal Python error: Aborted" while a background
history read was "Garbage-collecting"). So automatic collection is off and a GUI-thread
timer runs it instead, generation by generation, as the automatic one would.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 250


class GuiGarbageCollector(QObject):
    """Owned by the application: one per process, from its first window on."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        app.aboutToQuit.connect(self.collect)

    def collect(self) -> None:
        """What the automatic collector would do now: the oldest generation whose count
        passed its threshold."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def collect_on_gui_thread() -> None:
    """Install the collector on the running application, once."""
    app = QCoreApplication.instance()
    if app is not None and app.findChild(GuiGarbageCollector) is None:
        GuiGarbageCollector(app)
