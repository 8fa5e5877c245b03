"""Settings: language, theme, the model's load settings, engines, sharing."""

from __future__ import annotations

import os
from dataclasses import replace

from PySide6.QtCore import QLocale, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import keys
from ..core.settings import LOCAL, AppSettings, Endpoint, ModelPreset
from .background import run_in_background

# The choices for the memory kept for recent conversations.
AUTO, NONE, SIZE = "automatic", "none", "size"


class SettingsDialog(QDialog):
    """Edits a copy of AppSettings; `applied` carries the result when the user confirms."""

    applied = Signal(object)  # AppSettings
    sharing_toggled = Signal(bool)

    def __init__(self, settings: AppSettings, model_path: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.model_path = model_path
        self.endpoints = [Endpoint(**vars(e)) for e in settings.endpoints]
        self.tabs = tabs = QTabWidget()
        tabs.addTab(self._general(), self.tr("General"))
        tabs.addTab(self._model(), self.tr("Model"))
        tabs.addTab(self._engines(), self.tr("Engines"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _general(self) -> QWidget:
        page = QWidget()
        self.language = QComboBox()
        self.language.setAccessibleName(self.tr("Language"))
        for code, name in (
            ("system", self.tr("System language")),
            ("fr", "Français"),
            ("en", "English"),
        ):
            self.language.addItem(name, code)
        self.language.setCurrentIndex(self.language.findData(self.settings.language))
        self.theme = QComboBox()
        self.theme.setAccessibleName(self.tr("Theme"))
        for code, name in (
            ("system", self.tr("Follow the system")),
            ("light", self.tr("Light")),
            ("dark", self.tr("Dark")),
        ):
            self.theme.addItem(name, code)
        self.theme.setCurrentIndex(self.theme.findData(self.settings.theme))
        self.hf_token = QLineEdit(self.settings.hf_token)
        self.hf_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.hf_token.setAccessibleName(self.tr("Hugging Face token"))
        self.hf_token.setPlaceholderText(self.tr("hf_… (for gated models only)"))
        token_note = QLabel(
            self.tr("The HF_TOKEN environment variable, when set, is used instead.")
            if os.environ.get("HF_TOKEN")
            else self.tr("Needed only for models whose licence must be accepted on the Hub.")
        )
        token_note.setWordWrap(True)
        form = QFormLayout(page)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(QLabel(self.tr("A new language applies at the next start.")))
        form.addRow(self.tr("Theme"), self.theme)
        form.addRow(self.tr("Hugging Face token"), self.hf_token)
        form.addRow(token_note)
        return page

    def _model(self) -> QWidget:
        page = QWidget()
        preset = self.settings.preset(self.model_path)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(0, 131072)
        self.n_ctx.setSingleStep(512)
        # 0 stands for "the model's own context" (None in the preset).
        self.n_ctx.setSpecialValueText(self.tr("Automatic (the model's context)"))
        self.n_ctx.setValue(preset.n_ctx or 0)
        self.n_ctx.setAccessibleName(self.tr("Context window"))
        self.threads = QSpinBox()
        self.threads.setRange(0, os.cpu_count() or 64)
        self.threads.setSpecialValueText(self.tr("automatic"))
        self.threads.setValue(preset.n_threads or 0)
        self.threads.setAccessibleName(self.tr("Threads"))
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-1, 999)
        self.gpu_layers.setSpecialValueText(self.tr("all"))
        self.gpu_layers.setValue(preset.n_gpu_layers)
        self.gpu_layers.setAccessibleName(self.tr("GPU layers"))
        form = QFormLayout(page)
        name = os.path.basename(self.model_path) or self.tr("no model loaded")
        form.addRow(QLabel(self.tr("Load settings of {model}").format(model=name)))
        form.addRow(self.tr("Context window (tokens)"), self.n_ctx)
        form.addRow(self.tr("CPU threads"), self.threads)
        form.addRow(self.tr("Layers on the GPU"), self.gpu_layers)
        form.addRow(self.tr("Memory for recent conversations"), self._context_memory())
        form.addRow(QLabel(self.tr("The model reloads with these settings.")))
        return page

    def _context_memory(self) -> QWidget:
        """The RAM kept for recent conversations (every model): automatic, none, or a size."""
        from ..core.kv_cache import MiB, default_budget_bytes  # numpy: not at start-up

        automatic = default_budget_bytes()
        explain = self.tr(
            "Going back to a recent conversation is almost instant when its state is kept "
            "in memory, at the cost of up to this much RAM while a model is loaded."
        )
        self.context_memory = QComboBox()
        self.context_memory.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.context_memory.setAccessibleName(self.tr("Memory for recent conversations"))
        size = QLocale().formattedDataSize(automatic, 1, QLocale.DataSizeFormat.DataSizeIecFormat)
        self.context_memory.addItem(self.tr("automatic (≈ {size})").format(size=size), AUTO)
        self.context_memory.addItem(self.tr("none"), NONE)
        self.context_memory.addItem(self.tr("chosen size"), SIZE)
        self.context_size = QSpinBox()
        self.context_size.setRange(1, 1 << 20)
        self.context_size.setSingleStep(256)
        self.context_size.setSuffix(self.tr(" MiB"))
        self.context_size.setAccessibleName(self.tr("Memory for recent conversations, in MiB"))
        budget = self.settings.context_cache_mb
        self.context_size.setValue(budget or automatic // MiB)
        choice = AUTO if budget is None else NONE if budget == 0 else SIZE
        self.context_memory.setCurrentIndex(self.context_memory.findData(choice))
        self.context_memory.currentIndexChanged.connect(self._show_context_size)
        self._show_context_size()
        for widget in (self.context_memory, self.context_size):
            widget.setToolTip(explain)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.context_memory, 1)
        layout.addWidget(self.context_size)
        return row

    def _show_context_size(self) -> None:
        self.context_size.setVisible(self.context_memory.currentData() == SIZE)

    def context_cache_mb(self) -> int | None:
        """What the dialog says now, as AppSettings.context_cache_mb."""
        choice = self.context_memory.currentData()
        return None if choice == AUTO else 0 if choice == NONE else self.context_size.value()

    def _engines(self) -> QWidget:
        page = QWidget()
        self.engine = QComboBox()
        self.engine.setAccessibleName(self.tr("Engine"))
        self.endpoint_list = QListWidget()
        self.endpoint_list.setAccessibleName(self.tr("Remote servers"))
        self.endpoint_name = QLineEdit()
        self.endpoint_name.setPlaceholderText(self.tr("Name, e.g. vLLM at work"))
        self.endpoint_url = QLineEdit()
        self.endpoint_url.setPlaceholderText("http://127.0.0.1:8000/v1")
        self.endpoint_key = QLineEdit()
        self.endpoint_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.endpoint_key.setPlaceholderText(self.tr("API key (if the server needs one)"))
        self.endpoint_model = QLineEdit()
        self.endpoint_model.setPlaceholderText(self.tr("Model (empty: the server's first)"))
        for field, name in (
            (self.endpoint_name, self.tr("Server name")),
            (self.endpoint_url, self.tr("Server address")),
            (self.endpoint_key, self.tr("API key")),
            (self.endpoint_model, self.tr("Model name")),
        ):
            field.setAccessibleName(name)
        add = QPushButton(self.tr("Add server"))
        remove = QPushButton(self.tr("Remove server"))
        add.clicked.connect(self._add_endpoint)
        remove.clicked.connect(self._remove_endpoint)
        self.endpoint_error = QLabel()
        self._fill_engines(self.settings.engine)

        remote = QGroupBox(self.tr("Remote OpenAI-compatible servers"))
        form = QFormLayout(remote)
        form.addRow(self.endpoint_list)
        form.addRow(self.tr("Name"), self.endpoint_name)
        form.addRow(self.tr("Address"), self.endpoint_url)
        form.addRow(self.tr("API key"), self.endpoint_key)
        # Said once, where a key is typed: on a machine with no keyring, keys stay in the file.
        self.keyring_notice = QLabel(keys.notice())
        self.keyring_notice.setWordWrap(True)
        self.keyring_notice.setVisible(bool(self.keyring_notice.text()))
        form.addRow(self.keyring_notice)
        form.addRow(self.tr("Model"), self.endpoint_model)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        form.addRow(row)
        form.addRow(self.endpoint_error)

        sharing = QGroupBox(self.tr("Share the local model with other apps"))
        self.share = QCheckBox(self.tr("Serve the loaded model on this computer (127.0.0.1 only)"))
        self.share.setChecked(self.settings.share)
        self.share.toggled.connect(self.sharing_toggled)
        self.share_address = QLineEdit()
        self.share_address.setReadOnly(True)
        self.share_address.setAccessibleName(self.tr("Sharing address"))
        self.share_key = QLineEdit()
        self.share_key.setReadOnly(True)
        self.share_key.setAccessibleName(self.tr("Sharing key"))
        copy = QPushButton(self.tr("Copy key"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.share_key.text()))
        self.share_state = QLabel()
        self.share_cost = QLabel()
        self.share_cost.setObjectName("reason")
        self.share_cost.setWordWrap(True)
        self.share_cost.hide()
        self._estimate_sharing_cost()
        share_form = QFormLayout(sharing)
        share_form.addRow(self.share)
        share_form.addRow(self.share_cost)
        share_form.addRow(self.tr("Address"), self.share_address)
        key_row = QHBoxLayout()
        key_row.addWidget(self.share_key, 1)
        key_row.addWidget(copy)
        share_form.addRow(self.tr("Key"), key_row)
        share_form.addRow(self.share_state)

        layout = QVBoxLayout(page)
        top = QFormLayout()
        top.addRow(self.tr("Chat with"), self.engine)
        layout.addLayout(top)
        layout.addWidget(remote)
        layout.addWidget(sharing)
        return page

    def _fill_engines(self, current: str) -> None:
        self.engine.clear()
        self.engine.addItem(self.tr("This computer (llama.cpp)"), LOCAL)
        self.endpoint_list.clear()
        for endpoint in self.endpoints:
            self.engine.addItem(endpoint.name, endpoint.name)
            self.endpoint_list.addItem(f"{endpoint.name} — {endpoint.base_url}")
        self.engine.setCurrentIndex(max(0, self.engine.findData(current)))

    def _add_endpoint(self) -> None:
        from ..core.errors import RemoteError
        from ..core.remote_engine import normalise_base_url

        name = self.endpoint_name.text().strip()
        if not name or any(e.name == name for e in self.endpoints):
            self.endpoint_error.setText(self.tr("Give the server a name not used yet."))
            return
        try:
            url = normalise_base_url(self.endpoint_url.text().strip())
        except RemoteError as exc:
            self.endpoint_error.setText(str(exc))
            return
        self.endpoints.append(
            Endpoint(
                name, url, self.endpoint_key.text().strip(), self.endpoint_model.text().strip()
            )
        )
        self.endpoint_error.clear()
        for field in (
            self.endpoint_name,
            self.endpoint_url,
            self.endpoint_key,
            self.endpoint_model,
        ):
            field.clear()
        self._fill_engines(name)

    def _remove_endpoint(self) -> None:
        row = self.endpoint_list.currentRow()
        if 0 <= row < len(self.endpoints):
            del self.endpoints[row]
            self._fill_engines(self.engine.currentData())

    def _estimate_sharing_cost(self) -> None:
        """What sharing adds to memory, said before it is turned on: the server is a second
        llama.cpp beside the app's (the file is mapped once, its working memory is not).
        Estimated off the window's thread: it probes the machine (llama.cpp, half a second)."""
        if not self.model_path:
            return
        from ..core.sharing import second_copy_bytes

        path, load = self.model_path, self.settings.preset(self.model_path).load_settings()

        def estimate() -> tuple[int, int] | None:
            try:
                return second_copy_bytes(path, load)
            except (OSError, ValueError):  # an unreadable file: nothing to say here
                return None

        run_in_background(self, estimate, self._show_sharing_cost, self._no_cost)

    def _show_sharing_cost(self, cost: tuple[int, int] | None) -> None:
        from .library_models import size_text

        if cost is None:
            return
        ram, vram = cost
        if vram:
            text = (
                self.tr("Sharing uses about %1 more memory and %2 more GPU memory.")
                .replace("%1", size_text(ram))
                .replace("%2", size_text(vram))
            )
        else:
            text = self.tr("Sharing uses about %1 more memory.").replace("%1", size_text(ram))
        self.share_cost.setText(text)
        self.share_cost.show()

    def _no_cost(self, _reason: str) -> None:
        """A file the estimate cannot read: the load already says what is wrong with it."""

    def show_sharing(self, address: str, key: str, state: str) -> None:
        self.share_address.setText(address)
        self.share_key.setText(key)
        self.share_state.setText(state)

    def _accept(self) -> None:
        # What the dialog does not show (the model last used, the columns put away) is kept.
        result = replace(
            self.settings,
            language=str(self.language.currentData()),
            theme=str(self.theme.currentData()),
            engine=str(self.engine.currentData() or LOCAL),
            endpoints=list(self.endpoints),
            presets=dict(self.settings.presets),
            share=self.share.isChecked(),
            imported_models=list(self.settings.imported_models),
            hf_token=self.hf_token.text().strip(),
            context_cache_mb=self.context_cache_mb(),
        )
        if self.model_path:
            result.presets[os.path.basename(self.model_path)] = ModelPreset(
                self.n_ctx.value() or None, self.threads.value() or None, self.gpu_layers.value()
            )
        self.applied.emit(result)
        self.accept()
