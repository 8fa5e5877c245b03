"""One message of the chat: a bubble (the user's to the right, tinted and only as wide as
its text; Vigogne's framed, the column's width), its status under the text, and its
actions as icons (Vigogne's beside its name, the user's left of the bubble, so they take no
row of their own), shown on hover, on keyboard focus, and on the last message.

The text renders as Markdown in pieces (see markdown.py): a streaming reply redraws only
its last piece; code blocks are framed, with their own copy button.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ..core.history import Message
from .i18n import decimal
from .markdown import Part, Segmenter, split_parts
from .message_parts import (
    COLUMN_WIDTH,
    ActionButton,
    CodeBlock,
    CopyButton,
    MarkdownLabel,
    TypingDots,
    WrappingLabel,
)

BUBBLE_MARGINS = (12, 8, 12, 8)
# Qt lays out a paragraph in time growing with its length: a pasted 1 MB message held the
# window for 5 s, and again at each resize. Past this, the bubble shows the beginning and
# says so; the history keeps the message whole and « Copy » copies it whole. A reply (a
# context's worth at most: 4,096 tokens are about 15,000 characters) is shown whole; a
# question, pasted up to the message box's 20,000 characters, shows its first 10,000 (sending
# 20,000 held the window 100 ms, 10,000 about half).
SHOWN_CHARACTERS = 30_000
SHOWN_OF_A_QUESTION = 10_000

Shown = MarkdownLabel | CodeBlock


def discard(widget: QWidget) -> None:
    widget.hide()  # at once: deleteLater leaves it on screen until the next turn
    widget.deleteLater()


class Bubble(QFrame):
    """The frame around a message's text; for the user's, it asks only its text's width
    (a layout gives a right-aligned widget no more than its size hint)."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.setObjectName(f"message-{role}")
        self.natural_width = COLUMN_WIDTH

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(self.natural_width, super().sizeHint().height())


