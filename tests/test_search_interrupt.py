"""A new search stops the one still running (one reader, interrupted): that one ends with no
result and nothing on screen, the newest shows its hits."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from PySide6.QtCore import QThreadPool

from vigogne_desktop.core.history import History, HistoryError, Searcher, SearchInterrupted
from vigogne_desktop.core.history_writer import HistoryWriter
from vigogne_desktop.core.settings import AppSettings
from vigogne_desktop.ui.conversation_actions import ConversationActions
from vigogne_desktop.ui.models import ConversationListModel, MessageListModel
from vigogne_desktop.ui.session import Session

# Every word a phrase of its own, each ANDed with all the others and weighed by bm25 over
# 3,000 messages: several seconds of SQLite's work (a long text pasted into the search box).
SLOW = " ".join(["le chat"] * 400)


def store(path: Path) -> None:
    """3,000 messages with « le chat », one in a hundred with « chien » too."""
    history = History(path)
    cid = history.create_conversation().id
    history.close()
    db = sqlite3.connect(path)  # one transaction
    db.executemany(
        "INSERT INTO messages (conversation_id, parent_id, role, content, status, created, meta) "
        "VALUES (?, NULL, 'user', ?, 'complete', 0, '{}')",
        [(cid, f"le chat {n}" + (" et le chien" if n % 100 == 0 else "")) for n in range(3000)],
    )
    db.commit()
    db.close()


def test_a_new_search_interrupts_the_one_still_running(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "h.sqlite3"
    store(path)
    history = History(path)
    writer = HistoryWriter(path, print)
    actions = ConversationActions(
        Session(AppSettings()), history, writer, ConversationListModel(), MessageListModel()
    )
    shown: list[list[object]] = []
    said: list[str] = []
    actions.hits.connect(shown.append)
    actions.status.connect(said.append)
    try:
        actions.search(SLOW)
        time.sleep(0.5)  # the slow search is in SQLite by now
        actions.search("chien")
        qtbot.waitUntil(lambda: bool(shown), timeout=3000)
        # The slow search stopped: the pool is idle, not still working on it for seconds.
        assert QThreadPool.globalInstance().waitForDone(2000)
        assert len(shown) == 1 and len(shown[0]) == 30
        assert said == []  # a search replaced is no error
    finally:
        actions.close()
        writer.close()
        history.close()


def test_an_interrupt_with_no_search_running_spares_the_next_one(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store(path)
    searcher = Searcher(path)
    searcher.interrupt()
    assert len(searcher.find("chien")) == 30
    searcher.close()
    try:
        searcher.find("chien")
    except SearchInterrupted:
        pass
    else:
        raise AssertionError("a closed searcher searched")


def test_a_missing_history_is_an_error_not_a_new_file(tmp_path: Path) -> None:
    try:
        Searcher(tmp_path / "none.sqlite3")
    except HistoryError as exc:
        assert "none.sqlite3" in str(exc)
    else:
        raise AssertionError("a missing history opened")
    assert not (tmp_path / "none.sqlite3").exists()
