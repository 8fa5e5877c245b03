"""`make stress`: the whole app SIGKILLed at random moments while replies stream, 50 times on
one data folder; the figures go to bench/results/reliability_kills.json and .md.
RELIABILITY_KILL_RUNS sets another number of kills (a quick check of the run itself)."""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
from pathlib import Path

import pytest
from app_kills import KEPT_AFTER_S, Findings, check_after_kill, check_next_start, run_and_kill

from bench import stats
from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core.history import History

RUNS = int(os.environ.get("RELIABILITY_KILL_RUNS", "50"))
SEED = 14
LONGEST_S = 4.0  # kills fall up to this long after the first text: over several replies


@pytest.mark.stress
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")
def test_killing_the_app_at_random_moments(tmp_path: Path) -> None:
    model = write_random_llama(tmp_path / "tiny.gguf", TINY, seed=1)
    home = tmp_path / "home"
    path = home / "history.sqlite3"
    rng = random.Random(SEED)
    findings = Findings()
    left_streaming: list[int] = []
    previous: list[int] = []
    asked = 0
    for run in range(1, RUNS + 1):
        # One kill in ten falls before any text; the others anywhere in the next seconds.
        moment = None if rng.random() < 0.1 else rng.uniform(0.0, LONGEST_S)
        seen = run_and_kill(model, home, run, moment, max_tokens=600)
        left_streaming += check_next_start(path, previous)
        check_after_kill(path, seen, findings)
        asked += len(seen.asked)
        previous = findings.in_flight[:]
        findings.in_flight.clear()
    with History(path, recover=True):  # the next start's first connection
        pass
    left_streaming += check_next_start(path, previous)

    unsaved = stats.summary(findings.unsaved_s) if findings.unsaved_s else None
    integrity = str(len(findings.integrity_failures))
    rows = [
        ("kills of the whole app (window and engine child)", str(RUNS), "50"),
        ("integrity failures (SQLite, FTS5, foreign keys)", integrity, "0"),
        ("questions asked / lost", f"{asked} / {len(findings.questions_lost)}", "0 lost"),
        (
            f"replies on screen over {KEPT_AFTER_S:.0f} s / lost",
            f"{findings.replies_checked} / {len(findings.replies_lost)}",
            "0 lost",
        ),
        ("cut replies not marked unfinished at the next start", str(len(left_streaming)), "0"),
        (
            "text on screen at the kill but not saved",
            "none shown" if unsaved is None else stats.spread(unsaved, " s", 2),
            "about 1 s at most (saved once a second)",
        ),
    ]
    stats.write(
        "reliability_kills",
        {
            "title": "Reliability: the app killed mid-reply",
            "setup": f"`make stress`: the real app (tests/reliability/kill_driver.py: the "
            f"window, asking on its own, with the tiny test model) SIGKILLed with its engine "
            f"child {RUNS} times on one data folder on {platform.machine()}, at random moments "
            f"(seed {SEED}) up to {LONGEST_S:.0f} s after a reply's first text; after each kill "
            "the file is checked before the next start opens it.",
            "runs": RUNS,
            "integrity_failures": findings.integrity_failures,
            "questions_asked": asked,
            "questions_lost": findings.questions_lost,
            "replies_checked": findings.replies_checked,
            "replies_lost": findings.replies_lost,
            "left_streaming": left_streaming,
            "unsaved_seconds": unsaved,
            "unsaved_seconds_mean": statistics.fmean(findings.unsaved_s or [0.0]),
        },
        rows,
    )
    assert not findings.integrity_failures
    assert not findings.questions_lost
    assert not findings.replies_lost
    assert not left_streaming
