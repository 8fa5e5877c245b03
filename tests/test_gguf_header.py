"""The one-pass GGUF header reader against gguf-py's full reader: the same metadata, array
lengths and tensor table, and a clear refusal of what is not a whole GGUF header."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest

from vigogne_desktop.core.gguf_header import read_header
from vigogne_desktop.core.hardware import shape_from_gguf


def test_the_header_reads_as_gguf_py_reads_it(tiny_gguf: Path) -> None:
    reader = gguf.GGUFReader(tiny_gguf)
    header = read_header(tiny_gguf)
    for key, found in reader.fields.items():
        if key.startswith("GGUF."):
            continue  # gguf-py's own entries (version, counts), not metadata
        value = found.contents()
        if isinstance(value, list):
            assert header.array_lengths[key] == len(value), key
        elif isinstance(value, float):
            assert header.metadata[key] == pytest.approx(value), key
        else:
            assert header.metadata[key] == value, key
    assert [(t.name, t.type_id) for t in header.tensors] == [
        (t.name, int(t.tensor_type)) for t in reader.tensors
    ]
    assert [t.dims for t in header.tensors] == [
        tuple(int(d) for d in t.shape) for t in reader.tensors
    ]
    shape = shape_from_gguf(tiny_gguf)
    assert shape.n_vocab == len(reader.fields["tokenizer.ggml.tokens"].data) > 0
    assert shape.n_layers == int(reader.fields["llama.block_count"].contents())


def test_a_cut_or_foreign_file_is_refused(tmp_path: Path, tiny_gguf: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_gguf.read_bytes()[:3000])  # inside the vocabulary
    with pytest.raises(ValueError):
        read_header(cut)
    foreign = tmp_path / "foreign.gguf"
    foreign.write_bytes(b"PK\x03\x04" + bytes(64))
    with pytest.raises(ValueError, match="not a GGUF"):
        read_header(foreign)
