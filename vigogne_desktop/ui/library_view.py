"""The library tab: the Vigogne catalog and the models on this computer side by side, with
filters, one model in detail, and the running download. It displays and forwards intent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.hardware import Machine
from ..core.library import SkippedFile
from .convert_dialog import ConvertDialog
from .library_controller import LibraryController
from .library_detail import CatalogDetail, LocalDetail
from .library_models import (
    CatalogRow,
    CatalogTable,
    LibraryFilter,
    LocalRow,
    LocalTable,
    ReadyFile,
    RowRole,
    duration_text,
    size_text,
)
from .library_questions import LibraryQuestions

if TYPE_CHECKING:  # httpx and huggingface_hub come with it: imported by the first download
    from ..core.downloads import DownloadProgress


def _table(model: LibraryFilter, name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    # Every column as wide as its text, the last one taking what is left; a window too
    # narrow scrolls sideways rather than cut a model's name.
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return table


class LibraryView(QWidget):
    download_requested = Signal(object)  # ReadyFile, its licence seen (and accepted)
    cancel_requested = Signal()
    chat_requested = Signal(str)  # a local model's path
    add_requested = Signal(list)  # files or folders to list in the library

    def __init__(self) -> None:
        super().__init__()
        self.catalog = CatalogTable()
        self.local = LocalTable()
        self.catalog_filter = LibraryFilter(self.catalog)
        self.local_filter = LibraryFilter(self.local)
        self._wanted_local = ""  # a file to select once it is listed (downloaded, converted)
        self._busy = False
        self._library: LibraryController | None = None
        self.convert_dialog: ConvertDialog | None = None
        self.skipped: list[SkippedFile] = []
        self.skipped_box: QMessageBox | None = None
        self.questions = LibraryQuestions(self)
        self._build_bar()
        self.catalog_table = _table(self.catalog_filter, self.tr("Vigogne catalog"))
        self.local_table = _table(self.local_filter, self.tr("Models on this computer"))
        self.catalog_table.selectionModel().selectionChanged.connect(self._on_catalog_selected)
        self.local_table.selectionModel().selectionChanged.connect(self._on_local_selected)
        # Enter, or a double click (the platform's activation), opens the chat.
        self.local_table.activated.connect(self._chat_with_selected)
        lists = QSplitter(Qt.Orientation.Vertical)
        for title, table in (
            (self.tr("Vigogne catalog"), self.catalog_table),
            (self.tr("On this computer"), self.local_table),
        ):
            box = QGroupBox(title)
            box_layout = QVBoxLayout(box)
            box_layout.addWidget(table)
            lists.addWidget(box)
        # Getting more models sits with the models on this computer.
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.convert_button)
        buttons.addStretch(1)
        buttons.addWidget(self.skipped_button)
        box_layout.addLayout(buttons)
        lists.setStretchFactor(0, 3)
        lists.setStretchFactor(1, 2)
        self.splitter = QSplitter()
        self.splitter.addWidget(lists)
        self.splitter.addWidget(self._build_side())
        # The tables need about 560 px at 960 wide; the detail wraps its text in the rest.
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([600, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(self.bar)
        layout.addWidget(self.splitter, 1)
        self._order_tabs()

    # -- building ------------------------------------------------------------------------

    def _build_bar(self) -> None:
        self.kind = QComboBox()
        self.kind.setAccessibleName(self.tr("Type of model"))
        for text, kind in (
            (self.tr("All types"), ""),
            (self.tr("Chat"), "chat"),
            (self.tr("Instruct"), "instruct"),
        ):
            self.kind.addItem(text, kind)
        self.kind.currentIndexChanged.connect(self._filter)
        self.fitting = QCheckBox(self.tr("Fits this computer"))
        self.fitting.toggled.connect(self._filter)
        # A push button draws its menu arrow clear of the text (a tool button's touched it).
        self.add_button = QPushButton(self.tr("Add models…"))
        menu = QMenu(self.add_button)
        menu.addAction(self.tr("GGUF files…"), self._add_files)
        menu.addAction(self.tr("A folder…"), self._add_folder)
        self.add_button.setMenu(menu)
        self.convert_button = QPushButton(self.tr("Convert…"))
        self.convert_button.setToolTip(
            self.tr("Convert a Hugging Face checkpoint, a folder or a LoRA adapter to GGUF")
        )
        self.convert_button.clicked.connect(lambda: self.open_convert(None))
        # Files the list leaves out are said, not dropped: « 2 fichiers ignorés », and why.
        self.skipped_button = QPushButton()
        self.skipped_button.setFlat(True)
        self.skipped_button.setObjectName("reason")
        self.skipped_button.clicked.connect(self._explain_skipped)
        self.skipped_button.hide()
        self.machine_label = QLabel()
        self.machine_label.setObjectName("reason")
        self.machine_label.setWordWrap(True)
        # The label wraps rather than widen the window (it must fit beside the chat's panels).
        self.machine_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QHBoxLayout()
        self.bar.addWidget(self.kind)
        self.bar.addWidget(self.fitting)
        self.bar.addWidget(self.machine_label, 1)

    def _build_side(self) -> QWidget:
        self.catalog_detail = CatalogDetail()
        self.local_detail = LocalDetail()
        self.catalog_detail.download_requested.connect(self._download)
        self.catalog_detail.convert_requested.connect(self._convert)
        self.local_detail.chat_requested.connect(self.chat_requested)
        self.local_detail.remove_requested.connect(self._remove)
        self.local_detail.delete_requested.connect(self._delete)
        self.empty = QLabel(self.tr("Choose a model in the catalog or on this computer."))
        self.empty.setObjectName("placeholder")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details = QStackedWidget()
        for page in (self.empty, self.catalog_detail, self.local_detail):
            self.details.addWidget(page)
        self.details.currentChanged.connect(self._size_details)
        self._size_details()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.details)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the buttons inside
        scroll.viewport().setAutoFillBackground(False)  # the window's colour, in both themes
        self.details.setAutoFillBackground(False)
        # Errors and the running download, under the detail: where the user just clicked.
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_box = QFrame()
        self.message_box.setObjectName("banner")
        QVBoxLayout(self.message_box).addWidget(self.message)
        self.message_box.hide()
        self.transfer_label = QLabel()
        self.transfer_label.setWordWrap(True)
        self.transfer_bar = QProgressBar()
        self.transfer_bar.setAccessibleName(self.tr("Download progress"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self._cancel)
        self.transfer = QFrame()
        transfer = QVBoxLayout(self.transfer)
        transfer.setContentsMargins(0, 0, 0, 0)
        transfer.addWidget(self.transfer_label)
        row = QHBoxLayout()
        row.addWidget(self.transfer_bar, 1)
        row.addWidget(self.cancel_button)
        transfer.addLayout(row)
        self.transfer.hide()
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message_box)
        layout.addWidget(self.transfer)
        return side

    def _size_details(self) -> None:
        """The detail as wide as the page shown: a hidden page's long path would otherwise
        push the shown one past the window's edge."""
        for page in (self.empty, self.catalog_detail, self.local_detail):
            shown = page is self.details.currentWidget()
            policy = QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)

    def _order_tabs(self) -> None:
        """Each list, then the buttons of its detail: Tab follows the eye."""
        chain = (
            self.kind,
            self.fitting,
            self.catalog_table,
            self.catalog_detail.download_button,
            self.catalog_detail.convert_button,
            self.local_table,
            self.local_detail.chat_button,
            self.local_detail.remove_button,
            self.local_detail.delete_button,
            self.add_button,
            self.convert_button,
            self.skipped_button,
        )
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def observe(self, library: LibraryController) -> None:
        """Show what the library's controller says; hand it what the user asks."""
        self._library = library
        library.message.connect(self.show_message)
        library.machine_shown.connect(self.show_machine)
        library.catalog_ready.connect(self.set_catalog)
        library.local_ready.connect(self.set_local)
        library.skipped_found.connect(self.show_skipped)
        library.download_started.connect(self.download_started)
        library.download_progress.connect(self.download_progress)
        library.download_ended.connect(self.download_ended)
        self.download_requested.connect(library.download)
        self.cancel_requested.connect(library.cancel_download)
        self.add_requested.connect(library.add_models)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Each time the library is shown: free memory and the files on disk may have changed."""
        super().showEvent(event)
        if self._library is not None:
            self._library.refresh()

    # -- what the controller says, shown -------------------------------------------------

    def show_machine(self, machine: Machine, n_ctx: int) -> None:
        gpu = (
            ", ".join(g.name for g in machine.gpus)
            if machine.gpu_offload and machine.gpus
            else self.tr("no GPU")
        )
        parts = [
            self.tr("This computer: {free} free of {total}, {cores} cores, {gpu}").format(
                free=size_text(machine.available_ram),
                total=size_text(machine.total_ram),
                cores=machine.physical_cores,
                gpu=gpu,
            )
        ]
        if machine.free_disk is not None:
            parts.append(self.tr("{disk} free on disk").format(disk=size_text(machine.free_disk)))
        # What « Adapté » is judged for: the user's context, as each row's estimate.
        parts.append(self.tr("estimates for a {n_ctx}-token context").format(n_ctx=n_ctx))
        self.machine_label.setText(" · ".join(parts))
        self.catalog_detail.machine = machine
        self.local_detail.machine = machine  # its quality chart is judged for this machine

    def set_catalog(self, rows: list[CatalogRow]) -> None:
        row = self.catalog_detail.row
        shown = row.entry.id if row is not None and self._showing(self.catalog_detail) else ""
        self.catalog.set_rows(rows)
        if shown:
            self.select_catalog(shown)

    def set_local(self, rows: list[LocalRow]) -> None:
        row = self.local_detail.row
        showing = row is not None and self._showing(self.local_detail)
        wanted = self._wanted_local or (str(row.model.path) if row and showing else "")
        self.local.set_rows(rows)
        if wanted and self.select_local(wanted):
            self._wanted_local = ""
        elif row is not None and showing and self.local.row_of(str(row.model.path)) < 0:
            self.details.setCurrentWidget(self.empty)  # removed or deleted: nothing to act on

    def select_catalog(self, entry_id: str) -> bool:
        return self._select(self.catalog_table, self.catalog_filter, self.catalog.row_of(entry_id))

    def select_local(self, path: str) -> bool:
        target = Path(path).resolve()
        row = next(
            (n for n, r in enumerate(self.local.rows) if r.model.path.resolve() == target), -1
        )
        return self._select(self.local_table, self.local_filter, row)

    def show_skipped(self, skipped: list[SkippedFile]) -> None:
        self.skipped = skipped
        self.skipped_button.setText(self.questions.skipped_summary(skipped))
        self.skipped_button.setToolTip("\n".join(s.reason for s in skipped))
        self.skipped_button.setVisible(bool(skipped))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message_box.setVisible(bool(text))

    def download_started(self, filename: str, kept: int) -> None:
        self._busy = True
        self.catalog_detail.set_busy(True)
        self._filename = filename
        self.transfer_label.setText(
            self.tr("Resuming the download of {file} ({size} already here)…").format(
                file=filename, size=size_text(kept)
            )
            if kept
            else self.tr("Downloading {file}…").format(file=filename)
        )
        self.transfer_bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.transfer.show()

    def download_progress(self, progress: DownloadProgress) -> None:
        total = max(progress.total_bytes, 1)
        self.transfer_bar.setRange(0, 1000)
        self.transfer_bar.setValue(int(1000 * progress.done_bytes / total))
        parts = [
            self.tr("{done} of {total}").format(
                done=size_text(progress.done_bytes), total=size_text(progress.total_bytes)
            ),
            self.tr("{speed}/s").format(speed=size_text(int(progress.bytes_per_s))),
        ]
        if progress.eta_s is not None and progress.done_bytes < progress.total_bytes:
            parts.append(self.tr("{time} left").format(time=duration_text(progress.eta_s)))
        self.transfer_label.setText(f"{self._filename}\n" + " · ".join(parts))

    def download_ended(self, path: str) -> None:
        self._busy = False
        self.catalog_detail.set_busy(False)
        self.transfer.hide()
        if path:
            self._wanted_local = path
            self.show_message("")

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.transfer_label.setText(self.tr("Cancelling…"))
        self.cancel_requested.emit()

    # -- what the user does ---------------------------------------------------------------

    def _filter(self) -> None:
        kind = str(self.kind.currentData() or "")
        for proxy in (self.catalog_filter, self.local_filter):
            proxy.set_kind(kind)
            proxy.set_fitting_only(self.fitting.isChecked())

    def _showing(self, page: QWidget) -> bool:
        return self.details.currentWidget() is page

    def _select(self, table: QTableView, proxy: LibraryFilter, source_row: int) -> bool:
        if source_row < 0:
            return False
        index = proxy.mapFromSource(proxy.sourceModel().index(source_row, 0))
        if not index.isValid():
            return False  # filtered out
        table.selectRow(index.row())
        table.scrollTo(index)
        return True

    def _on_catalog_selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        self.local_table.clearSelection()
        self.catalog_detail.show_row(indexes[0].data(RowRole), self._busy)
        self.details.setCurrentWidget(self.catalog_detail)

    def _on_local_selected(self, selected: QItemSelection, _old: QItemSelection) -> None:
        indexes = selected.indexes()
        if not indexes:
            return
        self.catalog_table.clearSelection()
        self.local_detail.show_row(indexes[0].data(RowRole))
        self.details.setCurrentWidget(self.local_detail)

    def _chat_with_selected(self, index: QModelIndex) -> None:
        row = index.data(RowRole)
        if isinstance(row, LocalRow):
            self.chat_requested.emit(str(row.model.path))

    def _download(self, file: ReadyFile) -> None:
        """A too-big file is asked about with its figures; a research-only one, its licence."""
        row = self.catalog_detail.row
        if row is None or not self.questions.too_big_accepted(file):
            return
        if self.questions.licence_accepted(row.entry):
            self.show_message("")
            self.download_requested.emit(file)

    def _convert(self, row: CatalogRow) -> None:
        if self.questions.licence_accepted(row.entry):
            self.open_convert(row)

    def _remove(self, row: LocalRow) -> None:
        """An added file, or the added folder it is in: out of the list, left on disk."""
        assert self._library is not None, "observe() the controller first"
        added = self._library.added_entry(str(row.model.path))
        if added is None:
            return
        models = sum(
            1 for r in self.local.rows if self._library.added_entry(str(r.model.path)) == added
        )
        if self.questions.removal_confirmed(added, models):
            self._library.remove_added([added])

    def _delete(self, row: LocalRow) -> None:
        assert self._library is not None, "observe() the controller first"
        if self.questions.deletion_confirmed(row.model):
            self._library.delete_model(str(row.model.path))

    def _explain_skipped(self) -> None:
        """Each file left out and why; the added ones that are gone can be removed."""
        library = self._library
        assert library is not None, "observe() the controller first"
        imported = library.session.settings.imported_models
        removable = [str(s.path) for s in self.skipped if str(s.path) in imported]
        box, remove = self.questions.skipped_box(self.skipped, removable)
        if remove is not None:
            remove.clicked.connect(lambda: library.remove_added(removable))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(self._forget_skipped_box)
        self.skipped_box = box
        box.open()

    def _forget_skipped_box(self) -> None:
        self.skipped_box = None

    def open_convert(self, row: CatalogRow | None = None) -> None:
        """The convert dialog, on `row`'s checkpoint or on the user's choice."""
        assert self._library is not None, "observe() the controller first"
        dialog = ConvertDialog(self._library, row.entry if row else None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chat_requested.connect(self.chat_requested)
        dialog.destroyed.connect(self._forget_dialog)
        self.convert_dialog = dialog
        dialog.open()

    def _forget_dialog(self) -> None:
        self.convert_dialog = None

    def _add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add GGUF models"), str(Path.home()), self.tr("GGUF models (*.gguf)")
        )
        if files:
            self.add_requested.emit(files)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Add a folder of GGUF models"), str(Path.home())
        )
        if folder:
            self.add_requested.emit([folder])
