"""The errors.log in the data folder: where an unexpected error leaves its traceback, so the
screen (or the terminal) shows one sentence instead."""

from __future__ import annotations

import sys
import threading
import time
import traceback

from .settings import data_dir

_writing = threading.Lock()  # errors of several threads at once: one whole record at a time


def record(error: BaseException) -> str:
    """Append `error` and its traceback to errors.log; returns where the details went."""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        log = data_dir() / "errors.log"
        with _writing, log.open("a", encoding="utf-8") as out:
            out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n{details}")
    except OSError:  # nowhere to write: keep the details on stderr at least
        sys.stderr.write(details)
        return "stderr"
    return str(log)
