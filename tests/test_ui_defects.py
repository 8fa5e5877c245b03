"""Defects of the window found in review: jobs that never end, a dialog on the wrong
thread, model text that breaks or steers the chat view, a start that hangs on failure."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QGuiApplication, QTextCursor, QTextDocument
from PySide6.QtWidgets import QMessageBox, QWidget

from vigogne_desktop.core.errors import ModelFileError
from vigogne_desktop.core.history import Message
from vigogne_desktop.ui.app import report_unexpected_errors
from vigogne_desktop.ui.background import run_in_background
from vigogne_desktop.ui.chat_view import MessageWidget
from vigogne_desktop.ui.message_parts import CodeBlock, MarkdownLabel


def unexpected(error: str, home: Path) -> str:
    return (
        f"Something went wrong ({error}). Your conversations are safe; the details are in "
        f"{home / 'errors.log'}."
    )


class Owner(QObject):
    """Stands for the window: the two callbacks a background job ends in."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[tuple[str, object]] = []

    def done(self, result: object) -> None:
        self.ends.append(("done", result))

    def failed(self, message: str) -> None:
        self.ends.append(("failed", message))


def test_every_background_job_ends_in_a_result_or_one_sentence(qtbot, home: Path) -> None:  # type: ignore[no-untyped-def]
    def failing(error: Exception) -> Callable[[], object]:
        def read_history() -> object:
            raise error

        return read_history

    jobs: list[Callable[[], object]] = [
        lambda: 42,
        failing(ModelFileError("The file is not a GGUF model.")),
        failing(OSError(28, "No space left on device")),
        failing(sqlite3.OperationalError("disk I/O error")),
    ]
    owner = Owner()
    for job in jobs:
        run_in_background(owner, job, owner.done, owner.failed)
    qtbot.waitUntil(lambda: len(owner.ends) == len(jobs), timeout=5000)
    assert sorted(owner.ends, key=str) == sorted(
        [
            ("done", 42),
            ("failed", "The file is not a GGUF model."),
            ("failed", unexpected("OSError", home)),
            ("failed", unexpected("OperationalError", home)),
        ],
        key=str,
    )
    log = (home / "errors.log").read_text(encoding="utf-8")
    assert "No space left on device" in log and "disk I/O error" in log
    assert "read_history" in log  # the traceback, not only the message
    assert "The file is not a GGUF model." not in log  # a user's error is no bug


def crash() -> None:
    raise ZeroDivisionError("division by zero")


class Broken(QObject):
    """A worker on a QThread of its own, as the engine's, whose slot has a bug."""

    @Slot()
    def work(self) -> None:
        crash()


def test_a_job_whose_owner_is_gone_ends_quietly(qtbot) -> None:  # type: ignore[no-untyped-def]
    # The window closes while a history read runs: the answer has nobody to go to, and must
    # not raise on the pool's thread ("Signal source has been deleted").
    from PySide6.QtCore import QThreadPool
    from shiboken6 import delete

    owner = QObject()
    release = threading.Event()
    heard: list[object] = []
    run_in_background(owner, lambda: release.wait(5), heard.append, heard.append)
    delete(owner)
    release.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(50)  # pytest-qt fails this test if the pool thread raised
    assert heard == []


