"""Files the app writes whole or not at all (settings, exports)."""

from __future__ import annotations

from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write next to the final name, then rename: a reader never sees half a file.

    An OSError propagates; the partial file is removed first.
    """
    part = path.with_name(path.name + ".part")
    try:
        part.write_text(text, encoding="utf-8")
        part.replace(path)
    except OSError:
        part.unlink(missing_ok=True)
        raise
