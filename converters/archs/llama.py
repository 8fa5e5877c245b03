"""LLaMA, Llama-2 and Mistral (Vigogne-7B/13B/33B, Vigogne-2-*)."""

from __future__ import annotations

import gguf
import numpy as np

from .base import Architecture, register


def unpermute_rotary(weight: np.ndarray, n_head: int) -> np.ndarray:
    """HF stores each head's Q/K rows as [first halves | second halves] (rotate_half);
    llama.cpp's rotary pairs neighbouring rows. Interleave the two halves per head."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


@register("LlamaForCausalLM", "MistralForCausalLM")
class Llama(Architecture):
    gguf_arch = gguf.MODEL_ARCH.LLAMA
    vocab = "spm"

    @property
    def n_head(self) -> int:
        return int(self.find("num_attention_heads"))

    @property
    def n_head_kv(self) -> int:
        return int(self.find("num_key_value_heads", default=self.n_head))

    @property
    def head_dim(self) -> int:
        return int(self.find("head_dim", default=self.find("hidden_size") // self.n_head))

    def write_hparams(self, writer: gguf.GGUFWriter) -> None:
        writer.add_context_length(int(self.find("max_position_embeddings", default=2048)))
        writer.add_embedding_length(int(self.find("hidden_size")))
        writer.add_block_count(self.block_count)
        writer.add_feed_forward_length(int(self.find("intermediate_size")))
        writer.add_head_count(self.n_head)
        writer.add_head_count_kv(self.n_head_kv)
        writer.add_rope_dimension_count(self.head_dim)
        writer.add_layer_norm_rms_eps(float(self.find("rms_norm_eps", default=1e-6)))
        writer.add_rope_freq_base(float(self.find("rope_theta", default=10000.0)))
        writer.add_vocab_size(self.vocab_size)
        scaling = self.config.get("rope_scaling") or {}
        if scaling.get("type", scaling.get("rope_type")) == "linear":
            writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
            writer.add_rope_scaling_factor(float(scaling["factor"]))

    def transform(self, name: str, data: np.ndarray) -> np.ndarray:
        if name.endswith("q_proj.weight"):
            return unpermute_rotary(data, self.n_head)
        if name.endswith("k_proj.weight"):
            return unpermute_rotary(data, self.n_head_kv)
        return data

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        embd, ff = int(self.find("hidden_size")), int(self.find("intermediate_size"))
        q, kv = self.n_head * self.head_dim, self.n_head_kv * self.head_dim
        shapes = {
            "token_embd.weight": (self.vocab_size, embd),
            "output_norm.weight": (embd,),
            "output.weight": (self.vocab_size, embd),
        }
        for i in range(self.block_count):
            shapes |= {
                f"blk.{i}.attn_norm.weight": (embd,),
                f"blk.{i}.attn_q.weight": (q, embd),
                f"blk.{i}.attn_k.weight": (kv, embd),
                f"blk.{i}.attn_v.weight": (kv, embd),
                f"blk.{i}.attn_output.weight": (embd, q),
                f"blk.{i}.ffn_norm.weight": (embd,),
                f"blk.{i}.ffn_gate.weight": (ff, embd),
                f"blk.{i}.ffn_up.weight": (ff, embd),
                f"blk.{i}.ffn_down.weight": (embd, ff),
            }
        return shapes
