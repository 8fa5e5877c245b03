"""The app's side of a conversion: the `vigogne-convert --json` child seen through Conversion.

What reaches the window is ConversionProgress, then either the output or ConversionFailed
with one sentence; the child must never block on a pipe the app does not read.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import shutil
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from vigogne_desktop.core.conversion import Conversion, ConversionFailed, ConversionProgress

FIXTURES = Path(__file__).parent / "fixtures"


def run(conversion: Conversion, timeout: float = 120) -> list[ConversionProgress | Exception]:
    """Every step of a conversion, read on a thread so that a stuck child fails the test."""
    seen: list[ConversionProgress | Exception] = []

    def consume() -> None:
        try:
            seen.extend(conversion.progress())
        except ConversionFailed as exc:
            seen.append(exc)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        conversion.cancel()
        pytest.fail("the converter child never finished: it blocked on a pipe")
    return seen


def test_a_child_writing_much_to_stderr_still_finishes(tmp_path: Path) -> None:
    """gguf-py warns once per malformed merges.txt line: about 150 KB on stderr here."""
    folder = tmp_path / "falcon"
    shutil.copytree(FIXTURES / "falcon", folder)
    tokenizer = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    merges = tokenizer["model"].pop("merges")
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    lines = [m if isinstance(m, str) else " ".join(m) for m in merges]
    malformed = [f"{line} extra" for line in lines] * (3000 // max(1, len(lines)) + 1)
    (folder / "merges.txt").write_text("\n".join(lines + malformed) + "\n", encoding="utf-8")
    output = tmp_path / "falcon.gguf"
    steps = run(Conversion(folder, output))
    assert steps and isinstance(steps[-1], ConversionProgress), steps[-1:]
    assert steps[-1].phase == "done" and output.is_file()


def one_sentence(message: str) -> bool:
    return (
        bool(message)
        and "\n" not in message
        and "Traceback" not in message
        and message.endswith(".")
        and not re.search(r"[.!?] +[A-ZÀ-Ý]", message)
    )


def with_nan_weight(tmp_path: Path) -> Path:
    folder = tmp_path / "nan"
    shutil.copytree(FIXTURES / "llama", folder)
    tensors = load_file(folder / "model.safetensors")
    tensors["model.layers.0.self_attn.q_proj.weight"][3, 5] = np.nan
    save_file(tensors, folder / "model.safetensors")
    return folder


def with_pickle_calling_a_function(tmp_path: Path) -> Path:
    folder = tmp_path / "evil"
    shutil.copytree(FIXTURES / "llama-bin", folder)
    (folder / "pytorch_model.bin").unlink()
    payload = io.BytesIO()
    pickle.Pickler(payload, protocol=2).dump({"w": print})
    with zipfile.ZipFile(folder / "pytorch_model.bin", "w") as archive:
        archive.writestr("archive/data.pkl", payload.getvalue())
    return folder


@pytest.mark.parametrize(
    ("make_source", "options", "expected"),
    [
        (lambda tmp: tmp / "nowhere", [], "n'est ni un dossier ni un dépôt du Hub"),
        (lambda tmp: FIXTURES / "llama-lora", ["--base", str(FIXTURES / "falcon")], "--base"),
        (with_pickle_calling_a_function, [], "print au chargement"),
        (with_nan_weight, ["--quant", "Q8_0"], "La quantification en Q8_0 a échoué"),
        (lambda tmp: FIXTURES / "llama", ["--outtype", "q8_0", "--quant", "Q4_K_M"], "retirez"),
    ],
)
def test_every_failure_reaches_the_window_as_one_sentence(
    make_source: Callable[[Path], Path], options: list[str], expected: str, tmp_path: Path
) -> None:
    output = tmp_path / "out" / "x.gguf"
    output.parent.mkdir()
    steps = run(Conversion(make_source(tmp_path), output, options))
    failure = steps[-1]
    assert isinstance(failure, ConversionFailed), steps
    assert expected in str(failure) and one_sentence(str(failure)), str(failure)
    assert list(output.parent.iterdir()) == []


def test_a_converter_that_cannot_start_fails_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken install (the interpreter gone): reported by progress(), like any failure."""
    monkeypatch.setattr("sys.executable", str(tmp_path / "missing-python"))
    steps = run(Conversion(FIXTURES / "llama", tmp_path / "x.gguf"))
    assert isinstance(steps[-1], ConversionFailed) and one_sentence(str(steps[-1]))
