"""The seed's table of Vigogne models (data in converters/catalog.json).

It lives in `converters` because the converter needs it too (which chat template and
license a checkpoint gets) and must not depend on the app; the app reads it from here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class CatalogEntry:
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

    @property
    def slug(self) -> str:
        return self.repo.split("/")[-1].lower()


@cache
def entries() -> tuple[CatalogEntry, ...]:
    text = resources.files("converters").joinpath("catalog.json").read_text(encoding="utf-8")
    return tuple(CatalogEntry(**item) for item in json.loads(text)["models"])


def _normalise(name: str) -> str:
    return re.sub(r"[\s_.]+", "-", name.lower())


def match(model_name: str) -> CatalogEntry | None:
    """The catalog entry whose repository name appears in a file, repo or model name.

    `vigogne-2-7b-chat.Q4_K_M.gguf` and `Vigogne 2 7B Chat` both match
    bofenghuang/vigogne-2-7b-chat; the longest matching name wins.
    """
    normalised = _normalise(model_name)
    found = [e for e in entries() if e.slug in normalised]
    return max(found, key=lambda e: len(e.slug)) if found else None
