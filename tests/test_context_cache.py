"""Going back to a recent conversation: its llama.cpp state is put back instead of its
whole history being read again, and the reply is the same as without (issue 12, item 2)."""

from __future__ import annotations

from pathlib import Path

from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.kv_cache import ContextCache, common_prefix
from vigogne_desktop.core.protocol import (
    ChatEvent,
    ChatStarted,
    LoadSettings,
    SamplingParams,
    TextChunk,
)

GREEDY = SamplingParams(temperature=0.0, max_tokens=16, logit_bias={2: -100.0})


def conversation(topic: str) -> list[dict[str, str]]:
    """A history long enough (a few hundred tokens) to be worth keeping."""
    messages = []
    for n in range(4):
        messages.append({"role": "user", "content": f"{topic} : question {n} " + "blabla " * 20})
        messages.append({"role": "assistant", "content": f"Réponse {n} sur {topic}. " * 6})
    messages.append({"role": "user", "content": f"Et pour finir, {topic} ?"})
    return messages


def ask(engine: LocalEngine, messages: list[dict[str, str]]) -> tuple[ChatStarted, str]:
    events: list[ChatEvent] = list(engine.chat(messages, GREEDY))
    started = next(e for e in events if isinstance(e, ChatStarted))
    return started, "".join(e.text for e in events if isinstance(e, TextChunk))


def test_a_conversation_returned_to_is_restored_and_answers_the_same(tiny_gguf: Path) -> None:
    first, second = conversation("les crêpes"), conversation("les volcans")
    with LocalEngine() as cold:  # nothing kept: every prompt read whole
        cold.load(str(tiny_gguf), LoadSettings(n_ctx=2048, context_cache_mb=0, seed=1))
        _, first_reply = ask(cold, first)
        ask(cold, second)
        back, expected = ask(cold, [*first, {"role": "assistant", "content": first_reply}])
        assert back.restored_tokens == 0
    with LocalEngine() as engine:
        engine.load(str(tiny_gguf), LoadSettings(n_ctx=2048, seed=1))
        started, reply = ask(engine, first)
        assert started.restored_tokens == 0 and reply == first_reply
        started, _ = ask(engine, second)
        assert started.restored_tokens == 0  # nothing kept shares its beginning
        back, again = ask(engine, [*first, {"role": "assistant", "content": reply}])
    assert back.restored_tokens > back.prompt_tokens // 2  # most of it was not read again
    assert back.restore_seconds < 1.0
    assert again == expected  # the state put back is the one the model had


def test_the_shared_beginning_of_two_token_lists() -> None:
    assert common_prefix([1, 2, 3, 4], [1, 2, 9]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([5, 6], [5, 6, 7]) == 2
    assert ContextCache(budget_bytes=0).budget_bytes == 0


def test_the_oldest_state_goes_first_when_the_budget_is_spent(tiny_gguf: Path) -> None:
    """Three conversations, room for two of their states: the first one is forgotten."""
    import llama_cpp
    from llama_cpp import Llama

    llm = Llama(str(tiny_gguf), n_ctx=2048, verbose=False)
    prompts = [llm.tokenize(f"{topic} ".encode() * 150) for topic in ("crêpes", "volcans", "lacs")]
    llm.create_completion(prompts[0], max_tokens=1)
    size = llama_cpp.llama_state_get_size(llm.ctx)
    cache = ContextCache(budget_bytes=int(size * 2.5))
    for prompt in prompts[1:]:
        assert cache.before(llm, prompt) is None  # the one held is kept, none to put back
        llm.create_completion(prompt, max_tokens=1)
    assert cache.before(llm, prompts[0]) is None  # kept first, forgotten first
    restored = cache.before(llm, prompts[1])
    assert restored is not None and restored.tokens == len(prompts[1])
    assert len(cache) == 2 and cache.used_bytes <= cache.budget_bytes
    llm.close()
