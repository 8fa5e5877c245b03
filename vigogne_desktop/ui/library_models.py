"""The library's rows (a catalog entry or a local file, with its fit on this machine) and
the Qt table models and filter the library view observes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from ..core.catalog import CatalogEntry, entry_shape, recommended_quant
from ..core.hardware import (
    COMFORT_MIN,
    COMFORT_SHARE,
    QUANT_LADDER,
    FitEstimate,
    Machine,
    ModelShape,
    estimate,
)
from ..core.library import LocalModel

RowRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex

FITS, TIGHT, TOO_BIG, UNKNOWN = "fits", "tight", "too-big", "unknown"
# Readable on the light and the dark palette alike.
FIT_COLOURS = {FITS: "#2e9d4f", TIGHT: "#c98a00", TOO_BIG: "#d0453b", UNKNOWN: "#8a8a90"}
LICENCE_COLUMN = 3  # of the catalog table
FALLBACK_QUANT = "Q4_K_M"  # what a conversion offers when nothing fits comfortably


def size_text(count: int) -> str:
    """Bytes as the user's language writes them (4,1 Go / 4.1 GB)."""
    return QLocale().formattedDataSize(count, 1, QLocale.DataSizeFormat.DataSizeSIFormat)


def duration_text(seconds: float) -> str:
    """A remaining time the way people say it: 45 s, 3 min, 1 h 05."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    return f"{whole // 3600} h {whole % 3600 // 60:02d}"


@dataclass(frozen=True)
class Fit:
    """A model's estimate on this machine, and the badge it earns."""

    level: str  # FITS, TIGHT, TOO_BIG or UNKNOWN
    estimate: FitEstimate | None = None
    n_ctx: int = 0  # the context it was judged at
    free_bytes: int = 0  # the RAM available when it was judged

    @property
    def needed_bytes(self) -> int:
        """What must be free: the one figure shown and judged with (never the peak RSS)."""
        return self.estimate.needed_bytes if self.estimate else 0

    def figures(self) -> str:
        """« ≈ 8,2 Go nécessaires, 24,7 Go libres, contexte 4096 »."""
        if self.estimate is None:
            return ""
        return QCoreApplication.translate(
            "Library", "≈ {needed} needed, {free} free, context {n_ctx}"
        ).format(
            needed=size_text(self.needed_bytes), free=size_text(self.free_bytes), n_ctx=self.n_ctx
        )


def fit_of(shape: ModelShape, n_ctx: int, machine: Machine, parameters: int | None = None) -> Fit:
    """Fits, tight (it runs, without the margin a comfortable chat wants) or too big, judged
    on the memory that must be free, as `estimate` judges `fits`."""
    found = estimate(shape, n_ctx, machine, parameters=parameters)
    free = machine.available_ram
    if not found.fits:
        return Fit(TOO_BIG, found, n_ctx, free)
    margin = max(COMFORT_MIN, int(found.needed_bytes * COMFORT_SHARE))
    comfortable = found.needed_bytes + margin <= free
    return Fit(FITS if comfortable else TIGHT, found, n_ctx, free)


def fit_label(level: str) -> str:
    return {
        FITS: QCoreApplication.translate("Library", "Fits"),
        TIGHT: QCoreApplication.translate("Library", "Tight"),
        TOO_BIG: QCoreApplication.translate("Library", "Too big"),
    }.get(level, QCoreApplication.translate("Library", "Unknown"))


@dataclass(frozen=True)
class ReadyFile:
    """One ready-made GGUF of a catalog entry, and its fit here."""

    repo: str
    revision: str
    filename: str
    quant: str
    size_bytes: int
    sha256: str  # the Hub's checksum: the blob's name in the cache, and its part's
    fit: Fit


@dataclass(frozen=True)
class CatalogRow:
    """A catalog entry as the library shows it: the file it proposes, or a conversion."""

    entry: CatalogEntry
    files: tuple[ReadyFile, ...]
    choice: ReadyFile | None  # the pre-selected file; None: no ready GGUF, convert
    quant: str  # the choice's, or the quantization a conversion would use
    size_bytes: int  # the choice's, or the parameters at that quantization's bits per weight
    fit: Fit

    @property
    def parameters(self) -> int:
        return int(self.entry.parameters_b * 1e9)


