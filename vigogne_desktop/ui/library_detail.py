"""One model of the library, in detail: a catalog entry (licence first, its ready GGUF files,
download or convert) or a file on this computer (its metadata, « Discuter », and, for the
files the user added or the app made, « Retirer de la bibliothèque » or « Supprimer »), and
what its quantization costs when the file carries a measurement.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import VigogneError
from ..core.hardware import QUANT_LADDER, Machine, parameter_count, shape_from_gguf
from ..core.library import IMPORTED, MODELS
from ..core.prompts import FORMATS
from ..core.quality_choices import quant_choices
from .i18n import decimal
from .library_models import (
    FIT_COLOURS,
    TOO_BIG,
    CatalogRow,
    Fit,
    LocalRow,
    ReadyFile,
    fit_label,
    kind_label,
    recommended_file,
    size_text,
    source_label,
)
from .quality_chart import QualityChart

FILES_SHOWN = 8  # ready files listed without scrolling (an entry has up to 11: the rest scroll)


def _value() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _title() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    font = QFont()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.25)
    label.setFont(font)
    return label


def _fit_text(label: QLabel, fit: Fit) -> None:
    """« ● Adapté — ≈ 8,2 Go nécessaires, 24,7 Go libres, contexte 4096 », the advice in its
    tooltip."""
    figures = fit.figures()
    label.setText(f"● {fit_label(fit.level)}" + (f" — {figures}" if figures else ""))
    label.setToolTip(fit.estimate.reason if fit.estimate else "")
    label.setStyleSheet(f"color: {FIT_COLOURS[fit.level]};")


class CatalogDetail(QWidget):
    """A catalog entry: what it is, its licence, and how to get it."""

    download_requested = Signal(object)  # ReadyFile
    convert_requested = Signal(object)  # CatalogRow

    def __init__(self) -> None:
        super().__init__()
        self.row: CatalogRow | None = None
        self.machine: Machine | None = None  # for the free disk; set by the view
        self._busy = False
        self.title = _title()
        self.tag = QLabel()
        self.tag.setObjectName("notice")
        self.kind, self.base, self.architecture = _value(), _value(), _value()
        self.parameters, self.prompt_format, self.repository = _value(), _value(), _value()
        self.licence = _value()
        self.licence.setAccessibleName(self.tr("Licence"))
        self.fit = _value()
        self.files = QListWidget()
        self.files.setAccessibleName(self.tr("Ready GGUF files"))
        self.files.currentItemChanged.connect(self._update_buttons)
        self.nothing_fits = _value()
        self.nothing_fits.setObjectName("notice")
        self.no_files = QLabel(
            self.tr(
                "No ready GGUF file exists for this model: convert it on this computer "
                "(only the files needed are downloaded)."
            )
        )
        self.no_files.setWordWrap(True)
        self.disk = _value()
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.clicked.connect(self._download)
        self.convert_button = QPushButton(self.tr("Convert…"))
        self.convert_button.clicked.connect(lambda: self.convert_requested.emit(self.row))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.tr("Type"), self.kind)
        form.addRow(self.tr("Foundation model"), self.base)
        form.addRow(self.tr("Architecture"), self.architecture)
        form.addRow(self.tr("Parameters"), self.parameters)
        form.addRow(self.tr("Prompt format"), self.prompt_format)
        form.addRow(self.tr("Repository"), self.repository)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.convert_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.tag)
        layout.addLayout(form)
        layout.addWidget(self.licence)
        layout.addWidget(self.fit)
        self.files_heading = QLabel(self.tr("Ready GGUF files"))
        layout.addWidget(self.files_heading)
        layout.addWidget(self.files)
        layout.addWidget(self.nothing_fits)
        layout.addWidget(self.no_files)
        layout.addWidget(self.disk)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def show_row(self, row: CatalogRow, busy: bool) -> None:
        self.row = row
        entry = row.entry
        self.title.setText(entry.name)
        self.tag.setText(self.tr("Recommended") if entry.status == "recommended" else "")
        self.tag.setVisible(entry.status == "recommended")
        self.kind.setText(kind_label(entry.kind))
        self.base.setText(entry.base)
        self.architecture.setText(entry.architecture)
        self.parameters.setText(
            self.tr("{count} billion").format(count=decimal(entry.parameters_b, 0))
        )
        fmt = FORMATS.get(entry.format)
        # The name only: the markers (« <|user|> ») would wrap inside a token; they are in
        # the tooltip.
        self.prompt_format.setText(fmt.title.split(" (")[0] if fmt else entry.format)
        self.prompt_format.setToolTip(fmt.title if fmt else "")
        # A break allowed after the owner: an unbroken repo id would widen the detail past
        # the window at 960 px.
        repo = entry.repo.replace("/", "/\u200b")
        self.repository.setText(f"{repo} ({entry.revision})")
        # The catalog's sentence names the licence and says plainly when it is research only.
        self.licence.setText(("⚠ " if entry.research_only else "") + entry.licence_note)
        self.licence.setObjectName("notice" if entry.research_only else "")
        self.licence.style().polish(self.licence)  # the style of its new name
        self.files.clear()
        for file in row.files:
            text = f"{file.quant} — {size_text(file.size_bytes)} — {fit_label(file.fit.level)}"
            if file is recommended_file(row):
                text += " — " + self.tr("recommended")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, file)
            item.setToolTip(f"{file.repo} · {file.filename}\n{file.fit.figures()}")
            item.setForeground(QColor(FIT_COLOURS[file.fit.level]))
            self.files.addItem(item)
            if file is row.choice:
                self.files.setCurrentItem(item)
        # Every file at once where there is room, and the pre-selected one in sight.
        rows = min(len(row.files), FILES_SHOWN)
        self.files.setFixedHeight(
            rows * self.files.sizeHintForRow(0) + 2 * self.files.frameWidth() + 8 if rows else 0
        )
        if self.files.currentItem() is not None:
            self.files.scrollToItem(self.files.currentItem())
        has_files = bool(row.files)
        for widget in (self.files_heading, self.files, self.download_button):
            widget.setVisible(has_files)
        self.no_files.setVisible(not has_files)
        self._say_nothing_fits(row)
        self._say_disk(row)
        self.set_busy(busy)

    def _say_nothing_fits(self, row: CatalogRow) -> None:
        """No ready file fits: the smallest one's figures, so the user sees by how much."""
        smallest = min(row.files, key=lambda f: f.fit.needed_bytes, default=None)
        none_fits = smallest is not None and all(f.fit.level == TOO_BIG for f in row.files)
        self.nothing_fits.setVisible(none_fits)
        if smallest is not None and none_fits:
            self.nothing_fits.setText(
                self.tr("No file fits here: about {needed} is needed, {free} is free.").format(
                    needed=size_text(smallest.fit.needed_bytes),
                    free=size_text(smallest.fit.free_bytes),
                )
            )

    def _say_disk(self, row: CatalogRow) -> None:
        """What a download or a conversion takes on disk, beside what is free there."""
        lines = []
        if row.choice is None:
            # Vigogne checkpoints are f16/bf16: two bytes a parameter come down the wire.
            lines.append(
                self.tr("To download: about {size} (the checkpoint's 16-bit weights)").format(
                    size=size_text(2 * row.parameters)
                )
            )
            lines.append(
                self.tr("Result: about {size} in {quant}").format(
                    size=size_text(row.size_bytes), quant=row.quant
                )
            )
        free = self.machine.free_disk if self.machine is not None else None
        if free is not None:
            lines.append(self.tr("Free disk: {size}").format(size=size_text(free)))
        self.disk.setText("\n".join(lines))
        self.disk.setVisible(bool(lines))

    def selected_file(self) -> ReadyFile | None:
        item = self.files.currentItem()
        found = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return found if isinstance(found, ReadyFile) else None

    def set_busy(self, busy: bool) -> None:
        """One download at a time: the button waits for the running one."""
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        file = self.selected_file()
        self.download_button.setEnabled(not self._busy and file is not None)
        self.download_button.setText(
            self.tr("Download ({size})").format(size=size_text(file.size_bytes))
            if file is not None
            else self.tr("Download")
        )
        fit = file.fit if file is not None else (self.row.fit if self.row else None)
        if fit is not None:
            _fit_text(self.fit, fit)

    def _download(self) -> None:
        file = self.selected_file()
        if file is not None:
            self.download_requested.emit(file)


