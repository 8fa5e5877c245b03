"""Full-text search over titles and messages (FTS5, accents ignored)."""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from pathlib import Path

from converters.messages import say

from .records import HistoryError, SearchHit

# Around a search hit, between these two characters (never in ordinary text).
HIT_START, HIT_END = "\x02", "\x03"
# Hits are ranked (FTS5's bm25) among the newest RANKED matches of a table only: ranking
# every match of a common word cost 330 ms in a history of 500,000 messages, where ranking
# the newest 2,000 costs a fifth of that (bench/history_scale.py). A query with fewer
# matches is ranked whole, as before.
RANKED = 2000
# A word of at most SHORT characters is looked for whole in messages, as a word's beginning
# in titles only. Without a prefix index FTS5 answers « f* » by merging the lists of every
# word starting with f, most of the index: in the bench's 500,000 messages, 1.4 s for « f »,
# 2.9 s for « d » or « erreur m », where a whole word is read newest first and stops early
# (16-30 ms in all). A prefix index (prefix='1 2') answered « f » in 33 ms, but rebuilding
# it took 109 s (a first start after the update) and grew the file by 24 %.
SHORT = 2
# A longer word is looked for in messages as the OR of the indexed words it begins, read in
# the index's own vocabulary: FTS5 reads an OR newest first and stops early, where it merges
# a prefix's lists whole first, up to three times (bench, 5 alternated runs: « pro » 390 ms
# as a prefix, 89 ms as the OR of its 21 words; « pour » 165 -> 62, « le fich » 90 -> 47).
# The same messages match; bm25 now weighs each word by its own rarity, where it weighed the
# prefix as one word. What remains of « pro » is two reads of its words' lists, in halves:
# the vocabulary counts their documents, and so does bm25. Beyond EXPANDED words the query
# stays a prefix: the same hits, at its old cost.
EXPANDED = 500
# The index's vocabulary, in the connection's temp schema: nothing written to the file.
_VOCABULARY = "temp.message_words"


def _words(text: str) -> list[str]:
    return [w for w in text.replace('"', " ").split() if w]


def has_short_word(text: str) -> bool:
    """True when `search(text)` looks for some word whole in messages (see SHORT)."""
    return any(len(w) <= SHORT for w in _words(text))


def fts_query(text: str, *, short_whole: bool = False) -> str:
    """The user's words as an FTS5 query, in any order: every word as a prefix, or with
    `short_whole`, every word but the short ones (see SHORT)."""
    return " ".join(
        f'"{w}"' if short_whole and len(w) <= SHORT else f'"{w}"*' for w in _words(text)
    )


def indexed_form(word: str) -> str | None:
    """`word` as the index's tokenizer stores it (unicode61, accents removed, lower case),
    when it is one plain ASCII token; None for anything else (an apostrophe, « œ »), which
    stays a prefix query rather than risk a form the tokenizer would not produce."""
    bare = "".join(
        c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn"
    ).lower()
    return bare if bare.isascii() and bare.isalnum() else None


def words_beginning(db: sqlite3.Connection, start: str) -> list[str]:
    """The words of the message index that begin with `start` (an `indexed_form`)."""
    db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCABULARY} "
        "USING fts5vocab(main, message_index, 'row')"
    )
    end = start[:-1] + chr(ord(start[-1]) + 1)  # the first string after every `start…`
    rows = db.execute(
        f"SELECT term FROM {_VOCABULARY} WHERE term >= ? AND term < ?", (start, end)
    ).fetchall()
    return [row[0] for row in rows]


def message_query(db: sqlite3.Connection, text: str) -> str:
    """The FTS5 query for messages: short words whole (see SHORT), longer ones as the OR of
    the indexed words they begin (see EXPANDED); the same hits as their prefix query."""
    parts = []
    for word in _words(text):
        form = indexed_form(word)
        if len(word) <= SHORT:
            parts.append(f'"{word}"')
        elif form is None or len(found := words_beginning(db, form)) > EXPANDED:
            parts.append(f'"{word}"*')
        elif not found:
            return ""  # no message has a word beginning so
        else:
            parts.append("(" + " OR ".join(f'"{term}"' for term in found) + ")")
    return " AND ".join(parts)


def _newest(index: str) -> str:
    """SQL keeping `index`'s matches to its newest RANKED (the query is parameter 1)."""
    return (
        f"{index}.rowid >= coalesce((SELECT rowid FROM {index} WHERE {index} MATCH ?1 "
        f"ORDER BY rowid DESC LIMIT 1 OFFSET {RANKED - 1}), 0)"
    )


def search(db: sqlite3.Connection, text: str, limit: int = 50) -> list[SearchHit]:
    """Conversations whose title or messages contain every word: as word prefixes, but in
    messages a word of one or two characters only whole (see SHORT)."""
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
    in_messages = message_query(db, text)
    if not in_messages:
        return hits
    for row in db.execute(
        "SELECT c.id, c.title, m.id AS mid, "
        "snippet(message_index, 0, ?3, ?4, '…', 12) AS snip "
        "FROM message_index JOIN messages m ON m.id = message_index.rowid "
        "JOIN conversations c ON c.id = m.conversation_id "
        f"WHERE message_index MATCH ?1 AND {_newest('message_index')} AND c.deleted IS NULL "
        "ORDER BY rank LIMIT ?2",
        (in_messages, limit, HIT_START, HIT_END),
    ):
        hits.append(SearchHit(row["id"], row["title"], row["mid"], row["snip"]))
    return hits


class SearchInterrupted(HistoryError):
    """A newer search took this one's place before it ended: there is nothing to show."""


_REPLACED = say(
    "Recherche remplacée par une plus récente : rien à faire.",
    "Search replaced by a newer one: nothing to do.",
)


class Searcher:
    """A reader of its own for the searches made as the user types: one at a time, and the
    one still running can be interrupted from another thread by the next."""

    def __init__(self, path: Path) -> None:
        # Any thread may search (the lock keeps it to one at a time) and interrupt() comes
        # from another, as SQLite allows; mode=rw: a missing file is an error, not a new file.
        try:
            self._db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=rw",
                uri=True,
                timeout=10.0,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise HistoryError(
                say(
                    f"L'historique « {path} » ne peut pas être ouvert pour chercher ({exc}) : "
                    "fermez l'application et rouvrez-la.",
                    f"The history “{path}” cannot be opened to search ({exc}): close the app "
                    "and open it again.",
                )
            ) from exc
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._closed = False

    def find(self, text: str, limit: int = 50) -> list[SearchHit]:
        """`search(text)`; raises SearchInterrupted when `interrupt()` stopped it."""
        with self._lock:
            if self._closed:
                raise SearchInterrupted(_REPLACED)
            try:
                return search(self._db, text, limit)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_INTERRUPT:
                    raise
                raise SearchInterrupted(_REPLACED) from exc

    def interrupt(self) -> None:
        """Stop the search running now, if any (a no-op otherwise, never the next one)."""
        if not self._closed:
            self._db.interrupt()

    def close(self) -> None:
        """Stop the running search and close; a search asked for later is SearchInterrupted."""
        self.interrupt()
        with self._lock:
            self._closed = True
            self._db.close()
