"""The conversation's settings: prompt format, system prompt and sampling (the model is
picked in the model bar above the chat)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.prompts import FORMATS
from ..core.protocol import SamplingParams
from ..core.settings import ConversationSettings

NO_SEED = -1


class ConversationPanel(QWidget):
    """Edits a ConversationSettings but its model; says `changed` on every edit."""

    changed = Signal(object)  # ConversationSettings, its model left empty

    def __init__(self) -> None:
        super().__init__()
        self._quiet = False
        self.format = QComboBox()
        self.format.setAccessibleName(self.tr("Prompt format"))
        self.format.addItem(self.tr("Automatic (from the model)"), "auto")
        for fmt in FORMATS.values():
            self.format.addItem(fmt.title, fmt.name)
        # Long format names must not make the window wider than a laptop's screen: the combo
        # shows their beginning, the list shows them whole.
        self.format.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.format.setMinimumContentsLength(12)
        self.system = QPlainTextEdit()
        self.system.setAccessibleName(self.tr("System prompt"))
        self.system.setMaximumHeight(120)
        # Made in the order they are shown: Tab follows the order of creation.
        self.temperature = self._double(0, 2, 0.05, self.tr("Temperature"))
        self.top_p = self._double(0, 1, 0.05, self.tr("Top p"))
        self.top_k = self._int(0, 200, self.tr("Top k"))
        self.min_p = self._double(0, 1, 0.01, self.tr("Min p"))
        self.repeat_penalty = self._double(1, 2, 0.05, self.tr("Repeat penalty"))
        self.max_tokens = self._int(1, 32768, self.tr("Maximum reply length"))
        self.seed = self._int(NO_SEED, 2**31 - 1, self.tr("Seed"))
        self.seed.setSpecialValueText(self.tr("random"))
        self.reset = QPushButton(self.tr("Vigogne recommended settings"))
        self.reset.setToolTip(
            self.tr("Temperature 0.1, top p 1, top k 0, repeat penalty 1.1 (Vigogne's advice)")
        )

        form = QFormLayout()
        form.addRow(self.tr("Prompt format"), self.format)
        form.addRow(QLabel(self.tr("System prompt")))
        form.addRow(self.system)
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Top p"), self.top_p)
        form.addRow(self.tr("Top k"), self.top_k)
        form.addRow(self.tr("Min p"), self.min_p)
        form.addRow(self.tr("Repeat penalty"), self.repeat_penalty)
        form.addRow(self.tr("Max tokens"), self.max_tokens)
        form.addRow(self.tr("Seed"), self.seed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reset)
        layout.addStretch(1)

        for spin in (self.temperature, self.top_p, self.min_p, self.repeat_penalty):
            spin.valueChanged.connect(self._emit)
        for ispin in (self.top_k, self.max_tokens, self.seed):
            ispin.valueChanged.connect(self._emit)
        self.format.currentIndexChanged.connect(self._emit)
        self.system.textChanged.connect(self._emit)
        self.reset.clicked.connect(self._reset)
        self.show_settings(ConversationSettings())

    def _double(self, low: float, high: float, step: float, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(2)
        spin.setAccessibleName(name)
        return spin

    def _int(self, low: int, high: int, name: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setAccessibleName(name)
        return spin

    def show_settings(self, settings: ConversationSettings) -> None:
        self._quiet = True
        params = settings.sampling
        self.format.setCurrentIndex(max(0, self.format.findData(settings.prompt_format)))
        self.system.setPlainText(settings.system)
        self.temperature.setValue(params.temperature)
        self.top_p.setValue(params.top_p)
        self.top_k.setValue(params.top_k)
        self.min_p.setValue(params.min_p)
        self.repeat_penalty.setValue(params.repeat_penalty)
        self.max_tokens.setValue(params.max_tokens or 512)
        self.seed.setValue(NO_SEED if params.seed is None else params.seed)
        self._quiet = False

    def settings(self) -> ConversationSettings:
        seed = self.seed.value()
        return ConversationSettings(
            prompt_format=str(self.format.currentData()),
            system=self.system.toPlainText(),
            sampling=SamplingParams(
                temperature=round(self.temperature.value(), 2),
                top_p=round(self.top_p.value(), 2),
                top_k=self.top_k.value(),
                min_p=round(self.min_p.value(), 2),
                repeat_penalty=round(self.repeat_penalty.value(), 2),
                max_tokens=self.max_tokens.value(),
                seed=None if seed == NO_SEED else seed,
            ),
        )

    def _emit(self) -> None:
        if not self._quiet:
            self.changed.emit(self.settings())

    def _reset(self) -> None:
        self.show_settings(ConversationSettings())
        self._emit()
