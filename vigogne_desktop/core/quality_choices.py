"""What each quantization of one model costs here: its file, the memory it needs on this
machine, and its quality (measured on this computer, else the shipped typical figures)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from .hardware import Machine, ModelShape, estimate, quantized_as

if TYPE_CHECKING:  # numpy comes with it: the window's start must not wait for it
    from converters.quality import QualityReport


@dataclass(frozen=True)
class TypicalQuality:
    """A published figure for the Llama-2-7B shape, and where it comes from."""

    kl_mean: float
    top1_agreement: float
    ppl_ratio: float
    source: str


@dataclass(frozen=True)
class QuantChoice:
    """One point of the chart: a quantization of the chosen model."""

    quant: str
    file_bytes: int
    needed_bytes: int  # the memory that must be free to chat with it here
    kl_mean: float | None  # None: no figure for this type until it is measured
    top1_agreement: float | None
    measured: bool  # figures measured on this computer (else typical, or none)
    recommended: bool


@cache
def typical() -> dict[str, TypicalQuality]:
    """converters/quality_typical.json: the typical figures per quantization type."""
    source = resources.files("converters").joinpath("quality_typical.json")
    types = json.loads(source.read_text(encoding="utf-8"))["types"]
    return {quant: TypicalQuality(**figures) for quant, figures in types.items()}


def quant_choices(
    quants: Iterable[str],
    parameters: int,
    shape: ModelShape,
    machine: Machine,
    n_ctx: int,
    *,
    measured: Mapping[str, QualityReport],
    recommended: str | None,
) -> list[QuantChoice]:
    """Each of `quants` for a model of `parameters` shaped like `shape`; a measured report
    replaces the typical figures of its type."""
    found = []
    for quant in quants:
        sized = quantized_as(shape, parameters, quant)
        needed = estimate(sized, n_ctx, machine, parameters=parameters).needed_bytes
        report = measured.get(quant)
        usual = typical().get(quant)
        kl, top1 = (
            (report.kl_mean, report.top1_agreement)
            if report is not None
            else (usual.kl_mean, usual.top1_agreement)
            if usual is not None
            else (None, None)
        )
        found.append(
            QuantChoice(
                quant, sized.file_size, needed, kl, top1, report is not None, quant == recommended
            )
        )
    return found