def converted_size(parameters: int, quant: str) -> int:
    """What a conversion to `quant` weighs: parameters × bits per weight."""
    from ..core.catalog import BITS_PER_WEIGHT  # with llama_cpp: not at the window's start

    return int(parameters * BITS_PER_WEIGHT.get(quant, 16.0) / 8)


def catalog_row(entry: CatalogEntry, machine: Machine, n_ctx: int) -> CatalogRow:
    parameters = int(entry.parameters_b * 1e9)
    files = tuple(
        ReadyFile(
            repo.repo,
            repo.revision,
            file.filename,
            file.quant.upper(),
            file.size_bytes,
            file.sha256,
            fit_of(entry_shape(entry, file.size_bytes, file.quant), n_ctx, machine, parameters),
        )
        for repo in entry.ggufs
        for file in repo.files
    )
    best = recommended_quant(entry, machine, n_ctx)
    choice = _choose(files, best)
    if choice is not None:
        return CatalogRow(entry, files, choice, choice.quant, choice.size_bytes, choice.fit)
    quant = best or FALLBACK_QUANT
    size = converted_size(parameters, quant)
    fit = fit_of(entry_shape(entry, size, quant), n_ctx, machine, parameters)
    return CatalogRow(entry, files, None, quant, size, fit)


def _choose(files: tuple[ReadyFile, ...], best: str | None) -> ReadyFile | None:
    """The recommended quantization if it is ready; else the best ready one that fits;
    else the smallest (pre-selected, never called recommended: see `recommended_file`)."""
    if not files:
        return None
    exact = [f for f in files if f.quant == best]
    if exact:
        return exact[0]
    rank = {quant: n for n, quant in enumerate(QUANT_LADDER)}
    fitting = [f for f in files if f.fit.level == FITS]
    if fitting:
        return min(fitting, key=lambda f: (rank.get(f.quant, len(rank)), -f.size_bytes))
    return min(files, key=lambda f: f.size_bytes)


def recommended_file(row: CatalogRow) -> ReadyFile | None:
    """The file the library recommends: the pre-selected one, unless it is too big here."""
    choice = row.choice
    return choice if choice is not None and choice.fit.level != TOO_BIG else None


@dataclass(frozen=True)
class LocalRow:
    """A GGUF on this computer, its kind (from the catalog or its template) and fit."""

    model: LocalModel
    kind: str  # "chat", "instruct" or "" when unknown
    fit: Fit


# -- Qt models ----------------------------------------------------------------------------


def _licence(entry: CatalogEntry) -> str:
    if entry.research_only:
        return QCoreApplication.translate("Library", "Research only")
    names = {
        "llama2": "Llama 2",
        "apache-2.0": "Apache 2.0",
        "bigscience-bloom-rail-1.0": "BLOOM RAIL",
    }
    return names.get(entry.license, entry.license)


def kind_label(kind: str) -> str:
    return {
        "chat": QCoreApplication.translate("Library", "Chat"),
        "instruct": QCoreApplication.translate("Library", "Instruct"),
    }.get(kind, "—")


