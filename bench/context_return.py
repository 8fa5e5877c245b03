"""Going back to a recent conversation: the first token with the app's kept states (its
default) against the same engine keeping none (what it did before, one KV cache).

One conversation of about 1,200 tokens (TinyLlama-1.1B shape, Q4_K_M), then another, then
back to the first with its reply and a new question: the time from the request to the first
token of that last reply is what the user waits. Pairs alternate the two engines.
"""

from __future__ import annotations

import argparse
import time

from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.protocol import ChatStarted, LoadSettings, SamplingParams, TextChunk

from .models import tinyllama_q4_k_m
from .stats import machine, spread, summary, write

EOS_ID = 2
REPLY = SamplingParams(temperature=0.0, max_tokens=8, logit_bias={EOS_ID: -100.0})


def history(topic: str, rounds: int) -> list[dict[str, str]]:
    """About 280 tokens a round of French text on `topic`."""
    messages: list[dict[str, str]] = []
    for n in range(rounds):
        messages.append(
            {
                "role": "user",
                "content": f"Parle-moi encore de {topic}, point {n} : "
                + "pourquoi est-ce important, et comment le vérifier chez soi ? " * 3,
            }
        )
        messages.append(
            {
                "role": "assistant",
                "content": f"Sur {topic}, le point {n} tient en trois idées simples. " * 5,
            }
        )
    return messages


def ask(engine: LocalEngine, messages: list[dict[str, str]]) -> tuple[float, str, ChatStarted]:
    """(seconds to the first token, the reply, the started event)."""
    started = time.perf_counter()
    first = 0.0
    text, event = [], None
    for item in engine.chat(messages, REPLY):
        if isinstance(item, ChatStarted):
            event = item
        elif isinstance(item, TextChunk):
            first = first or time.perf_counter()
            text.append(item.text)
    assert event is not None
    return first - started, "".join(text), event


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of history (~280 tokens)")
    args = parser.parse_args(argv)
    model = str(tinyllama_q4_k_m())
    engines = {}
    for side, budget in (("kept", None), ("none", 0)):
        engines[side] = LocalEngine()
        engines[side].load(model, LoadSettings(n_ctx=2048, context_cache_mb=budget))

    waits: dict[str, list[float]] = {"kept": [], "none": []}
    first_read: list[float] = []
    restore_s: list[float] = []
    prompt_tokens = 0
    for pair in range(args.pairs):
        for side in ("kept", "none") if pair % 2 == 0 else ("none", "kept"):
            engine = engines[side]
            first = history(f"la conversation {pair}", args.rounds)
            other = history(f"un autre sujet {pair}", args.rounds)
            question = {"role": "user", "content": "Résume tout cela en une phrase."}
            cold, reply, _ = ask(engine, [*first, question])
            ask(engine, [*other, question])
            back = [*first, question, {"role": "assistant", "content": reply}, question]
            wait, _, started = ask(engine, back)
            waits[side].append(wait)
            prompt_tokens = started.prompt_tokens
            if side == "kept":
                first_read.append(cold)
                restore_s.append(started.restore_seconds)
            print(
                f"pair {pair + 1} {side}: first read {cold:.2f} s, back {wait:.2f} s, "
                f"restored {started.restored_tokens} of {started.prompt_tokens} tokens",
                flush=True,
            )
    for engine in engines.values():
        engine.close()

    ratio = summary([n / k for k, n in zip(waits["kept"], waits["none"], strict=True)])
    data = {
        "title": "Back to a recent conversation: first token with kept states, and without",
        "setup": (
            f"TinyLlama-1.1B-shaped Q4_K_M (random weights), n_ctx 2048, a conversation of "
            f"{prompt_tokens} tokens returned to after another one, {args.pairs} alternated "
            "pairs, threads on the app's default. Reproduce: "
            f"`python -m bench context --pairs {args.pairs} --rounds {args.rounds}`."
        ),
        "machine": machine(),
        "prompt_tokens": prompt_tokens,
        "first_token_back_seconds": {side: summary(v) for side, v in waits.items()},
        "first_read_seconds": summary(first_read),
        "restore_seconds": summary(restore_s),
        "speedup": ratio,
    }

    write(
        "context_return",
        data,
        [
            (
                "first token, back to the conversation (kept)",
                spread(summary(waits["kept"]), " s", 2),
                "≤ 3 s",
            ),
            (
                "first token, back to the conversation (none kept)",
                spread(summary(waits["none"]), " s", 2),
                "",
            ),
            ("the conversation's first read", spread(summary(first_read), " s", 2), ""),
            ("state put back in", spread(summary(restore_s), " s", 3), ""),
            ("speed-up", spread(ratio, "×", 1), ""),
        ],
    )


if __name__ == "__main__":
    main()
