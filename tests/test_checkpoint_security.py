"""Hostile or damaged weight files: refused in one sentence, never read out of bounds.

The .bin files here are written opcode by opcode, as an attacker would write them, so that
the tests need no torch and show exactly what the unpickler is given.
"""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from converters.checkpoint import Checkpoint
from converters.errors import CheckpointError, UnsafeCheckpoint


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _text(value: str) -> bytes:
    data = value.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def _int(value: int) -> bytes:
    return pickle.BININT + struct.pack("<i", value)


def _tuple(*items: bytes) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def _state_dict(
    name: str, key: str, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]
) -> bytes:
    """The pickle torch.save writes for {name: one float32 tensor of storage `key`}."""
    new_dict = _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE
    storage = (
        _tuple(_text("storage"), _global("torch", "FloatStorage"), _text(key), _text("cpu"))
        + pickle.BINPERSID
    )
    tensor = (
        _global("torch._utils", "_rebuild_tensor_v2")
        + _tuple(
            storage,
            _int(offset),
            _tuple(*map(_int, shape)),
            _tuple(*map(_int, stride)),
            pickle.NEWFALSE,
            new_dict,
        )
        + pickle.REDUCE
    )
    return pickle.PROTO + b"\x02" + new_dict + _text(name) + tensor + pickle.SETITEM + pickle.STOP


def write_bin(
    folder: Path,
    values: np.ndarray,
    *,
    offset: int = 0,
    shape: tuple[int, ...] = (2, 3),
    stride: tuple[int, ...] = (3, 1),
    stored_key: str = "0",
) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    with zipfile.ZipFile(folder / "pytorch_model.bin", "w") as archive:
        archive.writestr("archive/data.pkl", _state_dict("w", "0", offset, shape, stride))
        archive.writestr(f"archive/data/{stored_key}", values.astype("<f4").tobytes())
    return folder


def test_a_plain_bin_is_read_as_written(tmp_path: Path) -> None:
    """The oracle of the tests below: the crafted file is a valid torch.save archive."""
    values = np.arange(6, dtype=np.float32)
    checkpoint = Checkpoint(write_bin(tmp_path / "ok", values))
    assert np.array_equal(checkpoint.load("w"), values.reshape(2, 3))
    transposed = Checkpoint(write_bin(tmp_path / "t", values, shape=(3, 2), stride=(1, 3)))
    assert np.array_equal(transposed.load("w"), values.reshape(2, 3).T)


@pytest.mark.parametrize(
    ("offset", "shape", "stride"),
    [
        (0, (2, 3), (3, 4)),  # the last row reaches past the 6 stored values
        (5, (2, 3), (3, 1)),  # starts too late
        (-4, (2, 3), (3, 1)),  # starts before the storage
        (0, (2, 3), (-3, 1)),  # walks backwards out of it
        (0, (2, 3), (3,)),  # a stride for a different shape
    ],
)
def test_a_tensor_outside_its_storage_is_refused(
    offset: int, shape: tuple[int, ...], stride: tuple[int, ...], tmp_path: Path
) -> None:
    values = np.arange(6, dtype=np.float32)
    with pytest.raises(CheckpointError, match="sort de son stockage") as refused:
        Checkpoint(write_bin(tmp_path / "bad", values, offset=offset, shape=shape, stride=stride))
    assert "\n" not in str(refused.value)


def test_a_missing_storage_is_a_damaged_file(tmp_path: Path) -> None:
    folder = write_bin(tmp_path / "bad", np.arange(6, dtype=np.float32), stored_key="1")
    with pytest.raises(CheckpointError, match="stockage 0 absent"):
        Checkpoint(folder)


def test_a_pickle_naming_another_callable_is_refused(tmp_path: Path) -> None:
    folder = write_bin(tmp_path / "evil", np.arange(6, dtype=np.float32))
    payload = _global("builtins", "eval") + _tuple(_text("1 + 1")) + pickle.REDUCE + pickle.STOP
    with zipfile.ZipFile(folder / "pytorch_model.bin", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.PROTO + b"\x02" + payload)
    with pytest.raises(UnsafeCheckpoint, match=r"builtins\.eval"):
        Checkpoint(folder)


def _safetensors_with_header(folder: Path, header: object, data: bytes) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    raw = json.dumps(header).encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return folder


def test_safetensors_shape_must_match_its_bytes(tmp_path: Path) -> None:
    # 16 bytes announced for a 4×4 float32 tensor: a view would read the next tensor's bytes.
    header = {
        "a": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [12], "data_offsets": [16, 64]},
    }
    folder = _safetensors_with_header(tmp_path / "bad", header, bytes(64))
    with pytest.raises(CheckpointError, match=r"la forme \(4, 4\) du tenseur a"):
        Checkpoint(folder)


@pytest.mark.parametrize(
    "header",
    [
        {"a": 3},
        {"a": {"dtype": "F32", "shape": [2]}},
        {"a": {"dtype": "F32", "shape": ["x"], "data_offsets": [0, 8]}},
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}},
        ["a"],
    ],
)
def test_malformed_safetensors_header(header: object, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="en-tête illisible"):
        Checkpoint(_safetensors_with_header(tmp_path / "bad", header, bytes(8)))


@pytest.mark.parametrize("name", ["config.json", "model.safetensors.index.json"])
def test_invalid_json_files(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    save_file({"w": np.zeros(2, np.float32)}, folder / "model.safetensors")
    (folder / name).write_text('{"weight_map": ')
    with pytest.raises(CheckpointError, match=f"« {name} » n'est pas un fichier JSON valide"):
        Checkpoint(folder)
