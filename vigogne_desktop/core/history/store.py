"""The history store: conversations and their message tree, over one SQLite connection.

Messages form a tree (each has a parent): a regenerated reply or an edited question is a
sibling of the one it replaces, so every earlier version stays reachable. A conversation
remembers the leaf it shows; the path from the root to that leaf is what the user sees.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from converters.messages import say

from . import search as _search
from . import transfer
from .records import (
    CONVERSATION_COLUMNS,
    Conversation,
    HistoryBusy,
    HistoryError,
    Message,
    SearchHit,
    conversation_from,
    message_from,
    title_from,
)
from .schema import open_database


class History:
    """One connection to the history database. Use one per thread."""

    def __init__(
        self,
        path: Path | str,
        *,
        checkpoints: bool = True,
        recover: bool = False,
        busy_timeout_s: float = 10.0,
    ) -> None:
        """Open (and create or migrate) the history at `path`.

        `checkpoints=False`: this connection never copies the WAL back into the database
        (the slow part of a commit, with an fsync); another connection does it.
        `recover=True`: mark replies left "streaming" by a previous run "unfinished". Only
        the app's first connection may do it: a reader opened while a reply streams must
        not end that reply. `busy_timeout_s`: how long to wait for another program's lock.
        Raises `HistoryBusy` when another program holds the file, `HistoryError` when it
        cannot be used; only a file SQLite finds damaged is moved aside (`recovered_from`).
        """
        self.path = Path(path)
        self._db, self.recovered_from = open_database(
            self.path, checkpoints=checkpoints, recover=recover, busy_timeout_s=busy_timeout_s
        )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one writing statement; a failure is one sentence (for this package's modules)."""
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
            if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise HistoryBusy(
                    say(
                        "L'historique est occupé par un autre programme : rien n'a été perdu, "
                        "réessayez dans un instant.",
                        "The history is busy with another program: nothing was lost, try "
                        "again in a moment.",
                    )
                ) from exc
            raise HistoryError(
                say(
                    f"L'historique n'a pas pu être enregistré ({exc}) : vérifiez l'espace disque.",
                    f"The history could not be saved ({exc}): check the free disk space.",
                )
            ) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All the writes inside, or none of them."""
        self.write("BEGIN IMMEDIATE")
        try:
            yield
            self.write("COMMIT")
        except BaseException:
            # On a full disk SQLite has rolled back already: a second ROLLBACK would raise
            # and hide the sentence that says what happened.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    # -- conversations ---------------------------------------------------------------

    def conversations(self) -> list[Conversation]:
        """Every conversation not deleted: pinned first, then the most recent."""
        cursor = self._db.cursor()
        cursor.row_factory = None  # plain tuples: the sidebar's 10,000 read a fifth faster
        rows = cursor.execute(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE deleted IS NULL "
            "ORDER BY pinned DESC, updated DESC, id DESC"
        )
        return [conversation_from(r) for r in rows]

    def conversation(self, cid: int) -> Conversation:
        row = self._db.execute(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (cid,)
        ).fetchone()
        if row is None:
            raise HistoryError(
                say(
                    f"La conversation {cid} n'existe plus.", f"Conversation {cid} no longer exists."
                )
            )
        return conversation_from(row)

    def create_conversation(
        self, title: str = "", settings: Mapping[str, Any] | None = None
    ) -> Conversation:
        now = time.time()
        cur = self.write(
            "INSERT INTO conversations (title, title_is_auto, created, updated, settings) "
            "VALUES (?, ?, ?, ?, ?)",
            (title, int(not title), now, now, json.dumps(dict(settings or {}))),
        )
        return self.conversation(int(cur.lastrowid or 0))

    def rename(self, cid: int, title: str) -> None:
        self.write(
            "UPDATE conversations SET title = ?, title_is_auto = 0 WHERE id = ?", (title, cid)
        )

    def set_pinned(self, cid: int, pinned: bool) -> None:
        self.write("UPDATE conversations SET pinned = ? WHERE id = ?", (int(pinned), cid))

    def update_settings(self, cid: int, settings: Mapping[str, Any]) -> None:
        self.write(
            "UPDATE conversations SET settings = ? WHERE id = ?", (json.dumps(dict(settings)), cid)
        )

    def delete(self, cid: int) -> None:
        """Hide a conversation; `restore` brings it back until `purge_deleted` runs."""
        self.write("UPDATE conversations SET deleted = ? WHERE id = ?", (time.time(), cid))

    def restore(self, cid: int) -> None:
        self.write("UPDATE conversations SET deleted = NULL WHERE id = ?", (cid,))

    def purge_deleted(self) -> int:
        return self.write("DELETE FROM conversations WHERE deleted IS NOT NULL").rowcount

    # -- messages --------------------------------------------------------------------

    def add_message(
        self,
        cid: int,
        role: str,
        content: str,
        *,
        parent_id: int | None,
        status: str = "complete",
        meta: Mapping[str, Any] | None = None,
    ) -> Message:
        """Append a message under `parent_id` and show it: it becomes the conversation's leaf."""
        now = time.time()
        with self.transaction():
            cur = self.write(
                "INSERT INTO messages (conversation_id, parent_id, role, content, status, "
                "created, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cid, parent_id, role, content, status, now, json.dumps(dict(meta or {}))),
            )
            mid = int(cur.lastrowid or 0)
            self.write(
                "UPDATE conversations SET leaf_id = ?, updated = ? WHERE id = ?", (mid, now, cid)
            )
            if role == "user":
                self.write(
                    "UPDATE conversations SET title = ? "
                    "WHERE id = ? AND title_is_auto = 1 AND title = ''",
                    (title_from(content), cid),
                )
        return self.message(mid)

    def update_message(
        self,
        mid: int,
        content: str,
        *,
        status: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        sets, args = ["content = ?"], [content]
        if status is not None:
            sets.append("status = ?")
            args.append(status)
        if meta is not None:
            sets.append("meta = ?")
            args.append(json.dumps(dict(meta)))
        self.write(f"UPDATE messages SET {', '.join(sets)} WHERE id = ?", (*args, mid))

    def delete_message(self, mid: int) -> None:
        """Remove a message that never got content (a reply that failed at once)."""
        msg = self.message(mid)
        self.write("DELETE FROM messages WHERE id = ?", (mid,))
        self.write(
            "UPDATE conversations SET leaf_id = ? WHERE id = ? AND leaf_id = ?",
            (msg.parent_id, msg.conversation_id, mid),
        )

    def message(self, mid: int) -> Message:
        row = self._db.execute("SELECT * FROM messages WHERE id = ?", (mid,)).fetchone()
        if row is None:
            raise HistoryError(
                say(f"Le message {mid} n'existe plus.", f"Message {mid} no longer exists.")
            )
        return message_from(row, self._siblings(row["conversation_id"], row["parent_id"]))

    def _siblings(self, cid: int, parent_id: int | None) -> tuple[int, ...]:
        rows = self._db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (cid, parent_id),
        )
        return tuple(r[0] for r in rows)

    def all_messages(self, cid: int) -> list[Message]:
        """Every message of a conversation, every version, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (cid,)
        )
        return [message_from(r) for r in rows]

    def shown(self, cid: int) -> list[Message]:
        """The messages shown: from the first to the conversation's leaf, with their siblings."""
        leaf = self.conversation(cid).leaf_id
        if leaf is None:
            return []
        rows = self._db.execute(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT ?, 0
                UNION ALL
                SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id
                WHERE m.parent_id IS NOT NULL
            )
            SELECT m.*, (
                SELECT group_concat(s.id) FROM (
                    SELECT id FROM messages
                    WHERE conversation_id = m.conversation_id AND parent_id IS m.parent_id
                    ORDER BY id
                ) s
            ) AS sibling_ids
            FROM up JOIN messages m ON m.id = up.id ORDER BY up.depth DESC
            """,
            (leaf,),
        )
        return [
            message_from(r, tuple(int(i) for i in (r["sibling_ids"] or str(r["id"])).split(",")))
            for r in rows
        ]

    def show_version(self, cid: int, mid: int) -> None:
        """Show message `mid` and, below it, its most recent descendants."""
        leaf = mid
        while True:
            row = self._db.execute(
                "SELECT id FROM messages WHERE parent_id = ? ORDER BY id DESC LIMIT 1", (leaf,)
            ).fetchone()
            if row is None:
                break
            leaf = row[0]
        self.write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (leaf, cid))

    def show_parent_of(self, cid: int, mid: int) -> None:
        """Make the parent of `mid` the leaf: the place to add a new version of `mid`."""
        parent = self.message(mid).parent_id
        self.write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (parent, cid))

    def count_messages(self, cid: int) -> int:
        return int(
            self._db.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = ?", (cid,)
            ).fetchone()[0]
        )

    # -- search, export and import (their own modules) --------------------------------

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Conversations whose title or messages contain every word (as word prefixes)."""
        return _search.search(self._db, text, limit)

    def export_json(self, cid: int) -> dict[str, Any]:
        return transfer.export_json(self, cid)

    def export_all(self) -> dict[str, Any]:
        return transfer.export_all(self)

    def export_markdown(self, cid: int, names: Mapping[str, str] | None = None) -> str:
        return transfer.export_markdown(self, cid, names)

    def import_json(self, data: Any) -> list[int]:
        """Add the conversations of an export; a bad file adds nothing (see transfer)."""
        return transfer.import_json(self, data)
