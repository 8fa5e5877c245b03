"""What the macOS and Windows installer builds share: the version, the commands they run (the
bundle among them), and steps that are skipped, saying so, when their secrets are absent.

Each build script takes --dry-run: every command is printed and none is run, so the order of
the steps and the skip messages can be checked on any machine (tests/test_packaging_files.py).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "Vigogne Desktop"
# Where the installers go (the Linux .deb and .tar.gz too), and where build_bundle.py puts
# PyInstaller's output.
DIST = ROOT / "dist"
BUNDLE_DIST = ROOT / "build" / "pyinstaller" / "dist"


def project_version() -> str:
    """The version pyproject.toml declares: the installers and the bundle carry the same one."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(project["project"]["version"])


def missing_variables(names: Sequence[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """The variables among `names` that are unset or empty (secrets absent on forks and PRs)."""
    return [name for name in names if not environ.get(name)]


class Steps:
    """Runs commands in order, stopping at the first failure; in a dry run, only prints them."""

    def __init__(self, dry_run: bool) -> None:
        self.dry_run = dry_run

    def run(
        self,
        command: Sequence[str | Path],
        env: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
    ) -> str:
        """Runs `command` and returns its standard output (also shown); "" in a dry run.

        `secrets` are masked in the echoed line: CI logs are kept and often public.
        """
        words = [str(word) for word in command]
        extra = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
        line = f"+ {extra + ' ' if extra else ''}{shlex.join(words)}"
        for secret in secrets:
            line = line.replace(secret, "***")
        print(line, flush=True)
        if self.dry_run:
            return ""
        done = subprocess.run(
            words, env={**os.environ, **(env or {})}, check=True, stdout=subprocess.PIPE, text=True
        )
        print(done.stdout, end="", flush=True)
        return done.stdout

    def say(self, text: str) -> None:
        print(text, flush=True)

    def skip(self, step: str, missing: Sequence[str]) -> None:
        """Says plainly that a step did not happen and what would make it happen."""
        self.say(f"SKIPPED {step}: set {', '.join(missing)} to do it")


def build_bundle(steps: Steps, variant: str, env: Mapping[str, str] | None = None) -> Path:
    """The one-folder bundle (and, on macOS, the .app beside it) by packaging/build_bundle.py,
    the path Linux takes too: the portable llama.cpp wheel of `variant`, the packaging venv,
    PyInstaller on the shared spec. Returns the folder it made."""
    printed = steps.run(
        [sys.executable, ROOT / "packaging" / "build_bundle.py", "--variant", variant], env=env
    )
    if steps.dry_run:
        return BUNDLE_DIST / "vigogne-desktop"
    return Path(printed.strip().splitlines()[-1])
