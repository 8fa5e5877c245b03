"""One window per data folder: a second start brings the first window to the front and
ends; another folder, or a folder whose instance died, starts normally."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from vigogne_desktop.ui.single_instance import InstanceLock, ring, server_name

STARTED_S = 30  # an app process up to its event loop, on a busy 2-core machine


class Apps:
    """The app processes a test starts, each ended by its pid at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen[str]] = []

    def env(self, home: Path) -> dict[str, str]:
        return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIGOGNE_DESKTOP_HOME": str(home)}

    def command(self) -> list[str]:
        # A model that is not there: the window starts without converting the demo.
        return [sys.executable, "-m", "vigogne_desktop", "--model", str(self.tmp_path / "no.gguf")]

    def start(self, home: Path) -> subprocess.Popen[str]:
        """Start the window on `home` and return once it holds the folder."""
        home.mkdir(exist_ok=True)
        app = subprocess.Popen(
            self.command(),
            env=self.env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.running.append(app)
        deadline = time.monotonic() + STARTED_S
        while self.holder(home) != str(app.pid):
            assert app.poll() is None, app.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.2)
        return app

    @staticmethod
    def holder(home: Path) -> str | None:
        """The pid written in the folder's lock, if any."""
        try:
            return (home / "instance.lock").read_text(encoding="utf-8").split("\n")[0]
        except (OSError, IndexError):
            return None

    def end_all(self) -> None:
        for app in self.running:
            if app.poll() is None:
                os.kill(app.pid, signal.SIGKILL)
            app.communicate()


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[Apps]:
    started = Apps(tmp_path)
    yield started
    started.end_all()


def test_a_second_start_on_the_same_folder_says_so_and_ends(apps: Apps, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = apps.start(home)

    began = time.monotonic()
    second = subprocess.run(
        apps.command(), env=apps.env(home), capture_output=True, text=True, timeout=STARTED_S
    )
    assert second.returncode == 0, second.stderr[-2000:]
    assert time.monotonic() - began < STARTED_S
    (line,) = second.stderr.strip().splitlines()
    assert line.startswith("vigogne-desktop: ") and str(home) in line
    assert first.poll() is None  # the first window goes on

    other = apps.start(tmp_path / "other")  # another data folder: a window of its own
    assert other.poll() is None and first.poll() is None


def test_a_folder_whose_instance_died_starts_normally(apps: Apps, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = apps.start(home)
    os.kill(first.pid, signal.SIGKILL)  # no cleanup: the lock and the socket stay behind
    first.wait()
    assert (home / "instance.lock").exists()
    again = apps.start(home)
    # It answers on the socket the dead one left: a later start still finds it.
    later = subprocess.run(
        apps.command(), env=apps.env(home), capture_output=True, text=True, timeout=STARTED_S
    )
    assert later.returncode == 0 and "vigogne-desktop: " in later.stderr
    assert again.poll() is None


def test_ringing_brings_the_window_to_the_front(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = InstanceLock(tmp_path)
    assert first.acquire()
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    first.show_on_request(window)
    try:
        assert not InstanceLock(tmp_path).acquire()  # the second start of this folder
        qtbot.waitUntil(lambda: not window.isMinimized(), timeout=5000)
        assert window.isVisible()
    finally:
        first.release()
    assert not ring(server_name(tmp_path), timeout_s=0.2)  # released: nobody answers
    again = InstanceLock(tmp_path)
    assert again.acquire()
    again.release()
