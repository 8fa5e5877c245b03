"""The converter's exceptions; each message says what happened and what to do."""

from __future__ import annotations


class ConversionError(Exception):
    """Base of every error the converter raises on purpose."""


class CheckpointError(ConversionError):
    """The checkpoint is missing files, or a file is damaged or of the wrong shape."""


class UnsafeCheckpoint(CheckpointError):
    """A PyTorch pickle asks for something other than plain tensors."""


class UnsupportedArchitecture(ConversionError):
    """The checkpoint's architecture is not one the converter knows."""


class AdapterError(ConversionError):
    """A LoRA adapter is empty or does not fit its base model."""


class OutputError(ConversionError):
    """The output cannot be written: it exists, the folder is read-only, or the disk is full."""


class DownloadError(ConversionError):
    """The checkpoint could not be fetched from the Hugging Face Hub."""


class Cancelled(ConversionError):
    """The user stopped the conversion."""


class QuantizationError(ConversionError):
    """llama.cpp could not quantize the converted GGUF (its reason is in the message)."""
