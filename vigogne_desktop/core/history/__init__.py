"""Conversations on disk: SQLite in WAL mode, versioned migrations, an FTS5 search index.

schema: opening, migrations, damage vs. busy · store: `History`, the message tree ·
search: FTS5 queries, the reader searching as the user types · transfer: export and
import · records: the plain data.
"""

from __future__ import annotations

from pathlib import Path

from .records import (
    ROLES,
    STATUSES,
    TITLE_LENGTH,
    Conversation,
    HistoryBusy,
    HistoryError,
    Message,
    SearchHit,
    title_from,
)
from .schema import MIGRATIONS, SCHEMA_VERSION
from .search import HIT_END, HIT_START, Searcher, SearchInterrupted, fts_query
from .store import History
from .transfer import (
    EXPORT_ALL_FORMAT,
    EXPORT_FORMAT,
    EXPORT_VERSION,
    read_json,
    write_json,
    write_text,
)


def default_path(folder: Path) -> Path:
    return folder / "history.sqlite3"


__all__ = [
    "EXPORT_ALL_FORMAT",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "HIT_END",
    "HIT_START",
    "MIGRATIONS",
    "ROLES",
    "SCHEMA_VERSION",
    "STATUSES",
    "TITLE_LENGTH",
    "Conversation",
    "History",
    "HistoryBusy",
    "HistoryError",
    "Message",
    "SearchHit",
    "SearchInterrupted",
    "Searcher",
    "default_path",
    "fts_query",
    "read_json",
    "title_from",
    "write_json",
    "write_text",
]
