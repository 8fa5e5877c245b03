"""Markdown cut into pieces that render independently, so a growing reply costs the same
per update at its 5,000th token as at its 50th: only the unfinished last piece is redrawn.

Cuts fall at a blank line outside code blocks once a piece is long enough, or, for very
long paragraphs and code blocks, at a line end (a code block is closed and reopened).
Cuts only look backwards, so the pieces of a prefix are the pieces of the whole text.
Model text is Markdown without raw HTML: a tag a model writes is shown, never obeyed.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QTextDocument

MIN_PIECE = 300  # characters before a blank line may end a piece
MAX_PIECE = 800  # characters after which a piece ends at the next line end (or space)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_COPY_LINK = re.compile(r"copy:(\d{1,6}):(\d{1,6})")
# GitHub's Markdown as a QLabel reads it, less raw HTML: md4c then keeps tags as text.
_FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)


class Segmenter:
    """Feed the whole text so far; read the finished pieces and the unfinished tail."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
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


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks, in order."""
    blocks: list[str] = []
    lines: list[str] = []
    fence = ""
    for line in text.splitlines():
        match = _FENCE.match(line)
        if not fence and match:
            fence, lines = match.group(1), []
        elif fence and line.strip().startswith(fence):
            blocks.append("\n".join(lines))
            fence = ""
        elif fence:
            lines.append(line)
    if fence:
        blocks.append("\n".join(lines))
    return blocks


def with_copy_links(piece: str, piece_number: int, label: str) -> str:
    """The piece with a « copy » link under each code block: `copy:<piece>:<block>`."""
    out: list[str] = []
    fence, number = "", 0
    for line in piece.split("\n"):
        out.append(line)
        match = _FENCE.match(line)
        if not fence and match:
            fence = match.group(1)
        elif fence and line.strip().startswith(fence):
            fence = ""
            out.append(f"\n[{label}](copy:{piece_number}:{number})\n")
            number += 1
    return "\n".join(out)


def copy_target(link: str) -> tuple[int, int] | None:
    """(piece, block) of a link `with_copy_links` wrote; None for any other link."""
    match = _COPY_LINK.fullmatch(link)
    return (int(match.group(1)), int(match.group(2))) if match else None


def to_rich_text(markdown: str) -> str:
    """The Markdown as rich text for a label, with any raw HTML in it shown as text.

    A QLabel in Markdown mode obeys raw HTML (`<img>`, `<a href>`, styles) and has no
    switch against it; a QTextDocument does, so the label is given its HTML instead.
    """
    document = QTextDocument()
    document.setMarkdown(markdown, _FEATURES)
    return document.toHtml()
