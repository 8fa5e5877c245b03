"""The context a model is loaded with: its trained one by default, halved until memory allows.

A larger context than the model was trained for is the user's explicit choice, honoured with
a warning, since the model's output degrades past it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from converters.messages import say

from .hardware import Machine, estimate, probe, shape_from_gguf

SMALLEST = 512  # below this, a conversation hardly fits: never chosen automatically
FALLBACK = 4096  # for a file that does not say what it was trained for


def automatic_n_ctx(n_ctx_train: int, fits: Callable[[int], bool]) -> int:
    """The trained context, halved until `fits` accepts it, never below SMALLEST.

    A model trained for less than SMALLEST keeps its own context.
    """
    n_ctx = n_ctx_train if n_ctx_train > 0 else FALLBACK
    while n_ctx > SMALLEST and not fits(n_ctx):
        n_ctx //= 2
    return max(n_ctx, min(SMALLEST, n_ctx_train or SMALLEST))


class _Fits:
    """Whether a model file's estimate fits this machine at a given context."""

    def __init__(self, path: str | os.PathLike[str], machine: Machine | None = None) -> None:
        self.shape = shape_from_gguf(path)
        self.machine = machine or probe()

    def __call__(self, n_ctx: int) -> bool:
        return estimate(self.shape, n_ctx, self.machine).fits


def context_for(path: str | os.PathLike[str], requested: int | None) -> tuple[int, str]:
    """(n_ctx to load `path` with, one sentence if it is past the model's trained context).

    `requested` None: the model's own context, capped by memory.
    """
    try:
        fits = _Fits(path)
    except (ValueError, KeyError, IndexError, OSError):
        # A damaged file: llama.cpp's own failure says what is wrong with it.
        return requested or FALLBACK, ""
    trained = fits.shape.n_ctx_train
    if requested is None:
        return automatic_n_ctx(trained, fits), ""
    if trained and requested > trained:
        return requested, say(
            f"Le contexte demandé ({requested} jetons) dépasse celui de l'entraînement du "
            f"modèle ({trained}) : ses réponses peuvent se dégrader au-delà, choisissez "
            "« Automatique » pour l'éviter.",
            f"The context asked for ({requested} tokens) is larger than the one the model "
            f"was trained with ({trained}): its replies may degrade beyond it; choose "
            "“Automatic” to avoid it.",
        )
    return requested, ""
