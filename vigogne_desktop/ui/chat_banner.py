"""The banner above the chat: what went wrong with the engine or a load, in one sentence, the
way back, and the raw details (how the engine ended, its last log lines) behind « Details »."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
)


class ChatBanner(QFrame):
    """One sentence and the buttons that answer it: retry the reply, restart the engine, or
    choose a file; the details stay folded until asked for."""

    retry_requested = Signal()  # restart the engine if it stopped, then ask the question again
    restart_requested = Signal()
    choose_requested = Signal()  # another model file, through the window's file dialog

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("banner")
        self.text = QLabel()
        self.text.setWordWrap(True)  # a long French sentence must not widen the window
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton(self.tr("Retry"))
        self.retry_button.setToolTip(
            self.tr("Restart the engine and ask the question of the failed reply again")
        )
        self.restart_button = QPushButton(self.tr("Restart the engine"))
        self.choose_button = QPushButton(self.tr("Choose another file…"))
        self.details_button = QToolButton()
        self.details_button.setText(self.tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        # The raw facts, to read or to paste into a bug report: selectable, never the sentence.
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName(self.tr("Details"))
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.details.setMaximumHeight(100)  # a few lines; it scrolls, the chat stays in sight
        self.copy_button = QPushButton(self.tr("Copy the details"))
        buttons = QHBoxLayout()
        for button in (
            self.retry_button,
            self.restart_button,
            self.choose_button,
            self.details_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        copy_row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        layout.addWidget(self.details)
        layout.addLayout(copy_row)
        self.retry_button.clicked.connect(self.retry_requested)
        self.restart_button.clicked.connect(self.restart_requested)
        self.choose_button.clicked.connect(self.choose_requested)
        self.details_button.toggled.connect(self._show_details)
        self.copy_button.clicked.connect(self._copy_details)
        self.dismiss_button.clicked.connect(self.hide)
        self._show_details(False)
        self.hide()

    def show_crash(self, message: str, can_restart: bool, details: str = "") -> None:
        """The engine stopped, or a reply failed."""
        self._show(message, details, retry=can_restart, restart=can_restart, choose=False)

    def show_load_failure(self, message: str, details: str = "", crashed: bool = False) -> None:
        """A model could not be loaded: another file may be; if the engine crashed while
        loading it (no fault of the file, perhaps), it may be started again with it."""
        self._show(message, details, retry=False, restart=crashed, choose=True)

    def _show(
        self, message: str, details: str, *, retry: bool, restart: bool, choose: bool
    ) -> None:
        self.text.setText(message)
        self.details.setPlainText(details)
        self.details_button.setChecked(False)
        self.details_button.setVisible(bool(details))
        self.retry_button.setVisible(retry)
        self.restart_button.setVisible(restart)
        self.choose_button.setVisible(choose)
        self.show()

    def _show_details(self, shown: bool) -> None:
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details.setVisible(shown)
        self.copy_button.setVisible(shown)

    def _copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())
