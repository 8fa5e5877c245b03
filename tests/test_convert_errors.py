"""Bad inputs to the converter: one clear sentence each, and never a partial output."""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from checkpoints import random_llama_checkpoint
from safetensors.numpy import load_file, save_file

from converters.convert import Source, convert
from converters.errors import (
    AdapterError,
    CheckpointError,
    ConversionError,
    OutputError,
    QuantizationError,
    UnsafeCheckpoint,
    UnsupportedArchitecture,
)
from converters.quantize import quantize

FIXTURES = Path(__file__).parent / "fixtures"


def copy_fixture(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / name, folder)
    return folder


def assert_nothing_written(folder: Path) -> None:
    assert [p.name for p in folder.iterdir()] == [], "a partial output was left behind"


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_unknown_architecture(tmp_path: Path, out_dir: Path) -> None:
    folder = copy_fixture("llama", tmp_path)
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["GPT2LMHeadModel"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UnsupportedArchitecture, match="GPT2LMHeadModel n'est pas prise en charge"):
        convert(Source(folder), out_dir / "x.gguf")
    assert_nothing_written(out_dir)


@pytest.mark.parametrize(
    ("name", "tokenizer"), [("llama", "tokenizer.model"), ("falcon", "tokenizer.json")]
)
def test_missing_tokenizer(name: str, tokenizer: str, tmp_path: Path, out_dir: Path) -> None:
    folder = copy_fixture(name, tmp_path)
    (folder / tokenizer).unlink()
    with pytest.raises(CheckpointError, match=f"Pas de {tokenizer}"):
        convert(Source(folder), out_dir / "x.gguf")
    assert_nothing_written(out_dir)


def rewrite_weights(folder: Path, change: str) -> None:
    tensors = load_file(folder / "model.safetensors")
    if change == "missing":
        del tensors["model.layers.1.mlp.down_proj.weight"]
    else:
        tensors["model.layers.0.self_attn.v_proj.weight"] = np.zeros((7, 64), np.float32)
    save_file(tensors, folder / "model.safetensors")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", "Il manque 1 tenseur"),
        ("misshapen", r"a la forme \(7, 64\)"),
    ],
)
def test_missing_or_misshapen_tensor(
    change: str, message: str, tmp_path: Path, out_dir: Path
) -> None:
    folder = copy_fixture("llama", tmp_path)
    rewrite_weights(folder, change)
    with pytest.raises(CheckpointError, match=message):
        convert(Source(folder), out_dir / "x.gguf")
    assert_nothing_written(out_dir)


def test_truncated_safetensors(tmp_path: Path, out_dir: Path) -> None:
    folder = copy_fixture("llama", tmp_path)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="tronqué"):
        convert(Source(folder), out_dir / "x.gguf")
    assert_nothing_written(out_dir)


class _CallsAFunction:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /tmp/vigogne-pwned",))


def test_pickle_that_calls_a_function_is_refused(tmp_path: Path, out_dir: Path) -> None:
    folder = copy_fixture("llama-bin", tmp_path)
    payload = io.BytesIO()
    pickle.dump({"model.embed_tokens.weight": _CallsAFunction()}, payload, protocol=2)
    with zipfile.ZipFile(folder / "pytorch_model.bin", "w") as archive:
        archive.writestr("archive/data.pkl", payload.getvalue())
    with pytest.raises(UnsafeCheckpoint, match=r"posix\.system|os\.system|nt\.system"):
        convert(Source(folder), out_dir / "x.gguf")
    assert not Path("/tmp/vigogne-pwned").exists()
    assert_nothing_written(out_dir)


def test_adapter_for_another_base(tmp_path: Path, out_dir: Path) -> None:
    with pytest.raises(AdapterError, match="ne correspond pas à ce modèle de base"):
        convert(Source(FIXTURES / "llama-lora"), out_dir / "x.gguf", base=FIXTURES / "falcon")
    assert_nothing_written(out_dir)


def test_empty_adapter(tmp_path: Path, out_dir: Path) -> None:
    folder = copy_fixture("llama-lora", tmp_path)
    save_file({"unrelated": np.zeros(2, np.float32)}, folder / "adapter_model.safetensors")
    with pytest.raises(AdapterError, match="est vide"):
        convert(Source(folder), out_dir / "x.gguf", base=FIXTURES / "llama")


def test_adapter_without_base_says_which_base(out_dir: Path) -> None:
    with pytest.raises(CheckpointError, match="vigogne-tiny-base.*--base"):
        convert(Source(FIXTURES / "llama-lora"), out_dir / "x.gguf")


def test_existing_output_is_kept_without_force(out_dir: Path) -> None:
    target = out_dir / "x.gguf"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="existe déjà.*--force"):
        convert(Source(FIXTURES / "llama"), target)
    assert target.read_bytes() == b"precious"
    convert(Source(FIXTURES / "llama"), target, force=True)
    assert target.read_bytes()[:4] == b"GGUF"


