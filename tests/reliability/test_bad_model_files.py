"""Damaged GGUF files (made by corrupt_gguf from the tiny model): each refused with one
sentence before llama.cpp sees it, or by llama.cpp in the child, and the engine goes on.

The fast part: a sample checked in-process, a handful loaded through the real child. The
whole set goes through the engine in `make stress` (test_bad_model_files_stress.py).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from bad_file_loads import (
    LOADED,
    REFUSED_BY_CHECK,
    REFUSED_BY_LLAMA,
    is_one_sentence,
    load,
)
from corrupt_gguf import Corruption, corruptions, layout, write

from vigogne_desktop.core import LocalEngine, library
from vigogne_desktop.core.errors import ModelFileError, ModelLoadError
from vigogne_desktop.core.gguf_header import DamagedGguf, read_header


@pytest.fixture(scope="module")
def good(tiny_gguf: Path) -> bytes:
    return tiny_gguf.read_bytes()


@pytest.fixture(scope="module")
def every(good: bytes) -> list[Corruption]:
    return corruptions(good)


def test_the_generator_makes_over_500_files_the_same_each_time(
    good: bytes, every: list[Corruption]
) -> None:
    assert len(every) >= 500
    assert len({c.name for c in every}) == len(every)
    again = corruptions(good)
    for first, second in zip(every[::40], again[::40], strict=True):
        made = hashlib.sha256(first.make(good)).digest()
        assert first.name == second.name and made == hashlib.sha256(second.make(good)).digest()
    assert all(c.make(good) != good for c in every[::25])


def test_a_sample_is_refused_in_process_in_one_sentence(
    good: bytes, every: list[Corruption], tmp_path: Path
) -> None:
    """About 60 files across every kind of damage, through the check the window and the
    engine run before a load; what passes it is left to llama.cpp (the test below)."""
    refused = 0
    for corruption in every[:: len(every) // 60]:
        path = write(corruption, good, tmp_path)
        try:
            library.quick_check(path)
        except ModelFileError as exc:
            assert is_one_sentence(str(exc)), (corruption.name, str(exc))
            refused += 1
        path.unlink()
    assert refused >= 45  # most damage is the header's, and is caught before llama.cpp


def _named(every: list[Corruption], name: str) -> Corruption:
    return next(c for c in every if c.name == name)


def test_a_handful_through_the_engine_then_the_good_model(
    good: bytes, every: list[Corruption], tiny_gguf: Path, tmp_path: Path
) -> None:
    place = layout(good)
    handful = {
        "empty": REFUSED_BY_CHECK,
        f"cut-at-{place.data_start}": REFUSED_BY_CHECK,
        f"dim-{place.dims[0]}-{2**63}": REFUSED_BY_CHECK,
        "tensor-count-0": REFUSED_BY_LLAMA,  # a sound header with no tensors at all
        f"tensor-type-{place.tensor_types[0]}-43": REFUSED_BY_CHECK,
    }
    with LocalEngine() as engine:
        assert load(engine, tiny_gguf).kind == LOADED
        pid = engine.pid
        for name, expected in handful.items():
            outcome = load(engine, write(_named(every, name), good, tmp_path))
            assert outcome.kind == expected, (name, outcome)
            assert is_one_sentence(outcome.sentence), (name, outcome.sentence)
            assert engine.model is not None  # the good model stayed loaded
        assert engine.pid == pid  # and no child was lost on the way
        assert load(engine, tiny_gguf).kind == LOADED


def test_a_broken_chat_template_loads_with_the_model_table_format(
    good: bytes, tiny_gguf: Path, tmp_path: Path
) -> None:
    """llama-cpp-python compiles the file's template as it loads: a Jinja syntax error
    used to end the child (« the engine stopped unexpectedly ») and the loaded model. Now
    it loads: this file names its Vigogne format, which the worker renders itself (files
    that rely on a hostile or broken template: reliability/test_hostile_templates.py)."""
    assert b"{% for" in good
    broken = tmp_path / "broken-template.gguf"
    broken.write_bytes(good.replace(b"{% for", b"{% fur", 1))
    with LocalEngine() as engine:
        assert load(engine, tiny_gguf).kind == LOADED
        pid = engine.pid
        assert load(engine, broken).kind == LOADED
        assert engine.pid == pid and engine.model is not None
        assert engine.model.prompt_format == "chat-v2"


def test_random_bytes_after_the_magic_are_damage_not_a_newer_format(tmp_path: Path) -> None:
    """A huge version number is noise (or another byte order): « update the app » would
    send the user the wrong way."""
    noise = tmp_path / "noise.gguf"
    noise.write_bytes(b"GGUF" + struct.pack("<IQQ", 0x6B3A9F01, 5, 5) + bytes(64))
    with pytest.raises(ModelFileError) as refused:
        library.quick_check(noise)
    assert "endommagé" in str(refused.value) and "mettez l'application" not in str(refused.value)
    newer = tmp_path / "newer.gguf"
    newer.write_bytes(b"GGUF" + struct.pack("<IQQ", 4, 0, 0))
    with pytest.raises(ModelFileError, match="mettez l'application à jour"):
        library.quick_check(newer)


def test_a_damaged_file_is_both_a_file_error_and_a_load_error(good: bytes, tmp_path: Path) -> None:
    """Callers of the engine catch ModelLoadError for a file that would not load."""
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(good[: len(good) - 100])
    with pytest.raises(ModelLoadError, match="tronqué"):
        LocalEngine().load(str(cut))


def _with_key(good: bytes, key: bytes, kind: int, value: bytes) -> bytes:
    """The good file with one more metadata entry, its data section moved to stay aligned."""
    place = layout(good)
    (kv_count,) = struct.unpack_from("<Q", good, 16)
    entry = struct.pack("<Q", len(key)) + key + struct.pack("<I", kind) + value
    table = good[place.kv_end : place.data_start].rstrip(b"\0")
    head = good[:16] + struct.pack("<Q", kv_count + 1) + good[24 : place.kv_end] + entry + table
    padding = -len(head) % 32
    return head + bytes(padding) + good[place.data_start :]


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (4, struct.pack("<I", 32), None),  # the default alignment, written out: sound
        (4, struct.pack("<I", 24), "alignment of 24"),
        (10, struct.pack("<Q", 32), "wrong type"),
        (9, struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 4, 0), "array item type 9"),
    ],
)
def test_alignment_and_nested_arrays_as_llama_cpp_reads_them(
    good: bytes, tmp_path: Path, kind: int, value: bytes, reason: str | None
) -> None:
    path = tmp_path / "aligned.gguf"
    key = b"general.alignment" if kind != 9 else b"vigogne.nested"
    path.write_bytes(_with_key(good, key, kind, value))
    if reason is None:
        assert read_header(path).metadata["general.alignment"] == 32
        return
    with pytest.raises(DamagedGguf, match=reason):
        read_header(path)


def test_names_from_the_file_are_quoted_short_and_on_one_line(good: bytes, tmp_path: Path) -> None:
    key = b"evil\nkey " * 500
    text = struct.pack("<Q", 1) + b"x"
    twice = _with_key(_with_key(good, key, 8, text), key, 8, text)
    path = tmp_path / "twice.gguf"
    path.write_bytes(twice)
    with pytest.raises(ModelFileError, match="clé de métadonnées vide ou en double") as refused:
        library.quick_check(path)
    assert is_one_sentence(str(refused.value)) and len(str(refused.value)) < 300
