"""The chat types, and the JSON-lines protocol between LocalEngine and its worker child.

One JSON object per line on the child's stdin (requests) and stdout (events), each built
and read here only. Every line carries an `id`: a request's own, or, for an event, the
id of the request it answers (a cancel's id is the reply it stops; "ready" has none).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

Message = dict[str, str]


@dataclass(frozen=True)
class LoadSettings:
    """How llama.cpp loads a model: the model's settings, not a conversation's."""

    n_ctx: int | None = None  # None: the model's trained context, capped by memory
    n_threads: int | None = None  # None: one per physical core (converters.cores.default_threads)
    n_batch: int = 512
    n_gpu_layers: int = 0
    seed: int = 0xFFFFFFFF  # llama.cpp's "random seed"
    prompt_format: str = "auto"  # a Vigogne format name, or "auto"
    default_format: str = "chat-v2"  # used when "auto" finds nothing
    # RAM kept for the states of recent conversations (kv_cache.py); None: a quarter of the
    # RAM available at load, at most 4 GiB; 0: none kept.
    context_cache_mb: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadSettings:
        return cls(**data)


@dataclass(frozen=True)
class SamplingParams:
    """Sampling for one reply. The defaults are Vigogne's recommended preset."""

    temperature: float = 0.1
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    repeat_penalty: float = 1.1
    max_tokens: int | None = 512
    seed: int | None = None
    stop: tuple[str, ...] = ()
    logit_bias: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        data["logit_bias"] = {str(k): v for k, v in self.logit_bias.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SamplingParams:
        data = dict(data)
        data["stop"] = tuple(data.get("stop", ()))
        data["logit_bias"] = {int(k): float(v) for k, v in data.get("logit_bias", {}).items()}
        return cls(**data)


@dataclass(frozen=True)
class ModelInfo:
    """What the engine knows of the loaded model (the "loaded" event)."""

    path: str
    name: str
    architecture: str
    n_ctx: int
    n_ctx_train: int
    prompt_format: str
    format_source: str
    file_type: str
    load_seconds: float
    metadata: dict[str, str]
    gpu_layers: int = 0  # layers llama.cpp runs on the GPU
    threads: int = 0  # the CPU threads llama.cpp decodes with (0: not known, a server)
    # One sentence when the load fell back (fewer GPU layers, CPU only) or the context asked
    # for is past the model's trained one.
    load_note: str = ""


# -- the chat events every engine streams ------------------------------------------------


@dataclass(frozen=True)
class TextChunk:
    text: str


@dataclass(frozen=True)
class ChatStarted:
    prompt_tokens: int  # 0 where the engine cannot count them before the reply (remote)
    dropped_rounds: int  # rounds of history left out (to fit n_ctx, or by the model's limit)
    # The model takes only so many rounds (vigogne.max_rounds): history beyond is left out
    # because of what the model is, not for room.
    round_limit: int = 0
    # The model's state for this conversation was kept and put back: this many tokens of
    # the prompt were not read again, at the cost of a copy of `restore_seconds`.
    restored_tokens: int = 0
    restore_seconds: float = 0.0
    # One sentence to show once: the file's chat template failed on this conversation and the
    # model table's format took its place (prompts.template_set_aside).
    note: str = ""


@dataclass(frozen=True)
class ChatFinished:
    finish_reason: str  # "stop", "length" or "cancelled"
    prompt_tokens: int
    completion_tokens: int
    tokens_per_second: float
    first_token_seconds: float


@dataclass(frozen=True)
class ChatFailed:
    message: str  # one sentence for the user: what happened and what to do
    crashed: bool = False  # the engine itself died and must be started again
    # The raw facts (how the child ended, llama.cpp's last log lines): for a « Details »
    # view, a terminal or a bug report, never in the sentence.
    details: str = ""


ChatEvent = TextChunk | ChatStarted | ChatFinished | ChatFailed


# -- requests (parent -> child) ----------------------------------------------------------


@dataclass(frozen=True)
class LoadRequest:
    path: str
    settings: LoadSettings


@dataclass(frozen=True)
class ChatRequest:
    messages: list[Message]
    params: SamplingParams
    prompt_format: str | None = None  # forces a Vigogne format for this reply only


@dataclass(frozen=True)
class CancelRequest:
    """Stop the reply whose id this request carries; read at once, even mid-reply."""


@dataclass(frozen=True)
class TokenizeRequest:
    text: str


@dataclass(frozen=True)
class UnloadRequest:
    pass


Request = LoadRequest | ChatRequest | CancelRequest | TokenizeRequest | UnloadRequest

# -- events (child -> parent), besides ModelInfo and the chat events ---------------------


@dataclass(frozen=True)
class Ready:
    """The child is up and reads requests."""

    pid: int


@dataclass(frozen=True)
class Tokens:
    tokens: list[int]


@dataclass(frozen=True)
class Unloaded:
    pass


@dataclass(frozen=True)
class WorkerError:
    """A request failed; `kind` names the core exception class to raise in the parent."""

    kind: str
    message: str


Event = Ready | ModelInfo | Tokens | Unloaded | WorkerError | ChatStarted | TextChunk | ChatFinished

_REQUESTS: dict[str, type[Request]] = {
    "load": LoadRequest,
    "chat": ChatRequest,
    "cancel": CancelRequest,
    "tokenize": TokenizeRequest,
    "unload": UnloadRequest,
}
_EVENTS: dict[str, type[Event]] = {
    "ready": Ready,
    "loaded": ModelInfo,
    "tokens": Tokens,
    "unloaded": Unloaded,
    "error": WorkerError,
    "started": ChatStarted,
    "delta": TextChunk,
    "done": ChatFinished,
}
_NAMES: dict[type, str] = {
    cls: name for table in (_REQUESTS, _EVENTS) for name, cls in table.items()
}
# Fields that hold a dataclass of their own: written with to_json, read with from_json.
_NESTED: dict[str, Any] = {"settings": LoadSettings, "params": SamplingParams}


def _encode(key: str, message: Request | Event, rid: str) -> bytes:
    data: dict[str, Any] = {key: _NAMES[type(message)], "id": rid}
    for f in fields(message):
        value = getattr(message, f.name)
        data[f.name] = value.to_json() if f.name in _NESTED else value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _decode(key: str, table: dict[str, Any], line: bytes) -> tuple[str, Any]:
    """(id, message) from one line; ValueError for anything that is not one of ours."""
    data = json.loads(line)
    if not isinstance(data, dict) or data.get(key) not in table:
        raise ValueError(f"not a protocol line: {line[:80]!r}")
    cls = table[data[key]]
    try:
        values = {
            f.name: _NESTED[f.name].from_json(data[f.name]) if f.name in _NESTED else data[f.name]
            for f in fields(cls)
            if f.name in data
        }
        return str(data.get("id", "")), cls(**values)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"malformed {data[key]!r} line: {exc}") from exc


def encode_request(rid: str, request: Request) -> bytes:
    return _encode("op", request, rid)


def encode_event(rid: str, event: Event) -> bytes:
    return _encode("event", event, rid)


def decode_request(line: bytes) -> tuple[str, Request]:
    rid, request = _decode("op", _REQUESTS, line)
    return rid, request


def decode_event(line: bytes) -> tuple[str, Event]:
    rid, event = _decode("event", _EVENTS, line)
    return rid, event
