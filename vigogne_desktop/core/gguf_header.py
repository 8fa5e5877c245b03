"""A GGUF file's header read in one pass: its scalar metadata, the length of each array, and
its tensor table, without building the vocabulary.

gguf-py's GGUFReader makes numpy views of every field: for a 32,000-token vocabulary that
is 2.5 s, paid before each load for the fit and context figures. Here the arrays are only
stepped over (a string array by its lengths), which takes milliseconds.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

Scalar = int | float | bool | str

# GGUF value types: the struct format of each fixed-size one.
_FIXED = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dims: tuple[int, ...]
    type_id: int  # a ggml type (gguf.GGMLQuantizationType)


@dataclass
class GgufHeader:
    metadata: dict[str, Scalar] = field(default_factory=dict)
    array_lengths: dict[str, int] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)


class _Cursor:
    def __init__(self, data: mmap.mmap) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Scalar:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = int(self.take("Q"))
        if self.at + length > len(self.data):
            raise ValueError("a string runs past the end of the file")
        text = bytes(self.data[self.at : self.at + length]).decode("utf-8", "replace")
        self.at += length
        return text

    def value(self, kind: int) -> Scalar:
        if kind == _STRING:
            return self.string()
        if kind in _FIXED:
            return self.take(_FIXED[kind])
        raise ValueError(f"unknown GGUF value type {kind}")

    def skip_array(self, kind: int, count: int) -> None:
        if kind in _FIXED:
            self.at += struct.calcsize(_FIXED[kind]) * count
        elif kind == _STRING:
            for _ in range(count):
                (length,) = struct.unpack_from("<Q", self.data, self.at)
                self.at += 8 + length
        else:  # arrays of arrays: rare, stepped over one by one
            for _ in range(count):
                inner, inner_count = int(self.take("I")), int(self.take("Q"))
                self.skip_array(inner, inner_count)
        if self.at > len(self.data):
            raise ValueError("an array runs past the end of the file")


def read_header(path: str | os.PathLike[str]) -> GgufHeader:
    """Raises ValueError (or OSError) for a file that is not a readable GGUF (version 2+)."""
    with (
        Path(path).open("rb") as file,
        mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data,
    ):
        cursor = _Cursor(data)
        if bytes(data[:4]) != b"GGUF":
            raise ValueError("not a GGUF file")
        cursor.at = 4
        version = int(cursor.take("I"))
        if version < 2:
            raise ValueError(f"GGUF version {version} is too old")
        tensor_count, kv_count = int(cursor.take("Q")), int(cursor.take("Q"))
        header = GgufHeader()
        try:
            for _ in range(kv_count):
                key, kind = cursor.string(), int(cursor.take("I"))
                if kind == _ARRAY:
                    inner, count = int(cursor.take("I")), int(cursor.take("Q"))
                    header.array_lengths[key] = count
                    cursor.skip_array(inner, count)
                else:
                    header.metadata[key] = cursor.value(kind)
            for _ in range(tensor_count):
                name, n_dims = cursor.string(), int(cursor.take("I"))
                dims = tuple(int(cursor.take("Q")) for _ in range(n_dims))
                type_id = int(cursor.take("I"))
                cursor.take("Q")  # the offset of its data: not needed here
                header.tensors.append(TensorInfo(name, dims, type_id))
        except struct.error as exc:
            raise ValueError("the header runs past the end of the file") from exc
        return header
