"""French is complete and current; the window really speaks it."""

from __future__ import annotations

import re
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from vigogne_desktop.core.settings import AppSettings
from vigogne_desktop.ui.i18n import install_language, pick_language

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import translations  # noqa: E402

TS = ROOT / "resources" / "translations" / "vigogne_fr.ts"
PLACEHOLDER = re.compile(r"\{\w+\}|%n")


def messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            found[(name, message.findtext("source", ""))] = message
    return found


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed .ts brought up to date with the code, in a temporary copy."""
    copy = tmp_path_factory.mktemp("ts") / TS.name
    shutil.copy(TS, copy)
    translations.update(copy)
    return copy


def test_every_string_in_the_code_has_a_finished_french_translation(refreshed: Path) -> None:
    committed, current = messages(TS), messages(refreshed)
    assert set(current) == set(committed), "run scripts/translations.py and translate"
    problems = []
    for (context, source), message in current.items():
        translation = message.find("translation")
        assert translation is not None
        forms = [f.text or "" for f in translation.iter("numerusform")] or [translation.text or ""]
        if translation.get("type") or not all(f.strip() for f in forms):
            problems.append(f"{context}: {source!r} is not translated")
        for form in forms:
            if sorted(PLACEHOLDER.findall(form)) != sorted(set(PLACEHOLDER.findall(source))):
                problems.append(f"{context}: {source!r} -> {form!r} loses a placeholder")
    assert not problems, "\n".join(problems)


def test_the_compiled_qm_matches_the_ts(refreshed: Path, tmp_path: Path) -> None:
    compiled = tmp_path / "fr.qm"
    translations.release(TS, compiled)
    assert compiled.read_bytes() == TS.with_suffix(".qm").read_bytes()


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
def french(qapp: QApplication) -> Iterator[None]:
    install_language(qapp, "fr")
    yield
    install_language(qapp, "en")


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
        assert window.tr("%n token(s)", "", 2) == "2 jetons"
    finally:
        window.close()