class MessageWidget(QWidget):
    """One message: who, the text as Markdown, and what can be done with it."""

    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    version_requested = Signal(int)

    def __init__(self, message: Message) -> None:
        super().__init__()
        self.setObjectName("message")
        self.message = message
        self._segmenter = Segmenter()
        self._finished: list[Shown] = []  # the widgets of the segmenter's finished pieces
        self._tail: list[Shown] = []  # those of its unfinished tail
        self._shown: tuple[Message, tuple[bool, bool, bool]] | None = None
        self._hovered = self._focused = self._last = False

        self.bubble = Bubble(message.role)
        # Wrapping labels: a long status in French wraps instead of widening the message.
        self.speaker = WrappingLabel()
        self.speaker.setObjectName("speaker")
        self.typing = TypingDots()
        self.state = WrappingLabel()
        self.state.setObjectName("state")
        self.footer = WrappingLabel()
        self.footer.setObjectName("footer")
        self.notice = WrappingLabel()
        self.notice.setObjectName("notice")
        self.rest = WrappingLabel()  # what is not shown of a very long message
        self.rest.setObjectName("state")
        self.rest.hide()
        self.body = QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(6)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.speaker, 1)
        inside = QVBoxLayout(self.bubble)
        inside.setContentsMargins(*BUBBLE_MARGINS)
        inside.setSpacing(4)
        inside.addLayout(header)
        inside.addWidget(self.typing)
        inside.addLayout(self.body)
        inside.addWidget(self.rest)
        inside.addWidget(self.state)
        inside.addWidget(self.footer)

        self.previous = self._text_tool("‹", self.tr("Previous version"))
        self.version = QLabel()
        self.next = self._text_tool("›", self.tr("Next version"))
        self.copy_button = CopyButton(self.tr("Copy this message"), lambda: self.message.content)
        self.edit_button = ActionButton("edit", self.tr("Edit and send again"))
        self.regenerate_button = ActionButton("regenerate", self.tr("Write another reply"))
        self.action_bar = QWidget()
        self.action_bar.setObjectName("actions")
        tools = QHBoxLayout(self.action_bar)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(0)
        buttons = [self.copy_button, self.edit_button, self.regenerate_button]
        for widget in [self.previous, self.version, self.next, *buttons]:
            tools.addWidget(widget)
        for button in [self.previous, self.next, *buttons]:
            button.focused.connect(self._on_focus)
        # Hidden by transparency rather than hide(): Tab still reaches the buttons.
        self._fade = QGraphicsOpacityEffect(self.action_bar)
        self.action_bar.setGraphicsEffect(self._fade)

        # A row of actions under every message, invisible until hovered, once left ~30 px
        # between messages: they go where there is room already.
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if message.role == "user":
            # Left of the bubble, at its foot: they also keep it off the column's left part.
            row.addStretch(1)
            row.addWidget(self.action_bar, 0, Qt.AlignmentFlag.AlignBottom)
            row.addWidget(self.bubble)
        else:
            header.addWidget(self.action_bar)  # Vigogne's name on the left, its actions right
            row.addWidget(self.bubble)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.notice)
        layout.addLayout(row)

        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self.message.id))
        self.regenerate_button.clicked.connect(
            lambda: self.regenerate_requested.emit(self.message.id)
        )
        self.previous.clicked.connect(lambda: self._switch(-1))
        self.next.clicked.connect(lambda: self._switch(+1))
        self.show_message(message, can_regenerate=False, busy=False)

    def _text_tool(self, text: str, name: str) -> ActionButton:
        button = ActionButton("", name)
        button.setText(text)
        return button

    def show_message(
        self, message: Message, *, can_regenerate: bool, busy: bool, first_limit: bool = True
    ) -> None:
        """Show `message`; `can_regenerate`: it is the last one; `first_limit`: it is the
        first reply of the conversation that says the model takes only the last exchanges."""
        old = self.message
        state = (can_regenerate, busy, first_limit)
        if self._shown == (replace(message, content=""), state) and (
            bool(message.content) == bool(old.content)
        ):
            # Only more text of a streaming reply: render it, touch nothing else.
            self.message = message
            self._render_text(message.content)
            return
        self._shown = (replace(message, content=""), state)
        self.message = message
        self._last = can_regenerate
        names = {
            "user": self.tr("You"),
            "assistant": self.tr("Vigogne"),
            "system": self.tr("System"),
        }
        name = names.get(message.role, message.role)
        self.speaker.setText(f"<b>{name}</b>")
        self.speaker.setVisible(message.role != "user")  # the right-hand side says it
        self.bubble.setAccessibleName(name)
        self.state.setText(self._state_text(message))
        self.state.setToolTip(str(message.meta.get("error", "")))
        self.state.setVisible(bool(self.state.text()))
        self.typing.setVisible(
            message.role == "assistant" and message.status == "streaming" and not message.content
        )
        many = len(message.siblings) > 1
        for widget in (self.previous, self.version, self.next):
            widget.setVisible(many)
        self.version.setText(f"{message.version}/{len(message.siblings)}")
        self.previous.setEnabled(not busy and message.version > 1)
        self.next.setEnabled(not busy and message.version < len(message.siblings))
        self.copy_button.setVisible(bool(message.content))  # nothing to copy yet
        self.edit_button.setVisible(message.role == "user")
        self.edit_button.setEnabled(not busy)
        self.regenerate_button.setVisible(message.role == "assistant" and can_regenerate)
        self.regenerate_button.setEnabled(not busy)
        self._show_notice(message, first_limit)
        self.footer.setText(self._footer_text(message))
        self.footer.setVisible(bool(self.footer.text()))
        self._reveal()
        if old.id != message.id or not message.content.startswith(self._segmenter.text):
            self._reset_body()
        self._render_text(message.content)

    def _state_text(self, message: Message) -> str:
        """Why a reply is not whole: the user stopped it, the engine or the app stopped."""
        if message.status == "stopped":
            return self.tr("stopped")
        if message.status != "unfinished":
            return ""
        if "error" not in message.meta:  # the window closed or the app died mid-reply
            return self.tr("unfinished: the app stopped while writing")
        if message.meta.get("crashed", True):
            return self.tr("unfinished: the engine stopped")
        return self.tr("unfinished: the reply failed")

    def _show_notice(self, message: Message, first_limit: bool) -> None:
        dropped = int(message.meta.get("dropped_rounds", 0) or 0)
        limit = int(message.meta.get("round_limit", 0) or 0)
        if limit:
            notice = self.tr(
                "This model takes only the last %n exchange(s) of a conversation: the earlier "
                "ones were not sent to it.",
                "",
                limit,
            )
        else:
            notice = self.tr(
                "%n earlier exchange(s) did not fit in the context window and were left out "
                "of this reply.",
                "",
                dropped,
            )
        self.notice.setText(notice)
        # The model's limit is said once per conversation; a trimmed context, each time.
        self.notice.setVisible(dropped > 0 and (first_limit or not limit))

    def _footer_text(self, message: Message) -> str:
        meta = message.meta
        if message.role != "assistant" or "tokens" not in meta:
            return ""
        parts = [
            self.tr("%n token(s)", "", int(meta["tokens"])),
            self.tr("{speed} tokens/s").format(speed=decimal(float(meta.get("speed", 0)))),
        ]
        if meta.get("model"):
            parts.append(str(meta["model"]))
        return " · ".join(parts)

    # -- the text ----------------------------------------------------------------------

    def _reset_body(self) -> None:
        for widget in [*self._finished, *self._tail]:
            discard(widget)
        self._finished.clear()
        self._tail.clear()
        self._segmenter = Segmenter()

    def _render_text(self, text: str) -> None:
        """The text, or its beginning and a line saying how much more the history keeps."""
        shown = SHOWN_OF_A_QUESTION if self.message.role == "user" else SHOWN_CHARACTERS
        hidden = len(text) - shown
        if hidden > 0 or self.rest.isVisibleTo(self):
            self.rest.setText(
                self.tr(
                    "%n more character(s) of this message are not shown: « Copy this message » "
                    "copies it whole.",
                    "",
                    hidden,
                )
            )
            self.rest.setVisible(hidden > 0)
        self._render(text[:shown])

    def _render(self, text: str) -> None:
        segmenter = self._segmenter
        new = segmenter.feed(text)
        for number in range(len(segmenter.pieces) - new, len(segmenter.pieces)):
            self._add_piece(segmenter.pieces[number], segmenter.continued[number])
        parts = split_parts(segmenter.tail)
        block = self._last_block()
        if block is not None:
            going_on = segmenter.tail_continues and parts and parts[0].code
            block.set_tail(parts.pop(0).text if going_on else "")
        for number, part in enumerate(parts):
            if number < len(self._tail) and isinstance(self._tail[number], CodeBlock) == part.code:
                self._fill(self._tail[number], part)
                continue
            if number < len(self._tail):
                discard(self._tail.pop(number))
            widget = self._make_part(part)
            self.body.insertWidget(len(self._finished) + number, widget)
            self._tail.insert(number, widget)
        for widget in self._tail[len(parts) :]:
            discard(widget)
        del self._tail[len(parts) :]
        if self.message.role == "user":
            self._fit_bubble()

    def _last_block(self) -> CodeBlock | None:
        last = self._finished[-1] if self._finished else None
        return last if isinstance(last, CodeBlock) else None

    def _add_piece(self, piece: str, continued: bool) -> None:
        parts = split_parts(piece)
        block = self._last_block()
        if block is not None:
            block.set_tail("")  # its text is now in the finished piece, as a chunk
            if continued and parts and parts[0].code:
                block.add_chunk(parts.pop(0).text)
        for part in parts:
            widget: Shown
            if part.code:
                widget = CodeBlock(part.language)
                widget.add_chunk(part.text)  # finished: the tail chunk is for what follows
            else:
                widget = self._make_part(part)
            self.body.insertWidget(len(self._finished), widget)
            self._finished.append(widget)

    def _make_part(self, part: Part) -> Shown:
        widget: Shown = CodeBlock(part.language) if part.code else MarkdownLabel()
        self._fill(widget, part)
        return widget

    def _fill(self, widget: Shown, part: Part) -> None:
        if isinstance(widget, CodeBlock):
            widget.language.setText(part.language)
            widget.set_tail(part.text)
        else:
            widget.set_markdown(part.text)

    def _fit_bubble(self) -> None:
        """The user's bubble is as wide as its text, up to the column's width."""
        shown = [*self._finished, *self._tail]
        natural = COLUMN_WIDTH  # code keeps the whole width
        if not any(isinstance(widget, CodeBlock) for widget in shown):
            widths = [widget.natural_width for widget in shown if isinstance(widget, MarkdownLabel)]
            left, _, right, _ = BUBBLE_MARGINS
            natural = int(max(widths, default=0)) + left + right + 8  # a few px of slack
        if natural != self.bubble.natural_width:
            self.bubble.natural_width = min(natural, COLUMN_WIDTH)
            self.bubble.updateGeometry()

    # -- actions -------------------------------------------------------------------------

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 (Qt's name)
        self._hovered = True
        self._reveal()
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        self._hovered = False
        self._reveal()
        super().leaveEvent(event)

    def _on_focus(self, focused: bool) -> None:
        self._focused = focused
        self._reveal()

    def _reveal(self) -> None:
        self._fade.setOpacity(1.0 if self._hovered or self._focused or self._last else 0.0)

    @property
    def actions_shown(self) -> bool:
        return self._fade.opacity() > 0

    def _switch(self, step: int) -> None:
        siblings = self.message.siblings
        self.version_requested.emit(siblings[self.message.version - 1 + step])

    def mark_found(self, found: bool) -> None:
        """Outline the message (a search hit) or not."""
        for widget in (self, self.bubble):
            widget.setProperty("found", found)
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def text(self) -> str:
        """What the user reads, as the Markdown (and code) it is drawn from (for tests)."""
        shown = [*self._finished, *self._tail]
        return "\n".join(w.code() if isinstance(w, CodeBlock) else w.markdown for w in shown)
