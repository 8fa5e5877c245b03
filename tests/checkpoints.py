"""Random-weight Hugging Face Llama checkpoints of a chosen width, for tests that need a
conversion to take a while (kills, cancels): the tiny fixture's tokenizer and config, resized."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

FIXTURES = Path(__file__).parent / "fixtures"


def random_llama_checkpoint(
    folder: Path, *, n_embd: int, n_ff: int, n_head: int, n_head_kv: int, n_layer: int
) -> Path:
    """Write the checkpoint into `folder` (created) and return it; float32, seed 0."""
    shutil.copytree(FIXTURES / "llama", folder, ignore=shutil.ignore_patterns("reference.npz"))
    config = json.loads((folder / "config.json").read_text())
    head_dim = n_embd // n_head
    config.update(
        hidden_size=n_embd,
        intermediate_size=n_ff,
        num_attention_heads=n_head,
        num_key_value_heads=n_head_kv,
        num_hidden_layers=n_layer,
        head_dim=head_dim,
    )
    (folder / "config.json").write_text(json.dumps(config))
    vocab, kv = config["vocab_size"], head_dim * n_head_kv
    shapes: dict[str, tuple[int, ...]] = {
        "model.embed_tokens.weight": (vocab, n_embd),
        "model.norm.weight": (n_embd,),
        "lm_head.weight": (vocab, n_embd),
    }
    for i in range(n_layer):
        layer = {
            "input_layernorm": (n_embd,),
            "post_attention_layernorm": (n_embd,),
            "self_attn.q_proj": (n_embd, n_embd),
            "self_attn.k_proj": (kv, n_embd),
            "self_attn.v_proj": (kv, n_embd),
            "self_attn.o_proj": (n_embd, n_embd),
            "mlp.gate_proj": (n_ff, n_embd),
            "mlp.up_proj": (n_ff, n_embd),
            "mlp.down_proj": (n_embd, n_ff),
        }
        shapes |= {f"model.layers.{i}.{name}.weight": shape for name, shape in layer.items()}
    rng = np.random.default_rng(0)
    weights = {k: rng.standard_normal(s, dtype=np.float32) for k, s in shapes.items()}
    save_file(weights, folder / "model.safetensors")
    return folder