def test_output_folder_missing_or_not_writable(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="n'existe pas"):
        convert(Source(FIXTURES / "llama"), tmp_path / "absent" / "x.gguf")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    # Root ignores permission bits: an immutable folder refuses even root.
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable:
        subprocess.run(["chattr", "+i", str(locked)], check=True)
    try:
        with pytest.raises(OutputError, match="Impossible d'écrire|Écriture impossible"):
            convert(Source(FIXTURES / "llama"), locked / "x.gguf")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        locked.chmod(0o755)
    assert_nothing_written(locked)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "converters.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_cli_json_progress_and_clean_errors(out_dir: Path) -> None:
    result = run_cli(str(FIXTURES / "falcon-rw"), "-o", str(out_dir / "f.gguf"), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    converting = [e for e in lines if e["phase"] == "convert"]
    assert converting and converting[-1]["tensor"] == converting[-1]["tensors"]
    assert {"bytes", "total_bytes", "eta_s"} <= set(converting[-1])
    assert lines[-1]["phase"] == "done"
    again = run_cli(str(FIXTURES / "falcon-rw"), "-o", str(out_dir / "f.gguf"))
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "existe déjà" in again.stderr
    missing = run_cli(str(out_dir / "nowhere"), "-o", str(out_dir / "g.gguf"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def with_nan_weight(folder: Path) -> Path:
    """A diverged fine-tune: one NaN weight, which converts but which llama.cpp refuses."""
    tensors = load_file(folder / "model.safetensors")
    tensors["model.layers.0.self_attn.q_proj.weight"][3, 5] = np.nan
    save_file(tensors, folder / "model.safetensors")
    return folder


@pytest.mark.parametrize("as_json", [True, False])
def test_cli_quantization_failure_is_one_sentence(
    as_json: bool, tmp_path: Path, out_dir: Path
) -> None:
    folder = with_nan_weight(copy_fixture("llama", tmp_path))
    mode = ["--json"] if as_json else []
    result = run_cli(str(folder), "-o", str(out_dir / "x.gguf"), "--quant", "Q8_0", *mode)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    said = [line for line in result.stderr.splitlines() if line.startswith("vigogne-convert:")]
    assert len(said) == 1 and "La quantification en Q8_0 a échoué" in said[0]
    assert "blk.0.attn_q.weight" in said[0]  # llama.cpp's reason, naming the tensor
    if as_json:
        last = json.loads(result.stdout.splitlines()[-1])
        assert last["phase"] == "error" and last["message"] in said[0]
    assert_nothing_written(out_dir)


def test_quantizer_refuses_a_damaged_gguf(tiny_gguf: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.gguf"
    data = tiny_gguf.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(QuantizationError, match="La quantification en Q4_K_M a échoué"):
        quantize(damaged, tmp_path / "out.gguf", "Q4_K_M")
    assert not (tmp_path / "out.gguf").exists()


def test_quantizing_a_quantized_output_is_refused_before_starting(out_dir: Path) -> None:
    with pytest.raises(ConversionError, match="retirez --outtype q8_0 ou --quant"):
        convert(Source(FIXTURES / "llama"), out_dir / "x.gguf", outtype="q8_0", quant="Q4_K_M")
    assert_nothing_written(out_dir)


def test_cli_help_documents_the_options() -> None:
    text = run_cli("--help").stdout
    for option in (
        "--outtype",
        "--quant",
        "--base",
        "--revision",
        "--json",
        "--force",
        "Q4_K_M",
        "inspect",
    ):
        assert option in text


@pytest.fixture(scope="module")
def wide_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint big enough to take seconds: two TinyLlama-wide layers (about 400 MB)."""
    return random_llama_checkpoint(
        tmp_path_factory.mktemp("wide") / "llama",
        n_embd=2048,
        n_ff=5632,
        n_head=32,
        n_head_kv=4,
        n_layer=2,
    )


@pytest.mark.parametrize("phase", ["convert", "quantize"])
def test_sigterm_leaves_nothing(phase: str, wide_checkpoint: Path, out_dir: Path) -> None:
    options = ["--outtype", "q8_0"] if phase == "convert" else ["--quant", "Q4_K_M"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "converters.cli",
            str(wide_checkpoint),
            "-o",
            str(out_dir / "big.gguf"),
            "--json",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # wait until the phase to interrupt has begun
        if json.loads(line)["phase"] == phase:
            break
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = process.wait(timeout=60)
    assert code == 130
    assert time.monotonic() - started < 10
    assert_nothing_written(out_dir)


def test_too_little_disk_space_is_found_before_starting(tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs root)")
    try:
        with pytest.raises(OutputError, match="Pas assez d'espace disque"):
            convert(Source(FIXTURES / "llama"), small / "x.gguf", outtype="f32")
        assert_nothing_written(small)
    finally:
        subprocess.run(["umount", str(small)], check=True)
