"""Builds (once) and finds the portable llama-cpp-python wheel that the installers ship.

The development venv compiles llama.cpp for the build machine (`-march=native`), which can
crash with « illegal instruction » elsewhere; installers need a build for a stated CPU floor.
pip caches built wheels by version only, never by CMAKE_ARGS, so the portable wheel is built
with --no-cache-dir and kept in our own cache keyed by version and flags, which CI restores.

    python packaging/llama_wheel.py [--variant cpu|metal|cuda]   # prints the wheel's path

Environment: VIGOGNE_WHEEL_CACHE (default ~/.cache/vigogne-desktop/wheels) is where wheels
are kept; CMAKE_BUILD_PARALLEL_LEVEL is honoured by the compile.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The x86-64 floor: AVX2 + FMA + F16C (Intel Haswell 2013, AMD Excavator 2015 / Zen), the
# same set -DGGML_NATIVE=OFF enables by default; AVX-512 left off so one build runs on every
# such CPU. vigogne_desktop/core/cpu_floor.py checks these flags at start-up. OpenMP off:
# ggml's own thread pool is as fast for one chat and there is no libgomp to ship.
X86_FLAGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_OPENMP=OFF"
)
VARIANT_FLAGS = {
    "cpu": X86_FLAGS,
    # Apple silicon: every M-series chip has the same NEON/dot-product set; Metal does the work.
    "metal": "-DGGML_NATIVE=OFF -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON -DGGML_OPENMP=OFF",
    # Same CPU floor for the layers left on the CPU; CUDA architectures from Pascal on.
    "cuda": X86_FLAGS + " -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=61;70;75;80;86;89",
}


def pinned_version() -> str:
    """The llama-cpp-python version pyproject pins (its lower bound: the pin is one release)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in project["project"]["dependencies"]:
        found = re.match(r"llama-cpp-python(\[[^\]]*\])?\s*(==|>=)\s*([0-9.]+)", requirement)
        if found:
            return found.group(3)
    raise SystemExit("pyproject.toml does not pin llama-cpp-python")


def cache_folder(version: str, flags: str) -> Path:
    """Where the wheel for this version and these flags is kept."""
    default = Path.home() / ".cache" / "vigogne-desktop" / "wheels"
    base = Path(os.environ.get("VIGOGNE_WHEEL_CACHE", default))
    digest = hashlib.sha256(flags.encode()).hexdigest()[:12]
    return base / f"{version}-{digest}"


def portable_wheel(variant: str = "cpu") -> Path:
    """The cached wheel, compiled first if this version and these flags were never built."""
    version = pinned_version()
    flags = VARIANT_FLAGS[variant]
    folder = cache_folder(version, flags)
    wheels = sorted(folder.glob(f"llama_cpp_python-{version}-*.whl"))
    if wheels:
        return wheels[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "CMAKE_ARGS").write_text(flags + "\n", encoding="utf-8")
    print(f"compiling llama-cpp-python {version} ({flags})", file=sys.stderr)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        # A temporary folder beside the cache: a half-built wheel never looks like a built one.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-cache-dir",
                "--no-binary",
                "llama-cpp-python",
                "--wheel-dir",
                scratch,
                f"llama-cpp-python=={version}",
            ],
            env={**os.environ, "CMAKE_ARGS": flags, "FORCE_CMAKE": "1"},
            check=True,
        )
        built = next(Path(scratch).glob("llama_cpp_python-*.whl"))
        return built.rename(folder / built.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANT_FLAGS), default="cpu")
    print(portable_wheel(parser.parse_args().variant))


if __name__ == "__main__":
    main()
