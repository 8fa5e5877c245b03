"""Every fixture checkpoint converted and run by llama.cpp, compared with transformers.

The fixtures (tests/fixtures/, made by scripts/make_fixtures.py) are tiny random models in
the config forms real Vigogne checkpoints use, with the logits transformers computed for
a fixed token sequence and the Hugging Face tokenization of 51 French strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gguf
import numpy as np
import pytest
from llama_cpp import Llama

from converters.convert import Source, convert
from converters.templates import FORMAT_KEY, FORMATS

FIXTURES = Path(__file__).parent / "fixtures"
CHECKPOINTS = [
    "llama",
    "mistral",
    "llama-bin",
    "llama-sharded-bf16",
    "llama-lora",
    "falcon",
    "falcon-rw",
    "mpt",
    "bloom",
]
# f16 weights round each value to 11 bits: the tolerance is stated, not hoped for.
TOLERANCE = {"f32": 1e-3, "f16": 5e-3, "bf16": 2e-2}


def convert_fixture(name: str, out: Path, outtype: str, **options: object) -> Path:
    if name == "llama-lora":
        options.setdefault("base", FIXTURES / "llama")
    return convert(
        Source(FIXTURES / name), out / f"{name}.{outtype}.gguf", outtype=outtype, **options
    )  # type: ignore[arg-type]


def llama_logits(path: Path, tokens: list[int]) -> np.ndarray:
    llm = Llama(str(path), n_ctx=128, n_threads=2, logits_all=True, verbose=False)
    try:
        llm.eval(tokens)
        return np.array(llm.scores[: len(tokens)])
    finally:
        llm.close()


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / np.abs(want).max())


@pytest.mark.parametrize("outtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("name", CHECKPOINTS)
def test_logits_match_transformers(name: str, outtype: str, tmp_path: Path) -> None:
    reference = np.load(FIXTURES / name / "reference.npz")
    tokens = [int(t) for t in reference["tokens"]]
    got = llama_logits(convert_fixture(name, tmp_path, outtype), tokens)
    want = reference["logits"]
    assert relative_error(got, want) < TOLERANCE[outtype]
    if outtype == "f32":
        assert (got.argmax(-1) == want.argmax(-1)).all()


def test_a_wrong_rotary_layout_would_be_caught(tmp_path: Path) -> None:
    # The oracle must be able to fail: Q/K rows left in Hugging Face order give other logits.
    from converters.archs import llama as llama_arch

    reference = np.load(FIXTURES / "llama" / "reference.npz")
    original = llama_arch.unpermute_rotary
    llama_arch.unpermute_rotary = lambda weight, n_head: weight  # type: ignore[assignment]
    try:
        path = convert_fixture("llama", tmp_path, "f32")
    finally:
        llama_arch.unpermute_rotary = original
    got = llama_logits(path, [int(t) for t in reference["tokens"]])
    # The tiny random model's attention is weak, yet the error is several times the bar.
    assert relative_error(got, reference["logits"]) > 3 * TOLERANCE["f32"]


@pytest.fixture(scope="module")
def tokenizer_cases() -> dict[str, object]:
    return json.loads((FIXTURES / "tokenizers.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["llama", "falcon", "mpt", "bloom"])
def test_tokenization_matches_hugging_face(
    name: str, tmp_path: Path, tokenizer_cases: dict[str, object]
) -> None:
    strings = tokenizer_cases["strings"]
    expected = tokenizer_cases["tokens"][name]  # type: ignore[index]
    assert isinstance(strings, list) and len(strings) >= 50
    llm = Llama(
        str(convert_fixture(name, tmp_path, "f16")), n_ctx=64, vocab_only=True, verbose=False
    )
    try:
        for text, ids in zip(strings, expected, strict=True):
            assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids, text
    finally:
        llm.close()


def read_fields(path: Path) -> dict[str, object]:
    reader = gguf.GGUFReader(path)
    return {
        name: field.contents()
        for name, field in reader.fields.items()
        if not name.startswith("GGUF.")
        and field.types
        and field.types[0] != gguf.GGUFValueType.ARRAY
    }


@pytest.mark.parametrize(
    ("name", "arch", "pre", "add_bos"),
    [
        ("llama", "llama", "default", True),
        ("falcon-rw", "falcon", "falcon", None),
        ("mpt", "mpt", "mpt", None),
        ("bloom", "bloom", "bloom", None),
    ],
)
def test_metadata_names_the_model_and_its_vigogne_format(
    name: str, arch: str, pre: str, add_bos: bool | None, tmp_path: Path
) -> None:
    out = convert(
        Source(FIXTURES / name, "bofenghuang/vigogne-falcon-7b-instruct", "v1.0"),
        tmp_path / "out.gguf",
        outtype="f16",
    )
    fields = read_fields(out)
    assert fields["general.architecture"] == arch
    assert fields["tokenizer.ggml.pre"] == pre
    assert fields.get("tokenizer.ggml.add_bos_token") == add_bos
    assert fields["general.name"] == "Vigogne-Falcon-7B-Instruct"
    assert fields["general.license"] == "apache-2.0"
    assert fields["general.source.url"] == (
        "https://huggingface.co/bofenghuang/vigogne-falcon-7b-instruct/tree/v1.0"
    )
    assert fields["vigogne.source.revision"] == "v1.0"
    assert fields[FORMAT_KEY] == "instruct"
    assert fields["tokenizer.chat_template"] == FORMATS["instruct"].template


def test_chat_model_gets_the_chat_template_and_runs_it(tmp_path: Path) -> None:
    out = convert(
        Source(FIXTURES / "llama", "bofenghuang/vigogne-2-7b-chat"),
        tmp_path / "chat.gguf",
        outtype="f16",
    )
    llm = Llama(str(out), n_ctx=256, verbose=False)
    try:
        reply = llm.create_chat_completion(
            [{"role": "user", "content": "Bonjour"}], max_tokens=4, temperature=0
        )
        assert llm.metadata[FORMAT_KEY] == "chat-v2"
        assert reply["choices"][0]["message"]["role"] == "assistant"
    finally:
        llm.close()


@pytest.fixture(scope="module")
def llama_f16(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, np.ndarray]]:
    out = tmp_path_factory.mktemp("f16")
    reference = np.load(FIXTURES / "llama" / "reference.npz")
    path = convert_fixture("llama", out, "f16")
    yield path, llama_logits(path, [int(t) for t in reference["tokens"]])


@pytest.mark.parametrize("how", ["outtype", "quant"])
def test_q8_0_stays_close_to_f16(
    how: str, tmp_path: Path, llama_f16: tuple[Path, np.ndarray]
) -> None:
    options = {"outtype": "q8_0"} if how == "outtype" else {"outtype": "f16", "quant": "Q8_0"}
    path = convert(Source(FIXTURES / "llama"), tmp_path / "q8.gguf", **options)  # type: ignore[arg-type]
    assert read_fields(path)["general.file_type"] == int(gguf.LlamaFileType.MOSTLY_Q8_0)
    reference = np.load(FIXTURES / "llama" / "reference.npz")
    got = llama_logits(path, [int(t) for t in reference["tokens"]])
    assert relative_error(got, llama_f16[1]) < 0.03  # stated tolerance for Q8_0 vs f16
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("tmp*"))


def test_k_quant_loads_and_generates(tmp_path: Path) -> None:
    path = convert(
        Source(FIXTURES / "llama"), tmp_path / "q4.gguf", quant="Q4_K_M", keep_intermediate=True
    )
    assert (tmp_path / "q4.f16.gguf").is_file()  # kept, as asked
    assert read_fields(path)["general.file_type"] == int(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    llm = Llama(str(path), n_ctx=128, verbose=False)
    try:
        out = llm.create_completion("Bonjour", max_tokens=6, temperature=0)
        assert out["usage"]["completion_tokens"] > 0
    finally:
        llm.close()


def test_bfloat16_rounding_matches_gguf() -> None:
    from converters.checkpoint_dtypes import bf16_to_f32, f32_to_bf16

    values = np.random.default_rng(0).standard_normal(10_000).astype(np.float32) * 100
    values[:4] = [0.0, -0.0, 1e-40, 3.4e38]
    ours = f32_to_bf16(values)
    reference = gguf.quants.quantize(values, gguf.GGMLQuantizationType.BF16).view(np.uint16)
    assert np.array_equal(ours, reference.reshape(ours.shape))
    # 3.4e38 rounds up past bfloat16's largest value: infinity, as in ggml.
    assert np.isinf(bf16_to_f32(ours)[3])
    assert np.allclose(bf16_to_f32(ours)[4:], values[4:], rtol=1e-2)


def test_every_offered_quantization_type_works(tmp_path: Path) -> None:
    """Rows of 256 values, as in real models: no type the CLI offers may need an imatrix."""
    from converters.quantize import QUANT_TYPES, quantize
    from converters.synthetic import LlamaShape, write_random_llama

    shape = LlamaShape(n_vocab=512, n_embd=256, n_layer=2, n_head=4, n_head_kv=2, n_ff=512)
    source = write_random_llama(tmp_path / "wide.gguf", shape)
    for quant in QUANT_TYPES:
        quantize(source, tmp_path / f"{quant}.gguf", quant)
        assert gguf.GGUFReader(tmp_path / f"{quant}.gguf").tensors
