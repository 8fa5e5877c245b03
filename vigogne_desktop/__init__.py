"""Vigogne Desktop: chat offline in French with Vigogne models through llama.cpp."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # `__version__` is read from the installed metadata when first asked for:
    # importlib.metadata costs the window's start about 40 ms.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vigogne-desktop")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0+checkout"
