"""Damaged GGUF files made from a good one, seeded and deterministic: cut anywhere, bytes
flipped in the header, metadata and tensor table, absurd counts, lengths, dimensions and
offsets, wrong versions and types, huge strings, random bytes named .gguf.

Each `Corruption` is a name, a way to make its bytes from the good file, and whether a
sound loader must refuse it (`must_refuse`) or may find it still loadable (a flipped
byte inside a token's text is a valid, different file).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_FIXED_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
HUGE = (2**64 - 1, 2**63, 2**63 - 1, 2**32, 2**40)


@dataclass
class Layout:
    """Where each field of the good file lies (byte offsets), found by walking it once."""

    size: int
    kv_start: int = 24
    kv_end: int = 0
    data_start: int = 0
    key_lengths: list[int] = field(default_factory=list)  # each key's length field
    value_types: list[int] = field(default_factory=list)  # each value's type field
    string_lengths: list[int] = field(default_factory=list)  # scalar string values
    array_item_types: list[int] = field(default_factory=list)
    array_counts: list[int] = field(default_factory=list)
    array_item_lengths: list[int] = field(default_factory=list)  # strings inside arrays
    name_value: tuple[int, int] = (0, 0)  # general.name's length field and value length
    tensor_name_lengths: list[int] = field(default_factory=list)
    n_dims: list[int] = field(default_factory=list)
    dims: list[int] = field(default_factory=list)
    tensor_types: list[int] = field(default_factory=list)
    tensor_offsets: list[int] = field(default_factory=list)


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


def _u64(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<Q", data, at)[0])


def layout(data: bytes) -> Layout:
    found = Layout(size=len(data))
    tensor_count, kv_count = _u64(data, 8), _u64(data, 16)
    at = 24
    for _ in range(kv_count):
        found.key_lengths.append(at)
        key_length = _u64(data, at)
        key = data[at + 8 : at + 8 + key_length]
        at += 8 + key_length
        found.value_types.append(at)
        kind = _u32(data, at)
        at += 4
        if kind == _ARRAY:
            found.array_item_types.append(at)
            inner, count = _u32(data, at), _u64(data, at + 4)
            found.array_counts.append(at + 4)
            at += 12
            for _ in range(count):
                if inner == _STRING:
                    found.array_item_lengths.append(at)
                    at += 8 + _u64(data, at)
                else:
                    at += _FIXED_SIZES[inner]
        elif kind == _STRING:
            found.string_lengths.append(at)
            if key == b"general.name":
                found.name_value = (at, _u64(data, at))
            at += 8 + _u64(data, at)
        else:
            at += _FIXED_SIZES[kind]
    found.kv_end = at
    for _ in range(tensor_count):
        found.tensor_name_lengths.append(at)
        at += 8 + _u64(data, at)
        found.n_dims.append(at)
        n_dims = _u32(data, at)
        at += 4
        found.dims += [at + 8 * i for i in range(n_dims)]
        at += 8 * n_dims
        found.tensor_types.append(at)
        found.tensor_offsets.append(at + 4)
        at += 12
    found.data_start = -(-at // 32) * 32
    return found


Make = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Corruption:
    name: str
    make: Make
    must_refuse: bool = True


def _put(at: int, fmt: str, value: int) -> Make:
    def make(data: bytes) -> bytes:
        out = bytearray(data)
        struct.pack_into("<" + fmt, out, at, value)
        return bytes(out)

    return make


def _cut(length: int) -> Make:
    return lambda data: data[:length]


def _flip(at: int, mask: int) -> Make:
    def make(data: bytes) -> bytes:
        out = bytearray(data)
        out[at] ^= mask
        return bytes(out)

    return make


def _constant(content: bytes) -> Make:
    return lambda _data: content


def _bigger_name(at: int, old_length: int, new_length: int) -> Make:
    """general.name grown to `new_length` bytes; the growth is a multiple of the alignment,
    so the tensor table's offsets stay right: a valid file with a huge string."""

    def make(data: bytes) -> bytes:
        grown = struct.pack("<Q", new_length) + b"V" * new_length
        return data[:at] + grown + data[at + 8 + old_length :]

    return make


def _sample(rng: random.Random, items: list[int], count: int) -> list[int]:
    return sorted(rng.sample(items, min(count, len(items))))


def _cuts(rng: random.Random, place: Layout) -> list[Corruption]:
    ends = range(0, 64)
    kv = _sample(rng, list(range(64, place.kv_end)), 70)
    table = _sample(rng, list(range(place.kv_end, place.data_start)), 50)
    data = _sample(rng, list(range(place.data_start, place.size)), 50)
    edges = [place.kv_end - 1, place.kv_end, place.data_start - 1, place.data_start, place.size - 1]
    return [Corruption(f"cut-at-{n}", _cut(n)) for n in sorted({*ends, *kv, *table, *data, *edges})]


