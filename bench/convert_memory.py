"""vigogne-convert versus llama.cpp's own converter: peak memory and wall time.

A synthetic Llama-2-shaped checkpoint (≥ 2 GB of f16 safetensors, random weights) is
converted by both tools to each outtype, each run under /usr/bin/time -v (its maximum
resident set counts the file-backed pages of mapped weights too). Then the quantize step
(llama_model_quantize maps its input, so anonymous memory is what it adds) is sampled from
/proc/PID/status. Bound from the converter issue: peak ≤ 2 × the largest tensor in float32
+ 300 MB.

llama.cpp's converter needs torch: it runs with LLAMA_CPP_CONVERT_PYTHON (default
.venv-fixtures/bin/python, see scripts/make_fixtures.py) from the llama-cpp-python sdist,
downloaded once into bench/.cache/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from .models import CACHE
from .stats import machine, write

ROOT = Path(__file__).resolve().parents[1]
SHAPE = {"hidden": 4096, "ff": 11008, "heads": 32, "layers": 5, "vocab": 32000}
OUTTYPES = ["f32", "f16", "bf16", "q8_0"]


def synthetic_checkpoint(layers: int = SHAPE["layers"]) -> Path:
    """The Llama-2-shaped checkpoint with `layers` blocks, built once into the cache."""
    suffix = "" if layers == SHAPE["layers"] else f"-{layers}l"
    folder = CACHE / f"llama2-shaped-f16{suffix}"
    if (folder / "config.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "llama" / "tokenizer.model", folder)
    shutil.copy(ROOT / "tests" / "fixtures" / "llama" / "tokenizer_config.json", folder)
    h, ff, vocab = SHAPE["hidden"], SHAPE["ff"], SHAPE["vocab"]
    rng = np.random.default_rng(0)

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)

    index: dict[str, str] = {}
    for shard in range(layers + 1):
        tensors: dict[str, np.ndarray] = {}
        if shard == layers:
            tensors = {
                "model.embed_tokens.weight": rand(vocab, h),
                "lm_head.weight": rand(vocab, h),
                "model.norm.weight": np.ones(h, np.float16),
            }
        else:
            p = f"model.layers.{shard}."
            for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
                tensors[p + f"self_attn.{name}.weight"] = rand(h, h)
            tensors[p + "mlp.gate_proj.weight"] = rand(ff, h)
            tensors[p + "mlp.up_proj.weight"] = rand(ff, h)
            tensors[p + "mlp.down_proj.weight"] = rand(h, ff)
            tensors[p + "input_layernorm.weight"] = np.ones(h, np.float16)
            tensors[p + "post_attention_layernorm.weight"] = np.ones(h, np.float16)
        name = f"model-{shard + 1:05d}-of-{layers + 1:05d}.safetensors"
        save_file(tensors, folder / name)
        index |= {t: name for t in tensors}
        del tensors
    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": index}))
    (folder / "config.json").write_text(
        json.dumps(
            {
                "architectures": ["LlamaForCausalLM"],
                "model_type": "llama",
                "hidden_size": h,
                "intermediate_size": ff,
                "num_attention_heads": SHAPE["heads"],
                "num_key_value_heads": SHAPE["heads"],
                "num_hidden_layers": layers,
                "vocab_size": vocab,
                "max_position_embeddings": 4096,
                "rms_norm_eps": 1e-5,
                "torch_dtype": "float16",
                "tie_word_embeddings": False,
            }
        )
    )
    return folder


def llama_cpp_converter() -> Path | None:
    folder = CACHE / "llama_cpp_python-0.3.36" / "vendor" / "llama.cpp"
    if folder.exists():
        return folder
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "llama-cpp-python==0.3.36",
            "-d",
            str(CACHE),
        ],
        check=True,
    )
    with tarfile.open(CACHE / "llama_cpp_python-0.3.36.tar.gz") as archive:
        archive.extractall(CACHE, filter="data")
    return folder if folder.exists() else None


def timed(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) from /usr/bin/time -v."""
    started = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env, cwd=cwd
    )
    wall = time.perf_counter() - started
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    if result.returncode != 0:
        print(result.stderr[-2000:], file=sys.stderr)
    return wall, int(found.group(1)) / 1024 if found else float("nan"), result.returncode


