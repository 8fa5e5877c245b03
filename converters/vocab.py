"""Tokenizers to GGUF: SentencePiece (LLaMA family) and byte-level BPE (Falcon, MPT, BLOOM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gguf

from .checkpoint import read_json_object
from .errors import CheckpointError
from .messages import say


@dataclass
class Vocab:
    model: str  # tokenizer.ggml.model: "llama" or "gpt2"
    pre: str  # tokenizer.ggml.pre
    tokens: list[bytes] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    types: list[int] = field(default_factory=list)
    special: gguf.SpecialVocab | None = None

    def pad_to(self, size: int) -> None:
        """Models often have more embedding rows than tokens: name the extra rows."""
        if len(self.tokens) > size:
            raise CheckpointError(
                say(
                    f"Le tokenizer a {len(self.tokens)} jetons mais le modèle n'en prévoit que "
                    f"{size} "
                    "(vocab_size) : le tokenizer ne correspond pas à ce modèle.",
                    f"The tokenizer has {len(self.tokens)} tokens but the model expects only "
                    f"{size} "
                    "(vocab_size): the tokenizer does not match this model.",
                )
            )
        for i in range(len(self.tokens), size):
            self.tokens.append(f"[PAD{i}]".encode())
            self.scores.append(-1000.0)
            self.types.append(int(gguf.TokenType.UNUSED))

    def write(self, writer: gguf.GGUFWriter) -> None:
        writer.add_tokenizer_model(self.model)
        writer.add_tokenizer_pre(self.pre)
        writer.add_token_list(self.tokens)
        writer.add_token_scores(self.scores)
        writer.add_token_types(self.types)
        if self.special is not None:
            self.special.chat_template = None  # the Vigogne template is written instead
            self.special.add_to_gguf(writer, quiet=True)


def _sentencepiece(folder: Path) -> Vocab:
    source = gguf.vocab.SentencePieceVocab(folder)
    vocab = Vocab("llama", "default")
    for text, score, kind in source.all_tokens():
        vocab.tokens.append(text)
        vocab.scores.append(score)
        vocab.types.append(int(kind))
    return vocab


def _byte_level_bpe(folder: Path, pre: str) -> Vocab:
    data = read_json_object(folder / "tokenizer.json")
    model = data.get("model", {})
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise CheckpointError(
            say(
                "tokenizer.json n'est pas un BPE au niveau des octets (GPT-2) : ce tokenizer n'est "
                "pas celui de Falcon, MPT ou BLOOM.",
                "tokenizer.json is not a byte-level BPE (GPT-2): this is not the tokenizer of "
                "Falcon, MPT or BLOOM.",
            )
        )
    by_id: dict[int, tuple[str, int]] = {
        i: (t, int(gguf.TokenType.NORMAL)) for t, i in model["vocab"].items()
    }
    for added in data.get("added_tokens", []):
        special = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
        by_id[int(added["id"])] = (added["content"], int(special))
    vocab = Vocab("gpt2", pre)
    for i in range(max(by_id) + 1):
        text, kind = by_id.get(i, (f"[PAD{i}]", int(gguf.TokenType.UNUSED)))
        vocab.tokens.append(text.encode("utf-8"))
        vocab.scores.append(0.0)
        vocab.types.append(kind)
    return vocab


def load_vocab(folder: Path, kind: str, pre: str, n_vocab: int) -> Vocab:
    """Read the tokenizer of a checkpoint folder, padded to the model's vocab_size."""
    if kind == "spm":
        if not (folder / "tokenizer.model").is_file():
            raise CheckpointError(
                say(
                    f"Pas de tokenizer.model dans « {folder} » : le tokenizer SentencePiece de ce "
                    "modèle est nécessaire, téléchargez le checkpoint en entier.",
                    f"No tokenizer.model in “{folder}”: this model's SentencePiece tokenizer is "
                    "needed, download the whole checkpoint.",
                )
            )
        vocab = _sentencepiece(folder)
    else:
        if not (folder / "tokenizer.json").is_file():
            raise CheckpointError(
                say(
                    f"Pas de tokenizer.json dans « {folder} » : le tokenizer de ce modèle est "
                    "nécessaire, téléchargez le checkpoint en entier.",
                    f"No tokenizer.json in “{folder}”: this model's tokenizer is needed, download "
                    "the whole checkpoint.",
                )
            )
        vocab = _byte_level_bpe(folder, pre)
    vocab.pad_to(n_vocab)
    vocab.special = gguf.SpecialVocab(folder, load_merges=kind == "bpe", n_vocab=n_vocab)
    return vocab
