"""A reply the engine could not finish, as the user meets it: a real crash of the worker child
(SIGKILL) mid-reply or while it switches models, the banner's one sentence, its details,
« Retry »; and the speed shown while a reply streams only once it means something."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QGuiApplication

from vigogne_desktop.core.history import History
from vigogne_desktop.core.protocol import LoadSettings
from vigogne_desktop.ui.chat_controller import SPEED_MIN_SPAN_S, SPEED_MIN_TOKENS
from vigogne_desktop.ui.main_window import MainWindow

# Past the tiny model's trained context (2,048): llama.cpp logs a warning at load, the kind
# of raw line that once filled the crash banner.
PAST_TRAINED = LoadSettings(n_ctx=4096, n_threads=2, seed=3)


@pytest.fixture
def ready(qtbot, window: MainWindow, tiny_gguf: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window.load_model(str(tiny_gguf), PAST_TRAINED)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    window.new_conversation()
    return window


def start_long_reply(qtbot, window: MainWindow, max_tokens: int = 1500) -> None:  # type: ignore[no-untyped-def]
    window.panel.max_tokens.setValue(max_tokens)
    window.panel.temperature.setValue(1.0)
    window.composer.insertPlainText("Raconte une longue histoire")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.session.reply is not None and len(window.session.reply.text) > 20,
        timeout=30000,
    )


def test_a_crash_mid_reply_says_one_sentence_keeps_details_and_retries(  # type: ignore[no-untyped-def]
    qtbot, ready: MainWindow
) -> None:
    window = ready
    start_long_reply(qtbot, window)
    question = window.messages.messages[-2]
    pid = window.engine.engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(window.banner.isVisible, timeout=10000)

    # One sentence saying what happened and what to do; none of the engine's raw words.
    sentence = window.banner.text.text()
    assert sentence.endswith(".") and "\n" not in sentence
    assert "stopped unexpectedly during the reply" in sentence
    for raw in ("llama", "signal", "SIGKILL", "n_ctx"):
        assert raw not in sentence
    # The raw facts are behind « Details », selectable and copied whole.
    banner = window.banner
    assert banner.details_button.isVisible() and not banner.details.isVisible()
    qtbot.mouseClick(banner.details_button, Qt.MouseButton.LeftButton)
    assert banner.details.isVisible()
    details = banner.details.toPlainText()
    assert "signal 9 (SIGKILL)" in details
    assert "n_ctx_train (2048)" in details  # llama.cpp's own log line, kept as it was
    qtbot.mouseClick(banner.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == details

    # The status bar says one thing: the engine stopped, and nothing claims it is ready.
    assert window.model_label.text() == "The engine stopped"
    assert "ready" not in window.status.text().lower()
    assert not window.speed_label.text() and not window.context_label.text()
    assert not window.send_button.isEnabled()
    # Under the message box, the same story as the banner's, and the way back.
    assert "engine stopped" in window.reason.text() and "Retry" in window.reason.text()
    assert "Load a model first" not in window.reason.text()
    unfinished = window.messages.messages[-1]
    assert unfinished.status == "unfinished" and unfinished.content  # what was written stays
    cut = window.chat_view.widgets[-1]
    assert cut is not None and cut.state.text() == "unfinished: the engine stopped"

    # « Retry »: the engine starts again, and the same question gets a new reply.
    window.panel.max_tokens.setValue(12)
    assert banner.retry_button.isVisible()
    qtbot.mouseClick(banner.retry_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()
    qtbot.waitUntil(
        lambda: (
            window.session.model is not None
            and window.session.reply is None
            and window.messages.messages[-1].id != unfinished.id
        ),
        timeout=60000,
    )
    assert window.engine.engine.pid not in (None, pid)  # a fresh child
    reply = window.messages.messages[-1]
    assert window.messages.messages[-2].id == question.id
    assert reply.role == "assistant" and reply.status == "complete" and reply.content
    assert window.model_label.text() != "The engine stopped"
    assert window.send_button.isEnabled() and not banner.isVisible()
    # The unfinished reply is still there, as the other version of this one.
    window.writer.flush()
    with History(window.history.path) as disk:
        assert disk.message(unfinished.id).status == "unfinished"
        assert disk.message(unfinished.id).parent_id == question.id


def test_a_crash_before_any_text_retries_the_question(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Nothing of the reply arrived: no empty reply is kept, and « Retry » still answers."""
    window = ready
    window.panel.max_tokens.setValue(12)
    window.composer.insertPlainText("Bonjour")
    pid = window.engine.engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # dead before the question reaches it
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(window.banner.isVisible, timeout=10000)
    assert [m.role for m in window.messages.messages] == ["user"]
    qtbot.mouseClick(window.banner.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: len(window.messages.messages) == 2 and window.session.reply is None,
        timeout=60000,
    )
    assert window.messages.messages[-1].status == "complete"


