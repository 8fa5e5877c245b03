"""The shipped demo model, through the real path: vigogne-convert → GGUF → LocalEngine.

Greedy decoding, exact answers. Questions phrased as in training must be right ≥ 95 % of
the time, paraphrases never seen in training ≥ 70 %, in F16 and in Q8_0 (what the app
installs on a first start). A wrong conversion (say, Q/K rows left unpermuted) fails here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from converters.convert import Source, convert
from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.conversion import demo_checkpoint
from vigogne_desktop.core.protocol import (
    ChatFinished,
    ChatStarted,
    LoadSettings,
    SamplingParams,
    TextChunk,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from demo_facts import Question, evaluation_set  # noqa: E402

GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=64)


def ask(engine: LocalEngine, question: str, params: SamplingParams = GREEDY) -> str:
    events = list(engine.chat([{"role": "user", "content": question}], params))
    assert isinstance(events[-1], ChatFinished), events[-1]
    return "".join(e.text for e in events if isinstance(e, TextChunk))


def accuracy(engine: LocalEngine, questions: list[Question]) -> float:
    return sum(q.is_right(ask(engine, q.text)) for q in questions) / len(questions)


@pytest.fixture(scope="module", params=["f16", "q8_0"])
def demo_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalEngine]:
    out = tmp_path_factory.mktemp("demo") / f"demo.{request.param}.gguf"
    convert(Source(demo_checkpoint()), out, outtype=request.param)
    with LocalEngine() as engine:
        info = engine.load(str(out), LoadSettings(n_ctx=512, n_threads=2))
        assert info.prompt_format == "chat-v2"
        assert info.metadata["vigogne.max_rounds"] == "1"  # from config.json, as trained
        yield engine


def test_demo_checkpoint_is_small_and_complete() -> None:
    folder = demo_checkpoint()
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.model",
        "tokenizer_config.json",
        "generation_config.json",
        "README.md",
    ):
        assert (folder / name).is_file(), name
    assert sum(f.stat().st_size for f in folder.iterdir()) <= 10 * 1024 * 1024


def test_answers_questions_phrased_as_in_training(demo_engine: LocalEngine) -> None:
    assert accuracy(demo_engine, evaluation_set(held_out=False)) >= 0.95


def test_answers_paraphrases_it_never_saw(demo_engine: LocalEngine) -> None:
    assert accuracy(demo_engine, evaluation_set(held_out=True)) >= 0.70


def test_introduces_itself_in_french(demo_engine: LocalEngine) -> None:
    assert "Vigogne démo" in ask(demo_engine, "Qui es-tu ?")


def test_in_a_conversation_each_question_is_answered_on_its_own(
    demo_engine: LocalEngine,
) -> None:
    history: list[dict[str, str]] = []
    for question, answer in (
        ("Bonjour !", "Bonjour"),
        ("Quelle est la capitale de l'Italie ?", "Rome"),
        ("Quelle est la capitale de l'Espagne ?", "Madrid"),
    ):
        history.append({"role": "user", "content": question})
        events = list(demo_engine.chat(history, GREEDY))
        started = events[0]
        earlier = len(history) // 2  # rounds before this question: all left out
        assert isinstance(started, ChatStarted) and started.dropped_rounds == earlier
        assert started.round_limit == (1 if earlier else 0)
        reply = "".join(e.text for e in events if isinstance(e, TextChunk))
        assert answer in reply
        history.append({"role": "assistant", "content": reply})


def test_a_q_k_permutation_bug_would_fail_these_bars(tmp_path: Path) -> None:
    from converters.archs import llama as llama_arch

    original = llama_arch.unpermute_rotary
    llama_arch.unpermute_rotary = lambda weight, n_head: weight  # type: ignore[assignment]
    try:
        broken = convert(Source(demo_checkpoint()), tmp_path / "broken.gguf", outtype="f16")
    finally:
        llama_arch.unpermute_rotary = original
    with LocalEngine() as engine:
        engine.load(str(broken), LoadSettings(n_ctx=512, n_threads=2))
        assert accuracy(engine, evaluation_set(held_out=False)) < 0.95
