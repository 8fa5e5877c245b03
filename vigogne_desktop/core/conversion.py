"""Conversions run as a `vigogne-convert --json` child: the app reads its progress lines.

A crash of the converter cannot take the app down, and cancel is a SIGTERM (the converter
then removes its partial output itself).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from converters.messages import say

from .child import child_command
from .errors import VigogneError
from .resources import resource_path


class ConversionFailed(VigogneError):
    """The converter stopped with an error (its message says why)."""


@dataclass(frozen=True)
class ConversionProgress:
    phase: str  # "download", "convert", "quantize" or "done"
    done: int  # tensors done in this phase
    total: int
    eta_s: float | None


DEMO_FILE = "vigogne-demo.Q8_0.gguf"


def demo_checkpoint() -> Path:
    """The tiny French demo model shipped with the app (a Hugging Face checkpoint)."""
    return resource_path("demo-model")


class Conversion:
    """One running `vigogne-convert` child."""

    def __init__(self, source: str | Path, output: Path, options: Sequence[str] = ()) -> None:
        self.output = output
        self._process = subprocess.Popen(
            child_command("convert", str(source), "-o", str(output), "--json", *options),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )

    def progress(self) -> Iterator[ConversionProgress]:
        """Progress until the end; raises ConversionFailed with the converter's sentence."""
        assert self._process.stdout is not None and self._process.stderr is not None
        error = ""
        for line in self._process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("phase") == "error":
                error = str(event.get("message", ""))
            elif "phase" in event:
                yield ConversionProgress(
                    event["phase"],
                    int(event.get("tensor", 0)),
                    int(event.get("tensors", 0)),
                    event.get("eta_s"),
                )
        code = self._process.wait()
        if code != 0:
            if not error:
                tail = self._process.stderr.read().strip().splitlines()
                cause = tail[-1] if tail else say("erreur inconnue", "unknown error")
                error = say(
                    f"La conversion s'est arrêtée (code {code}) : {cause}.",
                    f"The conversion stopped (code {code}): {cause}.",
                )
            raise ConversionFailed(error)

    def cancel(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()


def prepare_demo(models: Path) -> Conversion | None:
    """Start converting the demo model into `models` unless it is already there."""
    target = models / DEMO_FILE
    if target.exists():
        return None
    return Conversion(demo_checkpoint(), target, ["--outtype", "q8_0"])