def test_a_crash_while_switching_models_restarts_with_the_new_file(  # type: ignore[no-untyped-def]
    qtbot, ready: MainWindow, bare_gguf: Path
) -> None:
    """The child dies while it reads another file: the model it had is gone with it, and
    « Restart the engine » loads the file that was loading."""
    window = ready
    engine = window.engine.engine
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # the child hangs: the load request waits in its pipe
    try:
        window.load_model(str(bare_gguf))
        # The engine thread has sent the load and waits for its answer (a request pending).
        qtbot.waitUntil(lambda: bool(engine._pending), timeout=10000)
    finally:
        os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(window.banner.isVisible, timeout=10000)
    banner = window.banner
    assert "stopped unexpectedly" in banner.text.text()
    assert banner.restart_button.isVisible() and banner.choose_button.isVisible()
    assert not banner.retry_button.isVisible()
    # Nothing claims the first model is still there: its child is dead.
    assert window.session.model is None and not window.send_button.isEnabled()
    assert "still loaded" not in window.status.text()
    qtbot.mouseClick(banner.restart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=60000)
    assert window.session.model is not None and window.session.model.path == str(bare_gguf)
    assert engine.pid not in (None, pid) and not banner.isVisible()


def _shown_speed(text: str) -> float | None:
    """The number in « 1 234,5 tokens/s » (either language's separators), or None."""
    match = re.search(r"([\d\s\u00a0\u202f.,]+) tokens/s", text)
    if match is None:
        return None
    digits = re.sub(r"[\s\u00a0\u202f,]", "", match.group(1))
    return float(digits)


class EarlyRedraw(QObject):
    """A redraw at each of the first tokens: the earliest moments a speed could be shown.
    A QObject of the GUI thread, so the engine thread's chunks reach it queued, in order."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @Slot(str)
    def on_chunk(self, _text: str) -> None:
        reply = self.window.session.reply
        if reply is not None and reply.tokens <= SPEED_MIN_TOKENS + 2:
            self.window.chat.render_reply()


def test_the_speed_shows_only_once_it_means_something(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    seen: list[tuple[int, float, str]] = []  # tokens shown, their span, the speed text

    def note(text: str) -> None:
        reply = window.session.reply
        if reply is not None:
            seen.append((reply.tokens, reply.last_at - reply.first_at, text))

    window.chat.speed.connect(note)
    redraw = EarlyRedraw(window)
    window.engine.worker.chunk.connect(redraw.on_chunk)  # queued after the controller's slot
    start_long_reply(qtbot, window, max_tokens=1000)
    # About 10 s on a quiet machine; far longer when the cores are shared.
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=240000)

    assert seen[0][2] == "Reading the prompt…"
    early = [
        text
        for tokens, span, text in seen[1:]
        if 0 < tokens < SPEED_MIN_TOKENS and span < SPEED_MIN_SPAN_S
    ]
    assert early and all(text == "" for text in early), early
    speeds = [(tokens, span, _shown_speed(text)) for tokens, span, text in seen[1:]]
    shown = [(tokens, span, speed) for tokens, span, speed in speeds if speed is not None]
    assert shown, "the speed was never shown while the reply streamed"
    for tokens, span, speed in shown:
        assert tokens >= SPEED_MIN_TOKENS or span >= SPEED_MIN_SPAN_S
        # The tiny model writes a few hundred to a couple of thousand tokens a second on
        # this machine's cores; a rate over a burst of tokens read 199,851 once.
        assert 0 < speed < 10_000, (speed, tokens, span)
    assert "tokens/s" in window.speed_label.text()  # the final count and speed
