"""The library tab, driven as a user would: the catalog and its fit filter, a download from a
local Hub stand-in to a chat with the real engine, a gated repo, a cancel and its resume,
an added folder, and the demo checkpoint converted from the dialog, from a folder and as a
catalog checkpoint served by the stand-in (only the files a conversion needs fetched).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hub_standin import HubStandin, use_standin
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core.catalog import CatalogEntry, by_id, entries, entry_shape
from vigogne_desktop.core.conversion import demo_checkpoint
from vigogne_desktop.core.downloads import cached_file
from vigogne_desktop.core.hardware import GiB, Machine, estimate, probe
from vigogne_desktop.core.settings import AppSettings, models_dir
from vigogne_desktop.ui import library_controller
from vigogne_desktop.ui.library_models import (
    FITS,
    LICENCE_COLUMN,
    TIGHT,
    TOO_BIG,
    CatalogRow,
    CatalogTable,
    catalog_row,
    fit_of,
    size_text,
)
from vigogne_desktop.ui.main_window import MainWindow

# 7B at Q4_K_M fits in 8 GiB free with room to spare; 13B and 33B do not.
LAPTOP = Machine(total_ram=16 * GiB, available_ram=8 * GiB, physical_cores=4, logical_cores=8)
# Not even the smallest ready file of a 7B model fits in 2 GiB.
SMALL = Machine(total_ram=4 * GiB, available_ram=2 * GiB, physical_cores=2, logical_cores=2)


class Boxes:
    """The user at the library's questions: each box's text kept, `button` clicked in it."""

    def __init__(self, button: str) -> None:
        self.asked: list[str] = []
        self.button = button
        self.timer = QTimer()
        self.timer.timeout.connect(self._answer)
        self.timer.start(20)

    def _answer(self) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            self.asked.append(box.text())
            next(b for b in box.buttons() if b.text() == self.button).click()


@pytest.fixture
def boxes() -> Iterator[Boxes]:
    answers = Boxes("Cancel")
    yield answers
    answers.timer.stop()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandin]:
    """The Hub stand-in, an empty Hugging Face cache, and a home with no other app's models."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    with HubStandin(tmp_path / "hub") as standin:
        use_standin(monkeypatch, standin, tmp_path / "hf-cache")
        yield standin


@pytest.fixture
def window(qtbot, home: Path, hub: HubStandin) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = MainWindow(AppSettings())
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def open_library(qtbot, window: MainWindow, machine: Machine | None = None) -> None:  # type: ignore[no-untyped-def]
    """The library shown, once the scan this asks for is in (not an earlier one)."""
    window.show_library()
    here = machine or probe()
    window.library.refresh(here)
    qtbot.waitUntil(
        lambda: (
            window.library_view.catalog.rowCount() == len(entries())
            and window.library.machine is here
        ),
        timeout=15000,
    )


def shown_rows(window: MainWindow) -> list[CatalogRow]:
    table = window.library_view.catalog_table
    model = table.model()
    return [model.index(n, 0).data(Qt.ItemDataRole.UserRole + 1) for n in range(model.rowCount())]


def recommended(window: MainWindow) -> CatalogRow:
    row = shown_rows(window)[0]
    assert row.entry.status == "recommended"
    return row


def select(qtbot, window: MainWindow, entry_id: str) -> None:  # type: ignore[no-untyped-def]
    assert window.library_view.select_catalog(entry_id)
    qtbot.waitUntil(window.library_view.catalog_detail.isVisible)


