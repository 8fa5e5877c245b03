"""French is complete and current; the window really speaks it."""

from __future__ import annotations

import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale

from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.errors import EngineNotReady, ModelFileError
from vigogne_desktop.core.library import quick_check
from vigogne_desktop.core.settings import AppSettings
from vigogne_desktop.ui.i18n import pick_language

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import translations  # noqa: E402

TRANSLATIONS = ROOT / "resources" / "translations"
PLACEHOLDER = re.compile(r"\{\w+\}|%n")


def messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            found[(name, message.findtext("source", ""))] = message
    return found


@pytest.fixture(scope="module", params=translations.LANGUAGES)
def ts(request: pytest.FixtureRequest) -> Path:
    """French (every string) and English (the plural forms only)."""
    return TRANSLATIONS / f"vigogne_{request.param}.ts"


@pytest.fixture(scope="module")
def refreshed(ts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed .ts brought up to date with the code, in a temporary copy."""
    copy = tmp_path_factory.mktemp("ts") / ts.name
    shutil.copy(ts, copy)
    translations.update(copy)
    return copy


def test_every_string_in_the_code_has_a_finished_translation(ts: Path, refreshed: Path) -> None:
    committed, current = messages(ts), messages(refreshed)
    assert current, "lupdate found nothing to translate"
    assert set(current) == set(committed), "run scripts/translations.py and translate"
    problems = []
    for (context, source), message in current.items():
        translation = message.find("translation")
        assert translation is not None
        forms = [f.text or "" for f in translation.iter("numerusform")] or [translation.text or ""]
        if translation.get("type") or not all(f.strip() for f in forms):
            problems.append(f"{context}: {source!r} is not translated")
        for form in forms:
            wanted, found = set(PLACEHOLDER.findall(source)), set(PLACEHOLDER.findall(form))
            if translation.find("numerusform") is not None:
                found.add("%n")  # a singular may say « le dernier » rather than « 1 »
            if found != wanted:
                problems.append(f"{context}: {source!r} -> {form!r} loses a placeholder")
    assert not problems, "\n".join(problems)


def test_the_compiled_qm_matches_the_ts(ts: Path, tmp_path: Path) -> None:
    compiled = tmp_path / "out.qm"
    translations.release(ts, compiled)
    assert compiled.read_bytes() == ts.with_suffix(".qm").read_bytes()


@pytest.mark.parametrize(
    ("choice", "system", "expected"),
    [
        ("fr", "en_US", "fr"),
        ("en", "fr_FR", "en"),
        ("system", "fr_CA", "fr"),
        ("system", "en_GB", "en"),
        ("system", "de_DE", "en"),
    ],
)
def test_language_follows_the_setting_then_the_system(
    choice: str, system: str, expected: str
) -> None:
    assert pick_language(choice, QLocale(system)) == expected


@pytest.fixture
def language(app_language: Callable[[str], None]) -> Callable[[str], None]:
    return app_language


@pytest.fixture
def french(app_language: Callable[[str], None]) -> None:
    app_language("fr")


def test_the_window_in_french(
    qtbot, french: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VIGOGNE_DESKTOP_HOME", str(tmp_path))
    from vigogne_desktop.ui.main_window import MainWindow

    window = MainWindow(AppSettings())
    qtbot.addWidget(window)
    try:
        assert window.model_label.text() == "Aucun modèle chargé"
        assert window.send_button.text() == "Envoyer"
        assert "Chargez d'abord un modèle" in window.reason.text()
        assert [
            m.title() for m in window.menuBar().findChildren(type(window.menuBar().addMenu("x")))
        ][:3] != []
        assert window.tabs.tabText(0) == "Discussion"
        assert window.chat_view.placeholder.text().startswith("Posez une question")
        assert window.chat.tr("%n token(s)", "", 2) == "2 jetons"
    finally:
        window.close()


def test_messages_from_the_core_and_its_children_follow_the_language(
    language: Callable[[str], None], tmp_path: Path
) -> None:
    missing = tmp_path / "absent.gguf"
    with pytest.raises(ModelFileError, match="n'existe pas"):
        quick_check(missing)
    language("en")
    with pytest.raises(ModelFileError, match="does not exist: check the model's path"):
        quick_check(missing)
    with LocalEngine() as engine:  # a child started now speaks English too
        engine.start()
        with pytest.raises(EngineNotReady, match="No model is loaded"):
            engine.tokenize("Bonjour")


def test_the_window_in_english_shows_english_errors(  # type: ignore[no-untyped-def]
    qtbot, language: Callable[[str], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    language("en")
    monkeypatch.setenv("VIGOGNE_DESKTOP_HOME", str(tmp_path))
    from vigogne_desktop.ui.main_window import MainWindow

    window = MainWindow(AppSettings())
    qtbot.addWidget(window)
    try:
        fake = tmp_path / "fake.gguf"
        fake.write_text("nothing")
        window.load_model(str(fake))
        qtbot.waitUntil(lambda: not window.session.loading, timeout=30000)
        # The error shows in the banner over the chat; the status bar says what is loaded.
        assert window.status.text() == "No model is loaded."
        assert window.banner.text.text() == (
            "“fake.gguf” is not a GGUF model: choose a .gguf file, or convert the model with "
            "vigogne-convert first."
        )
        assert window.send_button.text() == "Send"
        assert window.chat.tr("%n token(s)", "", 1) == "1 token"
        assert window.chat.tr("%n token(s)", "", 3) == "3 tokens"
    finally:
        window.close()