def quantize_peak_anon(source: Path, target: Path) -> tuple[float, float]:
    """Run our quantize step alone and sample its RssAnon (MB) every 20 ms."""
    code = (
        "import sys; from pathlib import Path; from converters.quantize import quantize; "
        "quantize(Path(sys.argv[1]), Path(sys.argv[2]), 'Q4_K_M')"
    )
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, str(source), str(target)])
    peak = 0.0

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except FileNotFoundError:
                break
            if found := re.search(r"RssAnon:\s+(\d+) kB", status):
                peak = max(peak, int(found.group(1)) / 1024)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    sampler.join()
    return time.perf_counter() - started, peak


def main() -> None:
    checkpoint = synthetic_checkpoint()
    largest_f32_mb = SHAPE["vocab"] * SHAPE["hidden"] * 4 / 2**20
    bound = 2 * largest_f32_mb + 300
    size_gb = sum(f.stat().st_size for f in checkpoint.glob("*.safetensors")) / 1e9
    out = CACHE / "out"
    out.mkdir(exist_ok=True)
    peer_python = os.environ.get(
        "LLAMA_CPP_CONVERT_PYTHON", str(ROOT / ".venv-fixtures/bin/python")
    )
    peer = llama_cpp_converter() if Path(peer_python).exists() else None
    results: dict[str, dict[str, float]] = {}
    rows = []
    for outtype in OUTTYPES:
        target = out / f"ours.{outtype}.gguf"
        ours = timed(
            [
                sys.executable,
                "-m",
                "converters.cli",
                str(checkpoint),
                "-o",
                str(target),
                "--outtype",
                outtype,
                "--force",
            ]
        )
        entry = {"ours_s": ours[0], "ours_peak_mb": ours[1]}
        peer_text = "not run (no torch interpreter)"
        if peer is not None:
            env = dict(os.environ, PYTHONPATH=str(peer / "gguf-py"))
            theirs = timed(
                [
                    peer_python,
                    str(peer / "convert_hf_to_gguf.py"),
                    str(checkpoint),
                    "--outfile",
                    str(out / f"peer.{outtype}.gguf"),
                    "--outtype",
                    outtype,
                ],
                env=env,
                cwd=peer,
            )
            entry |= {"peer_s": theirs[0], "peer_peak_mb": theirs[1], "peer_exit": theirs[2]}
            peer_text = (
                f"{theirs[0]:.1f} s, {theirs[1]:.0f} MB"
                if theirs[2] == 0
                else f"failed (exit {theirs[2]})"
            )
            (out / f"peer.{outtype}.gguf").unlink(missing_ok=True)
        results[outtype] = entry
        print(outtype, entry, flush=True)
        rows.append(
            (
                f"convert → {outtype}: vigogne-convert",
                f"{ours[0]:.1f} s, {ours[1]:.0f} MB",
                f"≤ {bound:.0f} MB",
            )
        )
        rows.append((f"convert → {outtype}: llama.cpp converter", peer_text, ""))
        if outtype != "f16":
            target.unlink(missing_ok=True)
    q_wall, q_anon = quantize_peak_anon(out / "ours.f16.gguf", out / "ours.Q4_K_M.gguf")
    rows.append(
        (
            "quantize f16 → Q4_K_M (llama_model_quantize)",
            f"{q_wall:.1f} s, peak RssAnon {q_anon:.0f} MB",
            f"≤ {bound:.0f} MB",
        )
    )
    for leftover in out.glob("*.gguf"):
        leftover.unlink()
    write(
        "convert_memory",
        {
            "title": "vigogne-convert versus llama.cpp's converter",
            "setup": (
                f"Synthetic Llama-2-shaped checkpoint: {SHAPE['layers']} layers, hidden "
                f"{SHAPE['hidden']}, vocab {SHAPE['vocab']}, {size_gb:.2f} GB of f16 "
                f"safetensors in shards. Largest tensor in float32: {largest_f32_mb:.0f} MB, "
                f"so the bound is {bound:.0f} MB. Peak RSS from /usr/bin/time -v."
            ),
            "machine": machine(),
            "bound_mb": bound,
            "results": results,
            "quantize": {"seconds": q_wall, "peak_rss_anon_mb": q_anon},
        },
        rows,
    )


if __name__ == "__main__":
    main()
