"""Where the app keeps its data (platformdirs), overridable for tests and portable installs.

VIGOGNE_DESKTOP_HOME, when set, replaces the per-user data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "vigogne-desktop"


def data_dir() -> Path:
    override = os.environ.get("VIGOGNE_DESKTOP_HOME")
    folder = Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def models_dir() -> Path:
    folder = data_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
