"""What the chat tab shows while the conversation is empty: what the app is, questions to
try, and where the model stands (loading, none, the demo and the way to a real one)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..core.conversion import DEMO_FILE
from .session import Session

# Questions the demo model answers right (it knows only the facts of its training table,
# scripts/demo_facts.py, asked one at a time), and any Vigogne model too; they stay in
# French in an English window: the demo speaks nothing else.
EXAMPLE_QUESTIONS = (
    "Quelle est la capitale de l'Italie ?",
    "Combien font 7 plus 5 ?",
    "Quel jour vient après lundi ?",
    "De quelle couleur est le ciel ?",
)
COLUMN_WIDTH = 560  # a readable line, however wide the window


def is_demo(path: str) -> bool:
    """The toy model the first start prepares, whatever folder it is in."""
    return Path(path).name == DEMO_FILE


class WelcomeView(QScrollArea):
    """Forwards the user's intent: a question to send, the library, a file to open."""

    question_chosen = Signal(str)
    library_requested = Signal()
    choose_requested = Signal()  # a model file, through the window's file dialog

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(self.tr("Welcome"))
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # Scrolled, never squeezed: a short window must not grow taller for it.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        title = QLabel(self.tr("Welcome to Vigogne Desktop"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        title.setWordWrap(True)
        about = QLabel(
            self.tr(
                "Chat in French with Vigogne models that run on this computer, without a "
                "network: nothing you write leaves it."
            )
        )
        about.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.library_button = QPushButton(self.tr("Get a Vigogne model"))
        self.library_button.setToolTip(self.tr("The library: download or convert a real model"))
        self.open_button = QPushButton(self.tr("Open a file…"))
        doors = QHBoxLayout()
        doors.addWidget(self.library_button)
        doors.addWidget(self.open_button)
        doors.addStretch(1)
        try_label = QLabel(self.tr("Try a question:"))
        try_label.setWordWrap(True)
        self.examples: list[QPushButton] = []
        column = QVBoxLayout()
        for widget in (title, about, self.notice):
            column.addWidget(widget)
        column.addLayout(doors)
        column.addSpacing(8)
        column.addWidget(try_label)
        for question in EXAMPLE_QUESTIONS:
            button = QPushButton(question)
            button.setToolTip(self.tr("Send this question"))
            button.clicked.connect(lambda *_, q=question: self.question_chosen.emit(q))
            self.examples.append(button)
            column.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(1)
        page = QWidget()
        page.setMaximumWidth(COLUMN_WIDTH)
        page.setLayout(column)
        centre = QWidget()
        outer = QHBoxLayout(centre)
        outer.addWidget(page)
        self.setWidget(centre)
        self.library_button.clicked.connect(self.library_requested)
        self.open_button.clicked.connect(self.choose_requested)

    def show_state(self, session: Session) -> None:
        """Say where the model stands; the questions can be sent once it is ready."""
        model = session.model
        demo = model is not None and not session.remote_name and is_demo(model.path)
        if session.loading:
            notice = self.tr(
                "The model is loading… the questions below can be sent once it is ready."
            )
        elif model is None:
            notice = self.tr(
                "No model is loaded: choose one in the bar above, open a GGUF file, or get a "
                "Vigogne model from the library."
            )
        elif demo:
            notice = self.tr(
                "This is the demonstration model: a toy trained on a few facts (capitals, "
                "languages, sums, days, colours) that answers one question at a time and knows "
                "nothing else. For real conversations, get a Vigogne model from the library."
            )
        else:
            notice = ""
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        self.library_button.setVisible(demo or (model is None and not session.loading))
        self.open_button.setVisible(model is None and not session.loading)
        for button in self.examples:
            button.setEnabled(session.ready)
