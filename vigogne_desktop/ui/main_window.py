"""The main window: pick a GGUF model, ask a question, watch the answer stream in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..core import settings
from ..core.conversion import prepare_demo
from ..core.library import installed_models
from ..core.protocol import ChatFinished, ChatStarted, LoadSettings, ModelInfo, SamplingParams
from .conversion_worker import ConversionThread
from .engine_worker import EngineThread


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(self.tr("Vigogne Desktop"))
        self.resize(900, 680)
        self.engine = EngineThread()
        self.history: list[dict[str, str]] = []
        self._reply = ""
        self._busy = False
        self.model: ModelInfo | None = None

        self.open_button = QPushButton(self.tr("Ouvrir un modèle…"))
        self.open_button.setAccessibleName(self.tr("Ouvrir un modèle GGUF"))
        self.model_label = QLabel(self.tr("Aucun modèle chargé"))
        self.transcript = QTextBrowser()
        self.transcript.setAccessibleName(self.tr("Conversation"))
        self.composer = QPlainTextEdit()
        self.composer.setPlaceholderText(self.tr("Écrivez votre message…"))
        self.composer.setAccessibleName(self.tr("Message"))
        self.composer.setMaximumHeight(100)
        self.send_button = QPushButton(self.tr("Envoyer"))
        self.stop_button = QPushButton(self.tr("Arrêter"))
        self.status = QLabel()
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progression"))
        self.progress.hide()
        self._conversion: ConversionThread | None = None

        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.model_label, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.composer, 1)
        bottom.addWidget(self.send_button)
        bottom.addWidget(self.stop_button)
        layout = QVBoxLayout()
        layout.addLayout(top)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(bottom)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        layout.addLayout(status_row)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)

        self.open_button.clicked.connect(self.choose_model)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.engine.cancel)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.engine.cancel)
        worker = self.engine.worker
        worker.loaded.connect(self._on_loaded)
        worker.load_failed.connect(self._on_load_failed)
        worker.started.connect(self._on_started)
        worker.chunk.connect(self._on_chunk)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self._update_controls()

    # -- intent ------------------------------------------------------------------

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Ouvrir un modèle"), "", self.tr("Modèles GGUF (*.gguf)")
        )
        if path:
            self.load_model(path)

    def load_model(self, path: str, load_settings: LoadSettings | None = None) -> None:
        self._busy = True
        self.status.setText(self.tr("Chargement du modèle…"))
        self._update_controls()
        self.engine.request_load.emit(path, load_settings or LoadSettings())

    def open_default_model(self) -> None:
        """The most recently used model; on a first start, the demo model, converted first."""
        models = settings.models_dir()
        conversion = None if installed_models(models) else prepare_demo(models)
        if conversion is None:
            self.load_model(str(installed_models(models)[0]))
            return
        self._busy = True
        self._update_controls()
        self.status.setText(self.tr("Premier démarrage : préparation du modèle de démonstration…"))
        self.progress.setRange(0, 0)
        self.progress.show()
        self._conversion = ConversionThread(conversion)
        worker = self._conversion.worker
        worker.progress.connect(self._on_conversion_progress)
        worker.finished.connect(self._on_conversion_finished)
        worker.failed.connect(self._on_conversion_failed)
        self._conversion.start()

    def _on_conversion_progress(self, phase: str, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _end_conversion(self) -> None:
        self.progress.hide()
        if self._conversion is not None:
            self._conversion.join()
            self._conversion = None

    def _on_conversion_finished(self, path: str) -> None:
        self._end_conversion()
        self.load_model(path)

    def _on_conversion_failed(self, message: str) -> None:
        self._end_conversion()
        self._busy = False
        self.status.setText(message)
        self._update_controls()

    def send(self) -> None:
        text = self.composer.toPlainText().strip()
        if not text or self._busy or self.model is None:
            return
        self.composer.clear()
        self.history.append({"role": "user", "content": text})
        self._append_turn(self.tr("Vous"), text)
        self._append_turn(self.tr("Vigogne"), "")
        self._reply = ""
        self._busy = True
        self._update_controls()
        self.engine.request_chat.emit(list(self.history), SamplingParams())

    # -- engine events -------------------------------------------------------------

    def _on_loaded(self, info: ModelInfo) -> None:
        self.model = info
        self._busy = False
        self.model_label.setText(f"{info.name} · {info.file_type} · {info.prompt_format}")
        self.status.setText(self.tr("Modèle prêt."))
        self._update_controls()

    def _on_load_failed(self, message: str) -> None:
        self._busy = False
        self.status.setText(message)
        self._update_controls()

    def _on_started(self, started: ChatStarted) -> None:
        if started.dropped_rounds:
            self.status.setText(
                self.tr(
                    "%n échange(s) ancien(s) retiré(s) pour tenir dans le contexte.",
                    "",
                    started.dropped_rounds,
                )
            )

    def _append_turn(self, speaker: str, text: str) -> None:
        """A bold speaker line, then the text in the normal weight."""
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.transcript.document().isEmpty():
            cursor.insertBlock()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor.insertText(speaker, bold)
        cursor.insertBlock()
        cursor.insertText(text, QTextCharFormat())

    def _on_chunk(self, text: str) -> None:
        self._reply += text
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, QTextCharFormat())

    def _on_finished(self, done: ChatFinished) -> None:
        self.history.append({"role": "assistant", "content": self._reply})
        self._busy = False
        self.status.setText(
            self.tr("{tokens} jetons · {speed} jetons/s").format(
                tokens=done.completion_tokens, speed=f"{done.tokens_per_second:.1f}"
            )
        )
        self._update_controls()

    def _on_failed(self, message: str, crashed: bool) -> None:
        self._busy = False
        if self.history and self.history[-1]["role"] == "user":
            self.history.pop()
        if crashed:
            self.model = None
            self.model_label.setText(self.tr("Aucun modèle chargé"))
        self.status.setText(message)
        self._update_controls()

    def _update_controls(self) -> None:
        ready = self.model is not None and not self._busy
        self.send_button.setEnabled(ready)
        self.stop_button.setEnabled(self._busy and self.model is not None)
        self.open_button.setEnabled(not self._busy)
        if self.model is None and not self._busy:
            self.send_button.setToolTip(self.tr("Chargez d'abord un modèle."))
        else:
            self.send_button.setToolTip("")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self._conversion is not None:
            self._conversion.cancel()
        self.engine.shutdown()
        super().closeEvent(event)