class _Table(QAbstractTableModel):
    """A list of rows shown as columns; `RowRole` gives the row itself."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def headings(self) -> list[str]:
        raise NotImplementedError

    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def fit_column(self) -> int:
        return len(self.headings()) - 1

    def size_column(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headings())

    def headerData(  # noqa: N802 (Qt's name)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headings()[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == RowRole:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == self.fit_column():
            return QColor(FIT_COLOURS[row.fit.level])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == self.size_column():
            # Sizes right-aligned, so their magnitudes line up.
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def tooltip(self, row: Any) -> str:
        estimate = row.fit.estimate
        if estimate is None:
            return ""
        needs = QCoreApplication.translate("Library", "Needs about {ram} of memory.").format(
            ram=size_text(row.fit.needed_bytes)
        )
        return f"{needs}\n{estimate.reason}" if estimate.reason else needs


class CatalogTable(_Table):
    """The Vigogne catalog, the recommended model first."""

    def headings(self) -> list[str]:
        # The type is in every Vigogne name (…-Chat, …-Instruct): no column for it, so the
        # table fits half a laptop screen.
        return [
            QCoreApplication.translate("Library", "Model"),
            QCoreApplication.translate("Library", "Size"),
            QCoreApplication.translate("Library", "Quant."),
            QCoreApplication.translate("Library", "Licence"),
            QCoreApplication.translate("Library", "Compatibility"),
        ]

    def size_column(self) -> int:
        return 1

    def cell(self, row: CatalogRow, column: int) -> str:
        entry, ready = row.entry, row.choice is not None
        return [
            f"★ {entry.name}" if entry.status == "recommended" else entry.name,
            size_text(row.size_bytes) if ready else f"≈ {size_text(row.size_bytes)}",
            row.quant
            if ready
            else QCoreApplication.translate("Library", "{quant} (to convert)").format(
                quant=row.quant
            ),
            _licence(entry),
            fit_label(row.fit.level),
        ][column]

    def tooltip(self, row: CatalogRow) -> str:
        if row.choice is not None:
            return super().tooltip(row)
        convert = QCoreApplication.translate(
            "Library", "No ready GGUF file: converted on this computer, in {quant}."
        ).format(quant=row.quant)
        return f"{convert}\n{super().tooltip(row)}"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and index.isValid()
            and index.column() == LICENCE_COLUMN
            and self.rows[index.row()].entry.research_only
        ):
            return QColor(FIT_COLOURS[TIGHT])  # research only: seen at a glance
        if (
            role == Qt.ItemDataRole.FontRole
            and index.isValid()
            and index.column() == 0
            and self.rows[index.row()].entry.status == "recommended"
        ):
            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)

    def row_of(self, entry_id: str) -> int:
        return next((n for n, r in enumerate(self.rows) if r.entry.id == entry_id), -1)


SOURCES = {  # other apps keep their own names
    "hf-cache": "Hugging Face",
    "lm-studio": "LM Studio",
    "gpt4all": "GPT4All",
    "ollama": "Ollama",
}


def source_label(source: str) -> str:
    if source == "imported":
        return QCoreApplication.translate("Library", "Added")
    if source == "models":
        return QCoreApplication.translate("Library", "App folder")
    return SOURCES.get(source, source)


class LocalTable(_Table):
    """The GGUF files on this computer: the models folder, added ones, other apps'."""

    def headings(self) -> list[str]:
        return [
            QCoreApplication.translate("Library", "Model"),
            QCoreApplication.translate("Library", "Source"),
            QCoreApplication.translate("Library", "Architecture"),
            QCoreApplication.translate("Library", "Size"),
            QCoreApplication.translate("Library", "Quant."),
            QCoreApplication.translate("Library", "Compatibility"),
        ]

    def size_column(self) -> int:
        return 3

    def cell(self, row: LocalRow, column: int) -> str:
        model = row.model
        return [
            model.name or model.path.name,
            source_label(model.source),
            model.architecture,
            size_text(model.size_bytes),
            model.quantization,
            fit_label(row.fit.level),
        ][column]

    def tooltip(self, row: LocalRow) -> str:
        return f"{row.model.path}\n{super().tooltip(row)}".strip()

    def row_of(self, path: str) -> int:
        return next((n for n, r in enumerate(self.rows) if str(r.model.path) == path), -1)


class LibraryFilter(QSortFilterProxyModel):
    """Only one kind of model (chat or instruct), and only what fits, when asked."""

    def __init__(self, source: _Table) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.kind = ""
        self.fitting_only = False

    def set_kind(self, kind: str) -> None:
        self.beginFilterChange()
        self.kind = kind
        self.endFilterChange()

    def set_fitting_only(self, on: bool) -> None:
        self.beginFilterChange()
        self.fitting_only = on
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        source = self.sourceModel()
        assert isinstance(source, _Table)
        row = source.rows[source_row]
        kind = row.entry.kind if isinstance(row, CatalogRow) else row.kind
        if self.kind and kind != self.kind:
            return False
        return not self.fitting_only or row.fit.level in (FITS, TIGHT)
