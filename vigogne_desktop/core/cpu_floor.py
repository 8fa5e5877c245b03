"""The packaged app's CPU floor: AVX2, FMA and F16C, checked before llama.cpp is loaded.

The installers ship one llama.cpp build for x86-64 CPUs from Intel Haswell (2013) and AMD
Excavator (2015) on (packaging/llama_wheel.py); on an older CPU its first instruction would
kill the process with « illegal instruction ». This says so in one sentence instead. Kept
free of heavy imports: the frozen app runs it at every start, the worker's included.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from converters.messages import say

REQUIRED = ("avx2", "fma", "f16c")
# IsProcessorFeaturePresent's numbers (winnt.h). A Windows too old to know AVX2's number
# answers no for it; SSE4.1's arrived with it, so a yes for SSE4.1 makes a no for AVX2 true.
_WINDOWS = {"sse4_1": 37, "avx2": 40}
_MACOS = {"avx2": "hw.optional.avx2_0", "fma": "hw.optional.fma", "f16c": "hw.optional.f16c"}


def cpuinfo_flags(cpuinfo: str) -> frozenset[str]:
    """The first processor's flags in the text of Linux's /proc/cpuinfo."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def missing_features(flags: frozenset[str]) -> list[str]:
    """The required features absent from `flags` (empty: this CPU is enough)."""
    return [name for name in REQUIRED if name not in flags]


def _this_cpu_missing() -> list[str]:
    """What this CPU lacks; nothing where it cannot be told (the check never blocks a
    CPU it cannot read)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return []  # ARM builds (Apple silicon) have no such floor
    if sys.platform.startswith("linux"):
        try:
            flags = cpuinfo_flags(Path("/proc/cpuinfo").read_text(encoding="utf-8"))
        except OSError:
            return []
        return missing_features(flags) if flags else []
    if sys.platform == "win32":
        import ctypes

        present = ctypes.windll.kernel32.IsProcessorFeaturePresent  # type: ignore[attr-defined]
        if not present(_WINDOWS["sse4_1"]):
            return []
        return [] if present(_WINDOWS["avx2"]) else ["avx2"]
    if sys.platform == "darwin":
        found = subprocess.run(
            ["sysctl", "-n", *_MACOS.values()], capture_output=True, text=True, check=False
        ).stdout.split()
        if len(found) != len(_MACOS):
            return []
        return [name for name, value in zip(_MACOS, found, strict=True) if value != "1"]
    return []


def refusal(missing: list[str]) -> str:
    """The one sentence said to a user whose CPU is below the floor."""
    names = ", ".join(name.upper() for name in missing)
    return say(
        f"Ce processeur n'a pas les instructions {names} dont Vigogne Desktop a besoin "
        "(processeurs Intel depuis 2013, AMD depuis 2015) : installez Vigogne Desktop avec "
        "pip sur cet ordinateur, ce qui le compile pour ce processeur.",
        f"This processor lacks the {names} instructions Vigogne Desktop needs (Intel "
        "processors since 2013, AMD since 2015): install Vigogne Desktop with pip on this "
        "computer, which builds it for this processor.",
    )


def check() -> str | None:
    """None when this CPU meets the floor, else the sentence to show before exiting."""
    missing = _this_cpu_missing()
    return refusal(missing) if missing else None
