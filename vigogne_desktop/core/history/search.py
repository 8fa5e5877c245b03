"""Full-text search over titles and messages (FTS5, accents ignored)."""

from __future__ import annotations

import sqlite3

from .records import SearchHit

# Around a search hit, between these two characters (never in ordinary text).
HIT_START, HIT_END = "\x02", "\x03"


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word, as a prefix, in any order."""
    words = [w for w in text.replace('"', " ").split() if w]
    return " ".join(f'"{w}"*' for w in words)


def search(db: sqlite3.Connection, text: str, limit: int = 50) -> list[SearchHit]:
    """Conversations whose title or messages contain every word (as word prefixes)."""
    query = fts_query(text)
    if not query:
        return []
    hits: list[SearchHit] = []
    for row in db.execute(
        "SELECT c.id, c.title, highlight(title_index, 0, ?, ?) AS snip "
        "FROM title_index JOIN conversations c ON c.id = title_index.rowid "
        "WHERE title_index MATCH ? AND c.deleted IS NULL ORDER BY rank LIMIT ?",
        (HIT_START, HIT_END, query, limit),
    ):
        hits.append(SearchHit(row["id"], row["title"], None, row["snip"]))
    for row in db.execute(
        "SELECT c.id, c.title, m.id AS mid, "
        "snippet(message_index, 0, ?, ?, '…', 12) AS snip "
        "FROM message_index JOIN messages m ON m.id = message_index.rowid "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE message_index MATCH ? AND c.deleted IS NULL ORDER BY rank LIMIT ?",
        (HIT_START, HIT_END, query, limit),
    ):
        hits.append(SearchHit(row["id"], row["title"], row["mid"], row["snip"]))
    return hits
