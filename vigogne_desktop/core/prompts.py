"""Which Vigogne prompt format a model gets, and how a conversation is fitted to n_ctx.

The formats themselves live once, in converters/templates.py; this module only chooses
among them and trims history the way Vigogne does (system message and first round kept,
oldest rounds after it dropped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from converters import catalog
from converters.messages import say
from converters.templates import DEFAULT_FORMAT, FORMATS, PromptTemplateError, render

from .errors import PromptFormatError

Message = dict[str, str]

AUTO = "auto"
FILE_TEMPLATE = "file"


@dataclass(frozen=True)
class FormatChoice:
    """The template a model is prompted with, and why it was chosen."""

    name: str  # a key of FORMATS, or FILE_TEMPLATE for a template read from the GGUF
    template: str
    stop: tuple[str, ...]
    source: str  # "forced", "file", "catalog" or "default"


def _known(name: str, source: str) -> FormatChoice:
    fmt = FORMATS[name]
    return FormatChoice(fmt.name, fmt.template, fmt.stop, source)


def resolve_format(
    forced: str | None,
    *,
    file_template: str | None = None,
    file_format: str | None = None,
    model_name: str = "",
    fallback: str = DEFAULT_FORMAT,
) -> FormatChoice:
    """Pick the prompt format for a model.

    A format the user forced wins. Otherwise, in order: the Vigogne format named in the
    GGUF, the chat template the GGUF carries, the seed's model table matched on the
    model's name, and last the user's default choice (`fallback`).
    """
    if forced and forced != AUTO:
        if forced not in FORMATS:
            names = ", ".join(FORMATS)
            raise PromptFormatError(
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
        return FormatChoice(FILE_TEMPLATE, file_template, ("</s>",), "file")
    entry = catalog.match(model_name)
    if entry is not None:
        return _known(entry.format, "catalog")
    return _known(fallback if fallback in FORMATS else DEFAULT_FORMAT, "default")


def render_prompt(choice: FormatChoice, messages: Sequence[Message], bos_token: str = "") -> str:
    """The prompt text for these messages, generation prompt included."""
    try:
        return render(choice.template, messages, bos_token=bos_token)
    except PromptTemplateError as exc:
        raise PromptFormatError(str(exc)) from exc


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
    first round dropped too. `count_tokens` must count with the model's own tokenizer.
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
