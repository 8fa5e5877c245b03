"""One way to train a LLaMA-style SentencePiece tokenizer, for the dev scripts.

BPE with byte fallback, digits split, ids 0/1/2 for <unk>/<s>/</s>, no padding piece and a
leading "▁" added, as LLaMA's own tokenizer: what llama.cpp's SentencePiece loader expects.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sentencepiece as spm


def train_llama_sentencepiece(
    texts: Iterable[str], folder: Path, vocab_size: int, **options: Any
) -> spm.SentencePieceProcessor:
    """Train on `texts`, write folder/tokenizer.model and return it loaded."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(texts), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=str(Path(tmp) / "sp"),
            vocab_size=vocab_size,
            model_type="bpe",
            byte_fallback=True,
            split_digits=True,
            character_coverage=1.0,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            add_dummy_prefix=True,
            remove_extra_whitespaces=False,
            normalization_rule_name="identity",
            minloglevel=2,
            **options,
        )
        shutil.copy(Path(tmp) / "sp.model", folder / "tokenizer.model")
    return spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))


def write_llama_tokenizer_config(folder: Path, model_max_length: int, **extra: Any) -> None:
    """folder/tokenizer_config.json for that tokenizer, as transformers' LlamaTokenizer reads it."""
    config = {
        "tokenizer_class": "LlamaTokenizer",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "add_bos_token": True,
        "add_eos_token": False,
        "legacy": True,
        "model_max_length": model_max_length,
        **extra,
    }
    (folder / "tokenizer_config.json").write_text(
        json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8"
    )
