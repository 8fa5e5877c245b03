"""Hostile checkpoints: pickles that try to run code are refused in one sentence and never
run (a canary file their payload would write stays absent); config.json's auto_map and
trust_remote_code are data; LoRA settings the merge does not apply are refused, rsLoRA is
merged with its own scale.

The pickles are written opcode by opcode, as an attacker would, so no torch is needed.
"""

from __future__ import annotations

import json
import pickle
import shutil
import struct
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from converters.checkpoint import Checkpoint
from converters.checkpoint_lora import LoraAdapter, MergedCheckpoint
from converters.convert import Source, convert
from converters.errors import AdapterError, CheckpointError, UnsafeCheckpoint

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def _stack_global(module: str, name: str) -> bytes:
    return _text(module) + _text(name) + pickle.STACK_GLOBAL


def _text(value: str) -> bytes:
    data = value.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def _call(function: bytes, *args: bytes) -> bytes:
    return function + pickle.MARK + b"".join(args) + pickle.TUPLE + pickle.REDUCE


def _tensor_dict(extra: bytes = b"", hooks: bytes | None = None) -> bytes:
    """torch.save's {"w": float32 tensor (2, 3)}, with `extra` run just before STOP and
    `hooks` (an attacker's payload) as the tensor's backward hooks argument."""
    new_dict = _call(_global("collections", "OrderedDict"))
    storage = (
        pickle.MARK
        + _text("storage")
        + _global("torch", "FloatStorage")
        + _text("0")
        + _text("cpu")
        + pickle.TUPLE
        + pickle.BINPERSID
    )
    ints = [pickle.BININT + struct.pack("<i", v) for v in (0, 2, 3, 3, 1)]
    shape = pickle.MARK + ints[1] + ints[2] + pickle.TUPLE
    stride = pickle.MARK + ints[3] + ints[4] + pickle.TUPLE
    tensor = _call(
        _global("torch._utils", "_rebuild_tensor_v2"),
        storage,
        ints[0],
        shape,
        stride,
        pickle.NEWFALSE,
        hooks if hooks is not None else new_dict,
    )
    return (
        pickle.PROTO
        + b"\x04"
        + new_dict
        + _text("w")
        + tensor
        + pickle.SETITEM
        + extra
        + pickle.STOP
    )


def _checkpoint(
    folder: Path, pickled: bytes, *, zipped: bool = True, name: str = "pytorch_model.bin"
) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}))
    if zipped:
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr("archive/data.pkl", pickled)
            archive.writestr("archive/data/0", np.arange(6, dtype="<f4").tobytes())
    else:
        (folder / name).write_bytes(pickled)
    return folder


def _payloads(canary: Path) -> dict[str, bytes]:
    """Each pickle, once unpickled by pickle.loads, writes `canary` (checked below)."""
    shell = _text(f"touch {canary}")
    python = _text(f"open({str(canary)!r}, 'w').close()")
    return {
        "os.system": _call(_global("os", "system"), shell),
        "posix.system": _call(_global("posix", "system"), shell),
        "subprocess.Popen": _call(
            _global("subprocess", "Popen"),
            pickle.MARK + _text("touch") + _text(str(canary)) + pickle.LIST,
        ),
        "builtins.eval": _call(_global("builtins", "eval"), python),
        "builtins.exec": _call(_global("builtins", "exec"), python),
        "getattr chain": _call(
            _call(
                _global("builtins", "getattr"),
                _call(_global("builtins", "__import__"), _text("os")),
                _text("system"),
            ),
            shell,
        ),
        "stack global": _call(_stack_global("os", "system"), shell),
        "torch.storage._load_from_bytes": _call(
            _global("torch.storage", "_load_from_bytes"), pickle.SHORT_BINBYTES + b"\x00"
        )
        + pickle.POP
        + _call(_global("os", "system"), shell),
        "INST opcode": pickle.MARK + shell + b"ios\nsystem\n",
    }


@pytest.mark.parametrize("payload", list(_payloads(Path("/x"))))
@pytest.mark.parametrize("place", ["before the weights", "inside a tensor", "plain pickle"])
def test_a_pickle_that_runs_code_is_refused_and_never_run(
    payload: str, place: str, tmp_path: Path
) -> None:
    canary = tmp_path / "canary"
    code = _payloads(canary)[payload]
    if place == "plain pickle":
        pickled, zipped = pickle.PROTO + b"\x04" + code + pickle.STOP, False
    elif place == "inside a tensor":
        pickled, zipped = _tensor_dict(hooks=code), True
    else:
        pickled, zipped = _tensor_dict(extra=code + pickle.POP), True
    folder = _checkpoint(tmp_path / "evil", pickled, zipped=zipped)
    with pytest.raises(CheckpointError) as refused:
        Checkpoint(folder)
    message = str(refused.value)
    assert "\n" not in message and message.endswith(".")
    if zipped:
        assert isinstance(refused.value, UnsafeCheckpoint), message
    assert not canary.exists()


