"""Conversations on disk: SQLite in WAL mode, versioned migrations, an FTS5 search index.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from converters.messages import say

from .errors import VigogneError
from .settings import write_atomically

ROLES = ("system", "user", "assistant")
# A reply being written is "streaming"; if the app dies meanwhile, the next start marks it
# "unfinished". "stopped" is a reply the user cut short; "complete" ended on its own.
STATUSES = ("complete", "streaming", "unfinished", "stopped")
EXPORT_FORMAT = "vigogne-desktop.conversation"
EXPORT_ALL_FORMAT = "vigogne-desktop.conversations"
EXPORT_VERSION = 1
TITLE_LENGTH = 60
# Around a search hit, between these two characters (never in ordinary text).
HIT_START, HIT_END = "\x02", "\x03"

_FTS = "tokenize = 'unicode61 remove_diacritics 2'"  # « ete » finds « été »
MIGRATIONS: tuple[str, ...] = (
    # 1: conversations, the message tree, and the two search indexes kept in sync by triggers.
    f"""
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL DEFAULT '',
        title_is_auto INTEGER NOT NULL DEFAULT 1,
        pinned INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        settings TEXT NOT NULL DEFAULT '{{}}',
        leaf_id INTEGER,
        deleted REAL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'complete',
        created REAL NOT NULL,
        meta TEXT NOT NULL DEFAULT '{{}}'
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE INDEX messages_by_parent ON messages(parent_id, id);
    CREATE VIRTUAL TABLE message_index USING fts5(
        content, content='messages', content_rowid='id', {_FTS});
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO message_index(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO message_index(message_index, rowid, content)
        VALUES ('delete', old.id, old.content);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO message_index(message_index, rowid, content)
        VALUES ('delete', old.id, old.content);
        INSERT INTO message_index(rowid, content) VALUES (new.id, new.content);
    END;
    CREATE VIRTUAL TABLE title_index USING fts5(
        title, content='conversations', content_rowid='id', {_FTS});
    CREATE TRIGGER conversations_ai AFTER INSERT ON conversations BEGIN
        INSERT INTO title_index(rowid, title) VALUES (new.id, new.title);
    END;
    CREATE TRIGGER conversations_ad AFTER DELETE ON conversations BEGIN
        INSERT INTO title_index(title_index, rowid, title) VALUES ('delete', old.id, old.title);
    END;
    CREATE TRIGGER conversations_au AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO title_index(title_index, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO title_index(rowid, title) VALUES (new.id, new.title);
    END;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(VigogneError):
    """The conversation history cannot be read, written, imported or exported."""


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    title_is_auto: bool
    pinned: bool
    created: float
    updated: float
    settings: dict[str, Any]
    leaf_id: int | None


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    status: str
    created: float
    meta: dict[str, Any] = field(default_factory=dict)
    siblings: tuple[int, ...] = ()  # ids of the versions at this place, this one included

    @property
    def version(self) -> int:
        """1-based rank of this version among its siblings."""
        return self.siblings.index(self.id) + 1 if self.id in self.siblings else 1


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    title: str
    message_id: int | None  # None when the title matched
    snippet: str  # the matched text, with HIT_START/HIT_END around each hit


def title_from(text: str) -> str:
    """A conversation title from its first question: the first line, cut at a word."""
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[:TITLE_LENGTH].rsplit(" ", 1)[0] or line[:TITLE_LENGTH]
    return cut.rstrip(" ,;:.") + "…"


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query: every word, as a prefix, in any order."""
    words = [w for w in text.replace('"', " ").split() if w]
    return " ".join(f'"{w}"*' for w in words)


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(
        row["id"],
        row["title"],
        bool(row["title_is_auto"]),
        bool(row["pinned"]),
        row["created"],
        row["updated"],
        json.loads(row["settings"]),
        row["leaf_id"],
    )


def _message(row: sqlite3.Row, siblings: tuple[int, ...] = ()) -> Message:
    return Message(
        row["id"],
        row["conversation_id"],
        row["parent_id"],
        row["role"],
        row["content"],
        row["status"],
        row["created"],
        json.loads(row["meta"]),
        siblings,
    )


class History:
    """One connection to the history database. Use one per thread."""

    def __init__(self, path: Path | str, *, checkpoints: bool = True) -> None:
        """`checkpoints=False`: this connection never copies the WAL back into the database
        (the slow part of a commit, with an fsync); another connection does it."""
        self.path = Path(path)
        self._checkpoints = checkpoints
        self.recovered_from: Path | None = None  # a damaged file moved aside at opening
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            # Never delete what the user had: keep the damaged file next to a fresh one.
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            self.path.rename(aside)
            self.recovered_from = aside
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.OperationalError) as exc:
            raise HistoryError(
                say(
                    f"L'historique « {self.path} » ne peut pas être ouvert ({exc}) : vérifiez que "
                    "le dossier existe et que vous pouvez y écrire.",
                    f"The history “{self.path}” "
                    "cannot be opened ({exc}): check that the folder "
                    "exists and that you can write in it.",
                )
            ) from exc
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            if not self._checkpoints:
                db.execute("PRAGMA wal_autocheckpoint = 0")
            self._migrate(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            db.close()
            raise HistoryError(
                say(
                    "L'historique a été écrit par une version plus récente de Vigogne Desktop : "
                    "mettez l'application à jour.",
                    "The history was written by a newer version of Vigogne Desktop: update the "
                    "app.",
                )
            )
        for number in range(version, SCHEMA_VERSION):
            script = f"BEGIN IMMEDIATE; {MIGRATIONS[number]}; PRAGMA user_version = {number + 1};"
            try:
                db.executescript(script + "COMMIT;")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        # Replies that were streaming when the app last stopped will never finish.
        db.execute("UPDATE messages SET status = 'unfinished' WHERE status = 'streaming'")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise HistoryError(
                say(
                    f"L'historique n'a pas pu être enregistré ({exc}) : vérifiez l'espace disque.",
                    f"The history could not be saved ({exc}): check the free disk space.",
                )
            ) from exc

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """All the writes inside, or none of them."""
        self._write("BEGIN IMMEDIATE")
        try:
            yield
            self._write("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # -- conversations ---------------------------------------------------------------

    def conversations(self) -> list[Conversation]:
        """Every conversation not deleted: pinned first, then the most recent."""
        rows = self._db.execute(
            "SELECT * FROM conversations WHERE deleted IS NULL "
            "ORDER BY pinned DESC, updated DESC, id DESC"
        )
        return [_conversation(r) for r in rows]

    def conversation(self, cid: int) -> Conversation:
        row = self._db.execute("SELECT * FROM conversations WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise HistoryError(
                say(
                    f"La conversation {cid} n'existe plus.", f"Conversation {cid} no longer exists."
                )
            )
        return _conversation(row)

    def create_conversation(
        self, title: str = "", settings: Mapping[str, Any] | None = None
    ) -> Conversation:
        now = time.time()
        cur = self._write(
            "INSERT INTO conversations (title, title_is_auto, created, updated, settings) "
            "VALUES (?, ?, ?, ?, ?)",
            (title, int(not title), now, now, json.dumps(dict(settings or {}))),
        )
        return self.conversation(int(cur.lastrowid or 0))

    def rename(self, cid: int, title: str) -> None:
        self._write(
            "UPDATE conversations SET title = ?, title_is_auto = 0 WHERE id = ?", (title, cid)
        )

    def set_pinned(self, cid: int, pinned: bool) -> None:
        self._write("UPDATE conversations SET pinned = ? WHERE id = ?", (int(pinned), cid))

    def update_settings(self, cid: int, settings: Mapping[str, Any]) -> None:
        self._write(
            "UPDATE conversations SET settings = ? WHERE id = ?", (json.dumps(dict(settings)), cid)
        )

    def delete(self, cid: int) -> None:
        """Hide a conversation; `restore` brings it back until `purge_deleted` runs."""
        self._write("UPDATE conversations SET deleted = ? WHERE id = ?", (time.time(), cid))

    def restore(self, cid: int) -> None:
        self._write("UPDATE conversations SET deleted = NULL WHERE id = ?", (cid,))

    def purge_deleted(self) -> int:
        return self._write("DELETE FROM conversations WHERE deleted IS NOT NULL").rowcount

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
        with self._transaction():
            cur = self._write(
                "INSERT INTO messages (conversation_id, parent_id, role, content, status, "
                "created, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cid, parent_id, role, content, status, now, json.dumps(dict(meta or {}))),
            )
            mid = int(cur.lastrowid or 0)
            self._write(
                "UPDATE conversations SET leaf_id = ?, updated = ? WHERE id = ?", (mid, now, cid)
            )
            if role == "user":
                self._write(
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
        self._write(f"UPDATE messages SET {', '.join(sets)} WHERE id = ?", (*args, mid))

    def delete_message(self, mid: int) -> None:
        """Remove a message that never got content (a reply that failed at once)."""
        msg = self.message(mid)
        self._write("DELETE FROM messages WHERE id = ?", (mid,))
        self._write(
            "UPDATE conversations SET leaf_id = ? WHERE id = ? AND leaf_id = ?",
            (msg.parent_id, msg.conversation_id, mid),
        )

    def message(self, mid: int) -> Message:
        row = self._db.execute("SELECT * FROM messages WHERE id = ?", (mid,)).fetchone()
        if row is None:
            raise HistoryError(
                say(f"Le message {mid} n'existe plus.", f"Message {mid} no longer exists.")
            )
        return _message(row, self._siblings(row["conversation_id"], row["parent_id"]))

    def _siblings(self, cid: int, parent_id: int | None) -> tuple[int, ...]:
        rows = self._db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (cid, parent_id),
        )
        return tuple(r[0] for r in rows)

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
            _message(r, tuple(int(i) for i in (r["sibling_ids"] or str(r["id"])).split(",")))
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
        self._write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (leaf, cid))

    def show_parent_of(self, cid: int, mid: int) -> None:
        """Make the parent of `mid` the leaf: the place to add a new version of `mid`."""
        parent = self.message(mid).parent_id
        self._write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (parent, cid))

    def count_messages(self, cid: int) -> int:
        return int(
            self._db.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = ?", (cid,)
            ).fetchone()[0]
        )

    # -- search ----------------------------------------------------------------------

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Conversations whose title or messages contain every word (as word prefixes)."""
        query = fts_query(text)
        if not query:
            return []
        hits: list[SearchHit] = []
        for row in self._db.execute(
            "SELECT c.id, c.title, highlight(title_index, 0, ?, ?) AS snip "
            "FROM title_index JOIN conversations c ON c.id = title_index.rowid "
            "WHERE title_index MATCH ? AND c.deleted IS NULL ORDER BY rank LIMIT ?",
            (HIT_START, HIT_END, query, limit),
        ):
            hits.append(SearchHit(row["id"], row["title"], None, row["snip"]))
        for row in self._db.execute(
            "SELECT c.id, c.title, m.id AS mid, "
            "snippet(message_index, 0, ?, ?, '…', 12) AS snip "
            "FROM message_index JOIN messages m ON m.id = message_index.rowid "
            "JOIN conversations c ON c.id = m.conversation_id "
            "WHERE message_index MATCH ? AND c.deleted IS NULL ORDER BY rank LIMIT ?",
            (HIT_START, HIT_END, query, limit),
        ):
            hits.append(SearchHit(row["id"], row["title"], row["mid"], row["snip"]))
        return hits

    # -- export and import -------------------------------------------------------------

    def export_json(self, cid: int) -> dict[str, Any]:
        """The whole conversation, every version of every message included."""
        conv = self.conversation(cid)
        rows = self._db.execute(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (cid,)
        )
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "title": conv.title,
            "pinned": conv.pinned,
            "created": conv.created,
            "updated": conv.updated,
            "settings": conv.settings,
            "current": conv.leaf_id,
            "messages": [
                {
                    "id": r["id"],
                    "parent": r["parent_id"],
                    "role": r["role"],
                    "content": r["content"],
                    "status": r["status"],
                    "created": r["created"],
                    "meta": json.loads(r["meta"]),
                }
                for r in rows
            ],
        }

    def export_all(self) -> dict[str, Any]:
        return {
            "format": EXPORT_ALL_FORMAT,
            "version": EXPORT_VERSION,
            "conversations": [self.export_json(c.id) for c in self.conversations()],
        }

    def export_markdown(self, cid: int, names: Mapping[str, str] | None = None) -> str:
        """The conversation as shown (current versions), as a Markdown document."""
        names = names or {
            "system": say("Système", "System"),
            "user": say("Vous", "You"),
            "assistant": "Vigogne",
        }
        conv = self.conversation(cid)
        parts = [f"# {conv.title or '…'}\n"]
        for msg in self.shown(cid):
            parts.append(f"## {names.get(msg.role, msg.role)}\n\n{msg.content.strip()}\n")
        return "\n".join(parts)

    def import_json(self, data: Any) -> list[int]:
        """Add the conversations of an export (one or all); returns their new ids.

        The file is checked whole before anything is written: a bad file adds nothing.
        """
        if isinstance(data, dict) and data.get("format") == EXPORT_ALL_FORMAT:
            items = data.get("conversations")
        elif isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
            items = [data]
        else:
            raise HistoryError(
                say(
                    "Ce fichier n'est pas un export de conversation de Vigogne Desktop : "
                    "choisissez un fichier .json exporté par l'application.",
                    "This file is not a "
                    "Vigogne Desktop conversation export: choose a .json file the "
                    "app exported.",
                )
            )
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise HistoryError(
                say(
                    "Le fichier d'export est incomplet : exportez-le à nouveau.",
                    "The export file is incomplete: export it again.",
                )
            )
        if any(int(i.get("version", 0) or 0) > EXPORT_VERSION for i in [data, *items]):
            raise HistoryError(
                say(
                    "Ce fichier vient d'une version plus récente de Vigogne Desktop : "
                    "mettez l'application à jour pour l'importer.",
                    "This file comes from a newer "
                    "version of Vigogne Desktop: update the app to import "
                    "it.",
                )
            )
        for item in items:
            _check_export(item)
        with self._transaction():
            return [self._import_one(item) for item in items]

    def _import_one(self, item: Mapping[str, Any]) -> int:
        now = time.time()
        cur = self._write(
            "INSERT INTO conversations (title, title_is_auto, pinned, created, updated, settings) "
            "VALUES (?, 0, ?, ?, ?, ?)",
            (
                str(item.get("title", "")),
                int(bool(item.get("pinned", False))),
                float(item.get("created", now)),
                float(item.get("updated", now)),
                json.dumps(item.get("settings") or {}),
            ),
        )
        cid = int(cur.lastrowid or 0)
        new_ids: dict[Any, int] = {}
        for msg in item["messages"]:
            status = msg.get("status", "complete")
            cur = self._write(
                "INSERT INTO messages (conversation_id, parent_id, role, content, status, "
                "created, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    new_ids.get(msg.get("parent")),
                    msg["role"],
                    msg["content"],
                    "unfinished" if status == "streaming" else status,
                    float(msg.get("created", now)),
                    json.dumps(msg.get("meta") or {}),
                ),
            )
            new_ids[msg.get("id")] = int(cur.lastrowid or 0)
        messages = item["messages"]
        current = new_ids.get(item.get("current"))
        if current is None and messages:
            current = new_ids[messages[-1].get("id")]
        self._write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (current, cid))
        return cid


