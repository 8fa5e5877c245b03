"""LocalEngine (worker child, JSON lines on stdio) versus llama-cpp-python in one process.

Same GGUF (TinyLlama-1.1B shape, Q4_K_M, random weights), same prompt, greedy, EOS pushed
down by logit bias so both write exactly the same number of tokens. The two sides
alternate after a warm-up; each side is timed where its caller sees the text.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable

from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from converters.templates import FORMATS
from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.protocol import LoadSettings, SamplingParams, TextChunk

from .models import tinyllama_q4_k_m
from .stats import machine, spread, summary, write

QUESTION = [{"role": "user", "content": "Quelle est la capitale de la France ? Réponds en détail."}]
EOS_ID = 2


def timed(chunks: Iterable[str], started: float) -> tuple[float, float]:
    """(time to first text, tokens/s between first and last text) as the caller sees them."""
    stamps = [time.perf_counter() for _ in chunks]
    first, last = stamps[0], stamps[-1]
    return first - started, (len(stamps) - 1) / (last - first)


def raw_chunks(llm: Llama, tokens: int) -> Iterable[str]:
    for chunk in llm.create_chat_completion(
        QUESTION,
        stream=True,
        temperature=0.0,
        top_k=0,
        top_p=1.0,
        min_p=0.0,
        repeat_penalty=1.1,
        max_tokens=tokens,
        stop=list(FORMATS["chat-v2"].stop),
        logit_bias={EOS_ID: -100.0},
    ):
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            yield text


def engine_chunks(engine: LocalEngine, tokens: int) -> Iterable[str]:
    params = SamplingParams(temperature=0.0, max_tokens=tokens, logit_bias={EOS_ID: -100.0})
    for event in engine.chat(QUESTION, params):
        if isinstance(event, TextChunk):
            yield event.text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    model = str(tinyllama_q4_k_m())
    settings = LoadSettings(n_ctx=2048, n_threads=args.threads, seed=0)

    # Load time: a fresh in-process Llama versus a fresh LocalEngine (child start included),
    # alternated.
    load_raw, load_engine, load_warm = [], [], []
    for _ in range(3):
        started = time.perf_counter()
        Llama(model, n_ctx=2048, n_threads=args.threads, verbose=False).close()
        load_raw.append(time.perf_counter() - started)
        engine = LocalEngine()
        started = time.perf_counter()
        engine.load(model, settings)
        load_engine.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.load(model, settings)  # the child is already running: llama.cpp's load only
        load_warm.append(time.perf_counter() - started)
        engine.close()

    llm = Llama(model, n_ctx=2048, n_threads=args.threads, verbose=False)
    llm.chat_handler = Jinja2ChatFormatter(
        FORMATS["chat-v2"].template, eos_token="</s>", bos_token="<s>", stop_token_ids=[EOS_ID]
    ).to_chat_handler()
    engine = LocalEngine()
    engine.load(model, settings)

    # Warm-up, then alternated pairs; the order inside a pair flips each time.
    timed(raw_chunks(llm, 16), time.perf_counter())
    timed(engine_chunks(engine, 16), time.perf_counter())
    speed_ratio, ttft_overhead_ms, raw_speed, engine_speed = [], [], [], []
    for pair in range(args.pairs):
        results = {}
        for side in ("raw", "engine") if pair % 2 == 0 else ("engine", "raw"):
            # Same prompt every time: llama.cpp reuses its cache on both sides alike.
            started = time.perf_counter()
            chunks = (
                raw_chunks(llm, args.tokens)
                if side == "raw"
                else engine_chunks(engine, args.tokens)
            )
            results[side] = timed(chunks, started)
        raw_speed.append(results["raw"][1])
        engine_speed.append(results["engine"][1])
        speed_ratio.append(results["engine"][1] / results["raw"][1])
        ttft_overhead_ms.append((results["engine"][0] - results["raw"][0]) * 1000)
        print(
            f"pair {pair + 1}: raw {results['raw'][1]:.1f} tok/s, engine "
            f"{results['engine'][1]:.1f} tok/s, ratio {speed_ratio[-1]:.3f}",
            flush=True,
        )

    # Cancel latency: from cancel() to the end of the caller's stream.
    cancel_ms = []
    for _ in range(5):
        params = SamplingParams(temperature=0.0, max_tokens=1000, logit_bias={EOS_ID: -100.0})
        seen = 0
        asked = 0.0
        for event in engine.chat(QUESTION, params):
            if isinstance(event, TextChunk):
                seen += 1
                if seen == 10:
                    asked = time.perf_counter()
                    engine.cancel()
        cancel_ms.append((time.perf_counter() - asked) * 1000)
    engine.close()
    llm.close()

    ratio = summary(speed_ratio)
    ttft = summary(ttft_overhead_ms)
    load_ratio = summary([e / r for e, r in zip(load_engine, load_raw, strict=True)])
    warm_ratio = summary([e / r for e, r in zip(load_warm, load_raw, strict=True)])
    cancel = summary(cancel_ms)
    data = {
        "title": "LocalEngine versus llama-cpp-python in process",
        "setup": (
            f"TinyLlama-1.1B-shaped Q4_K_M (random weights), {args.threads} threads, "
            f"{args.tokens} tokens greedy, {args.pairs} alternated pairs after a warm-up."
        ),
        "machine": machine(),
        "tokens_per_second": {"raw": summary(raw_speed), "engine": summary(engine_speed)},
        "speed_ratio": ratio,
        "first_token_overhead_ms": ttft,
        "load_seconds": {
            "raw": summary(load_raw),
            "engine_cold": summary(load_engine),
            "engine_warm": summary(load_warm),
        },
        "load_ratio_cold": load_ratio,
        "load_ratio_warm": warm_ratio,
        "cancel_ms": cancel,
    }

    write(
        "engine_throughput",
        data,
        [
            ("tokens/s ratio engine / raw", spread(ratio), "≥ 0.97"),
            ("raw tokens/s", spread(summary(raw_speed), digits=1), ""),
            ("engine tokens/s", spread(summary(engine_speed), digits=1), ""),
            ("time to first token overhead", spread(ttft, " ms", 1), "≤ 30 ms"),
            ("load time ratio (child already running)", spread(warm_ratio), "≤ 1.10"),
            ("load time ratio (child started too)", spread(load_ratio), ""),
            ("cancel → stream ended", spread(cancel, " ms", 1), "≤ 200 ms"),
        ],
    )


if __name__ == "__main__":
    main()
