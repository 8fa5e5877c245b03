"""What measuring a quantization costs: `converters.quality.measure` (the Q4_K_M and its
reference each run over the shipped French text, logits kept, KL computed) in seconds per
100 scored tokens, beside its peer: reading the same windows once with the Q4_K_M alone
(no logits kept), the least any perplexity needs.

1.1B shape by default (TinyLlama's, random weights; reference: the same weights in f16).
`--7b`: the Llama-2-7B-shaped Q4_K_M of bench/models, measured against ITSELF, since an f16
7B reference is a 13 GB file this benchmark does not make: a lower bound (an f16 reference
reads ~3.5× the bytes per token). `--small`: the small shape, to check the benchmark runs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from converters.quality import DEFAULT_N_BATCH, DEFAULT_N_CTX, measure, reference_text, windows
from converters.synthetic import TINYLLAMA_1B, LlamaShape

from . import models
from .stats import machine, spread, summary, write


def read_once(model: Path, threads: int) -> float:
    """Seconds to evaluate the text's measurement windows once with `model` alone."""
    import llama_cpp

    llama = llama_cpp.Llama(
        str(model),
        n_ctx=DEFAULT_N_CTX,
        n_batch=DEFAULT_N_BATCH,
        n_ubatch=DEFAULT_N_BATCH,
        n_threads=threads,
        verbose=False,
    )
    try:
        started = time.perf_counter()
        tokens = llama.tokenize(reference_text().encode("utf-8"), add_bos=True)
        n_ctx = min(DEFAULT_N_CTX, len(tokens))
        for start, _ in windows(len(tokens), n_ctx):
            llama.reset()
            llama.eval(tokens[start : start + n_ctx])
        return time.perf_counter() - started
    finally:
        llama.close()


def _files(size: str) -> tuple[Path, Path, str]:
    """(quantized, reference, label)."""
    if size == "7b":
        q4 = models.llama2_7b_q4_k_m()
        return q4, q4, "Llama-2-7B shape, Q4_K_M against itself (no f16 reference made)"
    shape: LlamaShape = models.SMALL if size == "small" else TINYLLAMA_1B
    name = "small" if size == "small" else "tinyllama-1.1b"
    label = f"{'small' if size == 'small' else 'TinyLlama-1.1B'} shape, Q4_K_M against f16"
    return models.synthetic(shape, name, "Q4_K_M"), models.synthetic(shape, name, "F16"), label


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=4, help="alternated pairs (default 4)")
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--7b", dest="size", action="store_const", const="7b")
    sizes.add_argument("--small", dest="size", action="store_const", const="small")
    args = parser.parse_args(argv)
    # The measurement on its defaults, as a user gets it; the peer tuned: one thread per core.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    size = "small" if models.SMOKE else args.size or "1.1b"
    quantized, reference, label = _files(size)
    measured: list[float] = []
    once: list[float] = []
    tokens = 0
    for pair in range(args.pairs):
        for side in ("measure", "once") if pair % 2 == 0 else ("once", "measure"):
            if side == "once":
                once.append(read_once(quantized, cores or 1))
                continue
            started = time.perf_counter()
            report = measure(quantized, reference)
            measured.append(time.perf_counter() - started)
            tokens = report.tokens
        print(f"pair {pair + 1}: measure {measured[-1]:.2f} s, once {once[-1]:.2f} s", flush=True)
    per_100 = summary([s / tokens * 100 for s in measured])
    once_100 = summary([s / tokens * 100 for s in once])
    ratio = summary([m / o for m, o in zip(measured, once, strict=True)])
    suffix = "" if size == "1.1b" else f"_{size}"
    command = (
        "python -m bench quality-cost" + {"1.1b": "", "7b": " --7b", "small": " --small"}[size]
    )
    write(
        f"quality_cost{suffix}",
        {
            "title": f"Cost of the quality measurement ({label})",
            "setup": f"`{command} --pairs {args.pairs}`: converters.quality.measure on its "
            f"defaults, on the shipped French text ({tokens} tokens scored, n_ctx "
            f"{DEFAULT_N_CTX}, batches of {DEFAULT_N_BATCH}), against reading the same windows "
            f"once with the quantized model ({cores} threads, one per core); {args.pairs} "
            "alternated pairs, median (min–max).",
            "machine": machine(),
            "tokens": tokens,
            "measure_s_per_100_tokens": per_100,
            "read_once_s_per_100_tokens": once_100,
            "ratio": ratio,
        },
        [
            ("measurement, s per 100 scored tokens", spread(per_100, " s", 2), ""),
            ("peer: reading the text once, s per 100 scored tokens", spread(once_100, " s", 2), ""),
            ("measurement / reading once", spread(ratio, "×", 2), "≈ 2× + the reference's cost"),
        ],
    )


if __name__ == "__main__":
    main()
