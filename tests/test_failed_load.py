"""A file that cannot be loaded leaves the working model loaded, and the window says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.errors import ModelFileError, ModelLoadError
from vigogne_desktop.core.protocol import ChatFinished, LoadSettings, SamplingParams, TextChunk
from vigogne_desktop.ui.main_window import MainWindow

SMALL = LoadSettings(n_ctx=512, n_threads=2, seed=3)


@pytest.fixture(scope="module")
def not_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad") / "notes.gguf"
    path.write_text("Ceci est une liste de courses, pas un modèle.\n" * 50, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def truncated_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_gguf: Path) -> Path:
    """The tiny model cut in half, as an interrupted copy leaves it."""
    data = tiny_gguf.read_bytes()
    path = tmp_path_factory.mktemp("bad") / "cut.gguf"
    path.write_bytes(data[: len(data) // 2])
    return path


def answer(engine: LocalEngine) -> str:
    events = list(
        engine.chat([{"role": "user", "content": "Bonjour"}], SamplingParams(max_tokens=8))
    )
    assert isinstance(events[-1], ChatFinished), events[-1]
    return "".join(e.text for e in events if isinstance(e, TextChunk))


def test_a_bad_file_leaves_the_loaded_model_answering(
    tiny_gguf: Path, not_gguf: Path, truncated_gguf: Path
) -> None:
    with LocalEngine() as engine:
        good = engine.load(str(tiny_gguf), SMALL)
        pid = engine.pid
        with pytest.raises(ModelFileError):
            engine.load(str(not_gguf), SMALL)
        assert engine.model == good and answer(engine)
        with pytest.raises(ModelLoadError) as failure:
            engine.load(str(truncated_gguf), SMALL)
        message = str(failure.value)
        assert message.endswith(".") and "\n" not in message
        assert engine.pid == pid  # the same child: the old model was loaded again, not restarted
        assert engine.model is not None and engine.model.path == good.path
        assert answer(engine)


@pytest.mark.parametrize("bad", ["not_gguf", "truncated_gguf"])
def test_the_window_keeps_the_model_and_offers_another_file(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path, bad: str, request, monkeypatch
) -> None:
    window.load_model(str(tiny_gguf), SMALL)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    named = window.model_label.text()
    window.new_conversation()
    window.load_model(str(request.getfixturevalue(bad)), SMALL)
    qtbot.waitUntil(window.banner.isVisible, timeout=30000)
    assert not window.session.loading
    assert window.banner.choose_button.isVisible() and not window.banner.restart_button.isVisible()
    sentence = window.banner.text.text()
    assert sentence.endswith(".") and "\n" not in sentence
    assert window.model_label.text() == named  # the model really loaded
    assert window.session.model_path == str(tiny_gguf)
    assert window.chat_tab.model_bar.picker.currentData() == str(tiny_gguf)
    assert "still loaded" in window.status.text()

    # The kept model answers (a reply hides the banner; its button is clicked below).
    # The kept model answers (a reply hides the banner; its button is clicked below).
    window.panel.max_tokens.setValue(8)
    window.composer.insertPlainText("Bonjour")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=60000)
    reply = window.messages.messages[-1]
    assert reply.role == "assistant" and reply.content and reply.status == "complete"

    # « Choose another file… » opens the window's file dialog, and what is chosen loads.
    chosen: list[str] = []

    def pick(*_args: object) -> tuple[str, str]:
        chosen.append("asked")
        return str(tiny_gguf), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    qtbot.mouseClick(window.banner.choose_button, Qt.MouseButton.LeftButton)
    assert chosen == ["asked"]
    assert window.session.loading
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    assert not window.banner.isVisible()


def test_choosing_a_model_loads_it_when_none_is(qtbot, window: MainWindow, tiny_gguf: Path) -> None:  # type: ignore[no-untyped-def]
    window.session.model_path = str(tiny_gguf)  # named, as after a crash, but not loaded
    assert window.engines.choose(str(tiny_gguf))
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    assert window.session.model is not None
