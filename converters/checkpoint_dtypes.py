"""Tensor element types of a checkpoint, and the bfloat16 conversions numpy lacks.

Types are named as safetensors names them ("F32", "BF16", ...); the .bin reader maps
PyTorch's storage names onto the same names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # bfloat16 has no numpy type: kept as raw 16-bit words
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


def bf16_to_f32(words: np.ndarray) -> np.ndarray:
    """bfloat16 is the top half of a float32: shift the 16-bit words into place."""
    return (words.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 to bfloat16 words, rounding to nearest even (NaN stays NaN)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = ((bits + (np.uint32(0x7FFF) + ((bits >> 16) & 1))) >> 16).astype(np.uint16)
    nan = np.isnan(values)
    if nan.any():
        rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def to_f32(data: np.ndarray, dtype: str) -> np.ndarray:
    """A stored tensor as float32 (itself when it already is)."""
    if dtype == "BF16":
        return bf16_to_f32(data)
    return data if data.dtype == np.float32 else data.astype(np.float32)
