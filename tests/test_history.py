"""The SQLite history: migrations, the message tree, search, export/import, crash safety."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vigogne_desktop.core.history import (
    HIT_END,
    HIT_START,
    SCHEMA_VERSION,
    History,
    HistoryError,
    read_json,
    title_from,
    write_json,
)


@pytest.fixture
def history(tmp_path: Path) -> History:
    return History(tmp_path / "history.sqlite3")


def chat(history: History, *turns: str) -> int:
    """A conversation alternating user and assistant turns; returns its id."""
    cid = history.create_conversation().id
    parent = None
    for number, text in enumerate(turns):
        role = "user" if number % 2 == 0 else "assistant"
        parent = history.add_message(cid, role, text, parent_id=parent).id
    return cid


def test_database_is_wal_with_the_current_schema(history: History) -> None:
    db = sqlite3.connect(history.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"conversations", "messages", "message_index", "title_index"} <= tables


def test_a_database_from_a_newer_app_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    History(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(HistoryError, match="plus récente"):
        History(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_damaged_file_is_kept_aside_and_a_new_history_starts(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    history = History(path)
    assert history.recovered_from is not None
    assert history.recovered_from.read_bytes().startswith(b"not a database")
    assert history.conversations() == []


def test_title_comes_from_the_first_question_and_can_be_renamed(history: History) -> None:
    cid = chat(history, "Quelle est la capitale de l'Italie ?\nMerci", "Rome.")
    assert history.conversation(cid).title == "Quelle est la capitale de l'Italie ?"
    history.add_message(cid, "user", "Et de l'Espagne ?", parent_id=history.shown(cid)[-1].id)
    assert history.conversation(cid).title == "Quelle est la capitale de l'Italie ?"
    history.rename(cid, "Capitales")
    assert history.conversation(cid).title == "Capitales"
    long = title_from("mot " * 40)
    assert len(long) <= 61 and long.endswith("…") and not long.startswith(" ")


def test_regenerate_and_edit_keep_every_version_reachable(history: History) -> None:
    cid = chat(history, "Bonjour", "Salut !", "Une couleur ?", "Bleu.")
    question, first_reply = history.shown(cid)[2:]
    # Regenerate: a sibling of the last reply.
    history.show_parent_of(cid, first_reply.id)
    history.add_message(cid, "assistant", "Rouge.", parent_id=question.id)
    shown = history.shown(cid)
    assert [m.content for m in shown] == ["Bonjour", "Salut !", "Une couleur ?", "Rouge."]
    assert shown[-1].siblings == (first_reply.id, shown[-1].id) and shown[-1].version == 2
    history.show_version(cid, first_reply.id)
    assert history.shown(cid)[-1].content == "Bleu."
    # Edit the first question: everything after it is a new branch; the old one stays.
    history.show_parent_of(cid, shown[0].id)
    edited = history.add_message(cid, "user", "Bonsoir", parent_id=None)
    history.add_message(cid, "assistant", "Bonne soirée !", parent_id=edited.id)
    assert [m.content for m in history.shown(cid)] == ["Bonsoir", "Bonne soirée !"]
    history.show_version(cid, shown[0].id)
    # Back on the first branch, its latest reply version is shown.
    assert [m.content for m in history.shown(cid)][-1] == "Rouge."
    assert history.count_messages(cid) == 7


def test_search_ignores_accents_highlights_hits_and_skips_deleted(history: History) -> None:
    summer = chat(history, "Parle-moi de l'été à Marseille", "Il fait chaud en été.")
    chat(history, "Recette de crêpes", "Farine, œufs, lait.")
    hits = history.search("ete")
    assert {h.conversation_id for h in hits} == {summer}
    message_hits = [h for h in hits if h.message_id is not None]
    assert len(message_hits) == 2
    assert all(f"{HIT_START}été{HIT_END}" in h.snippet for h in message_hits)
    title_hits = [h for h in hits if h.message_id is None]
    assert title_hits and HIT_START in title_hits[0].snippet
    assert history.search("crep") and not history.search("crepes marseille")
    assert history.search('"') == [] and history.search("   ") == []
    history.delete(summer)
    assert history.search("été") == []
    assert [c.id for c in history.conversations()] != [summer]
    history.restore(summer)
    assert history.search("été")
    history.delete(summer)
    assert history.purge_deleted() == 1
    assert history.search("Marseille") == []


def test_pinned_conversations_come_first(history: History) -> None:
    older = chat(history, "Première")
    chat(history, "Seconde")
    history.set_pinned(older, True)
    assert history.conversations()[0].id == older


def test_export_and_import_round_trip_every_version(history: History, tmp_path: Path) -> None:
    cid = chat(history, "Bonjour", "Salut !")
    reply = history.shown(cid)[-1]
    history.show_parent_of(cid, reply.id)
    history.add_message(cid, "assistant", "Bonjour à vous.", parent_id=reply.parent_id)
    history.update_settings(cid, {"temperature": 0.7, "system": "Sois bref."})
    path = tmp_path / "export.json"
    write_json(history.export_json(cid), path)
    (new_id,) = history.import_json(read_json(path))
    assert [m.content for m in history.shown(new_id)] == ["Bonjour", "Bonjour à vous."]
    assert history.shown(new_id)[-1].version == 2
    assert history.conversation(new_id).settings == {"temperature": 0.7, "system": "Sois bref."}
    markdown = history.export_markdown(cid)
    assert markdown.startswith("# Bonjour\n") and "## Vigogne\n\nBonjour à vous." in markdown
    assert "Salut !" not in markdown  # only what is shown

    everything = history.export_all()
    assert len(everything["conversations"]) == 2
    assert len(history.import_json(everything)) == 2
    assert len(history.conversations()) == 4


@pytest.mark.parametrize(
    "data",
    [
        {"hello": 1},
        [1, 2],
        {"format": "vigogne-desktop.conversation", "version": 1, "messages": "x"},
        {
            "format": "vigogne-desktop.conversation",
            "version": 1,
            "messages": [{"id": 1, "role": "robot", "content": "?"}],
        },
        {
            "format": "vigogne-desktop.conversation",
            "version": 1,
            "messages": [{"id": 1, "parent": 9, "role": "user", "content": "?"}],
        },
        {"format": "vigogne-desktop.conversation", "version": 99, "messages": []},
    ],
)
def test_a_bad_import_says_so_and_adds_nothing(history: History, data: object) -> None:
    chat(history, "Bonjour")
    with pytest.raises(HistoryError) as info:
        history.import_json(data)
    assert "\n" not in str(info.value) and str(info.value).endswith(".")
    assert len(history.conversations()) == 1


def test_unreadable_json_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff{not json")
    with pytest.raises(HistoryError, match="pas un fichier JSON lisible"):
        read_json(bad)


def test_a_reply_streaming_when_the_app_dies_is_kept_as_unfinished(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from vigogne_desktop.core.history import History
        h = History({str(path)!r})
        cid = h.create_conversation().id
        q = h.add_message(cid, "user", "Raconte", parent_id=None)
        r = h.add_message(cid, "assistant", "", parent_id=q.id, status="streaming")
        h.update_message(r.id, "Il était une fois")
        print("written", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, env=os.environ.copy()
    )
    assert child.stdout is not None and child.stdout.readline() == b"written\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    history = History(path, recover=True)  # the app's first connection recovers
    (conv,) = history.conversations()
    reply = history.shown(conv.id)[-1]
    assert (reply.content, reply.status) == ("Il était une fois", "unfinished")
    exported = json.dumps(history.export_json(conv.id))
    assert "unfinished" in exported


def test_the_writer_applies_updates_in_order_and_flushes(tmp_path: Path) -> None:
    from vigogne_desktop.core.history_writer import HistoryWriter

    path = tmp_path / "h.sqlite3"
    history = History(path, checkpoints=False)
    cid = history.create_conversation().id
    reply = history.add_message(cid, "user", "Bonjour", parent_id=None)
    errors: list[str] = []
    writer = HistoryWriter(path, errors.append)
    for n in range(1, 200):
        writer.update_message(reply.id, "x" * n)
    writer.update_message(reply.id, "fin", status="stopped", meta={"tokens": 3})
    writer.flush()
    saved = history.message(reply.id)
    assert (saved.content, saved.status, saved.meta) == ("fin", "stopped", {"tokens": 3})
    writer.update_message(reply.id, "après")
    writer.close()  # pending writes are finished before it stops
    assert history.message(reply.id).content == "après" and not errors
