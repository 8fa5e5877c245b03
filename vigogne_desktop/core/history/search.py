"""Full-text search over titles and messages (FTS5, accents ignored)."""

from __future__ import annotations

import sqlite3

from .records import SearchHit

# Around a search hit, between these two characters (never in ordinary text).
HIT_START, HIT_END = "\x02", "\x03"
# Hits are ranked (FTS5's bm25) among the newest RANKED matches of a table only: ranking
# every match of a common word cost 330 ms in a history of 500,000 messages, where ranking
# the newest 2,000 costs a fifth of that (bench/history_scale.py). A query with fewer
# matches is ranked whole, as before.
RANKED = 2000


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word, as a prefix, in any order."""
    words = [w for w in text.replace('"', " ").split() if w]
    return " ".join(f'"{w}"*' for w in words)


def _newest(index: str) -> str:
    """SQL keeping `index`'s matches to its newest RANKED (the query is parameter 1)."""
    return (
        f"{index}.rowid >= coalesce((SELECT rowid FROM {index} WHERE {index} MATCH ?1 "
        f"ORDER BY rowid DESC LIMIT 1 OFFSET {RANKED - 1}), 0)"
    )


def search(db: sqlite3.Connection, text: str, limit: int = 50) -> list[SearchHit]:
    """Conversations whose title or messages contain every word (as word prefixes)."""
    query = fts_query(text)
    if not query:
        return []
    hits: list[SearchHit] = []
    for row in db.execute(
        "SELECT c.id, c.title, highlight(title_index, 0, ?3, ?4) AS snip "
        "FROM title_index JOIN conversations c ON c.id = title_index.rowid "
        f"WHERE title_index MATCH ?1 AND {_newest('title_index')} AND c.deleted IS NULL "
        "ORDER BY rank LIMIT ?2",
        (query, limit, HIT_START, HIT_END),
    ):
        hits.append(SearchHit(row["id"], row["title"], None, row["snip"]))
    for row in db.execute(
        "SELECT c.id, c.title, m.id AS mid, "
        "snippet(message_index, 0, ?3, ?4, '…', 12) AS snip "
        "FROM message_index JOIN messages m ON m.id = message_index.rowid "
        "JOIN conversations c ON c.id = m.conversation_id "
        f"WHERE message_index MATCH ?1 AND {_newest('message_index')} AND c.deleted IS NULL "
        "ORDER BY rank LIMIT ?2",
        (query, limit, HIT_START, HIT_END),
    ):
        hits.append(SearchHit(row["id"], row["title"], row["mid"], row["snip"]))
    return hits
