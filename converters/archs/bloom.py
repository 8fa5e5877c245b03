"""BLOOM (Vigogne-Bloom-7B1-Instruct)."""

from __future__ import annotations

import gguf
import numpy as np

from .base import Architecture, register


def ungroup_bloom_qkv(data: np.ndarray, n_head: int) -> np.ndarray:
    """BLOOM fuses QKV head by head ([q0 k0 v0][q1 k1 v1]…); llama.cpp wants all queries,
    then all keys, then all values (GPT-2 order). Works for the weight and the bias."""
    per_head = data.reshape(n_head, 3, data.shape[0] // n_head // 3, *data.shape[1:])
    return np.concatenate([per_head[:, i].reshape(-1, *data.shape[1:]) for i in range(3)])


@register("BloomForCausalLM", "BloomModel")
class Bloom(Architecture):
    gguf_arch = gguf.MODEL_ARCH.BLOOM
    vocab = "bpe"
    pre_tokenizer = "bloom"
    strip_prefixes = ("transformer.",)

    @property
    def n_head(self) -> int:
        return int(self.find("n_head", "num_attention_heads"))

    @property
    def n_embd(self) -> int:
        return int(self.find("hidden_size", "n_embed"))

    def write_hparams(self, writer: gguf.GGUFWriter) -> None:
        writer.add_context_length(int(self.find("seq_length", default=2048)))
        writer.add_embedding_length(self.n_embd)
        writer.add_feed_forward_length(4 * self.n_embd)
        writer.add_block_count(self.block_count)
        writer.add_head_count(self.n_head)
        writer.add_head_count_kv(self.n_head)
        writer.add_layer_norm_eps(float(self.find("layer_norm_epsilon", default=1e-5)))
        writer.add_vocab_size(self.vocab_size)

    def transform(self, name: str, data: np.ndarray) -> np.ndarray:
        if "query_key_value" in name:
            return ungroup_bloom_qkv(data, self.n_head)
        return data

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        embd = self.n_embd
        shapes = {
            "token_embd.weight": (self.vocab_size, embd),
            "token_embd_norm.weight": (embd,),
            "token_embd_norm.bias": (embd,),
            "output_norm.weight": (embd,),
            "output_norm.bias": (embd,),
        }
        for i in range(self.block_count):
            shapes |= {
                f"blk.{i}.attn_norm.weight": (embd,),
                f"blk.{i}.attn_norm.bias": (embd,),
                f"blk.{i}.attn_qkv.weight": (3 * embd, embd),
                f"blk.{i}.attn_qkv.bias": (3 * embd,),
                f"blk.{i}.attn_output.weight": (embd, embd),
                f"blk.{i}.attn_output.bias": (embd,),
                f"blk.{i}.ffn_norm.weight": (embd,),
                f"blk.{i}.ffn_norm.bias": (embd,),
                f"blk.{i}.ffn_up.weight": (4 * embd, embd),
                f"blk.{i}.ffn_up.bias": (4 * embd,),
                f"blk.{i}.ffn_down.weight": (embd, 4 * embd),
                f"blk.{i}.ffn_down.bias": (embd,),
            }
        return shapes
