"""Small helpers shared by the benchmarks: summaries and result files."""

from __future__ import annotations

import json
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def spread(s: dict[str, float], unit: str = "", digits: int = 3) -> str:
    """A summary as a table cell: "0.971 (min 0.934, max 0.988)", the unit after the median."""
    low, high = f"{s['min']:.{digits}f}", f"{s['max']:.{digits}f}"
    return f"{s['median']:.{digits}f}{unit} (min {low}, max {high})"


def machine() -> dict[str, Any]:
    import os

    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor(),
    }


def write(name: str, data: dict[str, Any], rows: list[tuple[str, str, str]]) -> None:
    """Write results/NAME.json and a Markdown table results/NAME.md (metric, value, goal)."""
    import datetime

    RESULTS.mkdir(exist_ok=True)
    data = {**data, "date": datetime.date.today().isoformat()}
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        f"# {data['title']}",
        "",
        data["setup"],
        "",
        "| metric | result | goal |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {metric} | {value} | {goal} |" for metric, value, goal in rows]
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
