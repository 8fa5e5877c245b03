"""The settings say what sharing costs in memory before the user turns it on."""

from __future__ import annotations

from pathlib import Path

from vigogne_desktop.core.settings import AppSettings
from vigogne_desktop.core.sharing import second_copy_bytes
from vigogne_desktop.ui.library_models import size_text
from vigogne_desktop.ui.settings_dialog import SettingsDialog


def test_the_memory_sharing_adds_is_shown_beside_its_switch(qtbot, tiny_gguf: Path) -> None:  # type: ignore[no-untyped-def]
    settings = AppSettings()
    dialog = SettingsDialog(settings, str(tiny_gguf), None)
    qtbot.addWidget(dialog)
    ram, vram = second_copy_bytes(str(tiny_gguf), settings.preset(str(tiny_gguf)).load_settings())
    assert ram > 0 and vram == 0
    qtbot.waitUntil(lambda: not dialog.share_cost.isHidden(), timeout=10000)  # off the GUI thread
    assert size_text(ram) in dialog.share_cost.text()
    assert not dialog.share.isChecked()  # said before, not after


def test_without_a_model_nothing_is_said(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(AppSettings(), "", None)
    qtbot.addWidget(dialog)
    qtbot.wait(200)
    assert dialog.share_cost.isHidden()
