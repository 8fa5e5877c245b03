"""Qt objects caught in Python reference cycles are destroyed on the GUI thread, never on
whichever background thread happened to trigger a garbage collection (that aborted the suite)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt

from vigogne_desktop.ui.gui_gc import GuiGarbageCollector, collect_on_gui_thread


@pytest.fixture
def collector(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    collect_on_gui_thread()
    yield
    assert qapp.findChild(GuiGarbageCollector) is not None  # one, kept for the process


def test_a_qt_object_in_a_cycle_dies_on_the_gui_thread(qtbot, collector: None) -> None:  # type: ignore[no-untyped-def]
    died_on: list[int] = []
    cyclic = QObject()
    cyclic.setProperty("kept", True)
    cyclic.loop = cyclic  # type: ignore[attr-defined]  # a cycle: only the collector frees it
    cyclic.destroyed.connect(
        lambda: died_on.append(threading.get_ident()), Qt.ConnectionType.DirectConnection
    )
    del cyclic

    def allocate() -> None:  # a background job making garbage, as history reads do
        for _ in range(50_000):
            pair: list[object] = []
            pair.append(pair)

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(died_on), timeout=5000)
    assert died_on == [threading.main_thread().ident]
    assert not gc.isenabled()
