"""The chat tab as a new user meets it: the welcome and its questions, the demo's notice and
the way to the library, the model bar (what is loaded, the picker), Send becoming Stop."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QLabel

from vigogne_desktop.core.protocol import LoadSettings
from vigogne_desktop.core.settings import ModelPreset, models_dir
from vigogne_desktop.ui.main_window import MainWindow
from vigogne_desktop.ui.model_bar import ACTION_ROLE, LIBRARY, OPEN_FILE
from vigogne_desktop.ui.welcome_view import EXAMPLE_QUESTIONS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from demo_facts import training_questions  # noqa: E402

SMALL = LoadSettings(n_ctx=512, n_threads=2, seed=3)


def click(qtbot, button) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def pick(window: MainWindow, *, path: str = "", action: str = "") -> None:
    """Choose a picker entry as the user does (a click in the list says `activated`)."""
    picker = window.chat_tab.model_bar.picker
    for n in range(picker.count()):
        if (path and picker.itemData(n) == path) or (
            action and picker.itemData(n, ACTION_ROLE) == action
        ):
            picker.setCurrentIndex(n)
            picker.activated.emit(n)
            return
    raise AssertionError(f"no picker entry for {path or action}")


def test_the_example_questions_are_ones_the_demo_was_trained_on() -> None:
    trained = {q.text for q in training_questions()}
    assert len(EXAMPLE_QUESTIONS) >= 3 and set(EXAMPLE_QUESTIONS) <= trained


def test_first_start_welcomes_asks_an_example_and_leads_to_the_library(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow
) -> None:
    tab, welcome, bar = window.chat_tab, window.chat_tab.welcome, window.chat_tab.model_bar
    assert tab.pages.currentWidget() is welcome and welcome.isVisible()
    assert "No model is loaded" in welcome.notice.text() and welcome.open_button.isVisible()
    assert bar.picker.currentIndex() == -1 and bar.details.text() == "No model loaded"
    assert not any(b.isEnabled() for b in welcome.examples)

    window.open_default_model()  # the first start: the demo is converted, then loaded
    assert "loading" in welcome.notice.text() and bar.progress.isVisible()
    qtbot.waitUntil(window.send_button.isEnabled, timeout=60000)
    assert not bar.progress.isVisible()
    assert bar.summary() == "Vigogne démo · Q8_0 · context 512"
    assert bar.picker.currentText() == "Vigogne démo"
    assert "the prompt format chat-v2" in bar.details.toolTip()
    # The bar alone names the model: the status bar does not say it again.
    said = [label.text() for label in window.statusBar().findChildren(QLabel)]
    assert not any("Vigogne démo" in text or "Q8_0" in text for text in said), said
    assert "demonstration model" in welcome.notice.text() and welcome.notice.isVisible()
    assert welcome.library_button.isVisible() and not welcome.open_button.isVisible()

    window.composer.insertPlainText("Mon brouillon")
    italy = next(b for b in welcome.examples if "Italie" in b.text())
    click(qtbot, italy)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=30000)
    question, reply = window.messages.messages
    assert question.content == "Quelle est la capitale de l'Italie ?"
    assert reply.content == "La capitale de l'Italie est Rome." and reply.status == "complete"
    assert tab.pages.currentWidget() is window.chat_view and not welcome.isVisible()
    assert window.composer.toPlainText() == "Mon brouillon"  # the draft waits, not sent

    window.new_conversation()
    assert tab.pages.currentWidget() is welcome
    click(qtbot, welcome.library_button)
    assert window.tabs.currentWidget() is window.library_view


def test_the_bar_picks_a_model_opens_a_file_and_the_library(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path, bare_gguf: Path, monkeypatch
) -> None:
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    mine = Path(shutil.copy(tiny_gguf, folder / "mine.gguf"))
    for name in (mine.name, bare_gguf.name):
        window.session.settings.presets[name] = ModelPreset(n_ctx=512, n_threads=2)
    window.engines.refresh_models()
    bar = window.chat_tab.model_bar
    assert str(mine) in bar.listed()

    pick(window, path=str(mine))  # no model loaded: choosing one loads it
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    assert window.session.model_path == str(mine)
    assert bar.summary() == "Vigogne synthétique · ALL_F32 · context 512"
    assert window.session.conv_settings.model == str(mine)  # the conversation goes on with it
    # A real model: no demo notice; the questions stay, to be sent.
    assert not window.chat_tab.welcome.notice.isVisible()
    assert all(b.isEnabled() for b in window.chat_tab.welcome.examples)

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a: (str(bare_gguf), ""))
    pick(window, action=OPEN_FILE)
    assert bar.picker.currentData() == str(mine)  # the entry opened a door, chose no model
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    assert window.session.model_path == str(bare_gguf)
    assert bar.picker.currentData() == str(bare_gguf)

    pick(window, action=LIBRARY)
    assert window.tabs.currentWidget() is window.library_view


def test_send_becomes_stop_in_place_while_a_reply_streams(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path, bare_gguf: Path
) -> None:
    window.load_model(str(tiny_gguf), SMALL)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    window.new_conversation()
    send, stop = window.send_button, window.stop_button
    place = send.mapTo(window, QPoint(0, 0))
    assert send.isVisible() and send.text() == "Send" and not stop.isVisible()

    for stopping in ("click", "escape"):
        window.panel.max_tokens.setValue(1500)
        window.composer.insertPlainText("Raconte une longue histoire")
        qtbot.keyClick(window.composer, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(window.session.reply and window.session.reply.text))
        assert stop.isVisible() and stop.isEnabled() and not send.isVisible()
        assert stop.text() == "Stop" and stop.mapTo(window, QPoint(0, 0)) == place
        if stopping == "click":
            # Meanwhile another model cannot be chosen: the bar names the loaded one again.
            window.chat_tab.model_bar.set_models([str(tiny_gguf), str(bare_gguf)], str(tiny_gguf))
            pick(window, path=str(bare_gguf))
            assert window.chat_tab.model_bar.picker.currentData() == str(tiny_gguf)
            click(qtbot, stop)
        else:
            qtbot.keyClick(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.session.reply is None, timeout=10000)
        assert window.messages.messages[-1].status == "stopped"
        assert send.isVisible() and send.isEnabled() and not stop.isVisible()
    assert window.session.model_path == str(tiny_gguf)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_bar_and_the_welcome_fit_beside_the_sidebar_at_960_px(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, app_language, language: str
) -> None:
    from vigogne_desktop.ui.chat_tab import ChatTab
    from vigogne_desktop.ui.chat_view import ChatView

    app_language(language)
    tab = ChatTab(ChatView(window.messages))  # built in that language
    qtbot.addWidget(tab)
    long_name = "/models/" + "un-nom-de-modele-vraiment-tres-long-" * 4 + ".gguf"
    tab.model_bar.set_models([long_name], long_name)
    tab.model_bar.show_state(window.session)
    tab.welcome.show_state(window.session)  # no model: the longest notice and both doors
    tab.model_bar.show_progress(0, 0)
    assert tab.minimumSizeHint().width() <= 600  # 960 px less the sidebar and the margins
