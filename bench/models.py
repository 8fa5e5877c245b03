"""Synthetic models the benchmarks run on, made once and kept in bench/.cache/."""

from __future__ import annotations

import ctypes
from pathlib import Path

import llama_cpp

from converters.synthetic import TINYLLAMA_1B, write_random_llama

CACHE = Path(__file__).resolve().parent / ".cache"


def tinyllama_q4_k_m() -> Path:
    """A TinyLlama-1.1B-shaped Q4_K_M with random weights (made in about a minute)."""
    target = CACHE / "tinyllama-1.1b-random.Q4_K_M.gguf"
    if target.exists():
        return target
    CACHE.mkdir(exist_ok=True)
    f16 = CACHE / "tinyllama-1.1b-random.f16.gguf"
    print(f"making {target.name} (once)…", flush=True)
    write_random_llama(f16, TINYLLAMA_1B, dtype="f16", seed=0, name="TinyLlama-shaped random")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = 2
    part = target.with_suffix(".part")
    code = llama_cpp.llama_model_quantize(
        str(f16).encode(), str(part).encode(), ctypes.byref(params)
    )
    f16.unlink()
    if code != 0:
        raise RuntimeError(f"llama_model_quantize failed with code {code}")
    part.rename(target)
    return target
