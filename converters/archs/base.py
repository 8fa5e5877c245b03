"""What every architecture module provides, and the registry of HF architecture names.

An architecture is a small class registered under the Hugging Face names it handles. It
says which hyper-parameters to write and how each tensor must be changed for llama.cpp;
the pipeline itself (read, map names, transform, write) lives once, in convert.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import gguf
import numpy as np

from ..errors import CheckpointError, UnsupportedArchitecture
from ..messages import say

REGISTRY: dict[str, type[Architecture]] = {}


def register(*hf_names: str) -> Callable[[type[Architecture]], type[Architecture]]:
    def decorator(cls: type[Architecture]) -> type[Architecture]:
        for name in hf_names:
            REGISTRY[name] = cls
        return cls

    return decorator


# Configs saved without "architectures" still name their model_type.
_MODEL_TYPES = {
    "llama": "LlamaForCausalLM",
    "mistral": "MistralForCausalLM",
    "falcon": "FalconForCausalLM",
    "RefinedWebModel": "RWForCausalLM",
    "RefinedWeb": "RWForCausalLM",
    "mpt": "MPTForCausalLM",
    "bloom": "BloomForCausalLM",
}


def for_config(config: dict[str, Any]) -> Architecture:
    names = list(config.get("architectures") or [])
    if not names and config.get("model_type") in _MODEL_TYPES:
        names = [_MODEL_TYPES[config["model_type"]]]
    for name in names:
        if name in REGISTRY:
            return REGISTRY[name](config)
    known = ", ".join(sorted(REGISTRY))
    shown = ", ".join(names) or config.get("model_type", "?")
    raise UnsupportedArchitecture(
        say(
            f"L'architecture {shown} n'est pas prise en charge : le convertisseur connaît {known}.",
            f"The architecture {shown} is not supported: the converter knows {known}.",
        )
    )


class Architecture:
    hf_names: ClassVar[tuple[str, ...]] = ()
    gguf_arch: ClassVar[gguf.MODEL_ARCH]
    vocab: ClassVar[str] = "spm"  # "spm" (tokenizer.model) or "bpe" (tokenizer.json)
    pre_tokenizer: ClassVar[str] = "default"  # tokenizer.ggml.pre
    # Prefixes some checkpoints put before the names TensorNameMap knows.
    strip_prefixes: ClassVar[tuple[str, ...]] = ()
    # Buffers that are not weights (recomputed by llama.cpp).
    skipped_suffixes: ClassVar[tuple[str, ...]] = (
        ".rotary_emb.inv_freq",
        ".attn.masked_bias",
        ".attn.bias",
    )

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.block_count = int(self.find("num_hidden_layers", "n_layer", "n_layers"))
        self._names = gguf.get_tensor_name_map(self.gguf_arch, self.block_count)

    @property
    def arch_name(self) -> str:
        return gguf.MODEL_ARCH_NAMES[self.gguf_arch]

    def find(self, *keys: str, default: Any = None) -> Any:
        for key in keys:
            if key in self.config and self.config[key] is not None:
                return self.config[key]
        if default is not None:
            return default
        raise CheckpointError(
            say(
                f"config.json ne donne pas {' / '.join(keys)} : le checkpoint est incomplet.",
                f"config.json does not give {' / '.join(keys)}: the checkpoint is incomplete.",
            )
        )

    @property
    def vocab_size(self) -> int:
        return int(self.find("vocab_size"))

    def write_hparams(self, writer: gguf.GGUFWriter) -> None:
        raise NotImplementedError

    def skip(self, name: str) -> bool:
        return name.endswith(self.skipped_suffixes)

    def gguf_name(self, name: str) -> str:
        for prefix in self.strip_prefixes:
            if name.startswith(prefix):
                name = name[len(prefix) :]
        mapped = self._names.get_name(name, try_suffixes=(".weight", ".bias"))
        if mapped is None:
            raise CheckpointError(
                say(
                    f"Tenseur inattendu « {name} » pour l'architecture {self.arch_name} : le "
                    "checkpoint ne correspond pas à sa config.json.",
                    f"Unexpected tensor “{name}” for the {self.arch_name} architecture: the "
                    "checkpoint "
                    "does not match its config.json.",
                )
            )
        return mapped

    def transform(self, name: str, data: np.ndarray) -> np.ndarray:
        """Change one tensor's layout for llama.cpp (by default: nothing to change)."""
        return data

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """GGUF name -> shape (numpy order) of every tensor llama.cpp requires."""
        raise NotImplementedError

    def optional_tensors(self) -> set[str]:
        """GGUF names that may be absent (tied output, optional biases)."""
        return {"output.weight"}