@pytest.mark.parametrize("where", ["python thread", "qt thread"])
def test_an_error_on_another_thread_is_shown_on_the_gui_thread(  # type: ignore[no-untyped-def]
    qtbot, home: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    shown: list[tuple[str, bool]] = []

    def warning(_parent: QWidget | None, _title: str, text: str) -> None:
        shown.append((text, threading.current_thread() is threading.main_thread()))

    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    window = QWidget()
    qtbot.addWidget(window)
    report_unexpected_errors(window)

    if where == "python thread":
        thread = threading.Thread(target=crash, name="history-writer")
        thread.start()
        thread.join()
    else:
        worker_thread = QThread()
        worker = Broken()
        worker.moveToThread(worker_thread)

        class Trigger(QObject):
            fire = Signal()

        trigger = Trigger()
        trigger.fire.connect(worker.work)
        worker_thread.start()
        trigger.fire.emit()
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
        worker_thread.quit()
        worker_thread.wait()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == [(unexpected("ZeroDivisionError", home), True)]
    assert "in crash" in (home / "errors.log").read_text(encoding="utf-8")


def message(content: str) -> Message:
    return Message(1, 1, None, "assistant", content, "done", 0.0)


def rendered(widget: MessageWidget) -> QTextDocument:
    """What the user reads of a message's Markdown (not its code blocks), as drawn."""
    document = QTextDocument()
    document.setHtml("".join(label.text() for label in widget.findChildren(MarkdownLabel)))
    return document


def test_links_written_by_the_model_do_nothing_but_the_code_copy_button_copies(qtbot) -> None:  # type: ignore[no-untyped-def]
    code = 'print("bonjour")'
    widget = MessageWidget(
        message(
            f"Voici :\n\n```python\n{code}\n```\n\n"
            "[Cliquez](copy:9:9) [ici](copy:0:7) [là](copy:x) [ou](https://example.org)"
        )
    )
    qtbot.addWidget(widget)
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("avant")
    labels = widget.findChildren(MarkdownLabel)
    for link in ("copy:9:9", "copy:0:7", "copy:0:0", "https://example.org", "x:"):
        for label in labels:
            label.linkActivated.emit(link)  # what a click on the link does
        assert clipboard.text() == "avant"
    (block,) = widget.findChildren(CodeBlock)
    block.copy_button.click()  # the button in the code block's header
    assert clipboard.text() == code


def test_raw_html_from_the_model_is_shown_as_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    html = [
        "<b>gras</b>",
        '<img src="file:///etc/hosts">',
        '<a href="https://example.org">lien</a>',
        "<script>alert(1)</script>",
        '<div style="color:red">bloc</div>',
    ]
    text = f"Du **Markdown** et {html[0]}, {html[1]}, {html[2]}.\n\n" + "\n\n".join(html[3:])
    widget = MessageWidget(message(text))
    qtbot.addWidget(widget)
    shown = rendered(widget).toPlainText()
    for tag in html:
        assert tag in shown
    assert "Du Markdown et" in shown  # Markdown itself still renders


def test_markdown_still_renders_lists_tables_and_code(qtbot) -> None:  # type: ignore[no-untyped-def]
    widget = MessageWidget(
        message("- un\n- deux\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nif a < b:\n```\n")
    )
    qtbot.addWidget(widget)
    document = rendered(widget)
    items, table_cells = 0, 0
    block = document.begin()
    while block.isValid():
        items += block.textList() is not None
        table_cells += QTextCursor(block).currentTable() is not None
        block = block.next()
    assert items == 2 and table_cells == 4
    (block,) = widget.findChildren(CodeBlock)
    assert block.code() == "if a < b:"  # code keeps its characters, in its framed block
    assert block.copy_button.accessibleName() == "Copy code"


WINDOW_FAILS = (
    "import sys\n"
    "import vigogne_desktop.ui.main_window as main_window\n"
    "class Broken(main_window.MainWindow):\n"
    "    def __init__(self, *args):\n"
    "        super().__init__(*args)  # every thread of the window is started\n"
    "        raise RuntimeError('broken on purpose')\n"
    "main_window.MainWindow = Broken\n"
    "from vigogne_desktop.__main__ import main\n"
    "sys.exit(main([]))\n"
)


@pytest.mark.parametrize("how", ["models folder is a file", "window fails once built"])
def test_a_window_that_cannot_be_built_ends_the_process_promptly(tmp_path: Path, how: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if how == "models folder is a file":
        (home / "models").write_text("not a folder", encoding="utf-8")
        command = [sys.executable, "-m", "vigogne_desktop"]
        error = "FileExistsError"
    else:
        command = [sys.executable, "-c", WINDOW_FAILS]
        error = "RuntimeError"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIGOGNE_DESKTOP_HOME": str(home)}
    # Promptly: the imports take a few seconds; a process left waiting never ends.
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 1, result.stderr[-2000:]
    (line,) = result.stderr.strip().splitlines()  # one sentence, no traceback
    assert line.startswith("vigogne-desktop: ") and f"({error})" in line
    assert error in (home / "errors.log").read_text(encoding="utf-8")
