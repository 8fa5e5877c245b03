"""Make the tiny checkpoints and reference outputs in tests/fixtures/ (dev only).

Needs torch and transformers, which the app and the tests never do:

    python -m venv .venv-fixtures
    .venv-fixtures/bin/pip install torch==2.13.0 transformers tokenizers sentencepiece protobuf
    .venv-fixtures/bin/python scripts/make_fixtures.py

Each fixture is a random checkpoint in one of the config forms real Vigogne checkpoints
use, its tokenizer (trained here on French text), and `reference.npz`: a token sequence
and the logits transformers computes for it. tokenizers.json holds, per tokenizer, the
Hugging Face token ids of every string in french_corpus.TOKENIZER_TESTS.
"""

from __future__ import annotations

import json
import shutil
import sys
import zlib
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch
from safetensors.torch import save_file
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoTokenizer,
    BloomConfig,
    BloomForCausalLM,
    FalconConfig,
    FalconForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    MptConfig,
    MptForCausalLM,
    PreTrainedTokenizerFast,
)

sys.path.insert(0, str(Path(__file__).parent))
from french_corpus import SENTENCES, TOKENIZER_TESTS  # noqa: E402
from spm_training import train_llama_sentencepiece, write_llama_tokenizer_config  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
PROBE = "Bonjour ! Quelle est la capitale de la France ? C'est Paris, l'été."
SMALL = {"hidden": 64, "heads": 4, "layers": 2}


def corpus() -> list[str]:
    return (SENTENCES + TOKENIZER_TESTS) * 4


# -- tokenizers ------------------------------------------------------------------------


def train_sentencepiece(folder: Path) -> None:
    train_llama_sentencepiece(corpus(), folder, 400, allow_whitespace_only_pieces=True)
    write_llama_tokenizer_config(folder, 2048)


def train_bpe(folder: Path, family: str) -> None:
    """Byte-level BPE with the pre-tokenizer and special tokens of the real family."""
    if family == "falcon":
        specials = [
            ">>TITLE<<",
            ">>ABSTRACT<<",
            ">>INTRODUCTION<<",
            ">>SUMMARY<<",
            ">>COMMENT<<",
            ">>ANSWER<<",
            ">>QUESTION<<",
            ">>DOMAIN<<",
            ">>PREFIX<<",
            ">>SUFFIX<<",
            ">>MIDDLE<<",
            "<|endoftext|>",
        ]
        pre = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Punctuation("contiguous"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
                pre_tokenizers.Digits(individual_digits=False),
                pre_tokenizers.Split(Regex("[0-9][0-9][0-9]"), "isolated"),
            ]
        )
        eos, bos = "<|endoftext|>", "<|endoftext|>"
    elif family == "mpt":
        specials = ["<|endoftext|>", "<|padding|>"]
        pre = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        eos, bos = "<|endoftext|>", "<|endoftext|>"
    else:  # bloom
        specials = ["<unk>", "<s>", "</s>", "<pad>"]
        pre = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(" ?[^(\\s|[.,!?…。，、।۔،])]+"), "isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        eos, bos = "</s>", "<s>"
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=specials,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(corpus(), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=eos, bos_token=bos, model_max_length=2048
    )
    fast.save_pretrained(folder)


def tokenize_all(folder: Path) -> list[list[int]]:
    if (folder / "tokenizer.model").is_file():
        # The LLaMA family was trained with SentencePiece itself. transformers 5's converted
        # fast tokenizer differs from it on leading spaces (" " -> one "▁" instead of two),
        # so SentencePiece is the reference here.
        sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        return [sp.encode(text) for text in TOKENIZER_TESTS]
    tok = AutoTokenizer.from_pretrained(folder)
    return [tok.encode(text, add_special_tokens=False) for text in TOKENIZER_TESTS]


# -- checkpoints -----------------------------------------------------------------------


def reference(model: torch.nn.Module, folder: Path, ids: list[int]) -> None:
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float().numpy()
    np.savez_compressed(
        folder / "reference.npz",
        tokens=np.array(ids, dtype=np.int32),
        logits=logits.astype(np.float32),
    )


def probe_ids(folder: Path, bos: bool) -> list[int]:
    tok = AutoTokenizer.from_pretrained(folder)
    ids = tok.encode(PROBE, add_special_tokens=False)
    return ([tok.bos_token_id] if bos else []) + ids[:24]


def fresh(name: str) -> Path:
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def edit_config(folder: Path, **changes: object) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    path.write_text(json.dumps(config, indent=2))


def make_llama(
    name: str,
    cls: type = LlamaForCausalLM,
    config_cls: type = LlamaConfig,
    weights: str = "safetensors",
    dtype: torch.dtype = torch.float32,
) -> Path:
    folder = fresh(name)
    train_sentencepiece(folder)
    vocab = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model")).vocab_size()
    config = config_cls(
        vocab_size=vocab,
        hidden_size=SMALL["hidden"],
        intermediate_size=128,
        num_hidden_layers=SMALL["layers"],
        num_attention_heads=SMALL["heads"],
        num_key_value_heads=2,
        max_position_embeddings=2048,
        rms_norm_eps=1e-6,
        tie_word_embeddings=False,
    )
    torch.manual_seed(zlib.crc32(name.encode()) % 1000)  # stable across runs
    model = cls(config).to(dtype)
    if weights == "bin":
        model.config.architectures = [cls.__name__]
        model.config.save_pretrained(folder)
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    else:
        model.save_pretrained(folder, max_shard_size="60KB" if weights == "sharded" else "1GB")
    reference(model.float(), folder, probe_ids(folder, bos=True))
    return folder


