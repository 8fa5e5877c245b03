"""Opening the history file: versioned migrations, and telling real damage from a busy file.

Only real corruption (SQLite says CORRUPT or NOTADB, confirmed by `PRAGMA quick_check`
where it can run) moves a file aside, together with its -wal and -shm. A file that is
locked, busy, read-only or behind an I/O error is never touched: the user gets one
sentence and can try again.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

from converters.messages import say

from .records import HistoryBusy, HistoryError

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
    # 2: what a large history needs (measured in bench/history_scale.py, 500,000 messages).
    # A message's versions are looked up by conversation and parent: through the parent
    # index alone, the first message's versions meant reading every conversation's first
    # message (17 ms to open a conversation of 10). The replies left streaming are found at
    # start without reading every message (220 ms warm, the whole file from a cold disk).
    """
    CREATE INDEX messages_by_place ON messages(conversation_id, parent_id, id);
    CREATE INDEX messages_streaming ON messages(id) WHERE status = 'streaming';
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
# The companions SQLite keeps beside a database in WAL mode; they belong to its name.
COMPANIONS = ("-wal", "-shm")


class _Damaged(Exception):
    """The file is not a sound database; its companions are already copied to `aside`."""

    def __init__(self, aside: Path) -> None:
        super().__init__(str(aside))
        self.aside = aside


def open_database(
    path: Path, *, checkpoints: bool, recover: bool, busy_timeout_s: float
) -> tuple[sqlite3.Connection, Path | None]:
    """A connection to the history at `path`, and where a damaged file was moved, if one was."""
    try:
        return _connect(path, checkpoints, recover, busy_timeout_s), None
    except _Damaged as damaged:
        # Never delete what the user had: keep the damaged file next to a fresh one.
        aside = damaged.aside
        path.replace(aside)
        for suffix in COMPANIONS:  # a fresh database must not pick up the old WAL
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    except sqlite3.DatabaseError as exc:
        raise _unusable(path, exc) from exc
    try:
        return _connect(path, checkpoints, recover, busy_timeout_s), aside
    except (sqlite3.DatabaseError, _Damaged) as again:
        raise _unusable(path, sqlite3.DatabaseError(str(again))) from again


def _copy_companions(path: Path, aside: Path) -> None:
    """Copy the -wal and -shm beside the aside name: closing SQLite's last connection deletes
    them, and a WAL may hold the user's latest messages."""
    for suffix in COMPANIONS:
        source = path.with_name(path.name + suffix)
        if source.exists():
            shutil.copy2(source, aside.with_name(aside.name + suffix))


def _error_code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code


def _is_damaged(path: Path, exc: sqlite3.DatabaseError) -> bool:
    """True only when SQLite itself says the file is not a sound database."""
    code = _error_code(exc)
    if code == sqlite3.SQLITE_NOTADB:
        return True  # not even a header SQLite recognises: quick_check cannot run
    if code != sqlite3.SQLITE_CORRUPT:
        return False
    try:
        with sqlite3.connect(path, timeout=1) as probe:
            verdict = probe.execute("PRAGMA quick_check").fetchone()
        return not verdict or verdict[0] != "ok"
    except sqlite3.DatabaseError as check:
        return _error_code(check) in _DAMAGED


def _unusable(path: Path, exc: sqlite3.Error) -> HistoryError:
    """One sentence for a history that cannot be opened now, its file left as it is."""
    code = _error_code(exc)
    if code in _BUSY:
        return HistoryBusy(
            say(
                "L'historique est utilisé par un autre programme (une autre fenêtre de Vigogne "
                "Desktop ou une sauvegarde en cours) : fermez-le, puis réessayez.",
                "The history is in use by another program (another Vigogne Desktop window or a "
                "backup in progress): close it, then try again.",
            )
        )
    if code == sqlite3.SQLITE_READONLY:
        return HistoryError(
            say(
                f"L'historique « {path} » est en lecture seule : rendez le fichier et son "
                "dossier modifiables, puis réessayez.",
                f"The history “{path}” is read-only: make the file and its folder writable, "
                "then try again.",
            )
        )
    return HistoryError(
        say(
            f"L'historique « {path} » ne peut pas être ouvert ({exc}) : vérifiez le disque et "
            "que vous pouvez écrire dans ce dossier, puis réessayez.",
            f"The history “{path}” cannot be opened ({exc}): check the disk and that you can "
            "write in that folder, then try again.",
        )
    )


def _connect(
    path: Path, checkpoints: bool, recover: bool, busy_timeout_s: float
) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HistoryError(
            say(
                f"Le dossier de l'historique « {path.parent} » ne peut pas être créé "
                f"({exc.strerror}) : choisissez un dossier où vous pouvez écrire.",
                f"The history folder “{path.parent}” cannot be created ({exc.strerror}): "
                "choose a folder you can write in.",
            )
        ) from exc
    db = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if not checkpoints:
            db.execute("PRAGMA wal_autocheckpoint = 0")
        _migrate(db)
        if recover:
            # Replies that were streaming when the app last stopped will never finish.
            db.execute("UPDATE messages SET status = 'unfinished' WHERE status = 'streaming'")
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(f"{path.name}.damaged-{int(time.time())}")
        damaged = _is_damaged(path, exc)
        if damaged:
            _copy_companions(path, aside)
        db.close()
        if damaged:
            raise _Damaged(aside) from exc
        raise
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            say(
                "L'historique a été écrit par une version plus récente de Vigogne Desktop : "
                "mettez l'application à jour.",
                "The history was written by a newer version of Vigogne Desktop: update the app.",
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
