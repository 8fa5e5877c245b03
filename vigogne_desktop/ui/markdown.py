"""Markdown cut into pieces that render independently, so a growing reply costs the same
per update at its 5,000th token as at its 50th: only the unfinished last piece is redrawn.

Cuts fall at a blank line outside code blocks once a piece is long enough, or, for very
long paragraphs and code blocks, at a line end (a code block is closed and reopened).
Cuts only look backwards, so the pieces of a prefix are the pieces of the whole text.
"""

from __future__ import annotations

import re

MIN_PIECE = 300  # characters before a blank line may end a piece
MAX_PIECE = 800  # characters after which a piece ends at the next line end (or space)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


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


def pieces_of(text: str) -> list[str]:
    """The whole text as pieces (a finished message)."""
    segmenter = Segmenter()
    segmenter.feed(text)
    tail = segmenter.tail
    return [*segmenter.pieces, tail] if tail.strip() else list(segmenter.pieces)


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks, in order."""
    blocks: list[str] = []
    fence, lines = "", []
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