class LocalDetail(QWidget):
    """A GGUF on this computer: where it is, what it holds, whether it fits; « Discuter »."""

    chat_requested = Signal(str)
    remove_requested = Signal(object)  # LocalRow: an added file, out of the library
    delete_requested = Signal(object)  # LocalRow: a file of the app's models folder, deleted

    def __init__(self) -> None:
        super().__init__()
        self.row: LocalRow | None = None
        self.machine: Machine | None = None  # for the quality chart; set by the view
        self.title = _title()
        self.path, self.source, self.architecture = _value(), _value(), _value()
        self.quant, self.file_size = _value(), _value()
        self.context, self.template = _value(), _value()
        self.fit = _value()
        self.quality = _value()
        self.quality.setAccessibleName(self.tr("Measured quality"))
        self.chart = QualityChart()
        self.chat_button = QPushButton(self.tr("Chat with it"))
        self.chat_button.clicked.connect(self._chat)
        # Other apps' files are theirs: listed here, never removed or deleted by us.
        self.remove_button = QPushButton(self.tr("Remove from library"))
        self.remove_button.setToolTip(self.tr("The library forgets it; the file stays on disk."))
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.row))
        self.delete_button = QPushButton(self.tr("Delete the file…"))
        self.delete_button.clicked.connect(lambda: self.delete_requested.emit(self.row))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.tr("File"), self.path)
        form.addRow(self.tr("Source"), self.source)
        form.addRow(self.tr("Architecture"), self.architecture)
        form.addRow(self.tr("Quantization"), self.quant)
        form.addRow(self.tr("Size"), self.file_size)
        form.addRow(self.tr("Context length"), self.context)
        form.addRow(self.tr("Chat template"), self.template)
        buttons = QHBoxLayout()
        for button in (self.chat_button, self.remove_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.fit)
        layout.addWidget(self.quality)
        layout.addWidget(self.chart)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def show_row(self, row: LocalRow) -> None:
        self.row = row
        model = row.model
        self.title.setText(model.name or model.path.name)
        self.path.setText(str(model.path))
        self.source.setText(source_label(model.source))
        self.architecture.setText(model.architecture)
        self.quant.setText(model.quantization)
        self.file_size.setText(size_text(model.size_bytes))
        self.context.setText(
            self.tr("{count} tokens").format(count=model.context_length)
            if model.context_length
            else "—"
        )
        self.template.setText(
            self.tr("Built into the file")
            if model.has_chat_template
            else self.tr("No: the Vigogne format is chosen from the name")
        )
        _fit_text(self.fit, row.fit)
        self._show_quality(row)
        self.remove_button.setVisible(model.source == IMPORTED)
        self.delete_button.setVisible(model.source == MODELS)

    def _chat(self) -> None:
        if self.row is not None:
            self.chat_requested.emit(str(self.row.model.path))

    def _show_quality(self, row: LocalRow) -> None:
        """The file's own measurement, in words and on the chart beside the other choices'
        typical figures; nothing when it carries none."""
        report = row.model.quality
        self.quality.setVisible(report is not None)
        self.chart.hide()
        if report is None:
            return
        self.quality.setText(
            self.tr(
                "Measured on this computer against {reference}: same first token {share} of "
                "the time, KL divergence {kl}, perplexity {ppl} ({reference}: {ppl_reference}), "
                "over {tokens} tokens."
            ).format(
                reference=report.reference_type,
                share=decimal(report.top1_agreement * 100, 1) + " %",
                kl=QLocale().toString(report.kl_mean, "g", 3),
                ppl=decimal(report.ppl, 2),
                ppl_reference=decimal(report.ppl_reference, 2),
                tokens=report.tokens,
            )
        )
        if self.machine is None or row.fit.estimate is None:
            return
        try:
            shape = shape_from_gguf(row.model.path)
        except (OSError, ValueError, VigogneError):
            return  # the figures in words stay; the chart needs the file's header
        quants = [*QUANT_LADDER, "F16"]
        if shape.quant not in quants:
            quants.insert(0, shape.quant)
        choices = quant_choices(
            quants, parameter_count(shape), shape, self.machine, row.fit.n_ctx,
            measured={shape.quant: report}, recommended=row.fit.estimate.recommended_quant,
        )  # fmt: skip
        self.chart.set_choices(choices, self.machine.available_ram, shape.quant)
        self.chart.show()
