"""Each Vigogne prompt format renders byte-for-byte what the Vigogne repository builds.

Expected strings are written out by hand from the sources: chat-v2 from
vigogne/processors/vigogne_chat_v2.py (build_inference_prompt with the default
inference system message), llama-2 from vigogne_chat_v3.py, chat-v1 and instruct from
the early vigogne/preprocess.py (SYSTEM_MESSAGE / INSTRUCT_PROMPT, merge_instruction_and_input).
"""

from __future__ import annotations

import jinja2
import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from converters.templates import (
    FORMATS,
    PromptTemplateError,
    merge_instruction_and_input,
    render,
)

QUESTION = "Donne trois conseils pour rester en bonne santé."
ANSWER = "1. Mangez équilibré.\n2. Faites de l'exercice.\n3. Dormez suffisamment."
FOLLOW_UP = "Et pour bien dormir ?"
TWO_ROUNDS = [
    {"role": "user", "content": QUESTION},
    {"role": "assistant", "content": ANSWER},
    {"role": "user", "content": FOLLOW_UP},
]
GEN_SYSTEM_FR = (
    "Vous êtes Vigogne, un assistant IA créé par Zaion Lab. Vous suivez extrêmement bien les "
    "instructions. Aidez autant que vous le pouvez."
)

EXPECTED = {
    "chat-v2": (
        "<|system|>: " + GEN_SYSTEM_FR + "\n"
        "<|user|>: Donne trois conseils pour rester en bonne santé.\n"
        "<|assistant|>: 1. Mangez équilibré.\n2. Faites de l'exercice.\n3. Dormez suffisamment.</s>\n"
        "<|user|>: Et pour bien dormir ?\n"
        "<|assistant|>:"
    ),
    "chat-v1": (
        "Voici une conversation entre un utilisateur et un assistant IA nommé Vigogne.\n"
        "Vigogne est un assistant IA open-source créé par Zaion (https://zaion.ai/).\n"
        "Vigogne est respectueux, empathique, humble mais bien informé, et fournit toujours des "
        "réponses utiles et détaillées.\n"
        "Vigogne est capable d'effectuer une large variété de tâches telles que l'édition de texte, "
        "la traduction, la question answering, la raisonnement logique, le codage et bien d'autres "
        "encore.\n"
        "Vigogne ne peut pas recevoir ou générer de contenu audio ou visuel et ne peut pas accéder à "
        "Internet.\n"
        "Vigogne évite strictement de discuter de sujets sensibles, offensants, illégaux, éthiques ou "
        "politiques et met en garde lorsqu'il n'est pas sûr de la réponse.\n"
        "<|user|>: Donne trois conseils pour rester en bonne santé.\n"
        "<|assistant|>: 1. Mangez équilibré.\n2. Faites de l'exercice.\n3. Dormez suffisamment.</s>\n"
        "<|user|>: Et pour bien dormir ?\n"
        "<|assistant|>:"
    ),
    "llama-2": (
        "[INST] <<SYS>>\n" + GEN_SYSTEM_FR + "\n<</SYS>>\n\n"
        "Donne trois conseils pour rester en bonne santé. [/INST] "
        "1. Mangez équilibré.\n2. Faites de l'exercice.\n3. Dormez suffisamment.</s> "
        "[INST] Et pour bien dormir ? [/INST]"
    ),
    "instruct": (
        "Ci-dessous se trouve une instruction qui décrit une tâche à accomplir. Rédigez une réponse "
        "qui répond de manière précise à la demande.\n\n"
        "### Instruction:\nEt pour bien dormir ?\n\n### Réponse:\n"
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_format_renders_vigogne_inference_prompt(name: str) -> None:
    assert (
        render(FORMATS[name].template, TWO_ROUNDS, bos_token="", eos_token="</s>") == EXPECTED[name]
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_same_text_in_llama_cpp_python_and_plain_jinja(name: str) -> None:
    # llama-cpp-python (trim_blocks, lstrip_blocks) and a default Jinja environment must
    # agree with our renderer, so the GGUF reads the same in every tool.
    template = FORMATS[name].template
    via_llama_cpp = Jinja2ChatFormatter(template, eos_token="</s>", bos_token="<s>")(
        messages=TWO_ROUNDS
    ).prompt
    assert via_llama_cpp == "<s>" + EXPECTED[name]
    plain = (
        jinja2.Environment()
        .from_string(template)
        .render(messages=TWO_ROUNDS, bos_token="", eos_token="</s>", add_generation_prompt=True)
    )
    assert plain == EXPECTED[name]


def test_single_round_with_custom_system_message() -> None:
    messages = [
        {"role": "system", "content": "Réponds en une phrase."},
        {"role": "user", "content": "Quelle est la capitale de la France ?"},
    ]
    assert render(FORMATS["chat-v2"].template, messages, bos_token="", eos_token="</s>") == (
        "<|system|>: Réponds en une phrase.\n<|user|>: Quelle est la capitale de la France ?\n"
        "<|assistant|>:"
    )
    assert render(FORMATS["llama-2"].template, messages, bos_token="", eos_token="</s>") == (
        "[INST] <<SYS>>\nRéponds en une phrase.\n<</SYS>>\n\n"
        "Quelle est la capitale de la France ? [/INST]"
    )


def test_empty_system_message_drops_llama2_system_block() -> None:
    # vigogne_chat_v3: `if system_message:` -- an empty one leaves no <<SYS>> block.
    messages = [{"role": "system", "content": ""}, {"role": "user", "content": "Salut"}]
    assert (
        render(FORMATS["llama-2"].template, messages, bos_token="", eos_token="</s>")
        == "[INST] Salut [/INST]"
    )


def test_bos_token_is_emitted_once_at_start() -> None:
    text = render(FORMATS["llama-2"].template, TWO_ROUNDS, bos_token="<s>", eos_token="</s>")
    assert text.startswith("<s>[INST]") and text.count("<s>") == 1


def test_instruction_and_input_are_merged_like_vigogne() -> None:
    assert merge_instruction_and_input("Traduisez en anglais.", "Bonjour") == (
        "Traduisez en anglais : Bonjour"
    )
    assert merge_instruction_and_input("Résume ce texte :  ", "Il pleut.") == (
        "Résume ce texte : Il pleut."
    )
    assert merge_instruction_and_input("Écris un poème.", "") == "Écris un poème."


def test_roles_must_alternate() -> None:
    messages = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    with pytest.raises(PromptTemplateError, match="alterner"):
        render(FORMATS["chat-v2"].template, messages, bos_token="", eos_token="</s>")


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ messages.__class__.__init__.__globals__ }}",
        "{% set x = messages.append({'role': 'x'}) %}{{ x }}",
        # One operation that would take all the memory, or the CPU for hours.
        "{{ 'x' * 10**10 }}",
        "{{ [0] * 10**9 }}",
        "{{ 10**9 * 'ab' }}",
        "{{ 9 ** (10**9) }}",  # Jinja's ** groups from the left: 9 ** 10**9 is (9**10)**9
    ],
)
def test_templates_from_files_run_sandboxed(hostile: str) -> None:
    with pytest.raises(PromptTemplateError):
        render(hostile, [{"role": "user", "content": "Salut"}], bos_token="", eos_token="</s>")


def test_ordinary_repetition_and_powers_still_render() -> None:
    text = render("{{ '=' * 3 }}{{ 2 ** 10 }}{{ 2 * 3 }}", [], bos_token="", eos_token="")
    assert text == "===10246"


def test_broken_template_is_a_clear_error() -> None:
    with pytest.raises(PromptTemplateError, match="Modèle de prompt invalide"):
        render("{% for %}", [], bos_token="", eos_token="</s>")
