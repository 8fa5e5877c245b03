"""Memory-mapped weight files: safetensors headers, and tensors as views of the map.

Every tensor is a view of the map; once written, its pages are dropped again (madvise),
so memory follows one tensor, not the model. PyTorch .bin files are read through the
same map (checkpoint_pickle.py finds where their tensors lie).
"""

from __future__ import annotations

import json
import math
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint_dtypes import DTYPES
from .errors import CheckpointError
from .messages import say


@dataclass
class TensorRef:
    """Where one tensor lives, known before any of its bytes are read."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # "F32", "F16", "BF16", ...
    file: Path
    offset: int  # byte offset of the tensor's (storage's) data in the file
    nbytes: int
    stride: tuple[int, ...] | None = None  # elements; None means contiguous
    storage_offset: int = 0  # elements from `offset`

    def fits(self) -> bool:
        """Whether every element lies inside the tensor's own bytes.

        The file says where a tensor is; a damaged or hostile one could point a view
        (as_strided does no bounds check) at memory beyond the map.
        """
        if any(d < 0 for d in self.shape) or self.nbytes < 0 or self.storage_offset < 0:
            return False
        available = self.nbytes // DTYPES[self.dtype].itemsize
        if 0 in self.shape:
            return True
        if self.stride is None:
            return math.prod(self.shape) <= available
        if len(self.stride) != len(self.shape) or any(s < 0 for s in self.stride):
            return False
        reach = sum((d - 1) * s for d, s in zip(self.shape, self.stride, strict=True))
        return self.storage_offset + reach < available


class MappedFile:
    """A read-only map of one weight file, with its pages released after each tensor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            self.size = path.stat().st_size
            self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if self.size else None

    def view(self, ref: TensorRef) -> np.ndarray:
        numpy_dtype = DTYPES[ref.dtype]
        count = int(np.prod(ref.shape, dtype=np.int64))
        if self.map is None or ref.offset + ref.nbytes > self.size:
            raise CheckpointError(
                say(
                    f"« {self.path.name} » est tronqué : le tenseur {ref.name} dépasse la fin du "
                    "fichier, téléchargez le checkpoint à nouveau.",
                    f"“{self.path.name}” is truncated: tensor {ref.name} runs past the end of the "
                    "file, download the checkpoint again.",
                )
            )
        if ref.stride is None:
            flat = np.frombuffer(self.map, dtype=numpy_dtype, count=count, offset=ref.offset)
            return flat.reshape(ref.shape)
        storage = np.frombuffer(
            self.map, dtype=numpy_dtype, count=ref.nbytes // numpy_dtype.itemsize, offset=ref.offset
        )
        itemsize = numpy_dtype.itemsize
        return np.lib.stride_tricks.as_strided(
            storage[ref.storage_offset :],
            shape=ref.shape,
            strides=tuple(s * itemsize for s in ref.stride),
            writeable=False,
        )

    def release(self, ref: TensorRef) -> None:
        """Drop the pages of a tensor that has been written (they stay on disk)."""
        if self.map is None:
            return
        start = ref.offset - ref.offset % mmap.PAGESIZE
        end = min(self.size, ref.offset + ref.nbytes)
        if end > start and hasattr(mmap, "MADV_DONTNEED"):
            self.map.madvise(mmap.MADV_DONTNEED, start, end - start)


def _unreadable_header(path: Path) -> CheckpointError:
    return CheckpointError(
        say(
            f"« {path.name} » n'est pas un fichier safetensors valide (en-tête illisible) : "
            "téléchargez-le à nouveau.",
            f"“{path.name}” is not a valid safetensors file (unreadable header): download it "
            "again.",
        )
    )


def _ref(path: Path, name: str, info: Any, data_start: int) -> TensorRef:
    """One header entry as a TensorRef; ValueError/TypeError/KeyError when it is malformed."""
    start, end = (int(v) for v in info["data_offsets"])
    shape = tuple(int(d) for d in info["shape"])
    if not 0 <= start <= end:
        raise ValueError(name)
    return TensorRef(name, shape, str(info["dtype"]), path, data_start + start, end - start)


def safetensors_refs(path: Path) -> list[TensorRef]:
    """Every tensor of a safetensors file, from its JSON header (no tensor data is read)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise CheckpointError(
                say(
                    f"« {path.name} » est vide ou tronqué : téléchargez-le à nouveau.",
                    f"“{path.name}” is empty or truncated: download it again.",
                )
            )
        (length,) = struct.unpack("<Q", head)
        if length > min(size - 8, 100_000_000):
            raise _unreadable_header(path)
        try:
            header = json.loads(handle.read(length))
        except ValueError as exc:
            raise _unreadable_header(path) from exc
    if not isinstance(header, dict):
        raise _unreadable_header(path)
    refs = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            if info["dtype"] not in DTYPES:
                raise CheckpointError(
                    say(
                        f"Type {info['dtype']} du tenseur {name} non pris en charge.",
                        f"Type {info['dtype']} of tensor {name} is not supported.",
                    )
                )
            ref = _ref(path, name, info, 8 + length)
        except (KeyError, TypeError, ValueError) as exc:
            raise _unreadable_header(path) from exc
        if ref.offset + ref.nbytes > size:
            raise CheckpointError(
                say(
                    f"« {path.name} » est tronqué ({size} octets, il en faudrait au moins "
                    f"{ref.offset + ref.nbytes}) : téléchargez le checkpoint à nouveau.",
                    f"“{path.name}” is truncated ({size} bytes, at least "
                    f"{ref.offset + ref.nbytes} needed): download the checkpoint again.",
                )
            )
        if not ref.fits() or ref.nbytes != math.prod(ref.shape) * DTYPES[ref.dtype].itemsize:
            raise CheckpointError(
                say(
                    f"« {path.name} » est abîmé : la forme {ref.shape} du tenseur {name} ne "
                    f"correspond pas à ses {ref.nbytes} octets, téléchargez-le à nouveau.",
                    f"“{path.name}” is damaged: the shape {ref.shape} of tensor {name} does not "
                    f"match its {ref.nbytes} bytes, download it again.",
                )
            )
        refs.append(ref)
    return refs
