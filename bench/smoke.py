"""`python -m bench smoke` (`make bench-smoke`, run by CI): every quick benchmark once, on
the small model and the smallest sizes, its results written to a scratch folder. It proves
the benchmarks still run; its figures mean nothing and are never published."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from . import models, stats

# The benchmarks CI runs, each with the arguments that make it quick.
QUICK: dict[str, list[str]] = {
    "decode": ["--pairs", "1", "--tokens", "8"],
    "decode-7b": ["--pairs", "1", "--tokens", "8"],
    "context": ["--pairs", "1", "--rounds", "1"],
    "engine": ["--pairs", "1", "--tokens", "8"],
    "startup": ["--pairs", "1", "--conversations", "5"],
    "history": ["--conversations", "100", "--messages", "5000", "--runs", "1"],
    "quality-cost": ["--pairs", "1"],
}


def main(benches: dict[str, Callable[..., None]]) -> None:
    models.SMOKE = True
    with tempfile.TemporaryDirectory(prefix="vigogne-bench-smoke-") as scratch:
        stats.RESULTS = Path(scratch)
        for name, argv in QUICK.items():
            print(f"--- smoke: {name} {' '.join(argv)}", flush=True)
            benches[name](argv)
    print(f"smoke: {len(QUICK)} benchmarks ran")
