"""Convert a checkpoint to GGUF from the window: a catalog checkpoint, a local folder or a
LoRA adapter and its base; a quantization (the recommended one pre-selected, each with its
size and fit here); the converter child's progress, ETA and cancel; the result goes to the
library. A chart beside the choice says what each quantization costs (typical figures, or
those measured here), and the converter can measure the chosen one once it is made.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import settings as paths
from ..core.catalog import CatalogEntry, entries, entry_shape
from ..core.hardware import QUANT_LADDER, Machine, ModelShape, recommend_quant, shape_of
from ..core.quality_choices import quant_choices
from .library_controller import ConvertRequest, LibraryController
from .library_models import (
    FALLBACK_QUANT,
    TOO_BIG,
    converted_size,
    duration_text,
    fit_label,
    fit_of,
    size_text,
)
from .library_questions import LibraryQuestions
from .quality_chart import QualityChart

QUANTS = (*QUANT_LADDER, "F16")
CATALOG, FOLDER, LORA = "catalog", "folder", "lora"


def checkpoint_parameters(folder: Path) -> int | None:
    """A local checkpoint's parameter count, from its safetensors headers (no weights read);
    None when it has none (a .bin checkpoint is sized from its files, 2 bytes a weight)."""
    total = 0
    for file in sorted(folder.glob("*.safetensors")):
        try:
            with file.open("rb") as handle:
                length = int.from_bytes(handle.read(8), "little")
                header = json.loads(handle.read(length))
        except (OSError, ValueError):
            return None
        total += sum(math.prod(t["shape"]) for name, t in header.items() if name != "__metadata__")
    if total:
        return total
    weights = sum(f.stat().st_size for f in folder.glob("*.bin"))
    return weights // 2 or None


def _config(folder: Path) -> dict[str, object]:
    try:
        found = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _number(config: dict[str, object], *keys: str) -> int:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int):
            return value
    return 0


class ConvertDialog(QDialog):
    chat_requested = Signal(str)  # the converted model, to chat with

    def __init__(
        self,
        controller: LibraryController,
        entry: CatalogEntry | None,
        parent: QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Convert a model to GGUF"))
        self.controller = controller
        self.result_path = ""
        # The entry the library opened the dialog on has had its licence accepted there.
        self._accepted = entry.id if entry is not None else ""
        self.source = QComboBox()
        self.source.setAccessibleName(self.tr("Source"))
        self.source.addItem(self.tr("A Vigogne model from the catalog (to convert)"), CATALOG)
        self.source.addItem(self.tr("A checkpoint folder on this computer"), FOLDER)
        self.source.addItem(self.tr("A LoRA adapter and its base model"), LORA)
        self.entry = QComboBox()
        self.entry.setAccessibleName(self.tr("Catalog checkpoint"))
        for item in entries():
            self.entry.addItem(f"{item.name} — {item.repo} ({item.revision})", item.id)
        if entry is not None:
            self.entry.setCurrentIndex(max(0, self.entry.findData(entry.id)))
        self.folder = self._path_field(self.tr("Checkpoint folder"))
        self.adapter = self._path_field(self.tr("LoRA adapter folder"))
        self.base = self._path_field(self.tr("Base model (folder or Hub repo id)"))
        self.pages = QStackedWidget()
        self.pages.addWidget(self.entry)
        self.pages.addWidget(self._row(self.folder))
        lora = QWidget()
        lora_form = QFormLayout(lora)
        lora_form.setContentsMargins(0, 0, 0, 0)
        lora_form.addRow(self.tr("Adapter"), self._row(self.adapter))
        lora_form.addRow(self.tr("Base"), self._row(self.base))
        self.pages.addWidget(lora)
        self.quant = QComboBox()
        self.quant.setAccessibleName(self.tr("Quantization"))
        self.chart = QualityChart()
        self.chart.quant_clicked.connect(
            lambda quant: self.quant.setCurrentIndex(max(0, self.quant.findData(quant)))
        )
        self.measure = QCheckBox(self.tr("Measure the quality after quantizing"))
        self.measure.setToolTip(
            self.tr(
                "Compares the quantized model with the unquantized one on a French text (a few "
                "minutes more); the figures are stored in the file and replace the typical ones."
            )
        )
        self.output = QLabel()
        self.output.setObjectName("reason")
        self.output.setWordWrap(True)
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Conversion progress"))
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message_box = QFrame()
        self.message_box.setObjectName("banner")
        QVBoxLayout(self.message_box).addWidget(self.message)
        self.message_box.hide()
        self.convert_button = QPushButton(self.tr("Convert"))
        self.convert_button.setDefault(True)
        self.chat_button = QPushButton(self.tr("Chat with it"))
        self.chat_button.hide()
        self.close_button = QPushButton(self.tr("Close"))
        self.convert_button.clicked.connect(self._start)
        self.chat_button.clicked.connect(self._chat)
        self.close_button.clicked.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("Source"), self.source)
        form.addRow("", self.pages)
        form.addRow(self.tr("Quantization"), self.quant)
        form.addRow(self.chart)
        form.addRow("", self.measure)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.chat_button, self.convert_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.output)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.message_box)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(600, 560)

        self._size_pages()
        self.source.currentIndexChanged.connect(self._source_changed)
        self.entry.currentIndexChanged.connect(self._offer_quants)
        self.quant.currentIndexChanged.connect(self._show_output)
        for field in (self.folder, self.adapter, self.base):
            field.editingFinished.connect(self._offer_quants)
            field.textChanged.connect(self._show_output)
        controller.conversion_progress.connect(self._on_progress)
        controller.conversion_ended.connect(self._on_ended)
        # The recommendation needs the machine: probed by the library, or now.
        controller.machine_shown.connect(lambda *_: self._offer_quants())
        if controller.machine is None:
            controller.refresh()
        self._offer_quants()

    # -- building ------------------------------------------------------------------------

    def _path_field(self, name: str) -> QLineEdit:
        field = QLineEdit()
        field.setAccessibleName(name)
        field.setPlaceholderText(name)
        return field

    def _row(self, field: QLineEdit) -> QWidget:
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(lambda: self._browse(field))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, 1)
        layout.addWidget(browse)
        return row

    def _browse(self, field: QLineEdit) -> None:
        folder = QFileDialog.getExistingDirectory(self, field.accessibleName(), field.text())
        if folder:
            field.setText(folder)
            self._offer_quants()

    # -- the choice ---------------------------------------------------------------------

    def _size_pages(self) -> None:
        """The stack as tall as the page shown, not as its tallest page (the LoRA one)."""
        for n in range(self.pages.count()):
            shown = n == self.pages.currentIndex()
            policy = QSizePolicy.Policy.Preferred if shown else QSizePolicy.Policy.Ignored
            page = self.pages.widget(n)
            assert page is not None
            page.setSizePolicy(policy, policy)
        self.pages.adjustSize()

    def _source_changed(self) -> None:
        self.pages.setCurrentIndex(self.source.currentIndex())
        self._size_pages()
        self._say("")  # an error about the other source no longer applies
        self._offer_quants()

    def _catalog_entry(self) -> CatalogEntry | None:
        wanted = self.entry.currentData()
        return next((e for e in entries() if e.id == wanted), None)

    def _sized(self) -> tuple[int | None, ModelShape | None]:
        """The parameter count of what is converted, and its shape for estimates (None where
        the checkpoint's config is not readable yet)."""
        kind = self.source.currentData()
        entry = self._catalog_entry() if kind == CATALOG else None
        if kind == LORA:
            base = self.base.text().strip()
            entry = next((e for e in entries() if e.repo == base), None)
            folder = Path(base) if base and Path(base).is_dir() else None
        else:
            folder = Path(self.folder.text().strip()) if kind == FOLDER else None
        if entry is not None:
            parameters = int(entry.parameters_b * 1e9)
            size = converted_size(parameters, FALLBACK_QUANT)
            return parameters, entry_shape(entry, size, FALLBACK_QUANT)
        if folder is None or not folder.is_dir():
            return None, None
        counted = checkpoint_parameters(folder)
        config = _config(folder)
        heads = _number(config, "num_attention_heads", "n_head")
        if counted is None or not heads:
            return counted, None
        shape = shape_of(
            _number(config, "num_hidden_layers", "n_layer"),
            _number(config, "hidden_size", "d_model"),
            heads,
            _number(config, "num_key_value_heads") or None,
            _number(config, "max_position_embeddings") or self.controller.n_ctx,
            _number(config, "vocab_size"),
            converted_size(counted, FALLBACK_QUANT),
            FALLBACK_QUANT,
        )
        return counted, shape

    def _offer_quants(self) -> None:
        """Each quantization with its size and its fit here; a too-big one is never
        pre-selected."""
        parameters, shape = self._sized()
        machine: Machine | None = self.controller.machine
        n_ctx = self.controller.n_ctx
        best = None
        if parameters and shape is not None and machine is not None:
            best = recommend_quant(parameters, shape, machine, n_ctx)
        chosen = self.quant.currentData() if self.quant.count() else None
        too_big: set[str] = set()
        self.quant.blockSignals(True)
        self.quant.clear()
        for quant in QUANTS:
            text = quant
            if parameters:
                size = converted_size(parameters, quant)
                text += " — ≈ " + size_text(size)
                if shape is not None and machine is not None:
                    sized = replace(shape, file_size=size, quant=quant, repacked_bytes=None)
                    level = fit_of(sized, n_ctx, machine, parameters).level
                    text += " — " + fit_label(level)
                    if level == TOO_BIG:
                        too_big.add(quant)
            if quant == best:
                text += " — " + self.tr("recommended for this computer")
            self.quant.addItem(text, quant)
        fitting = [q for q in QUANTS if q not in too_big]
        pick = best or (chosen if chosen not in too_big else None) or FALLBACK_QUANT
        if pick in too_big:
            pick = fitting[0] if fitting else QUANT_LADDER[-1]
        self.quant.setCurrentIndex(max(0, self.quant.findData(pick)))
        self.quant.blockSignals(False)
        self._show_chart(parameters, shape, best)
        self._show_output()

    def _show_chart(
        self, parameters: int | None, shape: ModelShape | None, best: str | None
    ) -> None:
        """The choices' costs for this model; what a conversion of the same catalog entry
        measured here replaces the typical figures."""
        machine = self.controller.machine
        self.chart.setVisible(bool(parameters) and shape is not None and machine is not None)
        if not parameters or shape is None or machine is None:
            return
        entry = self._catalog_entry() if self.source.currentData() == CATALOG else None
        measured = {
            row.model.quantization: row.model.quality
            for row in self.controller.local
            if entry is not None
            and row.model.catalog_id == entry.id
            and row.model.quality is not None
        }
        choices = quant_choices(
            QUANTS, parameters, shape, machine, self.controller.n_ctx,
            measured=measured, recommended=best,
        )  # fmt: skip
        self.chart.set_choices(choices, machine.available_ram, str(self.quant.currentData()))

    def _stem(self) -> str:
        kind = self.source.currentData()
        if kind == CATALOG:
            entry = self._catalog_entry()
            return entry.id if entry else "vigogne"
        field = self.folder if kind == FOLDER else self.adapter
        return Path(field.text().strip()).name or "model"

    def _target(self) -> Path:
        """A free name in the models folder: a conversion never overwrites a model."""
        models = paths.models_dir()
        quant = str(self.quant.currentData())
        target = models / f"{self._stem()}.{quant}.gguf"
        number = 2
        while target.exists():
            target = models / f"{self._stem()}-{number}.{quant}.gguf"
            number += 1
        return target

    def _source_set(self) -> bool:
        kind = self.source.currentData()
        field = self.folder if kind == FOLDER else self.adapter
        return kind == CATALOG or bool(field.text().strip())

    def _show_output(self) -> None:
        """Where the result goes (once there is a source to name it after), what it weighs,
        what comes down the wire for a catalog model, and the free disk."""
        if not self._source_set():
            self.output.hide()
            return
        quant = str(self.quant.currentData())
        self.chart.set_selected(quant)
        # The measure compares with the unquantized file: nothing to compare an F16 with.
        self.measure.setEnabled(quant != "F16")
        lines = [self.tr("The result goes to {file}").format(file=self._target())]
        parameters, _shape = self._sized()
        if parameters:
            size = converted_size(parameters, str(self.quant.currentData()))
            lines.append(self.tr("Result: about {size}").format(size=size_text(size)))
            if self.source.currentData() == CATALOG:
                # Vigogne checkpoints are f16/bf16: two bytes a parameter come down the wire.
                lines.append(
                    self.tr("To download: about {size} (the checkpoint's 16-bit weights)").format(
                        size=size_text(2 * parameters)
                    )
                )
        machine = self.controller.machine
        if machine is not None and machine.free_disk is not None:
            lines.append(self.tr("Free disk: {size}").format(size=size_text(machine.free_disk)))
        self.output.setText("\n".join(lines))
        self.output.show()

    def request(self) -> ConvertRequest | None:
        """What to convert, or None with the reason shown."""
        kind = self.source.currentData()
        quant = str(self.quant.currentData())
        measure = self.measure.isChecked() and quant != "F16"
        options: list[str] = (
            ["--quant", quant, "--measure"]
            if measure
            else ["--outtype", quant.lower()]
            if quant in ("Q8_0", "F16")
            else ["--quant", quant]
        )
        if kind == CATALOG:
            entry = self._catalog_entry()
            if entry is None:
                return None
            source = entry.repo
            options += ["--revision", entry.revision]
        else:
            field = self.folder if kind == FOLDER else self.adapter
            source = field.text().strip()
            if not source or not Path(source).is_dir():
                self._say(self.tr("Choose the checkpoint's folder first."))
                return None
            if kind == LORA and self.base.text().strip():
                options += ["--base", self.base.text().strip()]
        return ConvertRequest(source, self._target(), tuple(options))

    # -- running ------------------------------------------------------------------------

    def _start(self) -> None:
        request = self.request()
        if request is None or not self._licence_accepted():
            return
        self._say("")
        self.result_path = ""
        self.chat_button.hide()
        self.convert_button.setEnabled(False)
        self.close_button.setText(self.tr("Cancel"))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.progress_label.setText(self.tr("Starting the converter…"))
        self.controller.convert(request)

    def _licence_accepted(self) -> bool:
        """A research-only checkpoint chosen here asks, as it does from the catalog."""
        entry = self._catalog_entry() if self.source.currentData() == CATALOG else None
        if entry is None or entry.id == self._accepted:
            return True
        if not LibraryQuestions(self).licence_accepted(entry):
            return False
        self._accepted = entry.id
        return True

    def _on_progress(self, phase: str, done: int, total: int, eta: float) -> None:
        names = {
            "download": self.tr("Downloading the checkpoint"),
            "convert": self.tr("Converting"),
            "quantize": self.tr("Quantizing"),
            "measure": self.tr("Measuring the quality…"),
            "done": self.tr("Finishing"),
        }
        text = names.get(phase, phase)
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            count = (
                self.tr("{done}/{total} tokens")
                if phase == "measure"  # the measure counts tokens of the French text
                else self.tr("{done} of {total} tensors")
            )
            text += (" " if phase == "measure" else " — ") + count.format(done=done, total=total)
        if eta >= 0:
            text += " — " + self.tr("{time} left").format(time=duration_text(eta))
        self.progress_label.setText(text)

    def _on_ended(self, path: str, sentence: str) -> None:
        self.convert_button.setEnabled(True)
        self.close_button.setText(self.tr("Close"))
        self.progress.hide()
        self.result_path = path
        if path:
            self.progress_label.setText(
                self.tr("Done: {file} is in the library.").format(file=Path(path).name)
            )
            self.chat_button.show()
            self._show_output()
        else:
            self.progress_label.clear()
            self._say(sentence)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message_box.setVisible(bool(text))

    def _chat(self) -> None:
        self.chat_requested.emit(self.result_path)
        self.accept()

    def reject(self) -> None:
        """Closing while it runs cancels the conversion (the converter removes its part)."""
        if self.controller.converting:
            self.controller.cancel_conversion()
            return
        super().reject()
