"""The files behind the library, driven from the window: an added model removed from the list
(never from the disk), a model of the app's folder deleted after a question naming it,
the files left out shown with their reasons, and the model bar picking from all of it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import constants
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from vigogne_desktop.core.settings import AppSettings, models_dir
from vigogne_desktop.ui.library_models import LocalRow, size_text, source_label
from vigogne_desktop.ui.main_window import MainWindow


class Answers:
    """QMessageBox.question as the user answers it, each question kept."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[str] = []
        self.answer = QMessageBox.StandardButton.Yes
        monkeypatch.setattr(QMessageBox, "question", self.question)

    def question(self, _parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        self.asked.append(text)
        return self.answer


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of the user's own: no other app's models but the test's, its own trash."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    data = tmp_path / "user" / ".local" / "share"
    data.mkdir(parents=True)  # as in any desktop session: Qt's trash goes there
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    return tmp_path / "user"


@pytest.fixture
def settings(home: Path, user: Path) -> AppSettings:
    return AppSettings()


@pytest.fixture
def window(qtbot, settings: AppSettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def copy(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, folder / (name or source.name)))


def listed(window: MainWindow) -> dict[Path, LocalRow]:
    return {r.model.path: r for r in window.library_view.local.rows}


def open_library_on(qtbot, window: MainWindow, path: Path) -> LocalRow:  # type: ignore[no-untyped-def]
    """The library shown with `path` listed and selected, its detail on screen."""
    window.show_library()
    qtbot.waitUntil(lambda: path in listed(window), timeout=15000)
    assert window.library_view.select_local(str(path))
    qtbot.waitUntil(window.library_view.local_detail.isVisible)
    return listed(window)[path]


def test_an_added_folder_leaves_the_library_and_its_files_stay_on_disk(  # type: ignore[no-untyped-def]
    qtbot, settings: AppSettings, tmp_path: Path, tiny_gguf: Path, bare_gguf: Path, monkeypatch
) -> None:
    folder = tmp_path / "my-models"
    inside = [copy(tiny_gguf, folder), copy(bare_gguf, folder)]
    alone = copy(tiny_gguf, tmp_path / "elsewhere", "alone.gguf")
    settings.imported_models = [str(folder), str(alone)]
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    answers = Answers(monkeypatch)
    open_library_on(qtbot, win, inside[0])
    detail = win.library_view.local_detail
    assert detail.remove_button.isVisible() and not detail.delete_button.isVisible()

    answers.answer = QMessageBox.StandardButton.No
    qtbot.mouseClick(detail.remove_button, Qt.MouseButton.LeftButton)
    assert answers.asked[-1] == (
        "Remove the folder my-models and its 2 models from the library? The files stay on "
        "disk: only the library forgets them."
    )
    assert win.session.settings.imported_models == [str(folder), str(alone)]
    assert set(inside) <= set(listed(win))

    answers.answer = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(detail.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not set(inside) & set(listed(win)), timeout=15000)
    assert alone in listed(win) and all(f.is_file() for f in [*inside, alone])
    assert AppSettings.load().imported_models == [str(alone)]
    assert "The files stay on disk" in win.status.text()
    win.close()


def test_a_model_of_the_app_folder_is_deleted_after_a_question_naming_it_and_its_size(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, user: Path, tiny_gguf: Path, monkeypatch
) -> None:
    model = copy(tiny_gguf, models_dir(), "to-delete.gguf")
    answers = Answers(monkeypatch)
    open_library_on(qtbot, window, model)
    detail = window.library_view.local_detail
    assert detail.delete_button.isVisible() and not detail.remove_button.isVisible()

    answers.answer = QMessageBox.StandardButton.No
    qtbot.mouseClick(detail.delete_button, Qt.MouseButton.LeftButton)
    size = size_text(model.stat().st_size)
    assert answers.asked == [
        f"Delete to-delete.gguf ({size}) from the models folder? It goes to the trash, or is "
        "deleted for good where there is no trash."
    ]
    assert model.is_file()

    answers.answer = QMessageBox.StandardButton.Yes
    qtbot.mouseClick(detail.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: model not in listed(window), timeout=15000)
    assert not model.exists()
    # The desktop's trash (freedesktop layout): the user can still bring it back.
    trashed = user / ".local" / "share" / "Trash" / "files" / "to-delete.gguf"
    assert trashed.is_file() and window.status.text() == "to-delete.gguf is in the trash."
    assert window.library_view.details.currentWidget() is window.library_view.empty
    assert str(model) not in window.chat_tab.model_bar.listed()


def test_other_apps_files_can_be_neither_removed_nor_deleted(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, user: Path, tiny_gguf: Path
) -> None:
    theirs = copy(tiny_gguf, user / ".lmstudio" / "models" / "vigogne" / "tiny-GGUF")
    row = open_library_on(qtbot, window, theirs)
    detail = window.library_view.local_detail
    assert row.model.source == "lm-studio" and detail.chat_button.isVisible()
    assert not detail.remove_button.isVisible() and not detail.delete_button.isVisible()


def test_files_left_out_are_shown_with_their_reasons_and_gone_ones_can_be_removed(  # type: ignore[no-untyped-def]
    qtbot, settings: AppSettings, tmp_path: Path, tiny_gguf: Path
) -> None:
    gone = tmp_path / "usb-drive" / "vigogne.Q4_K_M.gguf"
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("des notes, pas un modèle\n")
    good = copy(tiny_gguf, tmp_path / "kept")
    settings.imported_models = [str(gone), str(not_gguf), str(good)]
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    win.show_library()
    view = win.library_view
    qtbot.waitUntil(view.skipped_button.isVisible, timeout=15000)
    assert view.skipped_button.text() == "2 files skipped"
    tooltip = view.skipped_button.toolTip()
    assert f"“{gone}” no longer exists" in tooltip and "“notes.gguf” is not a GGUF model" in tooltip
    assert good in listed(win)

    qtbot.mouseClick(view.skipped_button, Qt.MouseButton.LeftButton)
    box = view.skipped_box
    assert box is not None and box.isVisible()
    assert box.informativeText() == tooltip.replace("\n", "\n\n")
    remove = next(b for b in box.buttons() if "from the library" in b.text())
    assert remove.text() == "Remove the 2 added ones from the library"
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.skipped_button.isVisible(), timeout=15000)
    assert AppSettings.load().imported_models == [str(good)]
    assert not_gguf.is_file() and good in listed(win)
    win.close()