def _flips(rng: random.Random, place: Layout) -> list[Corruption]:
    # Version 3 with its low bit flipped is version 2, which llama.cpp reads the same way;
    # 21 tensors flipped to 20 leaves a sound table whose last tensor's bytes go unread
    # (llama.cpp accepts data past the table's end, and so do we).
    loadable = {(4, 0x01), (8, 0x01)}
    header = [
        Corruption(f"flip-header-{at}-{mask}", _flip(at, mask), (at, mask) not in loadable)
        for at in range(24)
        for mask in (0x01, 0x80)
    ]
    found: list[Corruption] = []
    for at in _sample(rng, list(range(24, place.kv_end)), 110):
        found.append(Corruption(f"flip-metadata-{at}", _flip(at, rng.randrange(1, 256)), False))
    for at in _sample(rng, list(range(place.kv_end, place.data_start)), 70):
        found.append(Corruption(f"flip-table-{at}", _flip(at, rng.randrange(1, 256)), False))
    return header + found


def _numbers(place: Layout) -> list[Corruption]:
    found: list[Corruption] = []
    for value in (*HUGE, 10**9, 0):
        found.append(Corruption(f"tensor-count-{value}", _put(8, "Q", value)))
        found.append(Corruption(f"kv-count-{value}", _put(16, "Q", value)))
    for version in (0, 1, 4, 7, 2**32 - 1, 0x03000000):
        found.append(Corruption(f"version-{version}", _put(4, "I", version)))
    lengths = [
        ("key-length", place.key_lengths[::4]),
        ("string-length", place.string_lengths),
        ("array-string-length", place.array_item_lengths[::97]),
        ("tensor-name-length", place.tensor_name_lengths[::5]),
    ]
    for what, fields in lengths:
        for at in fields:
            for value in (2**64 - 1, 2**40, place.size):
                found.append(Corruption(f"{what}-{at}-{value}", _put(at, "Q", value)))
    for at in place.array_counts:
        for value in (2**64 - 1, 2**40, 10**7):
            found.append(Corruption(f"array-count-{at}-{value}", _put(at, "Q", value)))
    for at in place.dims[::2]:
        for value in (0, 2**63, 2**64 - 1, 2**40, 100_003):
            found.append(Corruption(f"dim-{at}-{value}", _put(at, "Q", value)))
    for at in place.n_dims[::3]:
        for value in (0, 5, 2**32 - 1, 3):
            found.append(Corruption(f"n-dims-{at}-{value}", _put(at, "I", value)))
    for at in place.tensor_offsets[1::3]:
        for value in (2**64 - 1, place.size, 1, 3, 64):
            found.append(Corruption(f"offset-{at}-{value}", _put(at, "Q", value)))
    return found


def _types(place: Layout) -> list[Corruption]:
    found: list[Corruption] = []
    for at in place.value_types[::3]:
        for kind in (13, 99, 2**32 - 1):
            found.append(Corruption(f"value-type-{at}-{kind}", _put(at, "I", kind)))
    for at in place.array_item_types:
        for kind in (_ARRAY, 13, 2**31):
            found.append(Corruption(f"array-item-type-{at}-{kind}", _put(at, "I", kind)))
    for at in place.tensor_types[::3]:
        # 4 and 5 are Q4_2 and Q4_3, long removed; 1 is F16 (half the bytes: misplaced).
        for kind in (4, 5, 43, 99, 2**32 - 1, 1):
            found.append(Corruption(f"tensor-type-{at}-{kind}", _put(at, "I", kind)))
    return found


def _foreign(rng: random.Random) -> list[Corruption]:
    found = [Corruption("empty", _constant(b""))]
    for i in range(10):
        noise = rng.randbytes(rng.choice((3, 23, 100, 4096, 70_000)))
        found.append(Corruption(f"random-{i}", _constant(noise)))
    for i in range(4):
        noise = rng.randbytes(rng.choice((24, 200, 5000)))
        found.append(Corruption(f"magic-then-random-{i}", _constant(b"GGUF" + noise)))
    return found


def corruptions(good: bytes, seed: int = 14) -> list[Corruption]:
    """Every corruption of `good` (over 500), always the same ones for the same seed."""
    rng = random.Random(seed)
    place = layout(good)
    at, length = place.name_value
    huge = [
        Corruption(f"huge-name-{n}", _bigger_name(at, length, length + n), False)
        for n in (1 << 20, 16 << 20)
    ]
    return [
        *_foreign(rng),
        *_cuts(rng, place),
        *_flips(rng, place),
        *_numbers(place),
        *_types(place),
        *huge,
    ]


def write(corruption: Corruption, good: bytes, folder: Path) -> Path:
    path = folder / f"{corruption.name}.gguf"
    path.write_bytes(corruption.make(good))
    return path
