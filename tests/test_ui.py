"""The minimal window, driven as a user would, with the real local engine."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from vigogne_desktop.core.protocol import LoadSettings
from vigogne_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def test_cannot_send_before_a_model_is_loaded(window: MainWindow) -> None:
    assert not window.send_button.isEnabled()
    assert "modèle" in window.send_button.toolTip()
    assert window.model_label.text() == "Aucun modèle chargé"


def test_load_ask_and_watch_the_reply_stream(qtbot, window: MainWindow, tiny_gguf: Path) -> None:  # type: ignore[no-untyped-def]
    window.load_model(str(tiny_gguf), LoadSettings(n_ctx=1024, n_threads=2))
    assert not window.open_button.isEnabled()  # busy while loading
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    assert "chat-v2" in window.model_label.text()

    qtbot.keyClicks(window.composer, "Bonjour Vigogne !")
    chunks: list[str] = []
    window.engine.worker.chunk.connect(chunks.append)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    assert not window.send_button.isEnabled()
    qtbot.waitUntil(lambda: "jetons/s" in window.status.text(), timeout=30000)
    reply = "".join(chunks)
    assert reply
    text = window.transcript.toPlainText()
    assert "Bonjour Vigogne !" in text and text.rstrip().endswith(reply.rstrip())
    assert [m["role"] for m in window.history] == ["user", "assistant"]
    assert window.composer.toPlainText() == ""


def test_bad_file_shows_one_sentence(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = tmp_path / "faux.gguf"
    fake.write_text("rien")
    window.load_model(str(fake))
    qtbot.waitUntil(lambda: "n'est pas un modèle GGUF" in window.status.text(), timeout=30000)
    assert window.open_button.isEnabled() and not window.send_button.isEnabled()


def test_app_process_exits_cleanly_after_a_reply(tiny_gguf: Path, tmp_path: Path) -> None:
    # A whole app process: load, ask, stream, close. Guards against Qt bindings that
    # corrupt memory on cross-thread signals (PySide6 6.12.0 aborted at exit here).
    script = tmp_path / "session.py"
    script.write_text(
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from vigogne_desktop.ui.main_window import MainWindow\n"
        "app = QApplication([])\n"
        "window = MainWindow(); window.show(); window.load_model(sys.argv[1])\n"
        "def step():\n"
        "    if window.history and window.history[-1]['role'] == 'assistant':\n"
        "        print('REPLY', len(window.history[-1]['content'])); window.close(); app.quit()\n"
        "    elif window.send_button.isEnabled() and not window.history:\n"
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
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "REPLY" in result.stdout and "Fatal" not in result.stderr


def test_first_start_converts_the_demo_model_and_answers_in_french(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VIGOGNE_DESKTOP_HOME", str(tmp_path / "home"))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        window.open_default_model()
        assert window.progress.isVisible()  # the user sees the preparation happen
        assert "démonstration" in window.status.text()
        qtbot.waitUntil(window.send_button.isEnabled, timeout=120000)
        assert not window.progress.isVisible()
        assert (tmp_path / "home" / "models" / "vigogne-demo.Q8_0.gguf").is_file()
        assert "Vigogne démo" in window.model_label.text()
        qtbot.keyClicks(window.composer, "Quelle est la capitale de l'Italie ?")
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "jetons/s" in window.status.text(), timeout=60000)
        assert "Rome" in window.history[-1]["content"]
    finally:
        window.close()
    # A second start finds the converted model and loads it directly.
    again = MainWindow()
    qtbot.addWidget(again)
    try:
        again.open_default_model()
        assert not again.progress.isVisible()
        qtbot.waitUntil(again.send_button.isEnabled, timeout=60000)
    finally:
        again.close()
