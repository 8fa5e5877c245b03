"""How many threads llama.cpp runs fastest with here: the converter's quality measurement and
the app's model process alike."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import psutil


def sysctl(name: str) -> str | None:
    """A macOS sysctl value, None where there is none (or no sysctl)."""
    try:
        done = subprocess.run(
            ["sysctl", "-n", name], capture_output=True, text=True, timeout=5, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def default_threads() -> int:
    """The threads llama.cpp decodes fastest with here, cheap enough for every load: one per
    physical core this process may run on (all of them without SMT), P-cores on Apple.

    llama-cpp-python's own default, `cpu_count() // 2`, assumes SMT everywhere: on a
    machine without it that is half the cores, and half the speed."""
    logical = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    physical = psutil.cpu_count(logical=False) or logical
    if sys.platform == "darwin" and platform.machine() == "arm64":
        performance = sysctl("hw.perflevel0.physicalcpu")
        if performance and performance.isdigit():
            return int(performance)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    # A container or `taskset` may allow fewer CPUs than the machine has: keep the same
    # share of physical cores among them.
    return max(1, min(usable, round(usable * physical / logical)))
