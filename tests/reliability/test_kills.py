"""Kills, the fast part (`make test`): the whole app SIGKILLed a few times while replies stream
on one data folder. The long run is test_kills_stress.py; the converter, engine and download
kills are in test_kills_children.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from app_kills import Findings, check_after_kill, check_next_start, run_and_kill

from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core.history import History

# When to kill: once the question is asked, before any text; while the first reply has been
# on screen for under a second; then for over a second.
MOMENTS_S = (None, 0.5, 1.3)

# Windows has neither process groups nor SIGKILL: what TerminateProcess does is not this.
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def test_killing_the_app_mid_reply_keeps_the_history_whole(tmp_path: Path) -> None:
    model = write_random_llama(tmp_path / "tiny.gguf", TINY, seed=1)
    home = tmp_path / "home"
    path = home / "history.sqlite3"
    findings = Findings()
    left_streaming: list[int] = []
    previous: list[int] = []
    for run, moment in enumerate(MOMENTS_S, 1):
        seen = run_and_kill(model, home, run, moment, max_tokens=1500)
        left_streaming += check_next_start(path, previous)  # this start marked them
        check_after_kill(path, seen, findings)
        previous = findings.in_flight[:]
        findings.in_flight.clear()
    with History(path, recover=True):  # the next start's first connection
        pass
    left_streaming += check_next_start(path, previous)
    assert findings.replies_checked >= 1, "no reply was on screen for over a second"
    assert not findings.integrity_failures
    assert not findings.questions_lost
    assert not findings.replies_lost
    assert not left_streaming
