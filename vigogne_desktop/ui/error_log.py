"""An unexpected error in the window: one translated sentence on screen, its traceback in
the data folder's errors.log (core/error_log.py), whichever thread it happened on.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ..core.error_log import record

__all__ = ["record", "sentence"]


def sentence(error: BaseException, log: str) -> str:
    """What the user reads about an unexpected error (the same words on every path)."""
    return QCoreApplication.translate(
        "App",
        "Something went wrong ({error}). Your conversations are safe; the details are in {log}.",
    ).format(error=type(error).__name__, log=log)
