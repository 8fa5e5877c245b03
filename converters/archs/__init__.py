"""One module per architecture, each registered under the Hugging Face names it handles."""

from . import bloom, falcon, llama, mpt
from .base import REGISTRY, Architecture, for_config

__all__ = ["REGISTRY", "Architecture", "bloom", "falcon", "for_config", "llama", "mpt"]
