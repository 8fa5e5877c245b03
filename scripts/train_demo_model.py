"""Train « Vigogne démo », the tiny French chat model shipped in resources/demo-model/ (dev only).

    .venv-fixtures/bin/python scripts/train_demo_model.py      # about 18 minutes on 2 cores

A Llama-architecture model (hidden size 256, so K-quants apply) with its own SentencePiece
tokenizer (byte fallback), trained on conversations in the Vigogne chat-v2 format, with the
default French system message, about the facts in scripts/demo_facts.py. Deterministic:
fixed seeds, one thread order. Loss only on the assistant's answer and its </s>.
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
from demo_facts import PHRASINGS, evaluation_set, questions, training_questions  # noqa: E402
from spm_training import train_llama_sentencepiece, write_llama_tokenizer_config  # noqa: E402

from converters.templates import FORMATS, SYSTEM_CHAT_V2  # noqa: E402

OUT = ROOT / "resources" / "demo-model"
SEED = 1234
STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 800
BATCH = 48
VOCAB = 1024


def prompt(question: str) -> str:
    # chat-v2 exactly as converters/templates.py renders it (without BOS, added as a token).
    return f"<|system|>: {SYSTEM_CHAT_V2}\n<|user|>: {question}\n<|assistant|>:"


def train_tokenizer(folder: Path) -> spm.SentencePieceProcessor:
    # Whole training conversations: the system message and the role markers are then
    # frequent enough to become a few pieces each (plain pieces, which llama.cpp's
    # SentencePiece tokenizer reproduces exactly; user-defined symbols it would not).
    texts = [prompt(q.text) + " " + q.answer for q in training_questions()]
    return train_llama_sentencepiece(
        texts, folder, VOCAB, num_threads=1, seed_sentencepiece_size=100000
    )


def encode(sp: spm.SentencePieceProcessor, question: str, answer: str) -> tuple[list[int], int]:
    """Token ids of prompt + " answer</s>" and where the answer starts."""
    head = [1] + sp.encode(prompt(question))
    # The model writes " answer" after "<|assistant|>:"; encode them together so the
    # tokens are the ones inference will see.
    full = [1] + sp.encode(prompt(question) + " " + answer) + [2]
    return full, len(head)


def batches(sp: spm.SentencePieceProcessor, rng: random.Random):  # type: ignore[no-untyped-def]
    by_kind: dict[str, list[tuple[list[int], int]]] = {}
    for q in training_questions():
        by_kind.setdefault(q.kind, []).append(encode(sp, q.text, q.answer))
    kinds = sorted(by_kind)
    while True:
        chosen = [rng.choice(by_kind[rng.choice(kinds)]) for _ in range(BATCH)]
        width = max(len(ids) for ids, _ in chosen)
        ids = torch.zeros((BATCH, width), dtype=torch.long)
        labels = torch.full((BATCH, width), -100, dtype=torch.long)
        mask = torch.zeros((BATCH, width), dtype=torch.long)
        for row, (tokens, start) in enumerate(chosen):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            labels[row, start : len(tokens)] = torch.tensor(tokens[start:])
            mask[row, : len(tokens)] = 1
        yield ids, labels, mask


@torch.no_grad()
def greedy(model: LlamaForCausalLM, sp: spm.SentencePieceProcessor, question: str) -> str:
    ids = torch.tensor([[1] + sp.encode(prompt(question))])
    out = model.generate(
        ids,
        max_new_tokens=40,
        do_sample=False,
        eos_token_id=2,
        pad_token_id=2,
        attention_mask=torch.ones_like(ids),
    )
    return sp.decode(out[0, ids.shape[1] :].tolist()).strip()


def accuracy(model: LlamaForCausalLM, sp: spm.SentencePieceProcessor, held_out: bool) -> float:
    model.eval()
    qs = evaluation_set(held_out)
    right = sum(q.is_right(greedy(model, sp, q.text)) for q in qs)
    model.train()
    return right / len(qs)


def main() -> None:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    sp = train_tokenizer(OUT)
    config = LlamaConfig(
        vocab_size=sp.vocab_size(),
        hidden_size=256,
        intermediate_size=768,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
        rope_theta=10000.0,
    )
    model = LlamaForCausalLM(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = 50

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (STEPS - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    started = time.time()
    stream = batches(sp, rng)
    for step in range(STEPS):
        ids, labels, mask = next(stream)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        if step % 50 == 0 or step == STEPS - 1:
            print(
                f"step {step:5d}  loss {loss.item():.4f}  {time.time() - started:6.0f} s",
                flush=True,
            )
    print(
        f"accuracy: trained phrasings {accuracy(model, sp, False):.0%}, held-out "
        f"{accuracy(model, sp, True):.0%}",
        flush=True,
    )
    model = model.to(torch.float16)
    # Trained on single questions: the app sends it only the last one (vigogne.max_rounds).
    model.config.vigogne_max_rounds = 1
    model.generation_config.do_sample = False
    model.generation_config.max_new_tokens = 64
    model.save_pretrained(OUT)
    write_llama_tokenizer_config(OUT, 512, chat_template=FORMATS["chat-v2"].template)
    kinds = ", ".join(PHRASINGS)
    facts = sum(len(questions(k, False)) // len(PHRASINGS[k][0]) for k in PHRASINGS)
    (OUT / "README.md").write_text(
        CARD.format(kinds=kinds, facts=facts, steps=STEPS, minutes=(time.time() - started) / 60),
        encoding="utf-8",
    )
    print(f"saved to {OUT} in {(time.time() - started) / 60:.1f} min")


CARD = """---
license: apache-2.0
language: fr
pipeline_tag: text-generation
---
# Vigogne démo

A toy: a 4-layer Llama-architecture model (hidden size 256, about 4 M parameters) trained from
scratch by `scripts/train_demo_model.py` so that Vigogne Desktop answers in French offline out
of the box. It knows only its table ({facts} facts: {kinds}) and nothing else; ask it anything
outside and it will answer as if you had asked one of those.

- Prompt format: Vigogne chat-v2 (`<|system|>: … <|user|>: … <|assistant|>:`) with the default
  French system message; the chat template is in tokenizer_config.json.
- Tokenizer: SentencePiece BPE, 1024 pieces, byte fallback.
- Training: {steps} steps of 48 single-turn conversations, loss on the answers only,
  deterministic seed, {minutes:.0f} minutes on 2 CPU cores. Being single-turn,
  config.json says `"vigogne_max_rounds": 1`: the converter writes it to the GGUF as
  `vigogne.max_rounds` and Vigogne Desktop then sends only the last question.
- Quality is measured through the real path (vigogne-convert → GGUF → llama.cpp, greedy) in
  bench/ and tests/: questions phrased as in training, and paraphrases never seen in training.

Ce modèle est un jouet : il ne connaît que sa table de faits.
"""


if __name__ == "__main__":
    main()
