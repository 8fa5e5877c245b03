"""Qt-free core of Vigogne Desktop: engines, prompts, models, storage. Never imports PySide6.

The engine API for scripts (tests/test_engine_local.py runs this very example)::

    from vigogne_desktop.core import LocalEngine, SamplingParams, TextChunk
    with LocalEngine() as engine:
        engine.load("vigogne-2-7b-chat.Q4_K_M.gguf")
        for event in engine.chat([{"role": "user", "content": "Bonjour !"}], SamplingParams()):
            print(event.text if isinstance(event, TextChunk) else "", end="", flush=True)
"""

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
