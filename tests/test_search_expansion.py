"""A longer word searched in messages as the OR of the indexed words it begins (read in
the index's vocabulary, newest first, stopping early): the same hits as its prefix query."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_history import chat

from vigogne_desktop.core.history import History
from vigogne_desktop.core.history.search import (
    EXPANDED,
    fts_query,
    indexed_form,
    message_query,
)

TEXTS = (
    "Le problème du programme : une erreur de mémoire.",
    "Les programmes professionnels prouvent que le modèle marche.",
    "Pourquoi ce fichier ? Pour la mémorisation des modèles.",
    "Propos d'un professeur sur l'œuvre, des fichiers et des mémoires.",
    "Erreur mémoire : le fichier est trop grand pour la RAM.",
    "Œuvre complète, l'été dernier, à Marseille.",
)
WORDS = ("pro", "PRO", "prog", "que", "pour", "modele", "modèle", "des", "fich", "mem", "zzz")
OTHERS = ("erreur mém", "le fich", "mém", "l'été", "œuv", "ete mars", "f", "fi prob", "professeurs")
QUERIES = WORDS + OTHERS


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    history = History(tmp_path / "h.sqlite3")
    for number in range(0, len(TEXTS), 2):
        chat(history, *TEXTS[number : number + 2])
    history.close()
    connection = sqlite3.connect(tmp_path / "h.sqlite3", isolation_level=None)
    connection.row_factory = sqlite3.Row
    return connection


def matches(db: sqlite3.Connection, query: str) -> set[int]:
    if not query:
        return set()
    rows = db.execute("SELECT rowid FROM message_index WHERE message_index MATCH ?", (query,))
    return {row[0] for row in rows}


@pytest.mark.parametrize("text", QUERIES)
def test_the_expansion_finds_what_the_prefix_query_finds(db: sqlite3.Connection, text: str) -> None:
    prefix = fts_query(text, short_whole=True)
    assert matches(db, message_query(db, text)) == matches(db, prefix)


def test_the_searches_find_the_same_messages_as_before(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    for number in range(0, len(TEXTS), 2):
        chat(history, *TEXTS[number : number + 2])
    for text in QUERIES:
        found = {h.message_id for h in history.search(text) if h.message_id}
        assert found == matches(history._db, fts_query(text, short_whole=True)), text
    history.close()


def test_a_word_becomes_the_or_of_the_indexed_words_it_begins(db: sqlite3.Connection) -> None:
    assert message_query(db, "Fich") == '("fichier" OR "fichiers")'
    assert message_query(db, "le mém") == '"le" AND ("memoire" OR "memoires" OR "memorisation")'
    assert message_query(db, "zzz") == ""  # no word begins so: nothing to look for
    # What the tokenizer might split or fold otherwise stays a prefix query.
    assert indexed_form("Été") == "ete" and indexed_form("œuv") is None
    assert message_query(db, "l'été") == '"l\'été"*'


def test_nothing_is_written_to_the_history_file(db: sqlite3.Connection) -> None:
    before = db.execute("SELECT * FROM sqlite_master").fetchall()
    message_query(db, "prog")
    assert db.execute("SELECT * FROM sqlite_master").fetchall() == before
    assert db.execute("SELECT name FROM temp.sqlite_master").fetchall()[0][0] == "message_words"


def test_beyond_expanded_words_the_query_stays_a_prefix(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    words = " ".join(f"abc{n}" for n in range(EXPANDED + 1))
    chat(history, "Des mots", words, "Encore", "abc7 seulement")
    assert message_query(history._db, "abc") == '"abc"*'
    assert len([h for h in history.search("abc") if h.message_id]) == 2
    assert message_query(history._db, "abc50") == '("abc50" OR "abc500")'
    history.close()
