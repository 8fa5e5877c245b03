"""Builds the one-folder bundle with PyInstaller, on Linux, macOS or Windows.

    python packaging/build_bundle.py [--variant cpu|metal|cuda]

1. the portable llama-cpp-python wheel (packaging/llama_wheel.py: compiled once, then cached);
2. the packaging venv build/package-venv: that wheel, the app's dependencies and PyInstaller,
   made again only when pyproject.toml, the wheel or this file's pins change;
3. the app itself installed there from a fresh copy of its sources (so its metadata, the
   version, ships), then `pyinstaller packaging/vigogne-desktop.spec`.
Prints the bundle's folder: build/pyinstaller/dist/vigogne-desktop (and the .app on macOS).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from llama_wheel import ROOT, portable_wheel

BUILD = ROOT / "build"
VENV = BUILD / "package-venv"
# Build tools only: never a dependency of the app itself.
TOOLS = ["pyinstaller>=6.10,<7", "setuptools>=77", "wheel"]
SOURCES = ["pyproject.toml", "README.md", "vigogne_desktop", "converters", "resources"]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def pip(*args: str) -> None:
    subprocess.run(
        [
            str(venv_python()),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *args,
        ],
        check=True,
    )


def packaging_venv(wheel: Path, sources: Path) -> None:
    """The venv, made anew when what it was made from changed."""
    recipe = "\n".join([wheel.name, (ROOT / "pyproject.toml").read_text(encoding="utf-8"), *TOOLS])
    stamp = VENV / "vigogne-recipe.sha256"
    digest = hashlib.sha256(recipe.encode()).hexdigest()
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return
    shutil.rmtree(VENV, ignore_errors=True)
    venv.create(VENV, with_pip=True)
    # The portable wheel first: the app's own install then finds llama-cpp-python satisfied
    # and never compiles a native one.
    pip(f"llama-cpp-python[server] @ {wheel.as_uri()}", *TOOLS)
    pip(str(sources))
    stamp.write_text(digest, encoding="utf-8")


def fresh_sources() -> Path:
    """A fresh copy of the app's sources to install from: setuptools' build/lib in a
    checkout keeps modules that were deleted since, and would ship them."""
    copy = BUILD / "package-src"
    shutil.rmtree(copy, ignore_errors=True)
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def bundle(variant: str) -> Path:
    sources = fresh_sources()
    packaging_venv(portable_wheel(variant), sources)
    pip("--no-deps", "--no-build-isolation", "--force-reinstall", str(sources))
    output = BUILD / "pyinstaller"
    subprocess.run(
        [
            str(venv_python()),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(output / "dist"),
            "--workpath",
            str(output / "work"),
            str(ROOT / "packaging" / "vigogne-desktop.spec"),
        ],
        check=True,
    )
    return output / "dist" / "vigogne-desktop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["cpu", "metal", "cuda"], default="cpu")
    print(bundle(parser.parse_args().variant))


if __name__ == "__main__":
    main()
