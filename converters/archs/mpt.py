"""MPT (Vigogne-MPT-7B-Instruct), MosaicML's custom-code form with ALiBi."""

from __future__ import annotations

import gguf

from .base import Architecture, register


@register("MPTForCausalLM", "MptForCausalLM")
class Mpt(Architecture):
    gguf_arch = gguf.MODEL_ARCH.MPT
    vocab = "bpe"
    pre_tokenizer = "mpt"

    @property
    def attn(self) -> dict[str, object]:
        return dict(self.config.get("attn_config") or {})

    def write_hparams(self, writer: gguf.GGUFWriter) -> None:
        embd = int(self.find("d_model", "hidden_size"))
        writer.add_context_length(int(self.find("max_seq_len", default=2048)))
        writer.add_embedding_length(embd)
        writer.add_block_count(self.block_count)
        writer.add_feed_forward_length(int(self.find("expansion_ratio", default=4)) * embd)
        writer.add_head_count(int(self.find("n_heads", "num_attention_heads")))
        if kv_heads := self.attn.get("kv_n_heads"):
            writer.add_head_count_kv(int(str(kv_heads)))
        writer.add_layer_norm_eps(float(self.find("layer_norm_epsilon", default=1e-5)))
        if (clip := self.attn.get("clip_qkv")) is not None:
            writer.add_clamp_kqv(float(str(clip)))
        alibi = bool(self.attn.get("alibi", True))
        writer.add_max_alibi_bias(float(str(self.attn.get("alibi_bias_max", 8))) if alibi else 0.0)
        writer.add_vocab_size(self.vocab_size)

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        embd = int(self.find("d_model", "hidden_size"))
        ff = int(self.find("expansion_ratio", default=4)) * embd
        shapes = {"token_embd.weight": (self.vocab_size, embd), "output_norm.weight": (embd,)}
        for i in range(self.block_count):
            shapes |= {
                f"blk.{i}.attn_norm.weight": (embd,),
                f"blk.{i}.attn_qkv.weight": (3 * embd, embd),
                f"blk.{i}.attn_output.weight": (embd, embd),
                f"blk.{i}.ffn_norm.weight": (embd,),
                f"blk.{i}.ffn_up.weight": (ff, embd),
                f"blk.{i}.ffn_down.weight": (embd, ff),
            }
        return shapes