def make_lora(base: Path) -> None:
    """A PEFT-style LoRA adapter on q_proj/v_proj of the llama fixture, with merged logits."""
    folder = fresh("llama-lora")
    model = LlamaForCausalLM.from_pretrained(base, torch_dtype=torch.float32)
    rank, alpha = 4, 8
    tensors = {}
    torch.manual_seed(7)
    for i, layer in enumerate(model.model.layers):
        for proj in ("q_proj", "v_proj"):
            linear = getattr(layer.self_attn, proj)
            a = torch.randn(rank, linear.in_features) * 0.3
            b = torch.randn(linear.out_features, rank) * 0.3
            prefix = f"base_model.model.model.layers.{i}.self_attn.{proj}"
            tensors[f"{prefix}.lora_A.weight"] = a
            tensors[f"{prefix}.lora_B.weight"] = b
            with torch.no_grad():
                linear.weight += (alpha / rank) * (b @ a)
    save_file(tensors, folder / "adapter_model.safetensors")
    (folder / "adapter_config.json").write_text(
        json.dumps(
            {
                "peft_type": "LORA",
                "r": rank,
                "lora_alpha": alpha,
                "lora_dropout": 0.0,
                "target_modules": ["q_proj", "v_proj"],
                "bias": "none",
                "fan_in_fan_out": False,
                "task_type": "CAUSAL_LM",
                "base_model_name_or_path": "bofenghuang/vigogne-tiny-base",
            },
            indent=2,
        )
    )
    reference(model, folder, [int(t) for t in np.load(base / "reference.npz")["tokens"]])


def make_falcon() -> None:
    folder = fresh("falcon")
    train_bpe(folder, "falcon")
    vocab = len(AutoTokenizer.from_pretrained(folder))
    config = FalconConfig(
        vocab_size=vocab,
        hidden_size=SMALL["hidden"],
        num_hidden_layers=SMALL["layers"],
        num_attention_heads=SMALL["heads"],
        multi_query=True,
        new_decoder_architecture=False,
        parallel_attn=True,
        bias=False,
        alibi=False,
        bos_token_id=11,
        eos_token_id=11,
    )
    torch.manual_seed(3)
    model = FalconForCausalLM(config)
    model.save_pretrained(folder)
    reference(model, folder, probe_ids(folder, bos=False))
    # The same weights in the 2023 custom-code form (Vigogne-Falcon-7B's config).
    rw = fresh("falcon-rw")
    for file in folder.iterdir():
        if file.name != "config.json":
            shutil.copy(file, rw / file.name)
    (rw / "config.json").write_text(
        json.dumps(
            {
                "architectures": ["RWForCausalLM"],
                "model_type": "RefinedWebModel",
                "auto_map": {
                    "AutoConfig": "configuration_RW.RWConfig",
                    "AutoModelForCausalLM": "modelling_RW.RWForCausalLM",
                },
                "alibi": False,
                "apply_residual_connection_post_layernorm": False,
                "bias": False,
                "bos_token_id": 11,
                "eos_token_id": 11,
                "hidden_dropout": 0.0,
                "attention_dropout": 0.0,
                "hidden_size": SMALL["hidden"],
                "initializer_range": 0.02,
                "layer_norm_epsilon": 1e-5,
                "multi_query": True,
                "n_head": SMALL["heads"],
                "n_layer": SMALL["layers"],
                "parallel_attn": True,
                "torch_dtype": "float32",
                "use_cache": True,
                "vocab_size": vocab,
            },
            indent=2,
        )
    )


def make_mpt() -> None:
    folder = fresh("mpt")
    train_bpe(folder, "mpt")
    vocab = len(AutoTokenizer.from_pretrained(folder))
    config = MptConfig(
        vocab_size=vocab,
        d_model=SMALL["hidden"],
        n_heads=SMALL["heads"],
        n_layers=SMALL["layers"],
        expansion_ratio=4,
        max_seq_len=2048,
        no_bias=True,
        attn_config={"alibi": True, "alibi_bias_max": 8},
    )
    torch.manual_seed(4)
    model = MptForCausalLM(config)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    model.config.save_pretrained(folder)
    edit_config(
        folder,
        architectures=["MPTForCausalLM"],
        auto_map={
            "AutoConfig": "configuration_mpt.MPTConfig",
            "AutoModelForCausalLM": "modeling_mpt.MPTForCausalLM",
        },
    )
    reference(model, folder, probe_ids(folder, bos=False))


def make_bloom() -> None:
    folder = fresh("bloom")
    train_bpe(folder, "bloom")
    vocab = len(AutoTokenizer.from_pretrained(folder))
    config = BloomConfig(
        vocab_size=vocab,
        hidden_size=SMALL["hidden"],
        n_layer=SMALL["layers"],
        n_head=SMALL["heads"],
        bos_token_id=1,
        eos_token_id=2,
    )
    torch.manual_seed(5)
    model = BloomForCausalLM(config)
    model.save_pretrained(folder)
    reference(model, folder, probe_ids(folder, bos=False))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    llama = make_llama("llama")
    make_llama("mistral", MistralForCausalLM, MistralConfig)
    make_llama("llama-bin", weights="bin")
    make_llama("llama-sharded-bf16", weights="sharded", dtype=torch.bfloat16)
    make_lora(llama)
    make_falcon()
    make_mpt()
    make_bloom()
    tokens = {name: tokenize_all(OUT / name) for name in ("llama", "falcon", "mpt", "bloom")}
    (OUT / "tokenizers.json").write_text(
        json.dumps({"strings": TOKENIZER_TESTS, "tokens": tokens}, ensure_ascii=False)
    )
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"fixtures written to {OUT} ({total / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
