"""Messages + format -> prompt text and stop strings, and fitting a conversation to n_ctx.

The one rendering path: the worker counts and generates with `build_prompt`, the sharing
server's chat handler calls it too. The formats live once, in converters/templates.py;
history is trimmed the way Vigogne does (system message and first round kept, oldest
rounds after it dropped). The `name as name` imports are re-exports: the window reaches
the formats through the core, never through `converters` itself.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from converters.messages import say
from converters.templates import AUTO as AUTO
from converters.templates import (
    DEFAULT_FORMAT,
    FORMAT_KEY,
    PromptTemplateError,
    choose_format,
    render,
)
from converters.templates import FILE_TEMPLATE as FILE_TEMPLATE
from converters.templates import FORMATS as FORMATS
from converters.templates import FormatChoice as FormatChoice
from converters.templates import merge_instruction_and_input as merge_instruction_and_input

from .errors import PromptFormatError
from .protocol import Message as Message


def resolve_format(
    forced: str | None,
    *,
    file_template: str | None = None,
    file_format: str | None = None,
    model_name: str = "",
    fallback: str = DEFAULT_FORMAT,
) -> FormatChoice:
    """converters.templates.choose_format, with its error in the core's family."""
    try:
        return choose_format(
            forced,
            file_template=file_template,
            file_format=file_format,
            model_name=model_name,
            fallback=fallback,
        )
    except PromptTemplateError as exc:
        raise PromptFormatError(str(exc)) from exc


def format_for_file(
    forced: str | None,
    metadata: Mapping[str, str],
    path: str | Path,
    fallback: str = DEFAULT_FORMAT,
) -> FormatChoice:
    """The format for a loaded GGUF, from its metadata and file name."""
    return resolve_format(
        forced,
        file_template=metadata.get("tokenizer.chat_template"),
        file_format=metadata.get(FORMAT_KEY),
        model_name=_model_name(metadata, path),
        fallback=fallback,
    )


def _model_name(metadata: Mapping[str, str], path: str | Path) -> str:
    # The model table is matched on the name the file gives and on the file's own name.
    return f"{metadata.get('general.name', '')} {Path(path).name}"


@dataclass(frozen=True)
class SpecialTokens:
    """The model's own BOS and EOS texts, as its vocabulary spells them."""

    bos: str  # empty when the model takes no BOS (Falcon, MPT, BLOOM)
    eos: str

    @classmethod
    def of(cls, llm: Any) -> SpecialTokens:
        """Read them from a loaded llama_cpp.Llama (its vocabulary, not an assumption)."""
        model = llm._model
        eos_id, bos_id = llm.token_eos(), llm.token_bos()
        return cls(
            bos=model.token_get_text(bos_id) if bos_id != -1 and model.add_bos_token() else "",
            eos=model.token_get_text(eos_id) if eos_id != -1 else "",
        )


@dataclass(frozen=True)
class Prompt:
    text: str  # tokenize with special tokens parsed and no BOS added: the text has it
    stop: tuple[str, ...]


# A chat template read from a file is someone else's code. Jinja's sandbox keeps it from
# Python's internals, but not from looping for ever (nested `range(100000)` loops): its
# rendering gets this long, counted on the lines of the compiled template, which run in
# Python, so the check holds on every system (an alarm signal would not on Windows).
FILE_TEMPLATE_SECONDS = 0.5


class _TemplateTooSlow(Exception):
    """The file's template ran past FILE_TEMPLATE_SECONDS."""


def _within_deadline(seconds: float, render_prompt: Callable[[], str]) -> str:
    deadline = time.monotonic() + seconds

    def in_template(frame: FrameType, event: str, arg: object) -> Any:
        if time.monotonic() > deadline:
            raise _TemplateTooSlow
        return in_template

    def on_call(frame: FrameType, event: str, arg: object) -> Any:
        # Jinja names the code it compiles from a string "<template>": only it is watched.
        return in_template if frame.f_code.co_filename == "<template>" else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        return render_prompt()
    finally:
        sys.settrace(previous)


def build_prompt(
    choice: FormatChoice, messages: Sequence[Message], special: SpecialTokens
) -> Prompt:
    """The prompt text for these messages (generation prompt included) and its stops.

    A file's template that fails in any way (refused by the sandbox, too slow, a Python
    error of its own) raises PromptFormatError, like a bad one of ours.
    """

    def render_prompt() -> str:
        return render(choice.template, messages, bos_token=special.bos, eos_token=special.eos)

    try:
        if choice.name != FILE_TEMPLATE:
            text = render_prompt()
        else:
            text = _within_deadline(FILE_TEMPLATE_SECONDS, render_prompt)
    except PromptTemplateError as exc:
        raise PromptFormatError(str(exc)) from exc
    except Exception as exc:
        if choice.name != FILE_TEMPLATE:
            raise  # ours are tested: anything else is a bug to see, not a file to set aside
        raise PromptFormatError(
            say(
                f"Le modèle de prompt du fichier a échoué ({type(exc).__name__}) : "
                "choisissez un format de prompt dans les réglages.",
                f"The file's prompt template failed ({type(exc).__name__}): choose a prompt "
                "format in the settings.",
            )
        ) from exc
    stop = tuple(dict.fromkeys(s for s in (special.eos, *choice.stop) if s))
    return Prompt(text, stop)


# What a file's template must render before the app prompts with it: a first question,
# and a conversation with its system message and a second round.
_TRIAL_CONVERSATIONS: tuple[tuple[Message, ...], ...] = (
    ({"role": "user", "content": "Bonjour"},),
    (
        {"role": "system", "content": "Vous êtes Vigogne."},
        {"role": "user", "content": "Bonjour"},
        {"role": "assistant", "content": "Bonjour !"},
        {"role": "user", "content": "Ça va ?"},
    ),
)


