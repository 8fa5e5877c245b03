"""Choosing a prompt format, matching the seed's model table, and fitting n_ctx."""

from __future__ import annotations

import pytest

from converters import catalog
from converters.templates import FORMATS
from vigogne_desktop.core.errors import PromptFormatError
from vigogne_desktop.core.prompts import (
    FILE_TEMPLATE,
    ContextOverflow,
    Message,
    SpecialTokens,
    build_prompt,
    estimate_tokens,
    fit_messages,
    resolve_format,
)


@pytest.mark.parametrize(
    ("name", "repo", "fmt"),
    [
        ("vigogne-2-7b-chat.Q4_K_M.gguf", "bofenghuang/vigogne-2-7b-chat", "chat-v2"),
        ("Vigogne 2 7B Chat", "bofenghuang/vigogne-2-7b-chat", "chat-v2"),
        ("vigogne-7b-chat.ggmlv3.q4_0.gguf", "bofenghuang/vigogne-7b-chat", "chat-v1"),
        ("VIGOGNE_FALCON_7B_CHAT-f16.gguf", "bofenghuang/vigogne-falcon-7b-chat", "chat-v1"),
        ("vigogne-2-13b-instruct.Q5_K_M.gguf", "bofenghuang/vigogne-2-13b-instruct", "instruct"),
        ("vigogne-bloom-7b1-instruct", "bofenghuang/vigogne-bloom-7b1-instruct", "instruct"),
        ("vigogne-mpt-7b-instruct-q8_0.gguf", "bofenghuang/vigogne-mpt-7b-instruct", "instruct"),
    ],
)
def test_catalog_matches_file_names(name: str, repo: str, fmt: str) -> None:
    entry = catalog.match(name)
    assert entry is not None and entry.repo == repo and entry.format == fmt


def test_catalog_knows_every_seed_model_and_no_stranger() -> None:
    assert len(catalog.entries()) == 13
    assert {e.format for e in catalog.entries()} <= set(FORMATS)
    assert catalog.match("mistral-7b-instruct-v0.2.Q4_K_M.gguf") is None


def test_forced_format_wins_over_everything() -> None:
    choice = resolve_format(
        "instruct",
        file_format="chat-v2",
        file_template=FORMATS["chat-v2"].template,
        model_name="vigogne-7b-chat",
    )
    assert (choice.name, choice.source) == ("instruct", "forced")


def test_unknown_forced_format_is_a_clear_error() -> None:
    with pytest.raises(PromptFormatError, match="inconnu.*chat-v2"):
        resolve_format("alpaca")


def test_auto_prefers_the_files_own_template() -> None:
    ours = resolve_format(
        "auto", file_template=FORMATS["llama-2"].template, model_name="vigogne-7b-chat"
    )
    assert (ours.name, ours.source) == ("llama-2", "file")
    foreign = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    other = resolve_format("auto", file_template=foreign, model_name="vigogne-7b-chat")
    assert (other.name, other.template, other.source) == ("file", foreign, "file")


def test_auto_falls_back_to_catalog_then_users_choice() -> None:
    assert resolve_format("auto", model_name="vigogne-7b-chat.gguf").name == "chat-v1"
    fallback = resolve_format("auto", model_name="mon-modele.gguf", fallback="llama-2")
    assert (fallback.name, fallback.source) == ("llama-2", "default")


def test_converter_and_app_choose_with_one_rule() -> None:
    from converters.templates import choose_format

    # The converter has only a name; the app adds what the GGUF says, above the table.
    assert choose_format(None, model_name="vigogne-2-13b-instruct").name == "instruct"
    assert resolve_format(None, model_name="vigogne-2-13b-instruct").name == "instruct"
    assert choose_format(None, model_name="inconnu", fallback="llama-2").name == "llama-2"


