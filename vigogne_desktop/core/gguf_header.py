"""A GGUF file's header read in one pass: its scalar metadata, the length of each array, and
its tensor table, without building the vocabulary; and every count, length, shape and offset
in it checked against the file before llama.cpp is given the file.

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
_UINT32 = 4
# What llama.cpp's gguf.cpp accepts: versions, dimensions, tensor name bytes (GGML_MAX_NAME
# with its NUL), the data alignment when the file names none.
VERSIONS = (2, 3)
_MAX_DIMS, _MAX_NAME, _DEFAULT_ALIGNMENT = 4, 63, 32
_INT64_MAX = (1 << 63) - 1
# The smallest a metadata entry (key of one byte, type, one-byte value) and a tensor entry
# (name, n_dims, type, offset) can be: a count that needs more bytes than the file has is
# refused before it is looped over.
_SMALLEST_KV, _SMALLEST_TENSOR = 8 + 1 + 4 + 1, 8 + 4 + 4 + 8
_FIXED_HEADER = 24  # magic, version, tensor count, metadata count


class DamagedGguf(ValueError):
    """The file breaks the GGUF layout. str() is the English reason; `french` the French."""

    def __init__(self, french: str, english: str) -> None:
        super().__init__(english)
        self.french, self.english = french, english


class TruncatedGguf(DamagedGguf):
    """The tensor data runs past the end of the file: `size` bytes of `expected`."""

    def __init__(self, size: int, expected: int) -> None:
        super().__init__(
            f"{size} octets sur {expected} attendus", f"{size} bytes of {expected} expected"
        )
        self.size, self.expected = size, expected


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dims: tuple[int, ...]
    type_id: int  # a ggml type (gguf.GGMLQuantizationType)
    offset: int = 0  # of its data, from the start of the data section
    n_bytes: int = 0


@dataclass
class GgufHeader:
    metadata: dict[str, Scalar] = field(default_factory=dict)
    array_lengths: dict[str, int] = field(default_factory=dict)
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0  # where the tensor data section starts in the file


def _shown(text: str) -> str:
    """A name from the file as a message may quote it: short, on one line."""
    printable = "".join(c if c.isprintable() else "?" for c in text[:48])
    return printable + ("…" if len(text) > 48 else "")


def _runs_past_end(what: str, what_en: str) -> DamagedGguf:
    return DamagedGguf(
        f"{what} dépasse la fin du fichier", f"{what_en} runs past the end of the file"
    )


class _Cursor:
    def __init__(self, data: mmap.mmap) -> None:
        self.data, self.at = data, 0

    @property
    def left(self) -> int:
        return len(self.data) - self.at

    def take(self, fmt: str) -> Scalar:
        try:
            (value,) = struct.unpack_from("<" + fmt, self.data, self.at)
        except struct.error as exc:
            raise _runs_past_end("l'en-tête", "the header") from exc
        self.at += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = int(self.take("Q"))
        if length > self.left:
            raise _runs_past_end("un texte", "a string")
        text = bytes(self.data[self.at : self.at + length]).decode("utf-8", "replace")
        self.at += length
        return text

    def value(self, kind: int) -> Scalar:
        if kind == _STRING:
            return self.string()
        if kind in _FIXED:
            return self.take(_FIXED[kind])
        raise DamagedGguf(f"type de valeur inconnu ({kind})", f"unknown value type {kind}")

    def skip_array(self, kind: int, count: int) -> None:
        # Arrays of arrays are valid GGUF for gguf-py, never for llama.cpp: refused as it does.
        if kind not in _FIXED and kind != _STRING:
            raise DamagedGguf(
                f"type d'élément de tableau invalide ({kind})", f"invalid array item type {kind}"
            )
        itemsize = struct.calcsize(_FIXED[kind]) if kind in _FIXED else 8
        if count * itemsize > self.left:
            raise _runs_past_end("un tableau", "an array")
        if kind in _FIXED:
            self.at += itemsize * count
            return
        for _ in range(count):
            length = int(self.take("Q"))
            if length > self.left:
                raise _runs_past_end("un tableau de textes", "an array of strings")
            self.at += length


def _read_metadata(cursor: _Cursor, kv_count: int, header: GgufHeader) -> None:
    seen: set[str] = set()
    for _ in range(kv_count):
        key, kind = cursor.string(), int(cursor.take("I"))
        if not key or key in seen:
            shown = _shown(key)
            raise DamagedGguf(
                f"clé de métadonnées vide ou en double (« {shown} »)",
                f"empty or repeated metadata key “{shown}”",
            )
        seen.add(key)
        if key == "general.alignment" and kind != _UINT32:
            raise DamagedGguf("alignement mal typé", "an alignment of the wrong type")
        if kind == _ARRAY:
            inner, count = int(cursor.take("I")), int(cursor.take("Q"))
            header.array_lengths[key] = count
            cursor.skip_array(inner, count)
        else:
            header.metadata[key] = cursor.value(kind)


def _tensor(cursor: _Cursor, quant_sizes: dict[int, tuple[int, int]]) -> TensorInfo:
    full_name = cursor.string()
    if len(full_name.encode()) > _MAX_NAME:
        raise DamagedGguf(
            f"nom de tenseur de {len(full_name)} caractères",
            f"a tensor name of {len(full_name)} characters",
        )
    name = _shown(full_name)
    n_dims = int(cursor.take("I"))
    if n_dims > _MAX_DIMS:
        raise DamagedGguf(
            f"tenseur « {name} » à {n_dims} dimensions", f"tensor “{name}” with {n_dims} dimensions"
        )
    dims = tuple(int(cursor.take("Q")) for _ in range(n_dims))
    elements = 1
    for dim in dims:
        elements *= dim
    if any(d > _INT64_MAX for d in dims) or elements > _INT64_MAX:
        raise DamagedGguf(
            f"dimensions absurdes du tenseur « {name} »", f"absurd dimensions of tensor “{name}”"
        )
    type_id = int(cursor.take("I"))
    if type_id not in quant_sizes:
        raise DamagedGguf(f"type de tenseur inconnu ({type_id})", f"unknown tensor type {type_id}")
    block, type_size = quant_sizes[type_id]
    if dims and dims[0] % block:
        raise DamagedGguf(
            f"lignes du tenseur « {name} » qui ne tombent pas sur ses blocs",
            f"rows of tensor “{name}” that do not fill its blocks",
        )
    offset = int(cursor.take("Q"))
    return TensorInfo(full_name, dims, type_id, offset, elements // block * type_size)


def _check_data(header: GgufHeader, size: int, alignment: int) -> None:
    """Each tensor where llama.cpp expects it (one after the other, padded to the
    alignment) and inside the file."""
    expected = 0
    for tensor in header.tensors:
        if tensor.offset != expected:
            shown = _shown(tensor.name)
            raise DamagedGguf(
                f"données du tenseur « {shown} » mal placées",
                f"the data of tensor “{shown}” is misplaced",
            )
        end = header.data_offset + tensor.offset + tensor.n_bytes
        if end > size:
            last = header.tensors[-1]
            raise TruncatedGguf(size, max(end, header.data_offset + last.offset + last.n_bytes))
        expected += -(-tensor.n_bytes // alignment) * alignment


def read_header(path: str | os.PathLike[str]) -> GgufHeader:
    """Raises DamagedGguf (a ValueError), or OSError, for a file that is not a whole, sound
    GGUF of a version llama.cpp reads."""
    from gguf.constants import GGML_QUANT_SIZES  # numpy comes with gguf: only when a file is read

    with Path(path).open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size < _FIXED_HEADER or file.read(4) != b"GGUF":
            raise DamagedGguf("pas un fichier GGUF", "not a GGUF file")
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            cursor = _Cursor(data)
            cursor.at = 4
            version = int(cursor.take("I"))
            if version not in VERSIONS:
                raise DamagedGguf(f"version {version} du format", f"format version {version}")
            tensor_count, kv_count = int(cursor.take("Q")), int(cursor.take("Q"))
            if tensor_count * _SMALLEST_TENSOR > cursor.left:
                raise DamagedGguf(f"{tensor_count} tenseurs annoncés", f"{tensor_count} tensors")
            if kv_count * _SMALLEST_KV > cursor.left:
                raise DamagedGguf(f"{kv_count} métadonnées annoncées", f"{kv_count} metadata keys")
            header = GgufHeader()
            _read_metadata(cursor, kv_count, header)
            alignment = int(header.metadata.get("general.alignment", _DEFAULT_ALIGNMENT))
            if alignment <= 0 or alignment & (alignment - 1):
                raise DamagedGguf(f"alignement de {alignment}", f"an alignment of {alignment}")
            sizes = {int(kind): block for kind, block in GGML_QUANT_SIZES.items()}
            names: set[str] = set()
            for _ in range(tensor_count):
                tensor = _tensor(cursor, sizes)
                if tensor.name in names:
                    shown = _shown(tensor.name)
                    raise DamagedGguf(f"tenseur « {shown} » en double", f"tensor “{shown}” twice")
                names.add(tensor.name)
                header.tensors.append(tensor)
            header.data_offset = -(-cursor.at // alignment) * alignment
            _check_data(header, size, alignment)
            return header
