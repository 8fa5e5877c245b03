"""The JSON-lines protocol between LocalEngine and its worker child, and the chat types.

One JSON object per line on the child's stdin (requests) and stdout (events). Every
request has an `id`; every event carries the id of the request it answers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

# Requests (parent -> child): "load", "chat", "cancel", "tokenize", "unload", "shutdown".
# Events (child -> parent): "ready", "loaded", "started", "delta", "done", "tokens",
# "unloaded", "error".


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("protocol line is not an object")
    return value


@dataclass(frozen=True)
class LoadSettings:
    """How llama.cpp loads a model: the model's settings, not a conversation's."""

    n_ctx: int = 4096
    n_threads: int | None = None  # None: llama.cpp's default for this machine
    n_batch: int = 512
    n_gpu_layers: int = 0
    seed: int = 0xFFFFFFFF  # llama.cpp's "random seed"
    prompt_format: str = "auto"  # a Vigogne format name, or "auto"
    default_format: str = "chat-v2"  # used when "auto" finds nothing

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


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
    """What the engine knows of the loaded model."""

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


@dataclass(frozen=True)
class TextChunk:
    text: str


@dataclass(frozen=True)
class ChatStarted:
    prompt_tokens: int
    dropped_rounds: int  # rounds of history left out (to fit n_ctx, or by the model's limit)
    # The model takes only so many rounds (vigogne.max_rounds): history beyond is left out
    # because of what the model is, not for room.
    round_limit: int = 0


@dataclass(frozen=True)
class ChatFinished:
    finish_reason: str  # "stop", "length" or "cancelled"
    prompt_tokens: int
    completion_tokens: int
    tokens_per_second: float
    first_token_seconds: float


@dataclass(frozen=True)
class ChatFailed:
    message: str
    crashed: bool = False  # the engine itself died and must be started again


ChatEvent = TextChunk | ChatStarted | ChatFinished | ChatFailed
