"""The history at scale: the indexes migration 2 adds (on an old store, its data kept), the
queries that use them, search ranked among the newest matches, the sidebar's list model."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from test_history import chat

from vigogne_desktop.core.history import MIGRATIONS, SCHEMA_VERSION, History
from vigogne_desktop.core.history import search as history_search
from vigogne_desktop.ui.models import ConversationListModel, ConversationRole, HeaderRole


def plan(db: sqlite3.Connection, sql: str, args: tuple[object, ...]) -> str:
    return " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", args))


def version_1_store(path: Path) -> None:
    """A history as the first schema left it: two conversations, one message in
    two versions, a reply that was streaming when the app stopped."""
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    now = time.time()
    db.executemany(
        "INSERT INTO conversations (id, title, created, updated, leaf_id) VALUES (?, ?, ?, ?, ?)",
        [(1, "Le fromage", now, now, 4), (2, "Les trains", now, now + 1, 5)],
    )
    db.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, created) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (1, 1, None, "user", "Quel fromage pour l'été ?", "complete", now),
            (2, 1, 1, "assistant", "Un comté affiné.", "complete", now),
            (3, 1, 1, "assistant", "Un chèvre frais.", "complete", now),
            (4, 1, 3, "user", "Et avec quel vin ?", "complete", now),
            (5, 2, None, "user", "Les trains de nuit ?", "streaming", now),
        ],
    )
    db.close()


def test_migration_2_adds_the_indexes_to_an_old_store_and_keeps_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    version_1_store(path)
    with History(path, recover=True) as history:
        assert [c.title for c in history.conversations()] == ["Les trains", "Le fromage"]
        shown = history.shown(1)
        assert [m.content for m in shown] == [
            "Quel fromage pour l'été ?",
            "Un chèvre frais.",
            "Et avec quel vin ?",
        ]
        assert shown[1].siblings == (2, 3) and shown[1].version == 2
        assert history.message(5).status == "unfinished"  # recovery still ends it
        assert [h.message_id for h in history.search("ete")] == [1]  # the old index answers
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"messages_by_place", "messages_streaming"} <= indexes
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_versions_and_replies_left_streaming_are_found_through_an_index(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as history:
        chat(history, "Bonjour", "Bonjour !")
        db = sqlite3.connect(history.path)
    # The first message's versions: the parent index alone would read every conversation's
    # first message (parent NULL) to keep this conversation's.
    siblings = plan(
        db,
        "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
        (1, None),
    )
    assert "USING COVERING INDEX messages_by_place" in siblings
    assert "TEMP B-TREE" not in siblings
    recovery = plan(db, "UPDATE messages SET status = 'unfinished' WHERE status = 'streaming'", ())
    assert recovery == "SCAN messages USING INDEX messages_streaming"


def test_versions_are_counted_within_their_own_conversation(tmp_path: Path) -> None:
    """Every conversation's first message has no parent: its versions are its own only."""
    with History(tmp_path / "h.sqlite3") as history:
        first = chat(history, "Première question", "Réponse")
        second = chat(history, "Autre question", "Autre réponse")
        question = history.shown(first)[0]
        history.show_parent_of(first, question.id)
        edited = history.add_message(first, "user", "Question corrigée", parent_id=None)
        assert edited.siblings == (question.id, edited.id)
        assert [m.siblings for m in history.shown(first)] == [(question.id, edited.id)]
        assert [len(m.siblings) for m in history.shown(second)] == [1, 1]


def bm25_order(db_path: Path, words: str) -> list[int]:
    """The message ids of a search ranked by bm25 over every match (the ranking before)."""
    db = sqlite3.connect(db_path)
    query = history_search.fts_query(words)
    return [
        r[0]
        for r in db.execute(
            "SELECT rowid FROM message_index WHERE message_index MATCH ? ORDER BY rank", (query,)
        )
    ]


@pytest.fixture
def cats(tmp_path: Path) -> History:
    """Eight messages about cats, the oldest the most relevant (the word said most often,
    in the shortest text), in a history with a deleted conversation and other words."""
    history = History(tmp_path / "h.sqlite3")
    for n in range(8):
        text = " ".join(["chat"] * (8 - n) + ["et", "autre", "chose"] * n)
        chat(history, f"Question {n}", text)
    chat(history, "Les chiens", "Un chien fidèle.")
    history.delete(chat(history, "Oublié", "chat chat chat chat chat chat chat chat chat"))
    return history


def test_a_search_with_few_matches_is_ranked_as_before(cats: History) -> None:
    hits = cats.search("chat")
    expected = [m for m in bm25_order(cats.path, "chat") if cats.message(m).conversation_id != 10]
    assert [h.message_id for h in hits] == expected
    assert len(hits) == 8


def test_a_common_word_is_ranked_among_its_newest_matches_only(
    cats: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_search, "RANKED", 5, raising=False)
    hits = cats.search("chat")
    # The five newest matches (the deleted conversation's among them, then left out), by
    # relevance: the oldest, most relevant messages are not ranked at all.
    newest = sorted(bm25_order(cats.path, "chat"), reverse=True)[:5]
    expected = [m for m in bm25_order(cats.path, "chat") if m in newest]
    assert [h.message_id for h in hits] == [m for m in expected if m != 20]
    assert [cats.message(h.message_id).content.count("chat") for h in hits] == [4, 3, 2, 1]
    assert len(cats.search("chat", limit=2)) == 2


def test_titles_are_ranked_among_their_newest_matches_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_search, "RANKED", 2, raising=False)
    with History(tmp_path / "h.sqlite3") as history:
        ids = [chat(history, f"Recette {n} de crêpes", "Farine, œufs, lait.") for n in range(4)]
        titled = [h.conversation_id for h in history.search("crepes") if h.message_id is None]
        assert sorted(titled) == ids[-2:]


def test_the_list_reads_every_field_in_order(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as history:
        older = history.create_conversation("Ancienne", {"system": "Sois bref."})
        newer = chat(history, "Nouvelle question")
        history.set_pinned(older.id, True)
        listed = history.conversations()
        assert [c.id for c in listed] == [older.id, newer]
        assert listed[0] == history.conversation(older.id)
        assert listed[0].settings == {"system": "Sois bref."}
        assert listed[0].pinned is True and listed[0].title_is_auto is False
        assert listed[1].title == "Nouvelle question" and listed[1].title_is_auto is True
        assert listed[1].leaf_id == history.shown(newer)[0].id


def test_the_sidebar_model_groups_by_day_and_finds_rows(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as history:
        ids = [history.create_conversation(f"Conversation {n}").id for n in range(5)]
        day = 86400
        for cid, age in zip(ids, (0, 0, 1, 40, 40), strict=True):
            history.write(
                "UPDATE conversations SET updated = ? WHERE id = ?", (time.time() - age * day, cid)
            )
        history.set_pinned(ids[4], True)
        model = ConversationListModel()
        model.set_conversations(history.conversations())
    rows = [model.index(r) for r in range(model.rowCount())]
    headers = [i.data() for i in rows if i.data(HeaderRole)]
    assert headers[:3] == ["Pinned", "Today", "Yesterday"] and len(headers) == 4
    for cid in ids:
        assert model.index(model.row_of(cid)).data(ConversationRole).id == cid
    assert model.row_of(999) == -1
    assert rows[0].data(ConversationRole) is None and rows[0].data(HeaderRole) is True
    model.set_conversations([])
    assert model.row_of(ids[0]) == -1
