"""Vigogne Desktop: chat offline in French with Vigogne models through llama.cpp."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vigogne-desktop")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
