"""`make stress`: every damaged GGUF of corrupt_gguf (over 500) loaded through one real
engine, the good model loaded again after each refusal; the figures go to
bench/results/reliability_files.json and .md."""

from __future__ import annotations

import collections
import platform
from pathlib import Path

import pytest
from bad_file_loads import CHILD_CRASHED, LOADED, is_one_sentence, load
from corrupt_gguf import corruptions, write

from bench import stats
from vigogne_desktop.core import LocalEngine


@pytest.mark.stress
def test_every_damaged_file_through_the_engine(tiny_gguf: Path, tmp_path: Path) -> None:
    good = tiny_gguf.read_bytes()
    every = corruptions(good)
    outcomes: collections.Counter[str] = collections.Counter()
    slowest, slowest_name, crashed = 0.0, "", []
    problems: list[str] = []
    with LocalEngine() as engine:
        assert load(engine, tiny_gguf).kind == LOADED
        for corruption in every:
            path = write(corruption, good, tmp_path)
            outcome = load(engine, path)
            path.unlink()
            outcomes[outcome.kind] += 1
            if outcome.seconds > slowest:
                slowest, slowest_name = outcome.seconds, corruption.name
            if outcome.kind == LOADED:
                if corruption.must_refuse:
                    problems.append(f"{corruption.name} loaded")
                continue
            if outcome.kind == CHILD_CRASHED:
                crashed.append(corruption.name)
            if not is_one_sentence(outcome.sentence):
                problems.append(f"{corruption.name}: {outcome.sentence!r}")
            again = load(engine, tiny_gguf)  # the same engine goes on with a good file
            if again.kind != LOADED:
                problems.append(f"after {corruption.name}: {again}")
    rows = [
        ("damaged files tried", str(len(every)), "≥ 500"),
        *[(f"outcome: {kind}", str(n), "") for kind, n in sorted(outcomes.items())],
        ("longest time to the sentence", f"{slowest:.3f} s ({slowest_name})", "no hang"),
        ("tracebacks or several sentences", str(len(problems)), "0"),
    ]
    stats.write(
        "reliability_files",
        {
            "title": "Reliability: damaged model files",
            "setup": "`make stress`: each damaged copy of the tiny test model (tests/reliability/"
            "corrupt_gguf.py, seed 14) loaded by one LocalEngine on "
            f"{platform.machine()}; after each refusal the good model is loaded again.",
            "files": len(every),
            "outcomes": dict(outcomes),
            "longest_seconds": slowest,
            "longest_file": slowest_name,
            "crashed_child": crashed,
            "problems": problems,
        },
        rows,
    )
    assert len(every) >= 500
    assert not problems, problems
