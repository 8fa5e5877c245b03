"""Instruct mode: one instruction, an optional input, one answer in the instruct format."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from .flow_layout import FlowLayout


class InstructView(QWidget):
    run_requested = Signal(str, str, bool)  # instruction, input, use the instruct format
    stop_requested = Signal()
    keep_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.instruction = QPlainTextEdit()
        self.instruction.setPlaceholderText(
            self.tr("Instruction, e.g. “Summarise this text in one sentence.”")
        )
        self.instruction.setAccessibleName(self.tr("Instruction"))
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText(self.tr("Input (optional): the text to work on"))
        self.input.setAccessibleName(self.tr("Input"))
        self.use_instruct_format = QCheckBox(self.tr("Vigogne instruct format"))
        self.use_instruct_format.setChecked(True)
        self.use_instruct_format.setToolTip(
            self.tr(
                "“### Instruction / ### Réponse”, as Vigogne instruct models were trained. "
                "Uncheck it for a chat model: the instruction is then asked in its chat format."
            )
        )
        self.run_button = QPushButton(self.tr("Run"))
        self.stop_button = QPushButton(self.tr("Stop"))
        self.keep_button = QPushButton(self.tr("Keep as a conversation"))
        self.result = QTextBrowser()
        self.result.setAccessibleName(self.tr("Answer"))
        self.reason = QLabel()
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)  # a long reason must not widen the window

        buttons = FlowLayout()  # wraps when narrow: the row must not set the window's width
        for button in (self.run_button, self.stop_button, self.keep_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Instruction")))
        layout.addWidget(self.instruction, 2)
        layout.addWidget(QLabel(self.tr("Input (optional)")))
        layout.addWidget(self.input, 2)
        layout.addWidget(self.use_instruct_format)
        layout.addLayout(buttons)
        layout.addWidget(self.reason)
        layout.addWidget(QLabel(self.tr("Answer")))
        layout.addWidget(self.result, 3)

        self.run_button.clicked.connect(self._run)
        self.stop_button.clicked.connect(self.stop_requested)
        self.keep_button.clicked.connect(self.keep_requested)
        self.answer = ""
        self.set_state(ready=False, busy=False, reason="")

    def _run(self) -> None:
        instruction = self.instruction.toPlainText().strip()
        if instruction:
            self.run_requested.emit(
                instruction, self.input.toPlainText().strip(), self.use_instruct_format.isChecked()
            )

    def set_state(self, *, ready: bool, busy: bool, reason: str) -> None:
        self.run_button.setEnabled(ready and not busy)
        self.stop_button.setEnabled(busy)
        self.keep_button.setEnabled(bool(self.answer) and not busy)
        self.reason.setText(reason)

    def show_answer(self, text: str) -> None:
        self.answer = text
        self.result.setMarkdown(text)
        self.result.verticalScrollBar().setValue(self.result.verticalScrollBar().maximum())

    def clear_answer(self) -> None:
        self.answer = ""
        self.result.clear()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self._run()
            return
        super().keyPressEvent(event)
