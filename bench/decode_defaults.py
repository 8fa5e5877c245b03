"""Decode speed as a user gets it: `vigogne-desktop chat` on its defaults against raw
llama-cpp-python tuned for this machine, both timed from outside.

Each side is a process of its own writing the reply to stdout as it comes; the bench reads
the pipe and times the reply from its first byte to its last (the decode a user watches),
and from the start of the process to the first byte (start, load and prompt). Same GGUF
(TinyLlama-1.1B shape, Q4_K_M, random weights), same prompt text, greedy. The peer is given
one thread per core, the fastest setting here; the app is given nothing: its defaults are
what is measured. Pairs alternate, the order flipping each time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from vigogne_desktop.core.prompts import SpecialTokens, build_prompt, resolve_format
from vigogne_desktop.core.protocol import SamplingParams

from .models import llama2_7b_q4_k_m, tinyllama_q4_k_m
from .stats import machine, spread, summary, write

QUESTION = "Quelle est la capitale de la France ? Réponds en détail."
SYSTEM = "Tu es Vigogne, un assistant qui répond en français."

# The peer: llama-cpp-python as its documentation shows it, tuned (threads) for the machine.
PEER = """
import sys
from llama_cpp import Llama
model, prompt, tokens, threads, penalty = sys.argv[1:6]
llm = Llama(model, n_ctx=2048, n_threads=int(threads), n_threads_batch=int(threads),
            verbose=False)
tokens_in = llm.tokenize(prompt.encode(), add_bos=False, special=True)  # BOS is in the text
for chunk in llm(tokens_in, max_tokens=int(tokens), temperature=0.0, repeat_penalty=float(penalty),
                 stop=sys.argv[6:], stream=True):
    sys.stdout.write(chunk["choices"][0]["text"])
    sys.stdout.flush()
"""


# --shape: (what the model is, how it is made, the result's name, the goal).
SHAPES = {
    "1.1b": ("TinyLlama-1.1B-shaped Q4_K_M", tinyllama_q4_k_m, "decode_defaults", "≥ 0.97"),
    "7b": ("Llama-2-7B-shaped Q4_K_M (4.1 GB)", llama2_7b_q4_k_m, "decode_defaults_7b", "≥ 0.99"),
}


@dataclass
class Run:
    text: str
    to_first_byte_s: float  # process start → first byte of the reply
    decode_s: float  # first byte → last byte

    @property
    def chars_per_second(self) -> float:
        return len(self.text) / self.decode_s if self.decode_s > 0 else 0.0


def timed(command: list[str]) -> Run:
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    chunks: list[bytes] = []
    first = last = 0.0
    while True:
        data = os.read(child.stdout.fileno(), 65536)
        if not data:
            break
        last = time.perf_counter()
        first = first or last
        chunks.append(data)
    code = child.wait()
    if code != 0 or not chunks:
        raise RuntimeError(f"{command[0]} … ended with {code} and {len(chunks)} chunks")
    return Run(b"".join(chunks).decode("utf-8", "replace"), first - started, last - first)


def prompt_text() -> tuple[str, list[str]]:
    """The text the app sends llama.cpp for this question, and its stop strings."""
    choice = resolve_format("chat-v2")
    prompt = build_prompt(
        choice,
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
        SpecialTokens(bos="<s>", eos="</s>"),
    )
    return prompt.text, list(prompt.stop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1.1b")
    args = parser.parse_args(argv)
    label, make_model, name, goal = SHAPES[args.shape]
    model = str(make_model())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text, stop = prompt_text()
    penalty = SamplingParams().repeat_penalty
    app = Path(sys.executable).with_name("vigogne-desktop")
    app_command = [
        str(app) if app.exists() else sys.executable,
        *([] if app.exists() else ["-m", "vigogne_desktop"]),
        "chat",
        model,
        QUESTION,
        "--system",
        SYSTEM,
        "--format",
        "chat-v2",
        "--temperature",
        "0",
        "--max-tokens",
        str(args.tokens),
    ]
    peer_command = [sys.executable, "-c", PEER, model, text, str(args.tokens), str(cores)]
    peer_command += [str(penalty), *stop]

    timed(app_command)  # warm-up: the file in the page cache for both
    ratios, start_ratios, same_text = [], [], []
    app_runs: list[Run] = []
    peer_runs: list[Run] = []
    for pair in range(args.pairs):
        order = ("peer", "app") if pair % 2 == 0 else ("app", "peer")
        runs = {side: timed(peer_command if side == "peer" else app_command) for side in order}
        app_runs.append(runs["app"])
        peer_runs.append(runs["peer"])
        ratios.append(runs["app"].chars_per_second / runs["peer"].chars_per_second)
        start_ratios.append(runs["app"].to_first_byte_s / runs["peer"].to_first_byte_s)
        same_text.append(runs["app"].text.strip() == runs["peer"].text.strip())
        print(
            f"pair {pair + 1}: peer {runs['peer'].decode_s:.2f} s, app "
            f"{runs['app'].decode_s:.2f} s, ratio {ratios[-1]:.3f}, same text {same_text[-1]}",
            flush=True,
        )

    ratio, start = summary(ratios), summary(start_ratios)
    data = {
        "title": (
            "Decode on the app's defaults, from outside, against tuned llama-cpp-python"
            + (", Llama-2-7B shape" if args.shape == "7b" else "")
        ),
        "setup": (
            f"{label} (random weights), {args.tokens} tokens greedy, "
            f"{args.pairs} alternated pairs after a warm-up; the peer with {cores} threads "
            "(one per core), the app with no thread setting. Reproduce: "
            f"`python -m bench decode --pairs {args.pairs} --tokens {args.tokens}"
            f"{' --shape 7b' if args.shape == '7b' else ''}`."
        ),
        "machine": machine(),
        "decode_speed_ratio": ratio,
        "start_to_first_byte_ratio": start,
        "decode_seconds": {
            "app": summary([r.decode_s for r in app_runs]),
            "peer": summary([r.decode_s for r in peer_runs]),
        },
        "start_to_first_byte_seconds": {
            "app": summary([r.to_first_byte_s for r in app_runs]),
            "peer": summary([r.to_first_byte_s for r in peer_runs]),
        },
        "same_text_every_pair": all(same_text),
    }

    write(
        name,
        data,
        [
            ("decode speed, app on defaults / peer tuned", spread(ratio), goal),
            ("peer decode", spread(data["decode_seconds"]["peer"], " s", 2), ""),
            ("app decode", spread(data["decode_seconds"]["app"], " s", 2), ""),
            ("start → first byte, app / peer", spread(start), ""),
            ("same reply text in every pair", str(all(same_text)), "True"),
        ],
    )


def main_7b(argv: list[str] | None = None) -> None:
    """`python -m bench decode-7b`: the same at the Llama-2-7B shape (goal ≥ 0.99)."""
    main(["--shape", "7b", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
