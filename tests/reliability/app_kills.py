"""The whole app SIGKILLed while a reply streams, and what its data folder holds afterwards:
the run (kill_driver.py in its own process group, killed with its engine child) and the
checks (SQLite's and FTS5's integrity, every question, every reply shown for over a second)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from vigogne_desktop.core.history import History

DRIVER = Path(__file__).with_name("kill_driver.py")
ROOT = DRIVER.parents[2]
# "Every reply that was on screen for over a second is kept."
KEPT_AFTER_S = 1.0


@dataclass
class AppRun:
    """What the killed app said it showed, with the times (time.monotonic, the machine's)."""

    ready_at: float = 0.0
    worker_pid: int = 0
    asked: dict[int, str] = field(default_factory=dict)
    shown: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # reply: (t, length)
    first_text_at: float = 0.0
    killed_at: float = 0.0
    ready: threading.Event = field(default_factory=threading.Event)
    asking: threading.Event = field(default_factory=threading.Event)
    streaming: threading.Event = field(default_factory=threading.Event)

    def read(self, lines: list[str]) -> None:
        for line in lines:
            word, number, when, *rest = line.split(" ", 3)
            if word == "ready":
                self.ready_at, self.worker_pid = float(when), int(number)
                self.ready.set()
            elif word == "asked":
                self.asked[int(number)] = rest[0].rstrip("\n")
                self.asking.set()
            elif word == "shown":
                self.shown.setdefault(int(number), []).append((float(when), int(rest[0])))
                if int(rest[0]) and not self.streaming.is_set():
                    self.first_text_at = float(when)
                    self.streaming.set()


@dataclass
class Findings:
    integrity_failures: list[str] = field(default_factory=list)
    questions_lost: list[str] = field(default_factory=list)
    replies_lost: list[int] = field(default_factory=list)  # shown over a second, not kept
    replies_checked: int = 0
    # Seconds of text on screen at the kill that the history does not hold (the last save
    # is at most about a second old).
    unsaved_s: list[float] = field(default_factory=list)
    in_flight: list[int] = field(default_factory=list)  # replies still streaming on disk


def _gone(pid: int, timeout_s: float = 10.0) -> bool:
    """Ended: no such process, or a zombie that only waits for init to reap it."""
    deadline = time.monotonic() + timeout_s
    stat = Path(f"/proc/{pid}/stat")
    while time.monotonic() < deadline:
        try:
            if stat.parent.parent.is_dir():  # Linux: a zombie's state is Z
                if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
            else:
                os.kill(pid, 0)
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.01)
    return False


def run_and_kill(
    model: Path, home: Path, run: int, after_text_s: float | None, max_tokens: int
) -> AppRun:
    """Start the app on `home`, let it ask and stream, then SIGKILL its whole process group
    (the window's process and the engine child): `after_text_s` after the first reply's first
    text was shown, or (None) as soon as it has asked its first question.

    Timed from what the app shows, not from its start: on a busy machine the engine child,
    which yields to the other programs (core.local_engine.NICENESS), may write slowly."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIGOGNE_DESKTOP_HOME": str(home)}
    app = subprocess.Popen(
        [sys.executable, str(DRIVER), str(model), str(run), str(max_tokens)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: the kill reaches its children too
    )
    seen = AppRun()
    assert app.stdout is not None
    reader = threading.Thread(target=seen.read, args=(app.stdout,), daemon=True)
    reader.start()
    try:
        assert seen.ready.wait(60), "the app did not get its model ready"
        if after_text_s is None:
            assert seen.asking.wait(60), "the app asked nothing"
        else:
            assert seen.streaming.wait(60), "the app showed no reply"
            time.sleep(max(0.0, seen.first_text_at + after_text_s - time.monotonic()))
        seen.killed_at = time.monotonic()
        os.killpg(app.pid, signal.SIGKILL)
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait()
    reader.join(10)
    assert _gone(seen.worker_pid), "the engine child outlived the kill"
    return seen


def check_after_kill(path: Path, seen: AppRun, findings: Findings) -> None:
    """What the file holds right after the kill, before any app opens it again."""
    with sqlite3.connect(path, isolation_level=None) as db:
        for check in (
            "PRAGMA integrity_check",
            "PRAGMA foreign_key_check",
            "INSERT INTO message_index(message_index) VALUES ('integrity-check')",
            "INSERT INTO title_index(title_index) VALUES ('integrity-check')",
        ):
            try:
                rows = db.execute(check).fetchall()
            except sqlite3.DatabaseError as exc:
                findings.integrity_failures.append(f"{check}: {exc}")
                continue
            if rows not in ([], [("ok",)]):
                findings.integrity_failures.append(f"{check}: {rows[:3]}")
        kept = {
            mid: (role, content, status)
            for mid, role, content, status in db.execute(
                "SELECT id, role, content, status FROM messages"
            )
        }
    for mid, question in seen.asked.items():
        if kept.get(mid, ("", "", ""))[:2] != ("user", question):
            findings.questions_lost.append(question)
    for mid, shown in seen.shown.items():
        role, content, status = kept.get(mid, ("", "", ""))
        if status == "streaming":
            findings.in_flight.append(mid)
        texts = [(when, length) for when, length in shown if length > 0]
        if not texts:
            continue
        if texts[0][0] <= seen.killed_at - KEPT_AFTER_S:
            findings.replies_checked += 1
            if role != "assistant" or not content or len(content) > texts[-1][1]:
                findings.replies_lost.append(mid)
        # The first moment text the history lacks was on screen.
        later = [when for when, length in texts if length > len(content)]
        findings.unsaved_s.append(seen.killed_at - later[0] if later else 0.0)


def check_next_start(path: Path, in_flight: list[int]) -> list[int]:
    """After the next start: the replies left streaming, which should all read unfinished."""
    with History(path) as history:
        return [mid for mid in in_flight if history.message(mid).status != "unfinished"]
