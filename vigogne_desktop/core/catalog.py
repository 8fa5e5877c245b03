"""The Vigogne model table for the app: the converter's catalog (re-exported here, so that
`ui` reaches `converters` only through the core), and what a catalog entry needs here."""

from __future__ import annotations

from converters.catalog import (
    CatalogEntry,
    GgufFile,
    GgufRepo,
    by_id,
    entries,
    entry_json,
    match,
)

from .hardware import Machine, ModelShape, recommend_quant, shape_of

__all__ = [
    "CatalogEntry",
    "GgufFile",
    "GgufRepo",
    "by_id",
    "entries",
    "entry_json",
    "entry_shape",
    "match",
    "recommended_quant",
]


def __getattr__(name: str) -> dict[str, float]:
    """`BITS_PER_WEIGHT`, the converter's table, imported when first asked for: its module
    imports llama_cpp (and numpy), which the window must not wait for before it is drawn."""
    if name != "BITS_PER_WEIGHT":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from converters.quantize import BITS_PER_WEIGHT

    return BITS_PER_WEIGHT


def entry_shape(entry: CatalogEntry, size_bytes: int, quant: str) -> ModelShape:
    """The shape of the entry's model as a file of `size_bytes` in `quant`, for estimates."""
    return shape_of(
        entry.layers,
        entry.hidden_size,
        entry.heads,
        entry.kv_heads,
        entry.context_length,
        entry.vocab_size,
        size_bytes,
        quant,
    )


def recommended_quant(entry: CatalogEntry, machine: Machine, n_ctx: int) -> str | None:
    """The best quantization of the entry's model that runs comfortably on `machine`."""
    # recommend_quant sizes each candidate itself: the shape's own size and type are unused.
    parameters = int(entry.parameters_b * 1e9)
    return recommend_quant(parameters, entry_shape(entry, 0, "F16"), machine, n_ctx)
