"""Fit for this machine: the probe, GGUF shapes, the memory estimate against a real model
process, the recommended quantization, and the GPU-layers fallback of the worker's load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench.fit_accuracy import measured_peak
from converters.synthetic import TINY, TINYLLAMA_1B, write_random_llama
from vigogne_desktop.core import LoadSettings, LocalEngine
from vigogne_desktop.core.hardware import (
    GiB,
    Gpu,
    Machine,
    MiB,
    estimate,
    kv_cache_bytes,
    probe,
    recommend_quant,
    shape_from_gguf,
    shape_of,
)
from vigogne_desktop.core.worker import load_with_offload_fallback, offload_attempts

# Vigogne-2-7B's shape (Llama-2-7B) and its Q4_K_M file size.
LLAMA2_7B = shape_of(32, 4096, 32, 32, 4096, 32000, 4_081_004_224, "Q4_K_M")
PARAMETERS_7B = 6_738_415_616


def laptop(ram_gib: float, *, vram_gib: float = 0.0) -> Machine:
    return Machine(
        total_ram=int(ram_gib * GiB),
        available_ram=int(ram_gib * GiB),
        physical_cores=4,
        logical_cores=8,
        cpu_features={"avx2": True},
        gpu_offload=vram_gib > 0,
        gpus=(Gpu("test GPU", int(vram_gib * GiB), int(vram_gib * GiB)),) if vram_gib else (),
    )


def test_probe_describes_this_machine(tmp_path: Path) -> None:
    here = probe(tmp_path)
    assert 0 < here.available_ram <= here.total_ram
    assert 1 <= here.physical_cores <= here.logical_cores
    assert here.gpu_offload is False  # the CPU build of llama.cpp
    assert here.free_vram == 0
    assert here.free_disk is not None and here.free_disk > 0
    assert set(here.cpu_features) <= {"avx", "avx2", "avx512f", "f16c", "fma", "neon"}
    assert estimate(LLAMA2_7B, 4096, here).threads == here.physical_cores


def test_shape_from_gguf_reads_what_was_written(tmp_path: Path) -> None:
    path = write_random_llama(tmp_path / "tiny.gguf", TINY)
    shape = shape_from_gguf(path)
    assert (shape.n_layers, shape.n_embd, shape.n_head, shape.n_head_kv) == (
        TINY.n_layer,
        TINY.n_embd,
        TINY.n_head,
        TINY.n_head_kv,
    )
    assert (shape.n_vocab, shape.n_ctx_train) == (TINY.n_vocab, TINY.n_ctx_train)
    assert (shape.architecture, shape.quant) == ("llama", "F32")
    assert shape.file_size == path.stat().st_size
    assert shape.repacked_bytes == 0  # f32 weights are used as they are


def test_kv_cache_matches_llama_cpp() -> None:
    # llama.cpp logs "KV buffer size = 88.00 MiB" for TinyLlama-1.1B at 4096 (4 KV heads
    # of 64) and 2048 MiB for Llama-2-7B (32 KV heads) at 4096.
    tinyllama = shape_of(22, 2048, 32, 4, 2048, 32000, 0, "Q4_K_M")
    assert kv_cache_bytes(tinyllama, 4096) == 88 * MiB
    assert kv_cache_bytes(tinyllama, 2048) == 44 * MiB
    assert kv_cache_bytes(tinyllama, 4096, "q8_0") == 88 * MiB * 34 // 64
    assert kv_cache_bytes(LLAMA2_7B, 4096) == 2048 * MiB
    assert tinyllama.n_embd_kv == TINYLLAMA_1B.n_embd // TINYLLAMA_1B.n_head * 4


def test_estimate_is_within_a_quarter_of_the_model_process_peak(tiny_gguf: Path) -> None:
    n_ctx = 2048
    estimated = estimate(shape_from_gguf(tiny_gguf), n_ctx, probe()).ram_bytes
    peak, prompt_tokens = measured_peak(tiny_gguf, n_ctx)
    assert prompt_tokens > n_ctx // 2
    assert 0.75 <= estimated / peak <= 1.25, (estimated / MiB, peak / MiB)


def test_fits_only_where_the_memory_is() -> None:
    small = estimate(LLAMA2_7B, 4096, laptop(4))
    assert not small.fits
    assert "GB" in small.reason or "Go" in small.reason
    assert small.ram_bytes > LLAMA2_7B.file_size + kv_cache_bytes(LLAMA2_7B, 4096)
    big = estimate(LLAMA2_7B, 4096, laptop(32))
    assert big.fits and big.reason == ""
    assert big.gpu_layers == 0 and big.vram_bytes == 0


def test_layers_go_to_the_gpu_as_far_as_vram_allows() -> None:
    cpu = estimate(LLAMA2_7B, 4096, laptop(16))
    half = estimate(LLAMA2_7B, 4096, laptop(16, vram_gib=4))
    full = estimate(LLAMA2_7B, 4096, laptop(16, vram_gib=12))
    assert 0 < half.gpu_layers < LLAMA2_7B.n_layers
    assert full.gpu_layers == LLAMA2_7B.n_layers
    assert full.ram_bytes < half.ram_bytes < cpu.ram_bytes
    assert half.vram_bytes <= 4 * GiB
    assert estimate(LLAMA2_7B, 4096, laptop(16, vram_gib=12), gpu_layers=0).gpu_layers == 0


def test_less_memory_recommends_a_smaller_quantization() -> None:
    ladder = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M", "Q2_K")
    picks = [recommend_quant(PARAMETERS_7B, LLAMA2_7B, laptop(ram), 4096) for ram in (32, 12, 9, 7)]
    assert picks[0] == "Q8_0"
    assert None not in picks
    ranks = [ladder.index(q) for q in picks if q is not None]
    assert ranks == sorted(ranks) and ranks[-1] > ranks[0]
    assert recommend_quant(PARAMETERS_7B, LLAMA2_7B, laptop(3), 4096) is None
    assert estimate(LLAMA2_7B, 4096, laptop(32)).recommended_quant == "Q8_0"


def test_a_failed_gpu_load_retries_with_fewer_layers_then_the_cpu() -> None:
    tried: list[int] = []

    def loader(vram_layers: int) -> Callable[[int], str]:
        def load(layers: int) -> str:
            tried.append(layers)
            if layers > vram_layers:
                raise ValueError("Failed to load model from file")
            return f"model@{layers}"

        return load

    assert load_with_offload_fallback(loader(40), 32) == ("model@32", 32, "")
    tried.clear()
    model, layers, note = load_with_offload_fallback(loader(10), 32)
    assert (model, layers, tried) == ("model@8", 8, [32, 16, 8])
    assert "8" in note and "32" in note
    tried.clear()
    model, layers, note = load_with_offload_fallback(loader(0), 32)
    assert (model, layers, tried) == ("model@0", 0, [32, 16, 8, 0])
    assert note
    assert offload_attempts(-1) == [-1, 0]
    assert offload_attempts(0) == [0]
    with pytest.raises(ValueError):
        load_with_offload_fallback(loader(-1), 32)


def test_the_real_load_on_this_cpu_build_runs_on_the_cpu(tiny_gguf: Path) -> None:
    with LocalEngine() as engine:
        info = engine.load(str(tiny_gguf), LoadSettings(n_ctx=512, n_gpu_layers=8))
    assert (info.gpu_layers, info.load_note) == (0, "")


def test_a_model_decodes_with_one_thread_per_physical_core_by_default(tiny_gguf: Path) -> None:
    """llama-cpp-python's own default (`cpu_count() // 2`) used half the cores of a machine
    without SMT, at half the speed: the engine chooses instead."""
    import os

    import psutil

    from converters.cores import default_threads

    with LocalEngine() as engine:
        info = engine.load(str(tiny_gguf), LoadSettings(n_ctx=256))
    assert info.threads == default_threads()
    usable = len(os.sched_getaffinity(0))
    if psutil.cpu_count(logical=False) == psutil.cpu_count(logical=True):  # no SMT here
        assert info.threads == usable
    with LocalEngine() as engine:
        assert engine.load(str(tiny_gguf), LoadSettings(n_ctx=256, n_threads=1)).threads == 1


def test_the_default_threads_follow_the_cpus_this_process_may_use() -> None:
    import subprocess
    import sys

    code = (
        "import os; os.sched_setaffinity(0, {0}); "
        "from converters.cores import default_threads; print(default_threads())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "1", done.stderr
