"""Where the files of resources/ are: in a checkout, an installed wheel or a frozen app."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    here = Path(__file__).resolve()
    candidates = [
        here.parents[2] / "resources",  # checkout or editable install
        here.parents[1] / "resources",  # wheel: vigogne_desktop/resources
    ]
    if getattr(sys, "frozen", False):  # PyInstaller bundle
        candidates.insert(0, Path(getattr(sys, "_MEIPASS", here.parents[2])) / "resources")
    for candidate in candidates:
        if (candidate / "vigogne-desktop.desktop").is_file():
            return candidate
    raise FileNotFoundError("resources/ not found: reinstall Vigogne Desktop.")


def resource_path(name: str) -> Path:
    return resources_dir() / name
