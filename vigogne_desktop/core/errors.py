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

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details  # how the child ended and its last log lines, kept raw


class EngineNotReady(VigogneError):
    """A request reached an engine that has no model loaded."""


class RemoteError(VigogneError):
    """A remote OpenAI-compatible server could not be reached or refused the request."""


class PromptFormatError(VigogneError):
    """A prompt format is unknown, or a chat template cannot be rendered."""


class GenerationError(VigogneError):
    """llama.cpp stopped with an error while writing a reply."""


class DownloadFailed(VigogneError):
    """A file could not be fetched from the Hugging Face Hub; nothing unverified is left usable."""


class HubOffline(DownloadFailed):
    """Offline mode (HF_HUB_OFFLINE) is on and the file is not in the cache."""


class HubUnreachable(DownloadFailed):
    """The Hub (or the HF_ENDPOINT mirror) could not be reached, or answered with a server error."""


class DownloadInterrupted(DownloadFailed):
    """The connection broke during the transfer; the bytes received are kept and a retry resumes."""


class GatedModel(DownloadFailed):
    """The Hub refused access (401/403): the licence must be accepted and a token set."""


class NotFoundOnHub(DownloadFailed):
    """The repository, the revision or the file does not exist on the Hub (404)."""


class ChecksumMismatch(DownloadFailed):
    """The bytes received do not match the Hub's SHA-256; they were deleted."""


class DiskFull(DownloadFailed):
    """Not enough free disk space for the download, before starting or while writing."""


class DownloadCancelled(DownloadFailed):
    """The user cancelled the download; the bytes received are kept for a later resume."""


class DownloadBusy(DownloadFailed):
    """Another process is downloading the same file into the same cache right now."""
