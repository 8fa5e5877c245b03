"""The bar above the chat: the loaded model (name, quantization, context; its prompt format
in the tooltip), a picker of the local models with « Open a file… » and « Library », and the
load's progress. It is the one place that names the model (the status bar does not)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QWidget

from .library_models import LocalRow
from .session import Session

# Picker entries that are not models carry what they do under this role.
ACTION_ROLE = Qt.ItemDataRole.UserRole + 1
OPEN_FILE, LIBRARY = "open-file", "library"


class ModelBar(QWidget):
    """Shows what the session has loaded; says `model_chosen` when the user picks a model."""

    model_chosen = Signal(str)  # a model file's path
    choose_requested = Signal()  # a model file, through the window's file dialog
    library_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._installed: list[str] = []  # the models folder, from the engine
        self._library: list[str] = []  # the library's local models
        self._names: dict[str, str] = {}  # path -> the model's own name, where known
        self._current = ""  # the engine's model: listed even where no list has it
        self._shown = ""  # the model the picker shows, "" for none
        self.picker = QComboBox()
        self.picker.setAccessibleName(self.tr("Model"))
        self.picker.setToolTip(self.tr("The model that answers: choose another one here"))
        self.picker.setPlaceholderText(self.tr("Choose a model"))
        # A long model name must not make the window wider than a laptop's screen: the
        # combo shows its beginning, the list shows it whole.
        self.picker.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.picker.setMinimumContentsLength(16)
        self.details = QLabel()
        self.details.setObjectName("reason")
        self.details.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Loading progress"))
        self.progress.setMaximumWidth(140)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.picker)
        row.addWidget(self.details, 1)
        row.addWidget(self.progress)
        self.picker.activated.connect(self._on_activated)
        self._list("")

    # -- what is listed ------------------------------------------------------------------

    def set_models(self, paths: list[str], current: str) -> None:
        """The models folder's files, `current` chosen; the library's other models follow."""
        self._installed, self._current = list(paths), current
        self._list(current)

    def show_library_models(self, rows: list[LocalRow]) -> None:
        """The library's local models, by their own names: added files, other apps' GGUFs."""
        self._library = [str(r.model.path) for r in rows]
        self._names.update((str(r.model.path), r.model.name) for r in rows)
        # The library read the models folder too, after the engine: a file deleted since is gone.
        self._installed = []
        self._list(self._chosen())

    def show_model(self, path: str) -> None:
        """Show `path` as the chosen model again (a choice the window refused)."""
        self._current = path
        self._list(path)

    def listed(self) -> list[str]:
        """The models the picker offers, in its order."""
        return [
            str(self.picker.itemData(n))
            for n in range(self.picker.count())
            if self.picker.itemData(n) and not self.picker.itemData(n, ACTION_ROLE)
        ]

    def _chosen(self) -> str:
        index = self.picker.currentIndex()
        return "" if index < 0 else str(self.picker.itemData(index) or "")

    def _list(self, chosen: str) -> None:
        """Every model once, by name (the file's where two share one), then the two doors."""
        self.picker.clear()
        paths = list(dict.fromkeys([*self._installed, *self._library, self._current]))
        paths = [p for p in paths if p]
        names = {p: self._names.get(p) or Path(p).name for p in paths}
        for path in paths:
            name = names[path]
            if list(names.values()).count(name) > 1:
                name = f"{name} ({Path(path).name})"  # two copies or quantizations of one model
            self.picker.addItem(name, path)
            self.picker.setItemData(self.picker.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        if paths:
            self.picker.insertSeparator(self.picker.count())
        for text, action in (
            (self.tr("Open a file…"), OPEN_FILE),
            (self.tr("Library"), LIBRARY),
        ):
            self.picker.addItem(text)
            self.picker.setItemData(self.picker.count() - 1, action, ACTION_ROLE)
        self._select(chosen)

    # -- what the session has -------------------------------------------------------------

    def show_state(self, session: Session) -> None:
        """The loaded model, the load under way, a server, or nothing."""
        model = session.model
        self.setAccessibleDescription("")
        if session.loading:
            self.details.setText(self.tr("Loading…"))
            self.details.setToolTip("")
            return
        if model is None or session.remote_name:
            self._select("")
            if model is not None:
                said = self.tr("{model} on {server}").format(
                    model=model.name, server=session.remote_name
                )
            elif session.stopped:  # the banner above says what happened and offers a restart
                said = self.tr("The engine stopped")
            else:
                said = self.tr("No model loaded")
            self.details.setText(said)
            self.details.setToolTip("")
            return
        if model.path not in self._names:
            self._names[model.path] = model.name
            self._list(model.path)
        self._select(model.path)
        context = self.tr("context {n_ctx}").format(n_ctx=model.n_ctx)
        self.details.setText(" · ".join(p for p in (model.file_type, context) if p))
        self.details.setToolTip(
            self.tr(
                "{model}: a context of {n_ctx} tokens (trained for {n_ctx_train}), the prompt "
                "format {format}, from {file}"
            ).format(
                model=model.name,
                n_ctx=model.n_ctx,
                n_ctx_train=model.n_ctx_train,
                format=model.prompt_format,
                file=model.path,
            )
        )
        self.setAccessibleDescription(self.summary())

    def summary(self) -> str:
        """What the bar says, as one line: « Vigogne démo · Q8_0 · contexte 512 »."""
        name = self.picker.currentText() if self.picker.currentIndex() >= 0 else ""
        return " · ".join(p for p in (name, self.details.text()) if p)

    def show_progress(self, done: int, total: int) -> None:
        """The load (or the demo's preparation) under way; (0, 0) when it cannot be measured."""
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.show()

    def end_progress(self) -> None:
        self.progress.hide()

    def _select(self, path: str) -> None:
        index = self.picker.findData(path) if path else -1
        self._shown = path if index >= 0 else ""
        self.picker.setCurrentIndex(index)

    def _on_activated(self, index: int) -> None:
        """Qt says this for the user's choices only, never for the bar's own selections."""
        action = self.picker.itemData(index, ACTION_ROLE)
        if action:
            self._select(self._shown)  # a door, not a model: the picker names the model again
            if action == OPEN_FILE:
                self.choose_requested.emit()
            else:
                self.library_requested.emit()
        elif self.picker.itemData(index):
            self._shown = str(self.picker.itemData(index))
            self.model_chosen.emit(self._shown)