def chats_with(qtbot, window: MainWindow, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Once `path` is loaded, a question gets an answer from the real engine."""
    qtbot.waitUntil(window.send_button.isEnabled, timeout=30000)
    assert window.session.model_path == str(path)
    window.panel.max_tokens.setValue(12)
    window.composer.insertPlainText("Bonjour !")
    qtbot.keyClick(window.composer, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.session.reply is None, timeout=60000)
    (question, answer) = window.messages.messages
    assert question.content == "Bonjour !" and answer.role == "assistant" and answer.content


def serve_recommended(hub: HubStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> bytes:
    """A real tiny GGUF under every ready file name of the recommended model, and a catalog
    that describes it (size, SHA-256) as the real one describes the Hub's files."""
    data = write_random_llama(tmp_path / "served.gguf", TINY, seed=4).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()

    def served(entry: CatalogEntry) -> CatalogEntry:
        if entry.status != "recommended":
            return entry
        repos = tuple(
            replace(
                r, files=tuple(replace(f, size_bytes=len(data), sha256=sha256) for f in r.files)
            )
            for r in entry.ggufs
        )
        for repo in repos:
            for file in repo.files:
                hub.add_file(repo.repo, file.filename, data, repo.revision)
        return replace(entry, ggufs=repos)

    catalog = tuple(served(e) for e in entries())
    monkeypatch.setattr(library_controller, "entries", lambda: catalog)
    return data


def test_the_catalog_lists_every_model_the_recommended_one_first(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    open_library(qtbot, window, LAPTOP)
    view = window.library_view
    assert {r.entry.id for r in shown_rows(window)} == {e.id for e in entries()}
    first = recommended(window)
    assert first.entry.name == "Vigogne-2-7B-Chat-V2.0" and first.entry.revision == "main"
    assert view.catalog.index(0, 0).data().startswith("★")
    assert not window.sidebar.isVisible()  # the library has the whole width
    research = [r for r in shown_rows(window) if r.entry.research_only]
    assert research and all(
        view.catalog.index(view.catalog.rows.index(r), LICENCE_COLUMN).data() == "Research only"
        for r in research
    )
    view.kind.setCurrentIndex(view.kind.findData("instruct"))
    assert shown_rows(window) and {r.entry.kind for r in shown_rows(window)} == {"instruct"}


def test_the_fit_filter_hides_what_does_not_fit(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    open_library(qtbot, window, LAPTOP)
    every = shown_rows(window)
    levels = {r.entry.id: r.fit.level for r in every}
    assert levels["vigogne-2-7b-chat"] in (FITS, TIGHT)
    assert TOO_BIG in levels.values()  # the 33B model needs more than 8 GiB
    window.library_view.fitting.setChecked(True)
    fitting = shown_rows(window)
    assert fitting and {r.entry.id for r in fitting} == {
        r.entry.id for r in every if r.fit.level != TOO_BIG
    }
    # This machine, with the real estimates: the filter keeps exactly what `estimate` fits.
    here = probe()
    window.library.refresh(here)
    qtbot.waitUntil(lambda: window.library.machine is here, timeout=15000)
    assert {r.entry.id for r in shown_rows(window)} == {
        r.entry.id for r in window.library.catalog if r.fit.estimate and r.fit.estimate.fits
    }


def test_from_the_catalog_to_a_chat_through_a_verified_download(  # type: ignore[no-untyped-def]
    qtbot, window, hub: HubStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = serve_recommended(hub, monkeypatch, tmp_path)
    open_library(qtbot, window)
    row = recommended(window)
    select(qtbot, window, row.entry.id)
    view, detail = window.library_view, window.library_view.catalog_detail
    assert row.entry.licence_note in detail.licence.text()  # the licence, before any download
    assert detail.selected_file() == row.choice  # the recommended file is pre-selected
    progress = []
    window.library.download_progress.connect(progress.append)
    qtbot.mouseClick(detail.download_button, Qt.MouseButton.LeftButton)
    assert view.transfer.isVisible() and not detail.download_button.isEnabled()
    with qtbot.waitSignal(window.library.download_ended, timeout=15000) as ended:
        pass
    path = Path(ended.args[0])
    assert progress and progress[-1].done_bytes == progress[-1].total_bytes == len(data)
    assert path.read_bytes() == data
    assert cached_file(row.choice.repo, row.choice.filename, row.choice.revision) == path
    # It appears with the models on this computer, selected, with its real metadata.
    qtbot.waitUntil(view.local_detail.isVisible, timeout=15000)
    assert view.local_detail.row.model.path.resolve() == path.resolve()
    assert view.local_detail.row.model.has_chat_template
    qtbot.mouseClick(view.local_detail.chat_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.chat_tab
    chats_with(qtbot, window, path)


def test_a_gated_repo_without_token_says_so_in_the_library(  # type: ignore[no-untyped-def]
    qtbot, window, hub: HubStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_recommended(hub, monkeypatch, tmp_path)
    open_library(qtbot, window)
    row = recommended(window)
    assert row.choice is not None
    hub.gate(row.choice.repo, "hf_secret")
    select(qtbot, window, row.entry.id)
    qtbot.mouseClick(window.library_view.catalog_detail.download_button, Qt.MouseButton.LeftButton)
    view = window.library_view
    qtbot.waitUntil(view.message_box.isVisible, timeout=15000)
    assert row.choice.repo in view.message.text() and "token" in view.message.text()
    assert not view.transfer.isVisible() and view.catalog_detail.download_button.isEnabled()


def test_cancel_keeps_the_window_responsive_and_the_next_download_resumes(  # type: ignore[no-untyped-def]
    qtbot, window, hub: HubStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = serve_recommended(hub, monkeypatch, tmp_path)
    open_library(qtbot, window)
    row = recommended(window)
    assert row.choice is not None
    hub.rate = len(data) // 8  # eight seconds for the whole file
    select(qtbot, window, row.entry.id)
    view = window.library_view
    qtbot.mouseClick(view.catalog_detail.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "/s" in view.transfer_label.text(), timeout=10000)
    ticks = []
    QTimer.singleShot(50, lambda: ticks.append(1))  # the event loop runs while bytes arrive
    qtbot.waitUntil(lambda: bool(ticks), timeout=1000)
    with qtbot.waitSignal(window.library.download_ended, timeout=5000):
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert "cancelled" in view.message.text() and view.message_box.isVisible()
    hub.rate = None
    with qtbot.waitSignal(window.library.download_started, timeout=5000) as started:
        qtbot.mouseClick(view.catalog_detail.download_button, Qt.MouseButton.LeftButton)
    # What the part holds, said exactly, and where the Range request starts.
    kept = started.args[1]
    assert kept > 0 and "Resuming" in view.transfer_label.text()
    assert f"({size_text(kept)} already here)" in view.transfer_label.text()
    with qtbot.waitSignal(window.library.download_ended, timeout=15000) as ended:
        pass
    assert Path(ended.args[0]).read_bytes() == data
    assert hub.downloads(row.choice.filename)[-1].range == f"bytes={kept}-"


def test_an_added_folder_lists_its_models_where_they_are(  # type: ignore[no-untyped-def]
    qtbot, window, monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path, bare_gguf: Path, tmp_path
) -> None:
    folder = tmp_path / "my-models"
    folder.mkdir()
    for file in (tiny_gguf, bare_gguf):
        shutil.copy(file, folder / file.name)
    open_library(qtbot, window)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    view = window.library_view
    add_folder = next(a for a in view.add_button.menu().actions() if a.text() == "A folder…")
    add_folder.trigger()
    qtbot.waitUntil(
        lambda: {r.model.path.name for r in view.local.rows} >= {tiny_gguf.name, bare_gguf.name},
        timeout=15000,
    )
    listed = {r.model.path.name: r.model for r in view.local.rows}
    assert listed[tiny_gguf.name].path.parent == folder  # used where it is, not copied
    assert listed[tiny_gguf.name].has_chat_template
    assert not listed[bare_gguf.name].has_chat_template
    assert not (models_dir() / tiny_gguf.name).exists()
    assert AppSettings.load().imported_models == [str(folder)]


def test_a_research_only_model_asks_before_anything_is_fetched(  # type: ignore[no-untyped-def]
    qtbot, window, boxes: Boxes
) -> None:
    open_library(qtbot, window)
    row = next(r for r in shown_rows(window) if r.entry.research_only)
    select(qtbot, window, row.entry.id)
    detail = window.library_view.catalog_detail
    assert "Research use only" in detail.licence.text()
    qtbot.mouseClick(detail.convert_button, Qt.MouseButton.LeftButton)
    assert boxes.asked and row.entry.licence_note in boxes.asked[0]
    assert window.library_view.convert_dialog is None  # the user said no: nothing started


def test_the_demo_checkpoint_converted_from_the_dialog_lands_in_the_library(  # type: ignore[no-untyped-def]
    qtbot, window
) -> None:
    open_library(qtbot, window)
    window.library_view.open_convert()
    dialog = window.library_view.convert_dialog
    assert dialog is not None
    dialog.source.setCurrentIndex(dialog.source.findData("folder"))
    dialog.folder.setText(str(demo_checkpoint()))
    dialog.folder.editingFinished.emit()
    q4 = dialog.quant.findData("Q4_K_M")
    assert "≈ 2" in dialog.quant.itemText(q4)  # 4 M parameters at 4.9 bits: about 2.5 MB
    dialog.quant.setCurrentIndex(q4)
    with qtbot.waitSignal(window.library.conversion_ended, timeout=60000) as ended:
        qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
    path, error = ended.args
    assert error == "" and Path(path) == models_dir() / "demo-model.Q4_K_M.gguf"
    assert dialog.chat_button.isVisible()
    view = window.library_view
    qtbot.waitUntil(
        lambda: any(r.model.path.name == "demo-model.Q4_K_M.gguf" for r in view.local.rows),
        timeout=15000,
    )
    model = next(r.model for r in view.local.rows if r.model.path.name.startswith("demo-model"))
    assert model.quantization == "Q4_K_M"


def test_a_catalog_checkpoint_converts_through_the_hub_fetching_only_what_it_needs(  # type: ignore[no-untyped-def]
    qtbot, window, hub: HubStandin, boxes: Boxes
) -> None:
    entry = by_id("vigogne-2-7b-chat-v1.0")
    assert entry is not None and not entry.ggufs and entry.revision == "v1.0"
    # The demo checkpoint stands for it at its revision: the converter goes by its config.json.
    hub.add_file(entry.repo, "README.md", b"# Vigogne-2-7B-Chat\n")  # the main revision
    for file in demo_checkpoint().iterdir():
        hub.add_file(entry.repo, file.name, file.read_bytes(), entry.revision)
    # What a conversion must leave on the Hub: the same weights for PyTorch, a training state.
    extras = ("pytorch_model.bin", "optimizer.pt")
    for extra in extras:
        hub.add_file(entry.repo, extra, bytes(12 * 1024 * 1024), entry.revision)
    asked = boxes.asked
    open_library(qtbot, window)
    window.library_view.open_convert()
    dialog = window.library_view.convert_dialog
    assert dialog is not None and dialog.source.currentData() == "catalog"
    # A research-only checkpoint chosen in the dialog asks first; the answer no fetches nothing.
    research = by_id("vigogne-7b-chat")
    assert research is not None and research.research_only
    dialog.entry.setCurrentIndex(dialog.entry.findData(research.id))
    qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
    assert asked == [research.licence_note + "\n\nUse this model for research only?"]
    assert not window.library.converting and not hub.requests
    dialog.entry.setCurrentIndex(dialog.entry.findData(entry.id))
    dialog.quant.setCurrentIndex(dialog.quant.findData("Q4_K_M"))
    with qtbot.waitSignal(window.library.conversion_ended, timeout=90000) as ended:
        qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
    path, error = ended.args
    assert error == "" and Path(path) == models_dir() / "vigogne-2-7b-chat-v1.0.Q4_K_M.gguf"
    assert len(asked) == 1  # a Llama 2 licence: no question
    for needed in ("config.json", "model.safetensors", "tokenizer.model"):
        assert hub.downloads(needed), needed
    assert not any(extra in r.path for r in hub.requests for extra in extras)
    view = window.library_view
    qtbot.waitUntil(lambda: any(r.model.path == Path(path) for r in view.local.rows), timeout=15000)
    model = next(r.model for r in view.local.rows if r.model.path == Path(path))
    assert model.quantization == "Q4_K_M" and model.has_chat_template
    qtbot.mouseClick(dialog.chat_button, Qt.MouseButton.LeftButton)
    chats_with(qtbot, window, Path(path))


def test_on_a_small_machine_no_too_big_file_is_recommended_and_a_download_asks(  # type: ignore[no-untyped-def]
    qtbot, window, boxes: Boxes
) -> None:
    open_library(qtbot, window, SMALL)
    row = recommended(window)
    assert row.files and all(f.fit.level == TOO_BIG for f in row.files)
    select(qtbot, window, row.entry.id)
    detail = window.library_view.catalog_detail
    texts = [detail.files.item(n).text() for n in range(detail.files.count())]
    assert not any("recommended" in text for text in texts)
    smallest = min(row.files, key=lambda f: f.fit.needed_bytes)
    needed, free = size_text(smallest.fit.needed_bytes), size_text(2 * GiB)
    assert detail.nothing_fits.isVisible()
    assert f"about {needed} is needed, {free} is free" in detail.nothing_fits.text()
    chosen = detail.selected_file()
    assert chosen is not None and size_text(chosen.size_bytes) in detail.download_button.text()
    # The user sees by how much before anything is fetched; Cancel fetches nothing.
    qtbot.mouseClick(detail.download_button, Qt.MouseButton.LeftButton)
    assert len(boxes.asked) == 1 and size_text(chosen.fit.needed_bytes) in boxes.asked[0]
    assert free in boxes.asked[0] and not window.library.downloading


def test_badges_and_figures_use_the_memory_that_must_be_free(qtbot) -> None:  # type: ignore[no-untyped-def]
    entry = by_id("vigogne-2-7b-chat")
    assert entry is not None and entry.ggufs
    file = next(f for r in entry.ggufs for f in r.files if f.quant.upper() == "Q4_K_M")
    shape = entry_shape(entry, file.size_bytes, file.quant)
    probe_machine = replace(LAPTOP, available_ram=64 * GiB, cpu_features={"avx2": True})
    found = estimate(shape, 4096, probe_machine)
    assert found.ram_bytes > found.needed_bytes  # the repacked weights' mapped pages
    # Room for what must be free and a comfortable margin, not for the peak RSS and its margin.
    room = found.needed_bytes + max(GiB, int(0.3 * found.needed_bytes)) + 64 * 1024**2
    assert found.ram_bytes + max(GiB, int(0.3 * found.ram_bytes)) > room
    machine = replace(probe_machine, available_ram=room)
    fit = fit_of(shape, 4096, machine)
    assert fit.level == FITS
    assert fit.figures() == (
        f"≈ {size_text(found.needed_bytes)} needed, {size_text(room)} free, context 4096"
    )
    table = CatalogTable()
    table.set_rows([catalog_row(entry, machine, 4096)])
    shown = table.rows[0]
    assert size_text(shown.fit.needed_bytes) in table.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)


def test_the_fit_says_what_for_and_a_conversion_says_what_it_takes(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    open_library(qtbot, window, LAPTOP)
    view = window.library_view
    assert view.catalog.headerData(4, Qt.Orientation.Horizontal) == "Compatibility"
    assert "estimates for a 4096-token context" in view.machine_label.text()
    to_convert = next(r for r in shown_rows(window) if r.choice is None)
    n = view.catalog.rows.index(to_convert)
    assert view.catalog.index(n, 2).data() == f"{to_convert.quant} (to convert)"
    select(qtbot, window, to_convert.entry.id)
    detail = view.catalog_detail
    needed = size_text(to_convert.fit.needed_bytes)
    assert f"≈ {needed} needed, {size_text(8 * GiB)} free, context 4096" in detail.fit.text()
    assert size_text(2 * to_convert.parameters) in detail.disk.text()
    assert size_text(to_convert.size_bytes) in detail.disk.text()


def test_the_convert_dialog_forgets_an_error_of_the_other_source(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    open_library(qtbot, window, LAPTOP)
    window.library_view.open_convert()
    dialog = window.library_view.convert_dialog
    assert dialog is not None
    dialog.source.setCurrentIndex(dialog.source.findData("folder"))
    assert not dialog.output.isVisible()  # no « …/model.Q8_0.gguf » before a folder is chosen
    qtbot.mouseClick(dialog.convert_button, Qt.MouseButton.LeftButton)
    assert dialog.message_box.isVisible()
    assert dialog.message.text() == "Choose the checkpoint's folder first."
    dialog.source.setCurrentIndex(dialog.source.findData("catalog"))
    assert not dialog.message_box.isVisible() and dialog.output.isVisible()
    # A 7B model on 8 GiB: Q8_0 is tagged too big, and a fitting one is pre-selected.
    dialog.entry.setCurrentIndex(dialog.entry.findData("vigogne-2-7b-instruct"))
    q8 = dialog.quant.findData("Q8_0")
    assert "Too big" in dialog.quant.itemText(q8)
    assert "Too big" not in dialog.quant.currentText()
