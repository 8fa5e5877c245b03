"""HF checkpoint → Q4_K_M GGUF end to end: `vigogne-convert --quant Q4_K_M` against llama.cpp's
two steps (convert_hf_to_gguf.py to f16, then its quantizer). Goal from issue 12: ≤ 0.8×.

Ours is one command on its defaults (no --threads), timed from outside; `--json` only makes
its progress readable, to split its time into convert and quantize. The peer's quantize step
is `llama_model_quantize` of the same llama-cpp-python library, with nthread = the number of
cores (a llama-quantize binary built from the sdist's vendored llama.cpp would be the same
code under other compiler flags, so it would measure the build, not the pipeline, and cost a
long compile). Both sides use the synthetic Llama-2-shaped checkpoint of convert_memory, the
peer's converter with its torch interpreter (LLAMA_CPP_CONVERT_PYTHON); pairs alternate which
side goes first, every step under /usr/bin/time -v for its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .convert_memory import ROOT, SHAPE, llama_cpp_converter, synthetic_checkpoint, timed
from .models import CACHE
from .stats import machine, spread, summary, write

GOAL = 0.8
QUANT = "Q4_K_M"
# The peer's second step, as llama.cpp's own `llama-quantize F16 OUT Q4_K_M N` does it.
PEER_QUANTIZE = (
    "import ctypes, sys, llama_cpp\n"
    "params = llama_cpp.llama_model_quantize_default_params()\n"
    f"params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_{QUANT}\n"
    "params.nthread = int(sys.argv[3])\n"
    "sys.exit(llama_cpp.llama_model_quantize("
    "sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params)))\n"
)


@dataclass(frozen=True)
class Run:
    """One side's end-to-end run: wall seconds split into its two steps, peak RSS of each."""

    total_s: float
    convert_s: float
    quantize_s: float
    convert_peak_mb: float
    quantize_peak_mb: float
    size_mb: float


