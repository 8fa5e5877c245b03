"""Synthetic models the benchmarks run on, made once and kept in bench/.cache/."""

from __future__ import annotations

from pathlib import Path

from converters.quantize import quantize
from converters.synthetic import TINYLLAMA_1B, LlamaShape, write_random_llama

CACHE = Path(__file__).resolve().parent / ".cache"
# `python -m bench smoke` (CI) sets this: every benchmark then runs on the small model.
SMOKE = False
SMALL = LlamaShape(n_vocab=8000, n_embd=512, n_layer=4, n_head=8, n_head_kv=8, n_ff=1024)


def synthetic(shape: LlamaShape, name: str, quant: str) -> Path:
    """A random-weight GGUF of `shape` quantized to `quant`, made once in bench/.cache/."""
    target = CACHE / f"{name}-random.{quant}.gguf"
    if target.exists():
        return target
    CACHE.mkdir(exist_ok=True)
    print(f"making {target.name} (once)…", flush=True)
    f16 = CACHE / f"{name}-random.f16.gguf"
    write_random_llama(f16, shape, dtype="f16", seed=0)
    part = target.with_suffix(".part")
    try:
        quantize(f16, part, quant, threads=2)
    finally:
        f16.unlink()
    part.rename(target)
    return target


def tinyllama_q4_k_m() -> Path:
    """A TinyLlama-1.1B-shaped Q4_K_M with random weights (made in about a minute); in a
    smoke run, the small model instead (made in a second)."""
    if SMOKE:
        return synthetic(SMALL, "small", "Q4_K_M")
    return synthetic(TINYLLAMA_1B, "tinyllama-1.1b", "Q4_K_M")
