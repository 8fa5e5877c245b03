"""bench/RESULTS.md: every benchmark's last results on one page, with the machine, the
versions and the date, so a figure is never read without what it was measured on."""

from __future__ import annotations

import datetime
import json
import platform
from importlib import metadata
from pathlib import Path

from .stats import RESULTS

PAGE = RESULTS.parent / "RESULTS.md"
# The order a reader wants: what a user feels first.
ORDER = (
    "decode_defaults",
    "decode_defaults_7b",
    "context_return",
    "engine_throughput",
    "startup",
    "ui_responsiveness",
    "history_scale",
    "convert_memory",
    "convert_quantize",
    "quality_cost",
    "reliability_files",
    "reliability_kills",
    "reliability_inputs",
    "fit_accuracy",
    "demo_quality",
)
PACKAGES = ("llama_cpp_python", "PySide6-Essentials", "gguf", "numpy")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _machine() -> list[str]:
    import psutil

    cores = psutil.cpu_count(logical=False), psutil.cpu_count(logical=True)
    memory = psutil.virtual_memory().total / (1 << 30)
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return [
        f"- Machine: {platform.processor() or platform.machine()}, {cores[0]} cores "
        f"({cores[1]} threads), {memory:.0f} GiB RAM, {platform.platform()}",
        f"- Python {platform.python_version()}; {versions}",
    ]


def write_page() -> Path:
    """Gather results/*.md (each written by its benchmark, with its date) into RESULTS.md."""
    names = [n for n in ORDER if (RESULTS / f"{n}.md").exists()]
    names += sorted(
        p.stem for p in RESULTS.glob("*.md") if p.stem not in ORDER
    )  # a new benchmark is listed even before it is given its place
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`; one benchmark: `python -m bench NAME`). "
        "Each table gives the figure, its peer where there is one, and the goal; the line "
        "under each title says how to reproduce it.",
        "",
        *_machine(),
        f"- Page written {datetime.date.today().isoformat()}",
        "",
    ]
    for name in names:
        text = (RESULTS / f"{name}.md").read_text(encoding="utf-8").strip()
        data = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
        measured = data.get("date", "")
        lines += [text.replace("# ", "## ", 1), ""]
        if measured:
            lines += [f"Measured {measured}.", ""]
    PAGE.write_text("\n".join(lines), encoding="utf-8")
    return PAGE