def test_the_model_bar_picks_from_every_model_of_the_library_by_name(  # type: ignore[no-untyped-def]
    qtbot, settings: AppSettings, user: Path, tmp_path: Path, tiny_gguf: Path, bare_gguf: Path
) -> None:
    ours = copy(tiny_gguf, models_dir(), "ours.gguf")
    added = copy(bare_gguf, tmp_path / "added")
    theirs = copy(tiny_gguf, user / ".lmstudio" / "models" / "vigogne" / "tiny-GGUF", "lms.gguf")
    settings.imported_models = [str(added)]
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    bar = win.chat_tab.model_bar
    combo = bar.picker
    choices = bar.listed

    # Without opening the library: the window lists it when it starts.
    qtbot.waitUntil(lambda: len(choices()) == 3, timeout=15000)
    assert choices() == [str(ours), str(added), str(theirs)]  # the models folder first
    # By the models' own names; two copies of one model by their files too.
    assert [combo.itemText(n) for n in range(3)] == [
        "Vigogne synthétique (ours.gguf)",
        added.stem,  # a file naming no model goes by its own name
        "Vigogne synthétique (lms.gguf)",
    ]
    assert [combo.itemData(n, Qt.ItemDataRole.ToolTipRole) for n in range(3)] == choices()
    combo.setCurrentIndex(1)
    combo.activated.emit(1)
    qtbot.waitUntil(win.send_button.isEnabled, timeout=30000)
    assert win.session.model_path == str(added)
    # A model that reaches the library later (here: the engine's own list refreshed after the
    # load) is still listed once, the choice kept.
    assert choices() == [str(ours), str(added), str(theirs)]
    assert combo.currentData() == str(added)
    win.close()


def test_enter_on_a_model_opens_the_chat_and_it_is_judged_at_its_own_context(  # type: ignore[no-untyped-def]
    qtbot, window, tiny_gguf: Path
) -> None:
    ours = copy(tiny_gguf, models_dir())
    row = open_library_on(qtbot, window, ours)
    # A model that knows fewer tokens than the user's context is judged at its own.
    assert row.model.context_length and row.fit.n_ctx == min(4096, row.model.context_length)
    assert source_label(row.model.source) == "App folder"
    view = window.library_view
    view.local_table.setFocus()
    with qtbot.waitSignal(view.chat_requested, timeout=5000) as chat:
        qtbot.keyClick(view.local_table, Qt.Key.Key_Return)
    assert chat.args == [str(ours)]
