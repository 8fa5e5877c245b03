"""The Vigogne model table for the window: the converter's catalog, re-exported here so that
`ui` reaches `converters` only through the core."""

from __future__ import annotations

from converters.catalog import CatalogEntry, GgufFile, GgufRepo, by_id, entries, match

__all__ = ["CatalogEntry", "GgufFile", "GgufRepo", "by_id", "entries", "match"]
