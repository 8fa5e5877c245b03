"""The start: the first-paint report bench/startup.py times, a clean end on SIGTERM, and the
heavy libraries the window must not import before it is drawn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from vigogne_desktop.ui.app import FIRST_PAINT_LINE, FIRST_PAINT_VARIABLE

# Made lazy for the start (each was 40 to 250 ms here): a module-level import of any of them
# in the window's modules, or in the core modules they import, brings it back.
HEAVY = (
    "numpy",
    "gguf",
    "llama_cpp",
    "httpx",
    "jinja2",
    "huggingface_hub",
    "filelock",
    "importlib.metadata",
    "vigogne_desktop.core.remote_engine",
    "vigogne_desktop.core.downloads",
    "vigogne_desktop.core.sharing",
)


class App:
    """`python -m vigogne_desktop` on a returning user's folder, its stderr read all along."""

    def __init__(self, home: Path, report: bool) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIGOGNE_DESKTOP_HOME": str(home)}
        env.pop(FIRST_PAINT_VARIABLE, None)
        if report:
            env[FIRST_PAINT_VARIABLE] = "1"
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vigogne_desktop"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.painted = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if line.strip() == FIRST_PAINT_LINE:
                self.painted.set()

    def engine(self, timeout_s: float = 60) -> list[psutil.Process]:
        """The engine child the start runs for the last model, once it is there."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = []
            for child in psutil.Process(self.process.pid).children(recursive=True):
                try:
                    if "vigogne_desktop.core.worker" in " ".join(child.cmdline()):
                        found.append(child)
                except psutil.NoSuchProcess:
                    continue
            if found:
                return found
            assert self.process.poll() is None, self.lines[-5:]
            assert time.monotonic() < deadline, "no engine child was started"
            time.sleep(0.1)

    def terminate(self) -> int:
        """SIGTERM to the app's pid, as a session that ends sends it; its exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        return code


@pytest.fixture
def returning(tmp_path: Path, tiny_gguf: Path) -> Path:
    """A data folder with a model chosen last time: the start loads it after the window."""
    home = tmp_path / "home"
    home.mkdir()
    settings = {"language": "fr", "last_model": str(tiny_gguf)}
    (home / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    return home


def test_the_window_reports_its_first_paint_when_asked_and_ends_cleanly_on_sigterm(
    returning: Path,
) -> None:
    app = App(returning, report=True)
    try:
        assert app.painted.wait(timeout=60), app.lines[-5:]
        engine = app.engine()
    finally:
        code = app.terminate()
    assert code == 0, app.lines[-5:]  # the window was closed, not the process killed
    assert app.lines.count(f"{FIRST_PAINT_LINE}\n") == 1  # one line, once
    _, alive = psutil.wait_procs(engine, timeout=10)
    assert not alive, "the engine child outlived the app"


def test_without_the_variable_the_window_says_nothing_about_its_paint(returning: Path) -> None:
    app = App(returning, report=False)
    try:
        app.engine()  # the window is shown: it asked the engine for the last model
        time.sleep(1.0)  # and its first paint is long over
    finally:
        code = app.terminate()
    assert code == 0, app.lines[-5:]
    assert not any(FIRST_PAINT_LINE in line for line in app.lines)


def test_the_window_modules_leave_the_heavy_libraries_for_later() -> None:
    code = (
        "import sys\n"
        "import vigogne_desktop.__main__ as main\n"
        "main._parser()\n"  # the command line is parsed before the window opens
        "import vigogne_desktop.ui.app, vigogne_desktop.ui.main_window\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
        # What was made lazy is still there when asked for.
        "import vigogne_desktop, vigogne_desktop.core as core\n"
        "from vigogne_desktop.core.catalog import BITS_PER_WEIGHT\n"
        "print(vigogne_desktop.__version__, core.RemoteEngine.__name__, BITS_PER_WEIGHT['Q8_0'])\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported, lazy = result.stdout.splitlines()
    assert imported == "[]", f"imported before the window is drawn: {imported}"
    assert lazy.split()[1:] == ["RemoteEngine", "8.5"]
