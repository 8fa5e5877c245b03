"""Kept conversation states as the user sees them: the status line says when a reply's
context was restored, and the settings choose the memory they may take (issue 12, item 2)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, Qt

from vigogne_desktop.core.kv_cache import MiB, default_budget_bytes
from vigogne_desktop.core.protocol import ChatStarted, LoadSettings
from vigogne_desktop.core.settings import AppSettings, ModelPreset
from vigogne_desktop.ui.main_window import MainWindow
from vigogne_desktop.ui.settings_dialog import SettingsDialog

RESTORED_FR = re.compile(r"Contexte restauré en (\d+,\d+) s \(([\d\u202f]+) jetons non relus\)\.")


def load(qtbot, window: MainWindow, model: Path) -> list[LoadSettings]:  # type: ignore[no-untyped-def]
    """Load `model` with the app's settings, as the window does; what the engine receives
    from now on is gathered in the list returned."""
    received: list[LoadSettings] = []
    window.engine.request_load.connect(lambda _path, settings: received.append(settings))
    window.session.settings.presets[model.name] = ModelPreset(n_ctx=1024, n_threads=2)
    window.load_model(str(model))
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    return received


def open_settings(window: MainWindow) -> SettingsDialog:
    window.open_settings()
    assert window._settings_dialog is not None
    return window._settings_dialog


def ask(qtbot, window: MainWindow, text: str) -> ChatStarted:  # type: ignore[no-untyped-def]
    """Send `text`, wait for the whole reply; what the engine said as it started."""
    started: list[ChatStarted] = []
    window.engine.worker.started.connect(started.append)
    window.panel.max_tokens.setValue(8)
    window.composer.setFocus()
    window.composer.insertPlainText(text)
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=60000)
    window.engine.worker.started.disconnect(started.append)
    return started[-1]


def leave_and_come_back(qtbot, window: MainWindow) -> ChatStarted:  # type: ignore[no-untyped-def]
    """Two conversations long enough to be worth keeping; back to the first, one more
    question."""
    window.new_conversation()
    ask(qtbot, window, "Parlons des crêpes. " + "Farine, oeufs, lait et beurre. " * 12)
    first = window.session.conv_id
    assert first is not None
    window.new_conversation()
    other = ask(qtbot, window, "Et les volcans ? " + "Lave, cendre et magma. " * 12)
    assert other.restored_tokens == 0  # nothing kept shares its beginning
    window.conversations.open_conversation(first)
    qtbot.waitUntil(lambda: window.session.conv_id == first and window.messages.rowCount() == 2)
    return ask(qtbot, window, "Et avec du sucre ?")


def test_going_back_to_a_conversation_says_its_context_was_restored(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path, app_language: Callable[[str], None]
) -> None:
    received = load(qtbot, window, tiny_gguf)
    assert received[-1].context_cache_mb is None  # automatic: nothing set yet
    app_language("fr")
    back = leave_and_come_back(qtbot, window)
    assert back.restored_tokens > 64
    said = RESTORED_FR.fullmatch(window.status.text())
    assert said, window.status.text()
    assert int(said[2].replace("\u202f", "")) == back.restored_tokens
    assert abs(float(said[1].replace(",", ".")) - max(back.restore_seconds, 0.01)) <= 0.0051
    # The next reply reads on from the context it left: nothing restored, nothing said.
    assert ask(qtbot, window, "Et sans beurre ?").restored_tokens == 0
    assert window.status.text() == ""


def test_with_no_memory_for_recent_conversations_nothing_is_restored_or_said(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path
) -> None:
    received = load(qtbot, window, tiny_gguf)
    dialog = open_settings(window)
    dialog.context_memory.setCurrentIndex(dialog.context_memory.findData("none"))
    dialog._accept()
    qtbot.waitUntil(lambda: len(received) == 2 and window.send_button.isEnabled(), timeout=30000)
    assert received[-1].context_cache_mb == 0  # the budget alone changed: the model reloaded
    back = leave_and_come_back(qtbot, window)
    assert back.restored_tokens == 0
    assert "restored" not in window.status.text()


def test_the_memory_setting_round_trips_to_the_file_and_the_engine(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tiny_gguf: Path, home: Path
) -> None:
    received = load(qtbot, window, tiny_gguf)

    def choose(choice: str, size: int = 0) -> None:
        dialog = open_settings(window)
        dialog.context_memory.setCurrentIndex(dialog.context_memory.findData(choice))
        if size:
            dialog.context_size.setValue(size)
        dialog._accept()
        qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)

    dialog = open_settings(window)
    assert dialog.context_memory.currentData() == "automatic"
    shown = QLocale().formattedDataSize(
        default_budget_bytes(), 1, QLocale.DataSizeFormat.DataSizeIecFormat
    )
    assert dialog.context_memory.currentText() == f"automatic (≈ {shown})"
    assert dialog.context_size.isHidden()  # a size is asked for only when chosen
    assert "RAM" in dialog.context_memory.toolTip()  # the trade-off, said where it is set
    assert abs(dialog.context_size.value() - default_budget_bytes() // MiB) < 64
    dialog.reject()

    for choice, size, expected in (("size", 512, 512), ("none", 0, 0), ("automatic", 0, None)):
        loads = len(received)
        choose(choice, size)
        saved = json.loads((home / "settings.json").read_text(encoding="utf-8"))
        assert saved["context_cache_mb"] == expected
        assert AppSettings.load().context_cache_mb == expected
        assert len(received) == loads + 1 and received[-1].context_cache_mb == expected
        again = open_settings(window)
        assert again.context_memory.currentData() == choice
        assert again.context_size.isHidden() == (choice != "size")
        if size:
            assert again.context_size.value() == size
        again.reject()
    # Confirming the dialog without a change reloads nothing.
    choose("automatic")
    assert len(received) == 4


def test_a_saved_memory_setting_that_is_no_size_reads_as_automatic(tmp_path: Path) -> None:
    for raw, expected in (
        (256, 256),
        (0, 0),
        (1024.0, 1024),
        ("lots", None),
        (-5, None),
        (True, None),
        (1.5, None),
        (float("inf"), None),
        (None, None),
    ):
        (tmp_path / "settings.json").write_text(
            json.dumps({"theme": "dark", "context_cache_mb": raw}), encoding="utf-8"
        )
        loaded = AppSettings.load(tmp_path)
        assert (loaded.context_cache_mb, loaded.theme) == (expected, "dark"), raw
    AppSettings(context_cache_mb=300).save(tmp_path)
    assert AppSettings.load(tmp_path).context_cache_mb == 300
    assert AppSettings(context_cache_mb=300).load_settings("m.gguf").context_cache_mb == 300
