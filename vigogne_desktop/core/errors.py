"""One exception family for the core; every message is a sentence a user can act on."""

from __future__ import annotations


class VigogneError(Exception):
    """Base of every error the core raises on purpose."""


class ModelFileError(VigogneError):
    """The model file is missing, is not GGUF, or is damaged."""


class ModelLoadError(VigogneError):
    """llama.cpp could not load a file that looked valid (memory, unsupported architecture)."""


class EngineCrashed(VigogneError):
    """The engine's child process ended unexpectedly; the engine can be started again."""


class EngineNotReady(VigogneError):
    """A request reached an engine that has no model loaded."""


class RemoteError(VigogneError):
    """A remote OpenAI-compatible server could not be reached or refused the request."""


class PromptFormatError(VigogneError):
    """A prompt format is unknown, or a chat template cannot be rendered."""


class GenerationError(VigogneError):
    """llama.cpp stopped with an error while writing a reply."""
