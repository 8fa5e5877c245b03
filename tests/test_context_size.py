"""n_ctx by default: the model's trained context, capped by memory; more only when asked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.context_size import SMALLEST, automatic_n_ctx, context_for
from vigogne_desktop.core.protocol import LoadSettings


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained at 512 tokens, as the demonstration model is."""
    path = tmp_path_factory.mktemp("ctx") / "demo-like.gguf"
    return write_random_llama(path, replace(TINY, n_ctx_train=512), seed=4)


def test_the_automatic_context_halves_until_it_fits_and_never_below_512() -> None:
    assert automatic_n_ctx(32768, lambda n: n <= 4096) == 4096
    assert automatic_n_ctx(2048, lambda n: True) == 2048
    assert automatic_n_ctx(8192, lambda n: False) == SMALLEST
    assert automatic_n_ctx(256, lambda n: False) == 256  # a model trained for less keeps it


def test_a_model_loads_with_its_trained_context_by_default(
    demo_like: Path, tiny_gguf: Path
) -> None:
    with LocalEngine() as engine:
        info = engine.load(str(demo_like), LoadSettings(n_threads=2))
        assert info.n_ctx_train == 512 and info.n_ctx == 512 and info.load_note == ""
        info = engine.load(str(tiny_gguf), LoadSettings(n_threads=2))
        assert info.n_ctx_train == 2048 and info.n_ctx == 2048
        # More than the model was trained for: honoured, with a warning sentence.
        info = engine.load(str(demo_like), LoadSettings(n_ctx=1024, n_threads=2))
        assert info.n_ctx == 1024
        assert "512" in info.load_note and info.load_note.endswith(".")


def test_an_explicit_context_within_the_trained_one_has_no_note(demo_like: Path) -> None:
    assert context_for(demo_like, 256) == (256, "")
    n_ctx, note = context_for(demo_like, 4096)
    assert n_ctx == 4096 and "4096" in note