def ours(checkpoint: Path, target: Path) -> Run:
    """`vigogne-convert CHECKPOINT -o TARGET --quant Q4_K_M`, split where the last tensor is
    written to the intermediate file (its final `convert` progress event)."""
    command = [sys.executable, "-m", "converters.cli", str(checkpoint), "-o", str(target)]
    command += ["--quant", QUANT, "--force", "--json"]
    started = time.perf_counter()
    process = subprocess.Popen(
        ["/usr/bin/time", "-v", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    converted, report = float("nan"), []
    for line in process.stdout:
        report.append(line)
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if event.get("phase") == "convert" and event["tensor"] == event["tensors"]:
            converted = time.perf_counter() - started
    process.wait()
    total = time.perf_counter() - started
    if process.returncode != 0:
        print("".join(report[-40:]), file=sys.stderr)
        raise SystemExit(f"vigogne-convert failed (exit {process.returncode})")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", "".join(report))
    peak = int(found.group(1)) / 1024 if found else float("nan")
    # One process does both steps: its peak RSS is the peak of both.
    return Run(total, converted, total - converted, peak, peak, target.stat().st_size / 2**20)


def peer(converter: Path, python: str, checkpoint: Path, target: Path) -> Run:
    """llama.cpp's two commands: convert_hf_to_gguf.py to f16, then quantize to Q4_K_M."""
    f16 = target.with_name(target.stem + ".f16.gguf")
    env = dict(os.environ, PYTHONPATH=str(converter / "gguf-py"))
    script = str(converter / "convert_hf_to_gguf.py")
    command = [python, script, str(checkpoint), "--outfile", str(f16), "--outtype", "f16"]
    convert_s, convert_peak, code = timed(command, env=env, cwd=converter)
    if code != 0:
        raise SystemExit(f"llama.cpp's converter failed (exit {code})")
    threads = str(os.cpu_count() or 1)
    quantize_command = [sys.executable, "-c", PEER_QUANTIZE, str(f16), str(target), threads]
    quantize_s, quantize_peak, code = timed(quantize_command)
    f16.unlink()
    if code != 0:
        raise SystemExit(f"llama_model_quantize failed (exit {code})")
    size = target.stat().st_size / 2**20
    return Run(convert_s + quantize_s, convert_s, quantize_s, convert_peak, quantize_peak, size)


def _warm(checkpoint: Path) -> None:
    """Read the checkpoint once so that neither side pays for the cold disk alone."""
    for shard in checkpoint.glob("*.safetensors"):
        with shard.open("rb") as stream:
            while stream.read(1 << 24):
                pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument(
        "--layers", type=int, default=SHAPE["layers"], help="blocks of the synthetic checkpoint"
    )
    args = parser.parse_args(argv)
    python = os.environ.get("LLAMA_CPP_CONVERT_PYTHON", str(ROOT / ".venv-fixtures/bin/python"))
    if not Path(python).exists():
        raise SystemExit(f"llama.cpp's converter needs torch: no {python} (make_fixtures.py)")
    converter = llama_cpp_converter()
    if converter is None:
        raise SystemExit("llama.cpp's converter was not found in the llama-cpp-python sdist")
    checkpoint = synthetic_checkpoint(args.layers)
    size_gb = sum(f.stat().st_size for f in checkpoint.glob("*.safetensors")) / 1e9
    out = CACHE / "out"
    out.mkdir(exist_ok=True)
    _warm(checkpoint)
    runs: dict[str, list[Run]] = {"ours": [], "peer": []}
    for pair in range(args.pairs):
        order = ["ours", "peer"] if pair % 2 == 0 else ["peer", "ours"]
        for side in order:
            target = out / f"{side}.{QUANT}.gguf"
            run = (
                ours(checkpoint, target)
                if side == "ours"
                else peer(converter, python, checkpoint, target)
            )
            target.unlink()
            runs[side].append(run)
            print(f"pair {pair + 1} {side}: {run}", flush=True)
    ratios = [o.total_s / p.total_s for o, p in zip(runs["ours"], runs["peer"], strict=True)]
    field = {
        side: {k: summary([asdict(r)[k] for r in rs]) for k in asdict(rs[0])}
        for side, rs in runs.items()
    }
    mine, theirs, ratio = field["ours"], field["peer"], summary(ratios)
    quantizer_share = theirs["quantize_s"]["median"] / theirs["total_s"]["median"]
    met = "met" if ratio["median"] <= GOAL else "missed"
    ours_peak = mine["convert_peak_mb"]["median"]
    rows = [
        (
            f"HF → {QUANT}: vigogne-convert (one command)",
            f"{spread(mine['total_s'], ' s', 1)}, peak {ours_peak:.0f} MB",
            "",
        ),
        (
            "… of which convert to f16 / quantize",
            f"{mine['convert_s']['median']:.1f} s / {mine['quantize_s']['median']:.1f} s",
            "",
        ),
        (
            f"HF → {QUANT}: llama.cpp (convert_hf_to_gguf.py f16 + llama_model_quantize, "
            f"nthread {os.cpu_count()})",
            spread(theirs["total_s"], " s", 1),
            "",
        ),
        (
            "… of which convert to f16 / quantize",
            f"{theirs['convert_s']['median']:.1f} s, {theirs['convert_peak_mb']['median']:.0f} MB"
            f" / {theirs['quantize_s']['median']:.1f} s, "
            f"{theirs['quantize_peak_mb']['median']:.0f} MB",
            "",
        ),
        (f"time, vigogne-convert / llama.cpp ({met})", spread(ratio, "×", 2), f"≤ {GOAL}×"),
        (
            "llama.cpp's time in the quantizer both sides share (the best ratio a free "
            "convert would give)",
            f"{quantizer_share:.2f}×",
            "",
        ),
    ]
    write(
        "convert_quantize",
        {
            "title": f"HF checkpoint → {QUANT} GGUF: vigogne-convert versus llama.cpp's two steps",
            "setup": (
                f"Synthetic Llama-2-shaped checkpoint: {args.layers} layers, hidden "
                f"{SHAPE['hidden']}, vocab {SHAPE['vocab']}, {size_gb:.2f} GB of f16 safetensors. "
                f"{args.pairs} alternated pairs, median (min, max); peak RSS from "
                f"/usr/bin/time -v. Reproduce: `python -m bench convert-quantize --layers "
                f"{args.layers} --pairs {args.pairs}`."
            ),
            "machine": machine(),
            "goal": GOAL,
            "ratio": ratio,
            "ours": mine,
            "peer": theirs,
            "runs": {side: [asdict(r) for r in rs] for side, rs in runs.items()},
        },
        rows,
    )


if __name__ == "__main__":
    main()
