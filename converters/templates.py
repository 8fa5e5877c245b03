"""The Vigogne prompt formats, each once, as a Jinja chat template.

The converter embeds these in GGUF files (`tokenizer.chat_template`) and the app uses
the same text for files that carry none. Every template renders exactly the strings the
Vigogne repository builds for inference (see tests/test_templates.py for the sources).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import catalog
from .messages import say

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import ImmutableSandboxedEnvironment

# GGUF key naming the Vigogne format a converted file was made for.
FORMAT_KEY = "vigogne.prompt_format"
# How many rounds (question and answer) of a conversation the model was trained on, when
# it is limited: read from config.json, written to the GGUF.
MAX_ROUNDS_CONFIG = "vigogne_max_rounds"
MAX_ROUNDS_KEY = "vigogne.max_rounds"

# Default system messages, French first (vigogne/processors/vigogne_chat_v2.py and the
# early vigogne/preprocess.py). The inference message names the assistant.
SYSTEM_CHAT_V2 = (
    "Vous êtes Vigogne, un assistant IA créé par Zaion Lab. Vous suivez extrêmement bien "
    "les instructions. Aidez autant que vous le pouvez."
)
SYSTEM_CHAT_V1 = (
    "Voici une conversation entre un utilisateur et un assistant IA nommé Vigogne.\n"
    "Vigogne est un assistant IA open-source créé par Zaion (https://zaion.ai/).\n"
    "Vigogne est respectueux, empathique, humble mais bien informé, et fournit toujours des "
    "réponses utiles et détaillées.\n"
    "Vigogne est capable d'effectuer une large variété de tâches telles que l'édition de texte, "
    "la traduction, la question answering, la raisonnement logique, le codage et bien d'autres "
    "encore.\n"
    "Vigogne ne peut pas recevoir ou générer de contenu audio ou visuel et ne peut pas accéder "
    "à Internet.\n"
    "Vigogne évite strictement de discuter de sujets sensibles, offensants, illégaux, éthiques "
    "ou politiques et met en garde lorsqu'il n'est pas sûr de la réponse."
)
SYSTEM_INSTRUCT = (
    "Ci-dessous se trouve une instruction qui décrit une tâche à accomplir. Rédigez une "
    "réponse qui répond de manière précise à la demande."
)

# The preamble every template shares: pick the system message (first message or the
# default) and check that the remaining turns alternate user/assistant.
_PREAMBLE = (
    "{{ bos_token }}"
    "{% if messages and messages[0]['role'] == 'system' %}"
    "{% set system = messages[0]['content'] %}{% set turns = messages[1:] %}"
    "{% else %}{% set system = @DEFAULT@ %}{% set turns = messages %}{% endif %}"
    "{% for m in turns %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Les rôles doivent alterner utilisateur/assistant.') }}"
    "{% endif %}{% endfor %}"
)

# chat-v2 and chat-v1 differ only in how the system message opens the prompt. Newlines
# are emitted from expressions: transformers and llama-cpp-python render templates with
# trim_blocks, which would eat a newline written right after a block tag.
_TURNS_CHAT = (
    "{% for m in turns %}"
    "{% if m['role'] == 'user' %}{{ '\\n<|user|>: ' + m['content'] }}"
    "{% else %}{{ '\\n<|assistant|>: ' + m['content'] + eos_token }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '\\n<|assistant|>:' }}{% endif %}"
)

# Llama-2 style (vigogne_chat_v3.py): the system block sits inside the first [INST],
# rounds are joined by one space, BOS only once at the very start.
_TURNS_LLAMA2 = (
    "{% for m in turns %}"
    "{% if m['role'] == 'user' %}{% if not loop.first %} {% endif %}[INST] "
    "{% if loop.first and system %}<<SYS>>\n{{ system }}\n<</SYS>>\n\n{% endif %}"
    "{{ m['content'] }} [/INST]"
    "{% else %} {{ m['content'] }}{{ eos_token }}{% endif %}"
    "{% endfor %}"
)

# Instruct models are one-shot: only the last user message is the instruction; the
# system message, when given, replaces the French preamble sentence.
_TURNS_INSTRUCT = (
    "{% for m in turns if m['role'] == 'user' %}{% if loop.last %}"
    "{{ system }}\n\n### Instruction:\n{{ m['content'] }}\n\n### Réponse:\n"
    "{% endif %}{% endfor %}"
)


def _template(default_system: str, body: str) -> str:
    # A JSON string is a valid Jinja string literal (and minja's, in llama-server).
    return _PREAMBLE.replace("@DEFAULT@", json.dumps(default_system, ensure_ascii=False)) + body


@dataclass(frozen=True)
class PromptFormat:
    """One Vigogne prompt format: its Jinja template and where generation must stop.

    `stop` lists the strings that end a reply besides the model's own end-of-sequence
    token, whose text depends on the model (`</s>` for Llama, `<|endoftext|>` for Falcon).
    """

    name: str
    title: str
    template: str
    default_system: str
    stop: tuple[str, ...]


FORMATS: dict[str, PromptFormat] = {
    f.name: f
    for f in (
        PromptFormat(
            "chat-v2",
            "Vigogne Chat V2 (<|system|> / <|user|> / <|assistant|>)",
            _template(SYSTEM_CHAT_V2, "<|system|>: {{ system }}" + _TURNS_CHAT),
            SYSTEM_CHAT_V2,
            ("\n<|user|>:",),
        ),
        PromptFormat(
            "chat-v1",
            "Vigogne Chat V1 (<|user|> / <|assistant|>)",
            _template(SYSTEM_CHAT_V1, "{{ system }}" + _TURNS_CHAT),
            SYSTEM_CHAT_V1,
            ("\n<|user|>:",),
        ),
        PromptFormat(
            "llama-2",
            "Llama-2 ([INST] <<SYS>>)",
            _template(SYSTEM_CHAT_V2, _TURNS_LLAMA2),
            SYSTEM_CHAT_V2,
            ("[INST]",),
        ),
        PromptFormat(
            "instruct",
            "Vigogne Instruct (### Instruction / ### Réponse)",
            _template(SYSTEM_INSTRUCT, _TURNS_INSTRUCT),
            SYSTEM_INSTRUCT,
            ("\n### Instruction:",),
        ),
    )
}
DEFAULT_FORMAT = "chat-v2"


class PromptTemplateError(ValueError):
    """A chat template could not be rendered (bad syntax, unsafe code, or bad roles)."""


AUTO = "auto"  # let choose_format decide
FILE_TEMPLATE = "file"  # the name given to a chat template read from a GGUF file


@dataclass(frozen=True)
class FormatChoice:
    """The template a model is prompted with, and why it was chosen."""

    name: str  # a key of FORMATS, or FILE_TEMPLATE for a template read from the GGUF
    template: str
    stop: tuple[str, ...]  # besides the model's end-of-sequence token
    source: str  # "forced", "file", "catalog" or "default"


def _known(name: str, source: str) -> FormatChoice:
    fmt = FORMATS[name]
    return FormatChoice(fmt.name, fmt.template, fmt.stop, source)


def choose_format(
    forced: str | None,
    *,
    file_template: str | None = None,
    file_format: str | None = None,
    model_name: str = "",
    fallback: str = DEFAULT_FORMAT,
) -> FormatChoice:
    """Pick the prompt format for a model: the one rule for the converter and the app.

    A format the user forced wins. Otherwise, in order: the Vigogne format named in the
    GGUF, the chat template the GGUF carries, the seed's model table matched on the
    model's name, and last the user's default choice (`fallback`). The converter, which
    has no GGUF yet, gives only the forced format and the checkpoint's name.
    """
    if forced and forced != AUTO:
        if forced not in FORMATS:
            names = ", ".join(FORMATS)
            raise PromptTemplateError(
                say(
                    f"Format de prompt inconnu « {forced} » : choisissez parmi {names}.",
                    f"Unknown prompt format “{forced}”: choose one of {names}.",
                )
            )
        return _known(forced, "forced")
    if file_format in FORMATS:
        return _known(file_format, "file")
    if file_template:
        for fmt in FORMATS.values():
            if fmt.template == file_template:
                return _known(fmt.name, "file")
        return FormatChoice(FILE_TEMPLATE, file_template, (), "file")
    entry = catalog.match(model_name)
    if entry is not None:
        return _known(entry.format, "catalog")
    return _known(fallback if fallback in FORMATS else DEFAULT_FORMAT, "default")


def _raise_exception(message: str) -> None:
    raise PromptTemplateError(message)


def _tojson(value: Any, indent: int | None = None) -> str:
    # As transformers renders chat templates: plain JSON, non-ASCII kept.
    return json.dumps(value, ensure_ascii=False, indent=indent)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


# The largest string or list one `*` of a template may build, and the largest power `**` takes.
MAX_BUILT = 1_000_000
MAX_EXPONENT = 1024


@functools.cache
def _environment() -> ImmutableSandboxedEnvironment:
    """The same settings, extension and helpers as transformers and llama-cpp-python, so a
    template read from any GGUF renders alike in all three. Made on first use: importing
    jinja2 costs the app's start about 50 ms, and the window paints before any prompt."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):
        """The sandbox, and no `'x' * 10**10` or `9 ** 10**9`: one operation of a template
        from a file could otherwise take all the memory or CPU before any time limit acts."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "*":
                for items, times in ((left, right), (right, left)):
                    sized = isinstance(items, str | list | tuple) and isinstance(times, int)
                    if sized and len(items) * times > MAX_BUILT:
                        raise SecurityError("a template built a value too large")
            if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError("a template raised a number to too large a power")
            return super().call_binop(context, operator, left, right)

    env = Bounded(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = _tojson
    env.globals["strftime_now"] = _strftime_now
    return env


@functools.lru_cache(maxsize=16)
def _compiled(template: str) -> Template:
    # Compiling costs about 6 ms; history trimming renders one template several times.
    return _environment().from_string(template)


def render(
    template: str,
    messages: Sequence[Mapping[str, str]],
    *,
    bos_token: str,
    eos_token: str,
    add_generation_prompt: bool = True,
) -> str:
    """Render any chat template (ours or one read from a file) in Jinja's sandbox.

    `bos_token` and `eos_token` are the model's own texts (empty for a model without a
    BOS): there is no default, since `</s>` is wrong for Falcon, MPT and BLOOM.
    Raises PromptTemplateError with a readable message; a template cannot reach Python
    objects or run code, whatever file it came from.
    """
    from jinja2 import TemplateError

    try:
        return _compiled(template).render(
            messages=[dict(m) for m in messages],
            bos_token=bos_token,
            eos_token=eos_token,
            add_generation_prompt=add_generation_prompt,
            raise_exception=_raise_exception,
        )
    except PromptTemplateError:
        raise
    except TemplateError as exc:
        raise PromptTemplateError(
            say(f"Modèle de prompt invalide : {exc}", f"Invalid prompt template: {exc}")
        ) from exc


_TRAILING_PUNCTUATION = re.compile(r"[!,\-.:;?~ ]+$")


def merge_instruction_and_input(instruction: str, input_text: str) -> str:
    """Join an instruction and its optional input the way Vigogne instruct data did.

    Trailing punctuation of the instruction is dropped, then ` : ` joins the two.
    """
    if not input_text:
        return instruction
    return _TRAILING_PUNCTUATION.sub("", instruction) + " : " + input_text
