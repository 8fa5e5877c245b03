"""The fit estimate (core/hardware.py) against the peak RSS of the real model process.

Random-weight GGUFs of real shapes are loaded by LocalEngine (the app's worker child),
which then reads a prompt filling most of the context and writes a few tokens, so that
the KV cache and the compute buffers are used as in a long conversation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from converters.synthetic import TINYLLAMA_1B
from vigogne_desktop.core import ChatFailed, LoadSettings, LocalEngine, SamplingParams
from vigogne_desktop.core.hardware import MiB, estimate, peak_rss, probe, shape_from_gguf

from .models import CACHE, SMALL, synthetic, tinyllama_q4_k_m
from .stats import machine, write

# fmt: off
WORDS = ["le", "la", "les", "un", "une", "des", "de", "du", "et", "est", "en", "que", "qui",
         "dans", "pour", "pas", "sur", "au", "avec", "ce"]
# fmt: on
FILL = 0.9  # share of the context the prompt takes


def measured_peak(path: Path, n_ctx: int, fill: float = FILL) -> tuple[int, int]:
    """(peak RSS in bytes, prompt tokens) of a LocalEngine child that loaded `path` at
    `n_ctx`, read a prompt of about `fill` of the context and wrote 8 tokens."""
    with LocalEngine() as engine:
        engine.load(str(path), LoadSettings(n_ctx=n_ctx, n_threads=2, seed=0))
        words = int(n_ctx * fill)
        while True:  # the template's own tokens count too: shorten until it fits
            text = " ".join(WORDS[i % len(WORDS)] for i in range(words))
            events = list(
                engine.chat(
                    [{"role": "user", "content": text}],
                    SamplingParams(temperature=0.0, max_tokens=8),
                )
            )
            if not isinstance(events[-1], ChatFailed):
                break
            words = int(words * 0.95)
        assert engine.pid is not None
        peak = peak_rss(engine.pid)
        assert peak is not None, "this system keeps no peak RSS"
        prompt_tokens = getattr(events[0], "prompt_tokens", 0)
        return peak, prompt_tokens


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="leave out the 1.1B Q8_0")
    args = parser.parse_args(argv)
    cases = [
        ("small (4 layers, 512 wide) Q4_K_M", synthetic(SMALL, "small", "Q4_K_M"), 4096),
        ("TinyLlama-1.1B shape Q4_K_M", tinyllama_q4_k_m(), 2048),
        ("TinyLlama-1.1B shape Q4_K_M", tinyllama_q4_k_m(), 4096),
    ]
    if not args.quick:
        cases.append(
            ("TinyLlama-1.1B shape Q8_0", synthetic(TINYLLAMA_1B, "tinyllama-1.1b", "Q8_0"), 4096)
        )
    here = probe(CACHE)
    results = []
    for label, path, n_ctx in cases:
        shape = shape_from_gguf(path)
        estimated = estimate(shape, n_ctx, here).ram_bytes
        peak, prompt_tokens = measured_peak(path, n_ctx)
        error = estimated / peak - 1
        print(
            f"{label} n_ctx {n_ctx}: estimate {estimated / MiB:.0f} MiB, "
            f"peak RSS {peak / MiB:.0f} MiB ({error:+.1%})",
            flush=True,
        )
        results.append(
            {
                "model": label,
                "file_mib": round(shape.file_size / MiB, 1),
                "n_ctx": n_ctx,
                "prompt_tokens": prompt_tokens,
                "estimate_mib": round(estimated / MiB, 1),
                "peak_rss_mib": round(peak / MiB, 1),
                "error": round(error, 4),
            }
        )
    data = {
        "title": "Fit estimate versus the model process's peak RSS",
        "setup": (
            "Random-weight GGUFs of real shapes, loaded by LocalEngine (2 threads, n_batch 512, "
            f"f16 KV cache), a prompt filling about {FILL:.0%} of the context, 8 tokens "
            "written; peak RSS is the child's VmHWM. Goal: within ±25 % (the issue's bar is "
            "the 1.1B Q4_K_M at n_ctx 4096)."
        ),
        "machine": machine(),
        "results": results,
    }
    write(
        "fit_accuracy",
        data,
        [
            (
                f"{r['model']}, n_ctx {r['n_ctx']} ({r['prompt_tokens']} prompt tokens)",
                f"estimate {r['estimate_mib']:.0f} MiB, peak RSS {r['peak_rss_mib']:.0f} MiB "
                f"({r['error']:+.1%})",
                "±25 %",
            )
            for r in results
        ],
    )


if __name__ == "__main__":
    main()
