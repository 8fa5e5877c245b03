"""`make bench`: run every benchmark and write bench/results/*.json and *.md."""

from __future__ import annotations

import sys

from . import (
    context_return,
    convert_memory,
    convert_quantize,
    decode_defaults,
    demo_quality,
    engine_throughput,
    fit_accuracy,
    history_scale,
    quality_cost,
    smoke,
    startup,
    ui_responsiveness,
)
from .report import write_page

BENCHES = {
    "decode": decode_defaults.main,
    "decode-7b": decode_defaults.main_7b,
    "context": context_return.main,
    "engine": engine_throughput.main,
    "convert": convert_memory.main,
    "convert-quantize": convert_quantize.main,
    "demo": demo_quality.main,
    "ui": ui_responsiveness.main,
    "fit": fit_accuracy.main,
    "startup": startup.main,
    "history": history_scale.main,
    "quality-cost": quality_cost.main,
}


def main() -> None:
    """`python -m bench [NAME]`: one benchmark (decode, decode-7b, context, engine, convert,
    convert-quantize, demo, ui, fit, startup, history, quality-cost), all of them, or
    `smoke`: the quick ones at their smallest (CI)."""
    chosen = sys.argv[1:2] or list(BENCHES)
    sys.argv[1:] = sys.argv[2:]
    if chosen == ["smoke"]:
        smoke.main(BENCHES)
        return
    for name in chosen:
        BENCHES[name]()
    print(f"{write_page()} is up to date")


if __name__ == "__main__":
    main()
