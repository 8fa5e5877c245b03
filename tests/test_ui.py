"""The window, driven as a user would, with the real local engine on tiny models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from vigogne_desktop.core.history import History, write_json
from vigogne_desktop.core.protocol import LoadSettings
from vigogne_desktop.core.settings import AppSettings, ConversationSettings, Endpoint, ModelPreset
from vigogne_desktop.core.sharing import start_sharing
from vigogne_desktop.ui.main_window import MainWindow

SMALL = LoadSettings(n_ctx=1024, n_threads=2, seed=3)


@pytest.fixture
def ready(qtbot, window: MainWindow, tiny_gguf: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window.load_model(str(tiny_gguf), SMALL)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    window.new_conversation()
    return window


def ask(qtbot, window: MainWindow, text: str, max_tokens: int = 24) -> None:  # type: ignore[no-untyped-def]
    """Type a question, press Enter, wait for the whole reply."""
    window.panel.max_tokens.setValue(max_tokens)
    window.composer.setFocus()
    window.composer.insertPlainText(text)  # QTest types ASCII only
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=60000)


def start_long_reply(qtbot, window: MainWindow, text_length: int = 20) -> None:  # type: ignore[no-untyped-def]
    """Ask for a long story and return once `text_length` characters of it are shown."""
    window.panel.max_tokens.setValue(1500)
    window.panel.temperature.setValue(1.0)
    qtbot.keyClicks(window.composer, "Raconte une longue histoire")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.session.reply is not None and len(window.session.reply.text) > text_length,
        timeout=30000,
    )


def shown(window: MainWindow) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in window.messages.messages]


def test_send_is_disabled_with_the_reason_until_a_model_is_ready(window: MainWindow) -> None:
    assert not window.send_button.isEnabled()
    assert "Load a model first" in window.reason.text()
    assert window.send_button.toolTip() == window.reason.text()
    assert window.model_label.text() == "No model loaded"


def test_a_question_streams_is_saved_and_shows_speed_and_context(  # type: ignore[no-untyped-def]
    qtbot, ready: MainWindow
) -> None:
    window = ready
    chunks: list[str] = []
    window.engine.worker.chunk.connect(chunks.append)
    window.panel.max_tokens.setValue(24)
    qtbot.keyClicks(window.composer, "Bonjour Vigogne !")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    window.composer.insertPlainText("Deuxième ligne")
    assert window.composer.toPlainText() == "Bonjour Vigogne !\nDeuxième ligne"
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    assert not window.send_button.isEnabled() and window.stop_button.isEnabled()
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=30000)
    reply = "".join(chunks)
    assert shown(window) == [("user", "Bonjour Vigogne !\nDeuxième ligne"), ("assistant", reply)]
    assert window.composer.toPlainText() == ""
    assert "tokens/s" in window.speed_label.text()
    n_ctx = window.session.model.n_ctx if window.session.model else 0
    assert window.context_label.text().endswith(f"/ {n_ctx}")
    # On disk, complete, with the title taken from the question.
    window.writer.flush()
    with History(window.history.path) as disk:
        (conv,) = disk.conversations()
        assert conv.title == "Bonjour Vigogne !"
        assert [(m.content, m.status) for m in disk.shown(conv.id)][-1] == (reply, "complete")
    assert window.sidebar.list.model().rowCount() == 2  # "Today" and the conversation


def test_stop_regenerate_and_browse_versions(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    start_long_reply(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=5000)
    first = window.messages.messages[-1]
    assert first.status == "stopped" and first.content
    assert window.chat_view.widgets[-1].state.isVisible()

    window.panel.max_tokens.setValue(16)
    qtbot.keyClick(
        window,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(
        lambda: window.session.reply is None and window.messages.messages[-1].id != first.id,
        timeout=30000,
    )
    second = window.messages.messages[-1]
    assert second.status == "complete" and second.version == 2
    widget = window.chat_view.widgets[-1]
    assert widget.version.isVisible() and widget.version.text() == "2/2"
    qtbot.mouseClick(widget.previous, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.messages.messages[-1].id == first.id, timeout=5000)
    qtbot.waitUntil(lambda: not window.chat_view.building)
    assert window.chat_view.widgets[-1].version.text() == "1/2"
    assert window.messages.messages[-1].content == first.content


def test_edit_a_past_question_and_send_again(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    ask(qtbot, window, "Première question")
    ask(qtbot, window, "Deuxième question")
    first_question = window.messages.messages[0]
    qtbot.waitUntil(lambda: not window.chat_view.building)
    qtbot.mouseClick(window.chat_view.widgets[0].edit_button, Qt.MouseButton.LeftButton)
    assert window.composer.toPlainText() == "Première question" and window.edit_bar.isVisible()
    window.composer.selectAll()
    window.composer.insertPlainText("Question corrigée")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=30000)
    assert [role for role, _ in shown(window)] == ["user", "assistant"]
    assert shown(window)[0][1] == "Question corrigée"
    assert window.messages.messages[0].siblings == (
        first_question.id,
        window.messages.messages[0].id,
    )
    # The first branch, both rounds, is still there.
    qtbot.mouseClick(window.chat_view.widgets[0].previous, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.messages.messages) == 4, timeout=5000)
    assert shown(window)[2][1] == "Deuxième question"


def test_search_highlights_and_jumps_to_the_message(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    history = window.history
    cid = history.create_conversation().id
    parent = None
    for number in range(60):
        text = "Le soleil d'été à Marseille." if number == 7 else f"Message {number}"
        parent = history.add_message(
            cid, "user" if number % 2 == 0 else "assistant", text, parent_id=parent
        ).id
    history.create_conversation()
    window.conversations.refresh()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search.hasFocus()
    qtbot.keyClicks(window.sidebar.search, "ete marseil")
    results = window.sidebar.results
    qtbot.waitUntil(
        lambda: window.sidebar.stack.currentWidget() is results and results.count() > 0,
        timeout=5000,
    )
    html = results.item(0).text()
    assert "<b style=" in html and "été</b>" in html and "Marseille</b>" in html
    qtbot.mouseClick(
        results.viewport(),
        Qt.MouseButton.LeftButton,
        pos=results.visualItemRect(results.item(0)).center(),
    )
    qtbot.waitUntil(
        lambda: window.session.conv_id == cid and len(window.messages.messages) == 60, timeout=5000
    )
    found = window.chat_view.widgets[7]
    assert found is not None and found.property("found") is True
    window.sidebar.search.clear()
    assert window.sidebar.stack.currentWidget() is window.sidebar.list


def test_rename_pin_delete_and_undo(
    qtbot, ready: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    window = ready
    ask(qtbot, window, "Une question", 4)
    cid = window.session.conv_id
    assert cid is not None
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Mes capitales", True))
    window.sidebar.rename_requested.emit(cid)
    window.sidebar.pin_requested.emit(cid, True)
    model = window.sidebar.list.model()
    assert model.index(0).data() == "Pinned" and model.index(1).data() == "Mes capitales"
    window.sidebar.list.setFocus()
    window.sidebar.select(cid)
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)
    assert window.session.conv_id is None and window.messages.rowCount() == 0
    assert model.rowCount() == 0 and window.undo_button.isVisible()
    qtbot.mouseClick(window.undo_button, Qt.MouseButton.LeftButton)
    assert model.rowCount() == 2 and window.history.conversation(cid).title == "Mes capitales"


def test_export_and_import_through_the_menus(  # type: ignore[no-untyped-def]
    qtbot, ready: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = ready
    ask(qtbot, window, "À exporter", 8)
    cid = window.session.conv_id
    target = {"md": tmp_path / "c.md", "json": tmp_path / "c.json"}
    for kind in ("md", "json"):
        monkeypatch.setattr(
            QFileDialog, "getSaveFileName", lambda *a, k=kind, **kw: (str(target[k]), "")
        )
        window.export(cid, kind)
    assert (
        target["md"].read_text(encoding="utf-8").startswith("# À exporter\n\n## You\n\nÀ exporter")
    )
    data = json.loads(target["json"].read_text(encoding="utf-8"))
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target["json"]), ""))
    window.import_conversations()
    assert "1 conversation imported." in window.status.text()
    qtbot.waitUntil(lambda: window.session.conv_id not in (None, cid), timeout=5000)
    assert shown(window)[0] == ("user", "À exporter")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "autre"}')
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    window.import_conversations()
    assert "is not a Vigogne Desktop conversation export" in window.status.text()
    assert len(window.history.conversations()) == 2


def test_instruct_mode_answers_and_is_kept_as_a_conversation(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    window.tabs.setCurrentWidget(window.instruct)
    window.panel.max_tokens.setValue(12)
    qtbot.keyClicks(window.instruct.instruction, "Traduis en anglais.")
    qtbot.keyClicks(window.instruct.input, "Bonjour")
    prompts: list[int] = []
    window.engine.worker.started.connect(lambda s: prompts.append(s.prompt_tokens))
    qtbot.mouseClick(window.instruct.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.session.reply is None and window.instruct.keep_button.isEnabled(),
        timeout=30000,
    )
    answer = window.instruct.answer
    assert answer and window.instruct.result.toPlainText().strip()
    expected = window.engine.engine.tokenize(
        "<s>Ci-dessous se trouve une instruction qui décrit une tâche à accomplir. Rédigez une "
        "réponse qui répond de manière précise à la demande.\n\n### Instruction:\n"
        "Traduis en anglais : Bonjour\n\n### Réponse:\n"
    )
    assert prompts == [len(expected)]
    qtbot.mouseClick(window.instruct.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.chat_tab, timeout=5000)
    assert shown(window) == [("user", "Traduis en anglais : Bonjour"), ("assistant", answer)]
    assert window.panel.format.currentData() == "instruct"


def test_switching_model_from_the_model_bar(  # type: ignore[no-untyped-def]
    qtbot, ready: MainWindow, bare_gguf: Path, tiny_gguf: Path
) -> None:
    window = ready
    window.session.settings.presets[bare_gguf.name] = ModelPreset(n_ctx=512, n_threads=2)
    window.chat_tab.model_bar.set_models([str(tiny_gguf), str(bare_gguf)], str(tiny_gguf))
    combo = window.chat_tab.model_bar.picker
    combo.setCurrentIndex(combo.findData(str(bare_gguf)))
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(
        lambda: window.session.model is not None and window.session.model.path == str(bare_gguf),
        timeout=30000,
    )
    # found in the model table by name; the bar says the format in its tooltip
    assert "the prompt format instruct" in window.model_label.toolTip()
    ask(qtbot, window, "Bonjour", 4)
    assert window.messages.messages[-1].meta["model"]
    assert window.session.conv_settings.model == str(bare_gguf)


def test_a_crashed_engine_is_shown_with_a_restart_button(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    start_long_reply(qtbot, window)
    pid = window.engine.engine.pid
    assert pid is not None
    os.kill(pid, 9)
    qtbot.waitUntil(window.banner.isVisible, timeout=10000)
    assert window.banner.restart_button.isVisible() and not window.send_button.isEnabled()
    assert window.banner.text.text().endswith(".") and "\n" not in window.banner.text.text()
    assert window.messages.messages[-1].status == "unfinished"  # what was written is kept
    qtbot.mouseClick(window.banner.restart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.session.loading, timeout=30000)
    assert window.send_button.isEnabled(), window.status.text()
    assert not window.banner.isVisible()


def test_history_trimmed_to_fit_is_announced(qtbot, window: MainWindow, tiny_gguf: Path) -> None:  # type: ignore[no-untyped-def]
    window.load_model(str(tiny_gguf), LoadSettings(n_ctx=256, n_threads=2))
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    window.new_conversation()
    window.panel.system.setPlainText("Sois bref.")
    for number in range(4):
        ask(qtbot, window, f"Question numéro {number} " + "avec beaucoup de mots " * 6, 40)
    notices = [w.notice for w in window.chat_view.widgets if w is not None and w.notice.isVisible()]
    assert notices and "did not fit in the context window" in notices[-1].text()
    assert window.messages.messages[-1].meta["dropped_rounds"] >= 1


def test_a_remote_endpoint_is_a_second_real_server(
    qtbot, window: MainWindow, tiny_gguf: Path
) -> None:  # type: ignore[no-untyped-def]
    server = start_sharing(str(tiny_gguf), prompt_format="chat-v2", settings=SMALL)
    try:
        window.session.settings.endpoints = [Endpoint("labo", server.base_url, server.api_key)]
        window.use_endpoint("labo")
        qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
        assert window.model_label.text() == "vigogne on labo"
        window.new_conversation()
        ask(qtbot, window, "Bonjour", 8)
        assert window.messages.messages[-1].content
        window.session.settings.endpoints = [Endpoint("faux", "http://127.0.0.1:9/v1")]
        window.use_endpoint("faux")
        qtbot.waitUntil(lambda: not window.session.loading, timeout=30000)
        assert not window.send_button.isEnabled() and window.status.text().endswith(".")
    finally:
        server.stop()


def test_sharing_from_the_settings_shows_a_copyable_key(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    window.open_settings()
    dialog = window._settings_dialog
    dialog.share.setChecked(True)
    qtbot.waitUntil(lambda: window.sharing.server is not None, timeout=60000)
    assert dialog.share_address.text().startswith("http://127.0.0.1:")
    assert (
        dialog.share_key.text() == window.sharing.server.api_key
        and len(dialog.share_key.text()) > 20
    )
    dialog.share.setChecked(False)
    assert window.sharing.server is None
    dialog.reject()


def test_typing_a_system_prompt_saves_it_once_the_typing_pauses_off_the_gui_thread(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_gui_thread: list[bool] = []  # one entry per settings write
    update_settings = History.update_settings

    def counted(self: History, cid: int, settings: dict[str, object]) -> None:
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        update_settings(self, cid, settings)

    monkeypatch.setattr(History, "update_settings", counted)
    first = window.history.create_conversation("Première").id
    second = window.history.create_conversation("Seconde").id
    window.open_conversation(first)
    qtbot.waitUntil(lambda: window.session.conv_id == first, timeout=5000)
    typed = "Sois bref et clair."
    window.panel.system.clear()
    qtbot.keyClicks(window.panel.system, typed)
    qtbot.waitUntil(lambda: bool(on_gui_thread), timeout=5000)
    qtbot.wait(700)
    assert on_gui_thread == [False]  # one write for the whole burst, on another thread
    # Typed, then another conversation at once, then the window closed at once: nothing
    # typed is lost.
    qtbot.keyClicks(window.panel.system, " Merci.")
    window.open_conversation(second)
    qtbot.waitUntil(lambda: window.session.conv_id == second, timeout=5000)
    window.panel.system.clear()
    qtbot.keyClicks(window.panel.system, "Autre")
    window.close()
    assert len(on_gui_thread) == 3 and not any(on_gui_thread)
    with History(home / "history.sqlite3") as disk:
        assert disk.conversation(first).settings["system"] == typed + " Merci."
        assert disk.conversation(second).settings["system"] == "Autre"


def test_a_long_conversation_opens_at_its_end_and_grows_upwards(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    history = window.history
    cid = history.create_conversation().id
    parent = None
    for number in range(1000):
        role = "user" if number % 2 == 0 else "assistant"
        text = f"**Message {number}**\n\n- un\n- deux"
        parent = history.add_message(cid, role, text, parent_id=parent).id
    window.open_conversation(cid)
    qtbot.waitUntil(lambda: window.messages.rowCount() == 1000, timeout=10000)
    view = window.chat_view
    qtbot.waitUntil(lambda: not view.building, timeout=10000)
    built = [row for row, w in enumerate(view.widgets) if w is not None]
    assert built == list(range(1000 - len(built), 1000)) and 10 < len(built) < 100
    assert "Message 999" in view.widgets[-1].text()
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > 0, timeout=5000)
    # Scrolling to the top builds the previous messages, and the reader stays in place.
    reading = view.widgets[built[0]]
    bar.setValue(0)
    qtbot.waitUntil(
        lambda: view.widgets[built[0] - 1] is not None and not view.building, timeout=5000
    )
    qtbot.wait(50)
    assert reading.y() - bar.value() >= -5 and reading.visibleRegion().isEmpty() is False


def test_closing_mid_reply_keeps_what_was_shown(qtbot, ready: MainWindow, home: Path) -> None:  # type: ignore[no-untyped-def]
    window = ready
    start_long_reply(qtbot, window)
    window.close()
    with History(home / "history.sqlite3") as disk:
        (conv,) = disk.conversations()
        reply = disk.shown(conv.id)[-1]
        assert reply.status == "unfinished" and len(reply.content) > 20


def test_app_process_exits_cleanly_after_a_reply(tiny_gguf: Path, tmp_path: Path) -> None:
    # A whole app process: load, ask, stream, close. Guards against Qt bindings that
    # corrupt memory on cross-thread signals (PySide6 6.12.0 aborted at exit here).
    script = tmp_path / "session.py"
    script.write_text(
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from vigogne_desktop.ui.app import make_app\n"
        "app, settings = make_app()\n"
        "from vigogne_desktop.ui.main_window import MainWindow\n"
        "window = MainWindow(settings); window.show(); window.load_model(sys.argv[1])\n"
        "def step():\n"
        "    msgs = window.messages.messages\n"
        "    if len(msgs) == 2 and window.session.reply is None:\n"
        "        print('REPLY', len(msgs[-1].content)); window.close(); app.quit(); return\n"
        "    elif window.send_button.isEnabled() and not msgs:\n"
        "        window.composer.setPlainText('Bonjour !'); window.send()\n"
        "    QTimer.singleShot(50, step)\n"
        "QTimer.singleShot(50, step)\n"
        "sys.exit(app.exec())\n"
    )
    result = subprocess.run(
        [sys.executable, str(script), str(tiny_gguf)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIGOGNE_DESKTOP_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "REPLY" in result.stdout and "Fatal" not in result.stderr


def test_first_start_converts_the_demo_model_and_answers_in_french(qtbot, home: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(AppSettings())
    qtbot.addWidget(window)
    window.show()
    try:
        window.open_default_model()
        progress = window.chat_tab.model_bar.progress
        assert progress.isVisible()  # the user sees the preparation happen
        assert "demonstration model" in window.status.text()
        qtbot.waitUntil(window.send_button.isEnabled, timeout=120000)
        assert not progress.isVisible()
        assert (home / "models" / "vigogne-demo.Q8_0.gguf").is_file()
        assert "Vigogne démo" in window.chat_tab.model_bar.summary()
        window.new_conversation()
        ask(qtbot, window, "Quelle est la capitale de l'Italie ?", 32)
        assert "Rome" in window.messages.messages[-1].content
        # The demo was trained on single questions: a second one is sent alone, and the
        # conversation says so.
        ask(qtbot, window, "Quelle est la capitale de l'Espagne ?", 32)
        assert "Madrid" in window.messages.messages[-1].content
        notice = window.chat_view.widgets[-1].notice
        assert notice.isVisible() and "takes only the last exchange of" in notice.text()
    finally:
        window.close()
    # A second start finds the converted model and loads it directly.
    again = MainWindow(AppSettings.load())
    qtbot.addWidget(again)
    try:
        again.open_default_model()
        qtbot.waitUntil(again.send_button.isEnabled, timeout=60000)
        assert again.session.model is not None and again.session.model.path.endswith(
            "vigogne-demo.Q8_0.gguf"
        )
    finally:
        again.close()


def test_light_and_dark_themes_and_the_settings_dialog_saves(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, home: Path, qapp
) -> None:
    from vigogne_desktop.ui.theme import apply_theme

    window.open_settings()
    dialog = window._settings_dialog
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.n_ctx.setValue(2048)
    dialog._accept()
    try:
        assert qapp.palette().window().color().lightness() < 60
        saved = json.loads((home / "settings.json").read_text(encoding="utf-8"))
        assert (saved["theme"], saved["language"]) == ("dark", "en")
        assert AppSettings.load().theme == "dark"
    finally:
        apply_theme(qapp, "light")
    assert qapp.palette().window().color().lightness() > 200


def test_a_bad_server_address_is_refused_in_one_sentence(window: MainWindow) -> None:
    window.open_settings()
    dialog = window._settings_dialog
    dialog.endpoint_name.setText("labo")
    dialog.endpoint_url.setText("pas une adresse")
    dialog._add_endpoint()
    assert dialog.endpoint_error.text().endswith(".") and dialog.endpoint_list.count() == 0
    dialog.endpoint_url.setText("http://127.0.0.1:8000")
    dialog._add_endpoint()
    assert dialog.endpoint_list.count() == 1 and dialog.engine.currentData() == "labo"
    assert dialog.endpoints[0].base_url == "http://127.0.0.1:8000/v1"
    dialog.reject()


def test_ctrl_n_starts_a_blank_conversation(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    ask(qtbot, window, "Bonjour", 4)
    assert window.session.conv_id is not None
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.session.conv_id is None and window.messages.rowCount() == 0
    assert window.chat_tab.welcome.isVisible() and window.composer.hasFocus()


def test_every_control_has_an_accessible_name(window: MainWindow) -> None:
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QAbstractSpinBox,
        QComboBox,
        QLineEdit,
        QPlainTextEdit,
    )

    kinds = (
        QAbstractButton,
        QLineEdit,
        QPlainTextEdit,
        QComboBox,
        QAbstractSpinBox,
        QAbstractItemView,
    )
    unnamed = [
        f"{type(w).__name__} {w.objectName()}"
        for w in window.findChildren(QWidget)
        if isinstance(w, kinds)
        and not w.accessibleName()
        and not (isinstance(w, QAbstractButton) and w.text())
        and not w.objectName().startswith("qt_")  # parts of a Qt widget, named by it
        and w.isVisibleTo(window)
    ]
    assert not unnamed


def test_a_conversation_whose_model_is_gone_says_so(qtbot, ready: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = ready
    loaded = window.session.model_path
    settings = ConversationSettings(model="/nulle/part/vigogne-2-13b-chat.Q4_K_M.gguf")
    cid = window.history.create_conversation("Ancienne", settings.to_json()).id
    window.open_conversation(cid)
    qtbot.waitUntil(lambda: window.session.conv_id == cid, timeout=5000)
    assert "vigogne-2-13b-chat.Q4_K_M.gguf" in window.status.text()
    assert "no longer on this computer" in window.status.text()
    assert window.session.model_path == loaded and window.send_button.isEnabled()


def test_an_unexpected_error_is_one_sentence_and_a_log(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from vigogne_desktop.ui.app import report_unexpected_errors

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)  # set for this test only
    report_unexpected_errors(window)

    def broken_slot() -> None:
        raise ZeroDivisionError("division by zero")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown == [
        f"Something went wrong (ZeroDivisionError). Your conversations are safe; the details "
        f"are in {home / 'errors.log'}."
    ]
    assert "broken_slot" in (home / "errors.log").read_text(encoding="utf-8")


def test_dropping_a_model_loads_it_and_dropping_an_export_imports_it(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    def drop(*files: Path) -> bool:
        data = QMimeData()
        data.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
        action = Qt.DropAction.CopyAction
        buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        enter = QDragEnterEvent(window.rect().center(), action, data, buttons, keys)
        QApplication.sendEvent(window, enter)
        if not enter.isAccepted():
            return False
        QApplication.sendEvent(
            window, QDropEvent(QPointF(window.rect().center()), action, data, buttons, keys)
        )
        return True

    assert not drop(tmp_path / "notes.txt")
    assert drop(tiny_gguf)
    qtbot.waitUntil(lambda: window.session.model is not None, timeout=30000)
    assert window.session.model.path == str(tiny_gguf)

    source = History(tmp_path / "other.sqlite3")
    cid = source.create_conversation().id
    source.add_message(cid, "user", "Venue d'ailleurs", parent_id=None)
    export = tmp_path / "export.json"
    write_json(source.export_json(cid), export)
    assert drop(export)
    qtbot.waitUntil(lambda: window.messages.rowCount() == 1, timeout=5000)
    assert window.messages.messages[0].content == "Venue d'ailleurs"
