"""How the app starts its own child processes, from a checkout or from a frozen bundle.

A frozen (PyInstaller) app has no `python -m`: it re-invokes its own executable with a
mode flag, which vigogne_desktop.__main__ dispatches back to these modules.
"""

from __future__ import annotations

import sys

MODES = {
    "worker": "vigogne_desktop.core.worker",
    "share-server": "vigogne_desktop.core.sharing",
    "convert": "converters.cli",
}


def child_command(mode: str, *args: str) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, f"--{mode}", *args]
    return [sys.executable, "-m", MODES[mode], *args]
