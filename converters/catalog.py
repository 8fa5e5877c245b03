"""The seed's table of Vigogne models (data in converters/catalog.json).

It lives in `converters` because the converter needs it too (which chat template and
license a checkpoint gets) and must not depend on the app; the app reads it from here.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

from .messages import say


@dataclass(frozen=True)
class GgufFile:
    """One ready-made quantized file of a community GGUF repository.

    `size_bytes` is the size the Hub's file page shows (three significant digits): enough
    to show and to estimate fit; a download takes the exact size and checks `sha256` (the
    file's Git LFS object id) against the Hub's metadata.
    """

    quant: str  # "Q4_K_M", as llama.cpp names the file type
    filename: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class GgufRepo:
    """A Hub repository of GGUF conversions of one catalog model."""

    repo: str
    revision: str
    files: tuple[GgufFile, ...]


@dataclass(frozen=True)
class CatalogEntry:
    id: str  # the command line's name for it: "vigogne-2-7b-chat", "vigogne-2-7b-chat-v1.0"
    repo: str
    revision: str
    name: str
    kind: str  # "chat" or "instruct"
    base: str
    architecture: str
    format: str
    license: str
    status: str  # "recommended" or "legacy"
    parameters_b: float
    # The shape memory estimates need (weights, KV cache), from the checkpoint's config.json.
    layers: int
    hidden_size: int
    heads: int
    kv_heads: int
    context_length: int
    vocab_size: int
    research_only: bool
    licence_fr: str
    licence_en: str
    ggufs: tuple[GgufRepo, ...]  # empty: no ready GGUF, the checkpoint is converted instead

    @property
    def slug(self) -> str:
        return self.repo.split("/")[-1].lower()

    @property
    def licence_note(self) -> str:
        """The licence in one sentence, in the current language: shown before any download."""
        return say(self.licence_fr, self.licence_en)


def _entry(item: dict[str, Any], licences: dict[str, Any]) -> CatalogEntry:
    licence = licences[item["license"]]
    repos = tuple(
        GgufRepo(
            repo=repo["repo"],
            revision=repo["revision"],
            files=tuple(GgufFile(**file) for file in repo["files"]),
        )
        for repo in item["ggufs"]
    )
    fields = {key: value for key, value in item.items() if key != "ggufs"}
    return CatalogEntry(
        **fields,
        research_only=licence["research_only"],
        licence_fr=licence["fr"],
        licence_en=licence["en"],
        ggufs=repos,
    )


@cache
def entries() -> tuple[CatalogEntry, ...]:
    """Every model of the seed's table, the recommended one first."""
    text = resources.files("converters").joinpath("catalog.json").read_text(encoding="utf-8")
    document = json.loads(text)
    return tuple(_entry(item, document["licences"]) for item in document["models"])


def by_id(entry_id: str) -> CatalogEntry | None:
    """The entry a command line or a setting names, if the catalog has it."""
    return next((e for e in entries() if e.id == entry_id), None)


def entry_json(entry: CatalogEntry) -> dict[str, Any]:
    """The entry as plain JSON data (`models list --json`), its licence sentence included."""
    return asdict(entry) | {"licence_note": entry.licence_note}


def _normalise(name: str) -> str:
    return re.sub(r"[\s_.]+", "-", name.lower())


def match(model_name: str) -> CatalogEntry | None:
    """The catalog entry whose repository name appears in a file, repo or model name.

    `vigogne-2-7b-chat.Q4_K_M.gguf` and `Vigogne 2 7B Chat` both match
    bofenghuang/vigogne-2-7b-chat; the longest matching name wins, and between two
    revisions of one repository the first listed (the recommended one).
    """
    normalised = _normalise(model_name)
    found = [e for e in entries() if e.slug in normalised]
    return max(found, key=lambda e: len(e.slug)) if found else None
