"""What a quantization costs: real llama.cpp runs of random-weight models quantized by
llama.cpp itself, the figures stored in the GGUF, and the two command lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from converters.errors import Cancelled
from converters.quality import (
    QualityError,
    QualityReport,
    measure,
    reference_text,
    report_table,
    windows,
)
from converters.quality_metadata import KEYS, read_report_file, store_report
from converters.quantize import quantize
from converters.synthetic import TINY, LlamaShape, write_random_llama
from vigogne_desktop.core.library import read_model

FIXTURES = Path(__file__).parent / "fixtures"
# Rows of 256 values, so that Q4_K_M really is Q4_K (narrower rows fall back to other types).
WIDE = LlamaShape(n_vocab=512, n_embd=256, n_layer=2, n_head=4, n_head_kv=2, n_ff=512)
# Three paragraphs of the shipped text (about 600 tokens with this vocabulary) in windows of
# 128: two runs of a tiny model take a fraction of a second.
TEXT = "\n\n".join(reference_text().split("\n\n")[:3])
N_CTX = 128


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quality")
    files = {"F32": write_random_llama(folder / "wide.f32.gguf", WIDE, seed=0)}
    for quant in ("Q8_0", "Q4_K_M"):
        files[quant] = folder / f"wide.{quant}.gguf"
        quantize(files["F32"], files[quant], quant)
    return files


def run_measure(model: Path, reference: Path) -> QualityReport:
    return measure(model, reference, text=TEXT, n_ctx=N_CTX, threads=2)


@pytest.fixture(scope="module")
def reports(models: dict[str, Path]) -> dict[str, QualityReport]:
    """Each file measured against the f32 one (the f32 one too), once for the module."""
    return {name: run_measure(path, models["F32"]) for name, path in models.items()}


def test_windows_score_every_token_once_with_half_a_window_behind_it() -> None:
    for n_tokens, n_ctx in ((1000, 128), (129, 128), (300, 512), (513, 512), (2048, 512)):
        window = min(n_ctx, n_tokens)
        scored: list[int] = []
        for start, first in windows(n_tokens, n_ctx):
            assert first >= window // 2 and start + window <= n_tokens
            scored += range(start + first + 1, start + window)  # position p predicts p + 1
        assert scored == list(range(window // 2 + 1, n_tokens))


def test_a_model_against_itself_costs_nothing(reports: dict[str, QualityReport]) -> None:
    report = reports["F32"]
    assert report.kl_mean < 1e-9 and report.kl_p99 < 1e-9
    assert report.top1_agreement == 1.0 and report.ppl == report.ppl_reference
    assert report.reference_type == "F32" and report.context_length == N_CTX


def test_q8_0_costs_little_and_q4_k_m_more(reports: dict[str, QualityReport]) -> None:
    q8, q4 = reports["Q8_0"], reports["Q4_K_M"]
    assert 0 < q8.kl_mean < 1e-3 and q8.kl_mean * 10 < q4.kl_mean
    assert q8.kl_p99 < q4.kl_p99 and q8.top1_agreement >= q4.top1_agreement > 0.5
    assert q8.ppl_reference == q4.ppl_reference
    assert abs(q8.ppl / q8.ppl_reference - 1) < abs(q4.ppl / q4.ppl_reference - 1)
    assert q8.tokens == q4.tokens > 400  # every token after the first half window


def test_progress_counts_tokens_and_a_cancel_stops_between_batches(
    models: dict[str, Path], reports: dict[str, QualityReport]
) -> None:
    seen: list[tuple[int, int]] = []
    with pytest.raises(Cancelled):
        measure(
            models["Q8_0"], models["F32"], text=TEXT, n_ctx=N_CTX, n_batch=32,
            progress=lambda done, total: seen.append((done, total)),
            cancelled=lambda: len(seen) > 3,
        )  # fmt: skip
    assert [done for done, _ in seen] == [0, 32, 64, 96]
    # The total: both runs evaluate every window whole (128 tokens, the last one too).
    n_tokens = reports["Q8_0"].tokens + N_CTX // 2 + 1
    assert {total for _, total in seen} == {2 * N_CTX * len(windows(n_tokens, N_CTX))}


def test_files_of_other_models_are_refused(models: dict[str, Path], tmp_path: Path) -> None:
    other = write_random_llama(
        tmp_path / "other.gguf", LlamaShape(**{**WIDE.__dict__, "n_vocab": 600})
    )
    with pytest.raises(QualityError, match="vocabul"):
        run_measure(models["Q8_0"], other)
    with pytest.raises(QualityError):
        run_measure(tmp_path / "absent.gguf", models["F32"])


def test_the_report_travels_in_the_gguf(
    models: dict[str, Path], reports: dict[str, QualityReport], tmp_path: Path
) -> None:
    report = reports["Q4_K_M"]
    copy = tmp_path / "carried.gguf"
    shutil.copyfile(models["Q4_K_M"], copy)
    assert read_report_file(copy) is None and read_model(copy).quality is None
    store_report(copy, QualityReport(**{**report.as_json(), "tokens": 1}))
    store_report(copy, report)  # a second measurement replaces the first
    assert read_report_file(copy) == report and read_model(copy).quality == report
    assert list(tmp_path.iterdir()) == [copy]
    # The tensors came through unchanged: llama.cpp gives the rewritten file the same logits.
    assert run_measure(copy, models["Q4_K_M"]).kl_mean < 1e-9
    assert sorted(KEYS) == sorted(f"vigogne.quality.{k}" for k in report.as_json())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(tmp_path),
        "VIGOGNE_DESKTOP_HOME": str(tmp_path / "data"),
        "VIGOGNE_LANGUAGE": "en",
    }


def command(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], capture_output=True, text=True, timeout=120, env=env
    )


def test_models_quality_command(
    models: dict[str, Path], tmp_path: Path, env: dict[str, str]
) -> None:
    # The narrowest model: the command measures on the whole shipped text.
    reference = write_random_llama(tmp_path / "tiny.f32.gguf", TINY)
    copy = tmp_path / "tiny.Q8_0.gguf"
    quantize(reference, copy, "Q8_0")
    quality = ("-m", "vigogne_desktop", "models", "quality")
    done = command(env, *quality, copy, "--reference", reference, "--json", "--store")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert set(figures) == {
        "kl_mean", "kl_p99", "top1_agreement", "ppl", "ppl_reference", "tokens",
        "reference_type", "text_sha256", "context_length",
    }  # fmt: skip
    assert figures["reference_type"] == "F32" and figures["context_length"] == 512
    assert read_report_file(copy) == QualityReport(**figures)
    assert figures["tokens"] > 1000 and "top-1 agreement" in report_table(QualityReport(**figures))
    for model, reference in ((models["Q8_0"], FIXTURES / "llama" / "model.safetensors"),
                             (tmp_path / "absent.gguf", models["F32"])):  # fmt: skip
        refused = command(env, *quality, model, "--reference", reference)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
        assert "Traceback" not in refused.stderr


def test_convert_measure_stores_and_prints_the_report(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "llama.Q8_0.gguf"
    converter = ("-m", "converters.cli", FIXTURES / "llama", "-o", out)
    done = command(env, *converter, "--quant", "Q8_0", "--measure", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert any(e.get("phase") == "measure" for e in events)
    report = QualityReport(**events[-1]["quality"])
    assert report.reference_type == "F16" and 0 <= report.kl_mean < 1e-3
    assert read_report_file(out) == report
    assert list(tmp_path.glob("*.gguf*")) == [out]  # the reference went once measured
    refused = command(env, *converter, "--force", "--measure")  # nothing quantized to measure
    assert refused.returncode == 2 and "--quant" in refused.stderr


def test_a_cancelled_measure_keeps_the_conversion(tmp_path: Path, env: dict[str, str]) -> None:
    """The window's cancel is a SIGTERM: during the measure it stops at the next batch, the
    converted file stays (whole, without figures) and the reference goes."""
    out = tmp_path / "llama.Q8_0.gguf"
    child = subprocess.Popen(
        [sys.executable, "-m", "converters.cli", str(FIXTURES / "llama"), "-o", str(out)]
        + ["--quant", "Q8_0", "--measure", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if json.loads(line).get("phase") == "measure":
                child.terminate()
                break
        events = [json.loads(line) for line in child.stdout]
        assert child.wait(timeout=60) == 130
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert events[-1]["phase"] == "error" and out.name in events[-1]["message"]
    assert list(tmp_path.glob("*.gguf*")) == [out] and read_report_file(out) is None