def format_for_loaded_file(
    forced: str | None,
    metadata: Mapping[str, str],
    path: str | Path,
    special: SpecialTokens,
    fallback: str = DEFAULT_FORMAT,
) -> tuple[FormatChoice, FormatChoice, str]:
    """(the format to prompt with, the one to fall back on, one sentence if it already did).

    A chat template read from the file is tried on sample conversations first: one that
    fails (reaching for Python's internals, looping, erring) is set aside for the Vigogne
    format of the model table (or `fallback`), and the sentence says so, once.
    """
    choice = format_for_file(forced, metadata, path, fallback)
    spare = resolve_format(None, model_name=_model_name(metadata, path), fallback=fallback)
    if choice.name != FILE_TEMPLATE:
        return choice, spare, ""
    try:
        for conversation in _TRIAL_CONVERSATIONS:
            build_prompt(choice, conversation, special)
    except PromptFormatError:
        return spare, spare, template_set_aside(Path(path).name, spare)
    return choice, spare, ""


def template_set_aside(file_name: str, spare: FormatChoice) -> str:
    """The one sentence saying a file's chat template was set aside for `spare`."""
    return say(
        f"Le modèle de conversation (chat template) de « {file_name} » n'a pas pu servir "
        "(il tente d'atteindre les rouages internes de Python, boucle ou échoue) : le format "
        f"Vigogne « {spare.name} » le remplace ; choisissez-en un autre dans les réglages si "
        "besoin.",
        f"The chat template in “{file_name}” could not be used (it reaches for Python's "
        f"internals, loops or fails): the Vigogne format “{spare.name}” replaces it; choose "
        "another in the settings if needed.",
    )


def reply_budget(n_ctx: int, max_tokens: int | None) -> int:
    """Room kept for the reply when history is trimmed: never more than half the context."""
    return min(max_tokens or n_ctx // 4, n_ctx // 2)


# A remote server's tokenizer and template are out of reach, so its prompt is estimated,
# on the safe side: Llama and Mistral tokenizers average 3.5 to 4 characters per token on
# French prose, code and figures fewer; each message also costs its role markers, and a
# server may add a default system message of its own.
CHARS_PER_TOKEN = 3.0
TOKENS_PER_MESSAGE = 8
TEMPLATE_TOKENS = 64


def estimate_tokens(messages: Sequence[Message]) -> int:
    """An upper estimate of the prompt tokens a remote server will count."""
    return TEMPLATE_TOKENS + sum(
        math.ceil(len(m["content"]) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for m in messages
    )


@dataclass(frozen=True)
class FittedConversation:
    messages: list[Message]
    dropped_rounds: int
    prompt_tokens: int


class ContextOverflow(PromptFormatError):
    """Even the last question alone does not fit in the context window."""


def _rounds(turns: Sequence[Message]) -> list[list[Message]]:
    rounds: list[list[Message]] = []
    for message in turns:
        if message["role"] == "user" or not rounds:
            rounds.append([message])
        else:
            rounds[-1].append(message)
    return rounds


def last_rounds(messages: Sequence[Message], keep: int) -> tuple[list[Message], int]:
    """The system message and the last `keep` rounds; and how many rounds were left out.

    For models trained on single questions (vigogne.max_rounds), where earlier rounds
    would only confuse them.
    """
    system = [dict(m) for m in messages[:1] if m["role"] == "system"]
    rounds = _rounds([dict(m) for m in messages[len(system) :]])
    kept = rounds[-keep:] if keep > 0 else rounds
    return system + [m for r in kept for m in r], len(rounds) - len(kept)


def fit_messages(
    messages: Sequence[Message],
    count_tokens: Callable[[list[Message]], int],
    n_ctx: int,
    reply_tokens: int,
) -> FittedConversation:
    """Drop the oldest rounds after the first until prompt + reply budget fit in n_ctx.

    The system message and the first round stay (Vigogne's rule); the last round, which
    holds the question being asked, always stays. Only if that is still too long is the
    first round dropped too. `count_tokens` counts with the model's own tokenizer where
    there is one (the local engine), else estimates (`estimate_tokens`, remote engines).
    """
    budget = n_ctx - reply_tokens
    system = [dict(m) for m in messages[:1] if m["role"] == "system"]
    rounds = _rounds([dict(m) for m in messages[len(system) :]])

    def build(dropped: int) -> list[Message]:
        if len(rounds) <= 1:
            return system + [m for r in rounds for m in r]
        middle = rounds[1:-1][dropped:]
        return system + rounds[0] + [m for r in middle for m in r] + rounds[-1]

    full = build(0)
    tokens = count_tokens(full)
    if tokens <= budget:
        return FittedConversation(full, 0, tokens)
    # Fewer rounds never cost more tokens: binary search the fewest to drop.
    middle_count = max(len(rounds) - 2, 0)
    low, high = 1, middle_count
    best: tuple[int, int] | None = None
    while low <= high:
        mid = (low + high) // 2
        n = count_tokens(build(mid))
        if n <= budget:
            best, high = (mid, n), mid - 1
        else:
            low = mid + 1
    if best is not None:
        return FittedConversation(build(best[0]), best[0], best[1])
    if len(rounds) >= 2:
        last_only = system + rounds[-1]
        n = count_tokens(last_only)
        if n <= budget:
            return FittedConversation(last_only, len(rounds) - 1, n)
    raise ContextOverflow(
        say(
            f"Le message est trop long pour la fenêtre de contexte ({tokens} jetons, "
            f"{budget} disponibles) : raccourcissez-le ou augmentez la taille du contexte.",
            f"The message is too long for the context window ({tokens} tokens, {budget} "
            "available): shorten it or enlarge the context.",
        )
    )
