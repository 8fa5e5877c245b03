"""The history is never moved aside by mistake: busy is not damaged, and the writer never hangs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from converters.messages import LANGUAGE_VARIABLE
from vigogne_desktop.core.history import History, HistoryBusy, HistoryError
from vigogne_desktop.core.history_writer import HistoryWriter

HOLD = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    db.execute("UPDATE conversations SET title = 'held'")
    print("held", flush=True)
    sys.stdin.readline()
    db.execute("ROLLBACK")
    """
)


def saved_history(path: Path) -> None:
    with History(path) as history:
        cid = history.create_conversation().id
        question = history.add_message(cid, "user", "Raconte", parent_id=None)
        history.add_message(cid, "assistant", "Il était", parent_id=question.id, status="streaming")


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A history that another process holds in an exclusive transaction (a backup, a second app)."""
    path = tmp_path / "history.sqlite3"
    saved_history(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    yield path
    assert holder.stdin is not None
    holder.stdin.write(b"done\n")
    holder.stdin.close()
    holder.wait(timeout=10)


def test_a_history_held_by_another_process_is_busy_and_never_moved_aside(held: Path) -> None:
    before = sorted(p.name for p in held.parent.iterdir())
    with pytest.raises(HistoryBusy, match="autre programme"):
        History(held, recover=True, busy_timeout_s=0.2)
    assert sorted(p.name for p in held.parent.iterdir()) == before  # nothing renamed
    # A reader still reads it meanwhile, and a write says "busy" in one sentence.
    with History(held, busy_timeout_s=0.2) as reader:
        (conv,) = reader.conversations()
        with pytest.raises(HistoryBusy):
            reader.rename(conv.id, "pendant la sauvegarde")


def test_once_released_the_same_history_opens_with_everything(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    saved_history(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    # The user retries once the other program lets go: the wait covers it.
    threading.Timer(0.3, lambda: holder.communicate(b"done\n")).start()
    with History(path, recover=True, busy_timeout_s=10) as history:
        assert history.recovered_from is None
        (conv,) = history.conversations()
        assert [m.content for m in history.shown(conv.id)] == ["Raconte", "Il était"]
    holder.wait(timeout=10)


def test_real_damage_moves_the_file_aside_with_its_wal_and_shm(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).write_bytes(b"stale " + suffix.encode())
    history = History(path)
    assert history.recovered_from is not None
    aside = history.recovered_from
    assert aside.read_bytes().startswith(b"not a database")
    assert aside.with_name(aside.name + "-wal").read_bytes() == b"stale -wal"
    assert aside.with_name(aside.name + "-shm").exists()  # SQLite's index of the WAL
    assert (
        not path.with_name(path.name + "-wal").exists()
        or path.with_name(path.name + "-wal").read_bytes() != b"stale -wal"
    )
    cid = history.create_conversation().id  # the fresh history works (no stale WAL under it)
    assert history.conversation(cid).id == cid


def test_a_corrupted_page_is_confirmed_by_quick_check_and_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with History(path) as history:
        cid = history.create_conversation().id
        parent = None
        for n in range(300):
            parent = history.add_message(cid, "user", f"message {n} " * 20, parent_id=parent).id
        history.write("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page:] = b"\xa5" * (len(data) - page)  # every page past the schema's
    path.write_bytes(bytes(data))
    history = History(path, recover=True)
    assert history.recovered_from is not None
    assert history.conversations() == []


def test_only_the_recovering_connection_ends_streaming_replies(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    saved_history(path)
    with History(path) as reader:  # a background reader, opened while a reply streams
        (conv,) = reader.conversations()
        assert reader.shown(conv.id)[-1].status == "streaming"
    with History(path, recover=True) as first:
        assert first.shown(conv.id)[-1].status == "unfinished"


def test_an_unopenable_history_is_one_english_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LANGUAGE_VARIABLE, "en")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(HistoryError) as caught:
        History(blocker / "history.sqlite3")
    message = str(caught.value)
    assert "{" not in message and "cannot be created" in message, message
    assert blocker.read_text() == "not a folder"


def test_a_writer_that_cannot_open_its_history_says_so_and_never_blocks(tmp_path: Path) -> None:
    errors: list[str] = []
    folder = tmp_path / "a-folder"
    folder.mkdir()
    writer = HistoryWriter(folder, errors.append)  # a folder is no database
    writer.update_message(1, "perdu")
    done = threading.Event()

    def flush_and_close() -> None:
        writer.flush()
        writer.close()
        done.set()

    threading.Thread(target=flush_and_close, daemon=True).start()
    assert done.wait(5), "flush() waited forever on a dead writer"
    assert len(errors) == 1 and "historique" in errors[0]


def test_a_process_that_fails_after_starting_a_writer_still_exits(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from vigogne_desktop.core.history_writer import HistoryWriter
        HistoryWriter(Path({str(tmp_path / "h.sqlite3")!r}), print)
        raise SystemExit(3)  # as when the window fails half-built
        """
    )
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", script], timeout=20, env=os.environ.copy())
    assert result.returncode == 3 and time.monotonic() - started < 20


def test_the_app_on_a_held_history_says_so_in_one_sentence_and_touches_nothing(
    held: Path,
) -> None:
    def history_files() -> list[str]:
        return sorted(p.name for p in held.parent.iterdir() if p.name.startswith(held.name))

    before = history_files()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "VIGOGNE_DESKTOP_HOME": str(held.parent),
    }
    result = subprocess.run(
        [sys.executable, "-m", "vigogne_desktop", "--model", str(held.parent / "absent.gguf")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "another program" in line or "autre programme" in line  # the system's language
    assert "Traceback" not in result.stderr
    assert history_files() == before