def test_prompt_and_stops_use_the_models_own_eos() -> None:
    history = [
        {"role": "user", "content": "Salut"},
        {"role": "assistant", "content": "Bonjour"},
        {"role": "user", "content": "Ça va ?"},
    ]
    chat_v2 = resolve_format("chat-v2")
    falcon = build_prompt(chat_v2, history, SpecialTokens(bos="", eos="<|endoftext|>"))
    assert "<|assistant|>: Bonjour<|endoftext|>\n<|user|>: Ça va ?" in falcon.text
    assert not falcon.text.startswith("<s>") and "</s>" not in falcon.text
    # `</s>` in a Falcon reply is ordinary text (HTML, say): it must not end the reply.
    assert falcon.stop == ("<|endoftext|>", "\n<|user|>:")
    llama = build_prompt(chat_v2, history, SpecialTokens(bos="<s>", eos="</s>"))
    assert llama.text.startswith("<s><|system|>: ") and "Bonjour</s>\n" in llama.text
    assert llama.stop == ("</s>", "\n<|user|>:")
    foreign = resolve_format(
        None, file_template="{% for m in messages %}{{ m.content }}{% endfor %}"
    )
    assert foreign.name == FILE_TEMPLATE
    assert build_prompt(foreign, history, SpecialTokens("", "<|im_end|>")).stop == ("<|im_end|>",)


def test_remote_estimate_grows_with_the_text_and_stays_generous() -> None:
    short = [{"role": "user", "content": "Bonjour"}]
    long = [{"role": "user", "content": "Bonjour " * 100}]
    assert estimate_tokens(long) > estimate_tokens(short)
    # French prose averages 3.5 to 4 characters a token: the estimate must not be lower.
    assert estimate_tokens(long) >= len(long[0]["content"]) / 3.5


def words(messages: list[Message]) -> int:
    return sum(len(m["content"].split()) for m in messages)


def conversation(rounds: int) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": "sys tem"}]
    for i in range(rounds):
        messages += [
            {"role": "user", "content": f"question {i} a b"},
            {"role": "assistant", "content": f"réponse {i} c d"},
        ]
    messages.append({"role": "user", "content": "dernière question"})
    return messages


def test_history_that_fits_is_untouched() -> None:
    messages = conversation(3)
    fitted = fit_messages(messages, words, n_ctx=100, reply_tokens=10)
    assert fitted.messages == messages and fitted.dropped_rounds == 0
    assert fitted.prompt_tokens == words(messages)


def test_oldest_rounds_after_the_first_are_dropped_first() -> None:
    messages = conversation(10)  # 2 + 10 * 8 + 2 = 84 words
    fitted = fit_messages(messages, words, n_ctx=60, reply_tokens=10)
    kept = fitted.messages
    assert kept[0]["content"] == "sys tem"
    assert kept[1]["content"] == "question 0 a b" and kept[2]["content"] == "réponse 0 c d"
    assert kept[-1]["content"] == "dernière question"
    # As few rounds as possible are dropped, and they are the oldest after the first.
    assert fitted.dropped_rounds == 5
    assert kept[3]["content"] == "question 6 a b"
    assert fitted.prompt_tokens == words(kept) == 44


def test_first_round_goes_only_when_nothing_else_fits() -> None:
    messages = conversation(3)
    fitted = fit_messages(messages, words, n_ctx=14, reply_tokens=10)
    assert [m["content"] for m in fitted.messages] == ["sys tem", "dernière question"]
    assert fitted.dropped_rounds == 3


def test_question_too_long_for_the_context_is_a_clear_error() -> None:
    messages: list[Message] = [{"role": "user", "content": "mot " * 200}]
    with pytest.raises(ContextOverflow, match="trop long"):
        fit_messages(messages, words, n_ctx=100, reply_tokens=10)


def test_last_rounds_keeps_the_system_message_and_the_last_questions() -> None:
    from vigogne_desktop.core.prompts import last_rounds

    history = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "R1"},
        {"role": "user", "content": "Q2"},
        {"role": "assistant", "content": "R2"},
        {"role": "user", "content": "Q3"},
    ]
    kept, left_out = last_rounds(history, 1)
    assert [m["content"] for m in kept] == ["S", "Q3"] and left_out == 2
    kept, left_out = last_rounds(history, 2)
    assert [m["content"] for m in kept] == ["S", "Q2", "R2", "Q3"] and left_out == 1
    assert last_rounds(history, 0) == (history, 0)