def _check_export(item: Mapping[str, Any]) -> None:
    messages = item.get("messages")
    if not isinstance(messages, list):
        raise HistoryError(
            say(
                "Le fichier d'export n'a pas de messages : exportez-le à nouveau.",
                "The export file has no messages: export it again.",
            )
        )
    seen: set[Any] = set()
    for number, msg in enumerate(messages, 1):
        ok = (
            isinstance(msg, dict)
            and msg.get("role") in ROLES
            and isinstance(msg.get("content"), str)
            and msg.get("status", "complete") in STATUSES
            and (msg.get("parent") is None or msg.get("parent") in seen)
        )
        if not ok:
            raise HistoryError(
                say(
                    f"Le message {number} du fichier d'export est invalide : "
                    "le fichier a été modifié ou tronqué.",
                    f"Message {number} of the export file is invalid: the file was changed or cut "
                    "short.",
                )
            )
        seen.add(msg.get("id", number))


def write_json(data: Mapping[str, Any], path: Path | str) -> None:
    write_text(json.dumps(data, ensure_ascii=False, indent=2), path)


def write_text(text: str, path: Path | str) -> None:
    """An export, never half-written."""
    target = Path(path)
    try:
        write_atomically(target, text)
    except OSError as exc:
        raise HistoryError(
            say(
                f"« {target} » n'a pas pu être écrit ({exc.strerror}) : choisissez un autre "
                "dossier.",
                f"“{target}” could not be written ({exc.strerror}): choose another folder.",
            )
        ) from exc


def read_json(path: Path | str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryError(
            say(
                f"« {Path(path).name} » n'est pas un fichier JSON lisible : "
                "choisissez un fichier exporté par Vigogne Desktop.",
                f"“{Path(path).name}” is not a "
                "readable JSON file: choose a file exported by "
                "Vigogne Desktop.",
            )
        ) from exc


def default_path(folder: Path) -> Path:
    return folder / "history.sqlite3"
