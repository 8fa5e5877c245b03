"""Falcon (Vigogne-Falcon-7B), in the transformers form and the 2023 custom-code form."""

from __future__ import annotations

import gguf
import numpy as np

from .base import Architecture, register


def regroup_falcon_qkv(weight: np.ndarray, n_head: int, n_head_kv: int) -> np.ndarray:
    """Falcon fuses QKV as n_head_kv groups of [its queries..., one key, one value].
    llama.cpp ("jploski" layout) wants all queries, then all keys, then all values."""
    head_dim = weight.shape[0] // (n_head + 2 * n_head_kv)
    groups = weight.reshape(n_head_kv, n_head // n_head_kv + 2, head_dim, *weight.shape[1:])
    q = groups[:, :-2].reshape(n_head * head_dim, *weight.shape[1:])
    k = groups[:, -2].reshape(n_head_kv * head_dim, *weight.shape[1:])
    v = groups[:, -1].reshape(n_head_kv * head_dim, *weight.shape[1:])
    return np.concatenate((q, k, v))


@register("FalconForCausalLM", "RWForCausalLM")
class Falcon(Architecture):
    gguf_arch = gguf.MODEL_ARCH.FALCON
    vocab = "bpe"
    pre_tokenizer = "falcon"

    @property
    def n_head(self) -> int:
        return int(self.find("num_attention_heads", "n_head"))

    @property
    def n_head_kv(self) -> int:
        # RW configs: multi-query means one shared K/V head, unless the new decoder
        # architecture (Falcon-40B style) gives the number of K/V groups.
        if self.config.get("new_decoder_architecture"):
            return int(self.find("num_kv_heads", "n_head_kv"))
        if self.config.get("multi_query", True):
            return 1
        return self.n_head

    def write_hparams(self, writer: gguf.GGUFWriter) -> None:
        embd = int(self.find("hidden_size"))
        writer.add_context_length(int(self.find("max_position_embeddings", default=2048)))
        writer.add_tensor_data_layout("jploski")
        writer.add_embedding_length(embd)
        writer.add_feed_forward_length(4 * embd)
        writer.add_block_count(self.block_count)
        writer.add_head_count(self.n_head)
        writer.add_head_count_kv(self.n_head_kv)
        writer.add_layer_norm_eps(float(self.find("layer_norm_epsilon", default=1e-5)))
        writer.add_vocab_size(self.vocab_size)

    def transform(self, name: str, data: np.ndarray) -> np.ndarray:
        if "query_key_value" in name:
            return regroup_falcon_qkv(data, self.n_head, self.n_head_kv)
        return data

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        embd = int(self.find("hidden_size"))
        head_dim = embd // self.n_head
        qkv = (self.n_head + 2 * self.n_head_kv) * head_dim
        shapes = {
            "token_embd.weight": (self.vocab_size, embd),
            "output_norm.weight": (embd,),
            "output_norm.bias": (embd,),
            "output.weight": (self.vocab_size, embd),
        }
        for i in range(self.block_count):
            shapes |= {
                f"blk.{i}.attn_norm.weight": (embd,),
                f"blk.{i}.attn_norm.bias": (embd,),
                f"blk.{i}.attn_qkv.weight": (qkv, embd),
                f"blk.{i}.attn_output.weight": (embd, embd),
                f"blk.{i}.ffn_up.weight": (4 * embd, embd),
                f"blk.{i}.ffn_down.weight": (embd, 4 * embd),
            }
            if self.config.get("new_decoder_architecture"):
                shapes |= {
                    f"blk.{i}.attn_norm_2.weight": (embd,),
                    f"blk.{i}.attn_norm_2.bias": (embd,),
                }
        return shapes
