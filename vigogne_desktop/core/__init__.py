"""Qt-free core of Vigogne Desktop: engines, prompts, models, storage. Never imports PySide6.

The engine API for scripts (tests/test_engine_local.py runs this very example)::

    from vigogne_desktop.core import LocalEngine, SamplingParams, TextChunk
    with LocalEngine() as engine:
        engine.load("vigogne-2-7b-chat.Q4_K_M.gguf")
        for event in engine.chat([{"role": "user", "content": "Bonjour !"}], SamplingParams()):
            print(event.text if isinstance(event, TextChunk) else "", end="", flush=True)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Engine
    from .errors import VigogneError
    from .local_engine import LocalEngine
    from .protocol import (
        ChatEvent,
        ChatFailed,
        ChatFinished,
        ChatStarted,
        LoadSettings,
        ModelInfo,
        SamplingParams,
        TextChunk,
    )
    from .remote_engine import RemoteEngine

# Each name is imported when first asked for: the window imports `core.settings` and the
# like, and must not pay for the engines' HTTP and GGUF libraries before it is drawn.
_MODULE_OF = {
    "Engine": "engine",
    "VigogneError": "errors",
    "LocalEngine": "local_engine",
    "RemoteEngine": "remote_engine",
    **dict.fromkeys(
        (
            "ChatEvent",
            "ChatFailed",
            "ChatFinished",
            "ChatStarted",
            "LoadSettings",
            "ModelInfo",
            "SamplingParams",
            "TextChunk",
        ),
        "protocol",
    ),
}


def __getattr__(name: str) -> object:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_MODULE_OF[name]}", __name__), name)


__all__ = [
    "ChatEvent",
    "ChatFailed",
    "ChatFinished",
    "ChatStarted",
    "Engine",
    "LoadSettings",
    "LocalEngine",
    "ModelInfo",
    "RemoteEngine",
    "SamplingParams",
    "TextChunk",
    "VigogneError",
]
