"""What the history holds, as plain data: conversations, messages, search hits, and its error."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import VigogneError

ROLES = ("system", "user", "assistant")
# A reply being written is "streaming"; if the app dies meanwhile, the next start marks it
# "unfinished". "stopped" is a reply the user cut short; "complete" ended on its own.
STATUSES = ("complete", "streaming", "unfinished", "stopped")
TITLE_LENGTH = 60


class HistoryError(VigogneError):
    """The conversation history cannot be read, written, imported or exported."""


class HistoryBusy(HistoryError):
    """Another program holds the history right now; nothing was changed, try again later."""


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    title_is_auto: bool
    pinned: bool
    created: float
    updated: float
    settings: dict[str, Any]
    leaf_id: int | None


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str
    status: str
    created: float
    meta: dict[str, Any] = field(default_factory=dict)
    siblings: tuple[int, ...] = ()  # ids of the versions at this place, this one included

    @property
    def version(self) -> int:
        """1-based rank of this version among its siblings."""
        return self.siblings.index(self.id) + 1 if self.id in self.siblings else 1


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    title: str
    message_id: int | None  # None when the title matched
    snippet: str  # the matched text, with HIT_START/HIT_END around each hit


def title_from(text: str) -> str:
    """A conversation title from its first question: the first line, cut at a word."""
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[:TITLE_LENGTH].rsplit(" ", 1)[0] or line[:TITLE_LENGTH]
    return cut.rstrip(" ,;:.") + "…"


# What `conversation_from` reads, in its order (a row may be a plain tuple).
CONVERSATION_COLUMNS = "id, title, title_is_auto, pinned, created, updated, settings, leaf_id"


def conversation_from(row: Sequence[Any]) -> Conversation:
    """A conversation from a row of CONVERSATION_COLUMNS."""
    cid, title, title_is_auto, pinned, created, updated, settings, leaf_id = row
    return Conversation(
        cid,
        title,
        bool(title_is_auto),
        bool(pinned),
        created,
        updated,
        json.loads(settings),
        leaf_id,
    )


def message_from(row: sqlite3.Row, siblings: tuple[int, ...] = ()) -> Message:
    return Message(
        row["id"],
        row["conversation_id"],
        row["parent_id"],
        row["role"],
        row["content"],
        row["status"],
        row["created"],
        json.loads(row["meta"]),
        siblings,
    )
