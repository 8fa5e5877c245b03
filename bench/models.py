"""Synthetic models the benchmarks run on, made once and kept in bench/.cache/."""

from __future__ import annotations

from pathlib import Path

from converters.quantize import quantize
from converters.synthetic import TINYLLAMA_1B, LlamaShape, write_random_llama

CACHE = Path(__file__).resolve().parent / ".cache"
# `python -m bench smoke` (CI) sets this: every benchmark then runs on the small model.
SMOKE = False
SMALL = LlamaShape(n_vocab=8000, n_embd=512, n_layer=4, n_head=8, n_head_kv=8, n_ff=1024)


def synthetic(shape: LlamaShape, name: str, quant: str) -> Path:
    """A random-weight GGUF of `shape` quantized to `quant`, made once in bench/.cache/."""
    target = CACHE / f"{name}-random.{quant}.gguf"
    if target.exists():
        return target
    CACHE.mkdir(exist_ok=True)
    print(f"making {target.name} (once)…", flush=True)
    f16 = CACHE / f"{name}-random.f16.gguf"
    write_random_llama(f16, shape, dtype="f16", seed=0)
    part = target.with_suffix(".part")
    try:
        quantize(f16, part, quant, threads=2)
    finally:
        f16.unlink()
    part.rename(target)
    return target


def tinyllama_q4_k_m() -> Path:
    """A TinyLlama-1.1B-shaped Q4_K_M with random weights (made in about a minute); in a
    smoke run, the small model instead (made in a second)."""
    if SMOKE:
        return synthetic(SMALL, "small", "Q4_K_M")
    return synthetic(TINYLLAMA_1B, "tinyllama-1.1b", "Q4_K_M")


# Llama-2-7B's shape. Quantizing 6.7 billion random weights would take llama.cpp ~7 minutes
# here and a 13 GB f16 file first, so two layers are quantized and copied into 32.
LLAMA2_7B = LlamaShape(
    n_vocab=32000, n_embd=4096, n_layer=32, n_head=32, n_head_kv=32, n_ff=11008, n_ctx_train=4096
)


def _more_bits(layer: int, layers: int) -> bool:
    """llama.cpp's rule for the Q4_K_M layers whose attn_v and ffn_down get Q6_K."""
    return layer < layers // 8 or layer >= 7 * layers // 8 or (layer - layers // 8) % 3 == 2


def llama2_7b_q4_k_m() -> Path:
    """A Llama-2-7B-shaped Q4_K_M with random weights: a two-layer model of the same width is
    quantized by llama.cpp (its layer 0 gets the Q4_K mix, its layer 1 the Q6_K one), then each
    of the 32 layers is a byte copy of the proto layer llama.cpp's rule would give it, so the
    file has the tensor types and sizes of a real Q4_K_M 7B (3.9 GB) and decodes at its speed."""
    import gguf

    if SMOKE:
        return synthetic(SMALL, "small", "Q4_K_M")
    target = CACHE / "llama2-7b-random.Q4_K_M.gguf"
    if target.exists():
        return target
    two = LlamaShape(**{**LLAMA2_7B.__dict__, "n_layer": 2})
    proto = gguf.GGUFReader(synthetic(two, "llama2-7b-2layers", "Q4_K_M"))
    print(f"making {target.name} (once)…", flush=True)
    part = target.with_suffix(".part")
    writer = gguf.GGUFWriter(part, "llama")
    for field in proto.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        value = LLAMA2_7B.n_layer if field.name == "llama.block_count" else field.contents()
        sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, field.types[0], sub_type)
    tensors = {t.name: t for t in proto.tensors}
    order: list[tuple[str, str]] = [("token_embd.weight", "token_embd.weight")]
    for layer in range(LLAMA2_7B.n_layer):
        source = 1 if _more_bits(layer, LLAMA2_7B.n_layer) else 0
        order += [
            (f"blk.{layer}.{t.name.split('.', 2)[2]}", t.name)
            for t in proto.tensors
            if t.name.startswith(f"blk.{source}.")
        ]
    order += [("output_norm.weight", "output_norm.weight"), ("output.weight", "output.weight")]
    # Through 32 copied layers the proto's anchor (see write_random_llama) loses its sign: the
    # rows of </s> and of the lone UTF-8 bytes become zeros (an all-zero Q6_K block is 0.0),
    # below the best of 32,000 random logits, so greedy replies are text and run to the end.
    output = tensors["output.weight"].data.copy()
    output[[2, *range(3 + 0x80, 3 + 0x100)]] = 0
    for name, source_name in order:
        data = tensors[source_name].data
        writer.add_tensor_info(
            name, data.shape, data.dtype, data.nbytes, raw_dtype=tensors[source_name].tensor_type
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for name, source_name in order:
        writer.write_tensor_data(output if name == "output.weight" else tensors[source_name].data)
    writer.close()
    part.rename(target)
    return target