def test_the_payloads_do_run_when_unpickled_plainly(tmp_path: Path) -> None:
    """The oracle: the canaries above stay absent because nothing ran, not because the
    payloads were broken."""
    for name, code in _payloads(tmp_path / "ran").items():
        if name == "torch.storage._load_from_bytes":
            continue  # needs torch, which the tests never import
        pickle.loads(pickle.PROTO + b"\x04" + code + pickle.STOP)  # noqa: S301
        for _ in range(100):  # Popen writes from its own process
            if (tmp_path / "ran").exists():
                break
            time.sleep(0.02)
        assert (tmp_path / "ran").exists(), name
        (tmp_path / "ran").unlink()


def test_a_plain_pickle_is_never_unpickled(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    code = _payloads(canary)["os.system"]
    folder = _checkpoint(
        tmp_path / "pt", pickle.PROTO + b"\x04" + code + pickle.STOP, zipped=False, name="model.pt"
    )
    with pytest.raises(CheckpointError, match="Aucun fichier de poids"):
        Checkpoint(folder)
    assert not canary.exists()


def test_build_cannot_rewrite_a_checked_tensor(tmp_path: Path) -> None:
    """BUILD sets attributes on whatever the stack holds: it used to replace the shape
    _rebuild_tensor_v2 had read as integers, and a shape of strings escaped the bounds
    check as a TypeError traceback."""
    shape = pickle.MARK + _text("2") + _text("3") + pickle.TUPLE
    overwrite = pickle.MARK + _text("shape") + shape + pickle.DICT + pickle.BUILD
    pickled = _tensor_dict().replace(
        pickle.REDUCE + pickle.SETITEM, pickle.REDUCE + overwrite + pickle.SETITEM, 1
    )
    with pytest.raises(UnsafeCheckpoint) as refused:
        Checkpoint(_checkpoint(tmp_path / "build", pickled))
    assert "BUILD" in str(refused.value)


def test_a_long_name_in_a_pickle_is_shown_short_on_one_line(tmp_path: Path) -> None:
    code = _call(_stack_global("os\n" * 5000, "system"), _text("true"))
    pickled = _tensor_dict(extra=code + pickle.POP)
    with pytest.raises(UnsafeCheckpoint) as refused:
        Checkpoint(_checkpoint(tmp_path / "long", pickled))
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 400


def test_auto_map_and_trust_remote_code_are_only_data(tmp_path: Path) -> None:
    folder = tmp_path / "remote-code"
    shutil.copytree(FIXTURES / "llama", folder)
    canary = tmp_path / "canary"
    (folder / "modeling_evil.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {
        "AutoConfig": "configuration_evil.EvilConfig",
        "AutoModelForCausalLM": "modeling_evil.EvilModel",
    }
    config["trust_remote_code"] = True
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "configuration_evil.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    out = convert(Source(folder), tmp_path / "out.gguf", outtype="f32")
    assert out.is_file() and not canary.exists()


def _adapter(tmp_path: Path, **settings: object) -> Path:
    folder = tmp_path / "adapter"
    shutil.copytree(FIXTURES / "llama-lora", folder)
    config = json.loads((folder / "adapter_config.json").read_text())
    config.update(settings)
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("use_dora", True),
        ("rank_pattern", {"q_proj": 8}),
        ("alpha_pattern", {"v_proj": 32}),
        ("lora_bias", True),
        ("modules_to_save", ["lm_head"]),
        ("bias", "lora_only"),
    ],
)
def test_lora_settings_the_merge_cannot_apply_are_refused(
    setting: str, value: object, tmp_path: Path
) -> None:
    with pytest.raises(AdapterError) as refused:
        LoraAdapter(_adapter(tmp_path, **{setting: value}))
    message = str(refused.value)
    assert setting in message and "\n" not in message and message.endswith(".")


def test_default_peft_settings_are_merged(tmp_path: Path) -> None:
    """What PEFT writes when those features are off: empty patterns, no DoRA."""
    folder = _adapter(
        tmp_path,
        use_dora=False,
        rank_pattern={},
        alpha_pattern={},
        use_rslora=False,
        modules_to_save=None,
        bias="none",
    )
    assert LoraAdapter(folder).scale == 8 / 4


def test_rslora_is_merged_with_alpha_over_the_root_of_the_rank(tmp_path: Path) -> None:
    folder = tmp_path / "adapter"
    folder.mkdir()
    base = Checkpoint(FIXTURES / "llama")
    target = "model.layers.0.self_attn.q_proj.weight"
    rows, cols = base.load(target).shape
    rng = np.random.default_rng(3)
    a = rng.standard_normal((16, cols)).astype(np.float32)
    b = rng.standard_normal((rows, 16)).astype(np.float32)
    prefix = "base_model.model.model.layers.0.self_attn.q_proj"
    save_file(
        {f"{prefix}.lora_A.weight": a, f"{prefix}.lora_B.weight": b},
        folder / "adapter_model.safetensors",
    )
    config = {"peft_type": "LORA", "r": 16, "lora_alpha": 8, "use_rslora": True}
    (folder / "adapter_config.json").write_text(json.dumps(config))
    merged = MergedCheckpoint(base, LoraAdapter(folder))
    want = base.load(target) + (8 / 4.0) * (b @ a)  # alpha / sqrt(16), not alpha / 16
    assert np.allclose(merged.load(target), want, atol=1e-4)
    assert not np.allclose(merged.load(target), base.load(target) + (8 / 16) * (b @ a), atol=1e-2)
