"""Markdown cut into pieces that render independently, so a growing reply costs the same
per update at its 5,000th token as at its 50th: only the unfinished last piece is redrawn.

Cuts fall at a blank line outside code blocks once a piece is long enough, or, for very
long paragraphs and code blocks, at a line end (a code block is closed and reopened).
Cuts only look backwards, so the pieces of a prefix are the pieces of the whole text.
Model text is Markdown without raw HTML: a tag a model writes is shown, never obeyed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtGui import QFont, QTextDocument

MIN_PIECE = 300  # characters before a blank line may end a piece
MAX_PIECE = 800  # characters after which a piece ends at the next line end (or space)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# GitHub's Markdown as a QLabel reads it, less raw HTML: md4c then keeps tags as text.
_FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


class Segmenter:
    """Feed the whole text so far; read the finished pieces and the unfinished tail."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        # Per piece: it goes on with a code block the previous piece had to cut.
        self.continued: list[bool] = []
        self._text = ""
        self._start = 0  # where the current piece starts in the text
        self._scanned = 0  # end of the last complete line looked at
        self._fence = ""  # the opening fence line while inside a code block
        self._reopen = ""  # fence line that starts the current piece after a forced cut

    def feed(self, text: str) -> int:
        """Take the text so far (it only grows); returns how many pieces it finished."""
        before = len(self.pieces)
        self._text = text
        while True:
            end = text.find("\n", self._scanned)
            if end < 0:
                break
            self._line(text[self._scanned : end], end + 1)
        pending = len(text) - self._start
        if pending > MAX_PIECE and not self._fence:
            # One enormous line: cut it at its last space rather than redraw it forever.
            space = text.rfind(" ", self._scanned, len(text) - 1)
            if space > self._start:
                self._cut(space + 1)
                self._scanned = space + 1
        return len(self.pieces) - before

    def _line(self, line: str, next_start: int) -> None:
        fence = _FENCE.match(line)
        if fence and not self._fence:
            self._fence = fence.group(1)
        elif fence and self._fence and line.strip().startswith(self._fence):
            self._fence = ""
        self._scanned = next_start
        size = next_start - self._start
        paragraph_end = not self._fence and not line.strip() and size >= MIN_PIECE
        if paragraph_end or size >= MAX_PIECE:
            self._cut(next_start)

    def _cut(self, at: int) -> None:
        piece = self._reopen + self._text[self._start : at]
        self.continued.append(bool(self._reopen))
        self._reopen = ""
        if self._fence:
            piece += self._fence + "\n"
            self._reopen = self._fence + "\n"
        self.pieces.append(piece)
        self._start = at

    @property
    def text(self) -> str:
        return self._text

    @property
    def tail(self) -> str:
        return self._reopen + self._text[self._start :]

    @property
    def tail_continues(self) -> bool:
        return bool(self._reopen)


@dataclass(frozen=True)
class Part:
    """A run of a piece: Markdown text, or the contents of a fenced code block."""

    code: bool
    text: str
    language: str = ""


def split_parts(piece: str) -> list[Part]:
    """The piece as Markdown runs and code blocks, in order; an unclosed block (a reply
    still being written) is a code part too."""
    parts: list[Part] = []
    lines: list[str] = []
    fence, language = "", ""
    for line in piece.split("\n"):
        match = _FENCE.match(line)
        if not fence and match:
            if any(text.strip() for text in lines):
                parts.append(Part(False, "\n".join(lines)))
            fence, language, lines = match.group(1), line.strip()[len(match.group(1)) :], []
        elif fence and line.strip().startswith(fence):
            parts.append(Part(True, "\n".join(lines), language.strip()))
            fence, lines = "", []
        else:
            lines.append(line)
    if fence:
        parts.append(Part(True, "\n".join(lines).rstrip("\n"), language.strip()))
    elif any(text.strip() for text in lines):
        parts.append(Part(False, "\n".join(lines)))
    return parts


def to_rich_text(markdown: str, font: QFont) -> tuple[str, float]:
    """The Markdown as rich text for a label, with any raw HTML in it shown as text, and
    the width it takes unwrapped.

    A QLabel in Markdown mode obeys raw HTML (`<img>`, `<a href>`, styles) and has no
    switch against it; a QTextDocument does, so the label is given its HTML instead. The
    HTML names the document's font size, which overrides the label's: hence `font`.
    """
    document = QTextDocument()
    document.setDefaultFont(font)
    document.setMarkdown(markdown, _FEATURES)
    return document.toHtml(), document.idealWidth()
