"""Random-weight Llama GGUF files of a chosen shape, for tests, benchmarks and self-tests.

Nothing here is a real model: the weights are noise and the vocabulary is a byte-fallback
SentencePiece-style list. What matters is that llama.cpp loads and runs them exactly as
it would a real Vigogne model of the same shape.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

from .templates import FORMAT_KEY, FORMATS

# A few French pieces so that ordinary text does not fall back to bytes everywhere.
_WORDS = [
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "de",
    "du",
    "et",
    "est",
    "en",
    "que",
    "qui",
    "dans",
    "pour",
    "pas",
    "sur",
    "au",
    "avec",
    "ce",
    "il",
    "elle",
    "nous",
    "vous",
    "ils",
    "je",
    "tu",
    "bonjour",
    "merci",
    "oui",
    "non",
    "Paris",
    "France",
    "capitale",
    "langue",
    "français",
    "Vigogne",
    "assistant",
    "question",
    "réponse",
    "jour",
    "mois",
    "rouge",
    "bleu",
    "vert",
]
_LETTERS = "abcdefghijklmnopqrstuvwxyzéèêàçùôîABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'-"


@dataclass(frozen=True)
class LlamaShape:
    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int
    n_ctx_train: int = 2048


TINY = LlamaShape(n_vocab=512, n_embd=64, n_layer=2, n_head=4, n_head_kv=2, n_ff=128)
# The shape of TinyLlama-1.1B (hidden size a multiple of 256, so K-quants apply).
TINYLLAMA_1B = LlamaShape(n_vocab=32000, n_embd=2048, n_layer=22, n_head=32, n_head_kv=4, n_ff=5632)


def _vocab(n_vocab: int) -> tuple[list[str], list[float], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    seen = set(tokens)
    pieces = ["▁"] + [f"▁{w}" for w in _WORDS] + list(_LETTERS) + [f"▁{c}" for c in _LETTERS]
    # Then two- and three-letter pieces until the vocabulary is full.
    for n in (2, 3, 4):
        pieces += ["".join(p) for p in itertools.product("aeioulnrstcdmp", repeat=n)]
    for piece in pieces:
        if len(tokens) >= n_vocab:
            break
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            types.append(gguf.TokenType.NORMAL)
    if len(tokens) < n_vocab:
        raise ValueError(f"cannot build a vocabulary of {n_vocab} pieces")
    # Longer pieces score higher, so the tokenizer prefers them.
    scores = [0.0] * 259 + [float(len(t)) - i * 1e-6 for i, t in enumerate(tokens[259:])]
    return tokens, scores, [int(t) for t in types]


def write_random_llama(
    path: str | os.PathLike[str],
    shape: LlamaShape = TINY,
    *,
    dtype: str = "f32",
    seed: int = 0,
    prompt_format: str | None = "chat-v2",
    name: str = "Vigogne synthétique",
    allow_eos: bool = False,
) -> Path:
    """Write a random-weight Llama GGUF (f32 or f16) and return its path.

    Random weights would emit lone UTF-8 continuation bytes, which llama-cpp-python's
    streaming holds back forever, and would stop at a random EOS. So embedding dimension 0
    carries a constant "anchor" that the output matrix turns into a large negative logit
    for byte tokens 0x80-0xFF and, unless `allow_eos`, for </s>: replies are valid UTF-8
    and run to max_tokens, as benchmarks and streaming tests need.
    """
    out = Path(path)
    rng = np.random.default_rng(seed)
    float_type = {"f32": np.float32, "f16": np.float16}[dtype]
    writer = gguf.GGUFWriter(out, "llama")
    writer.add_name(name)
    writer.add_context_length(shape.n_ctx_train)
    writer.add_embedding_length(shape.n_embd)
    writer.add_block_count(shape.n_layer)
    writer.add_feed_forward_length(shape.n_ff)
    writer.add_head_count(shape.n_head)
    writer.add_head_count_kv(shape.n_head_kv)
    writer.add_rope_dimension_count(shape.n_embd // shape.n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(
        gguf.LlamaFileType.ALL_F32 if dtype == "f32" else gguf.LlamaFileType.MOSTLY_F16
    )
    tokens, scores, types = _vocab(shape.n_vocab)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if prompt_format is not None:
        writer.add_chat_template(FORMATS[prompt_format].template)
        writer.add_string(FORMAT_KEY, prompt_format)

    def matrix(rows: int, cols: int) -> np.ndarray:
        scale = 1.0 / np.sqrt(cols)
        return (rng.standard_normal((rows, cols), dtype=np.float32) * scale).astype(float_type)

    ones = np.ones(shape.n_embd, dtype=np.float32)
    kv = shape.n_embd // shape.n_head * shape.n_head_kv
    embeddings = matrix(shape.n_vocab, shape.n_embd)
    embeddings[:, 0] = 4.0
    output = matrix(shape.n_vocab, shape.n_embd)
    output[:, 0] = 0.0
    output[3 + 0x80 : 3 + 0x100, 0] = -20.0
    if not allow_eos:
        output[2, 0] = -20.0
    writer.add_tensor("token_embd.weight", embeddings)
    for i in range(shape.n_layer):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.attn_q.weight", matrix(shape.n_embd, shape.n_embd))
        writer.add_tensor(f"blk.{i}.attn_k.weight", matrix(kv, shape.n_embd))
        writer.add_tensor(f"blk.{i}.attn_v.weight", matrix(kv, shape.n_embd))
        writer.add_tensor(f"blk.{i}.attn_output.weight", matrix(shape.n_embd, shape.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", ones)
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", matrix(shape.n_ff, shape.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", matrix(shape.n_ff, shape.n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", matrix(shape.n_embd, shape.n_ff))
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", output)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
