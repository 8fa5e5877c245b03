"""Conversions run as a `vigogne-convert --json` child: the app reads its progress lines.

A crash of the converter cannot take the app down, and cancel is a SIGTERM (the converter
then removes its partial output itself).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from converters.messages import say

from .child import StderrTail, child_command
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

    def __init__(
        self,
        source: str | Path,
        output: Path,
        options: Sequence[str] = (),
        *,
        token: str | None = None,
    ) -> None:
        """`token`: a Hugging Face token for a gated repository (given to the child as
        HF_TOKEN, never on its command line, where other users could read it)."""
        self.output = output
        self._start_error = ""
        self._stderr: StderrTail | None = None
        try:
            self._process: subprocess.Popen[str] | None = subprocess.Popen(
                child_command("convert", str(source), "-o", str(output), "--json", *options),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                env={**os.environ, "HF_TOKEN": token} if token else None,
            )
        except OSError as exc:
            # Reported by progress(), like any other failure, so callers handle one path.
            self._process = None
            self._start_error = say(
                f"Impossible de lancer le convertisseur ({exc.strerror or exc}) : réinstallez "
                "l'application.",
                f"Cannot start the converter ({exc.strerror or exc}): reinstall the app.",
            )
            return
        # Read stderr as it comes: a child whose stderr pipe fills up (warnings, download
        # bars) blocks on its next write and never finishes. The last line explains a crash.
        assert self._process.stderr is not None
        self._stderr = StderrTail(self._process.stderr)

    def progress(self) -> Iterator[ConversionProgress]:
        """Progress until the end; raises ConversionFailed with the converter's sentence."""
        if self._process is None:
            raise ConversionFailed(self._start_error)
        assert self._process.stdout is not None
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
            raise ConversionFailed(error or self._crash_message(code))

    def _crash_message(self, code: int) -> str:
        """One sentence for a converter that stopped without saying why."""
        if code < 0:
            return say(
                f"Le convertisseur a été arrêté par le système (signal {-code}), souvent faute "
                "de mémoire : fermez d'autres applications puis recommencez.",
                f"The converter was stopped by the system (signal {-code}), often for lack of "
                "memory: close other applications and try again.",
            )
        unknown = say("erreur inconnue", "unknown error")
        # stderr ends with the child (unless it left heirs): wait a little for its last line.
        last = self._stderr.last(wait_s=5) if self._stderr is not None else ""
        cause = (last or unknown).rstrip(".")
        return say(
            f"La conversion s'est arrêtée (code {code}) : {cause}.",
            f"The conversion stopped (code {code}): {cause}.",
        )

    def cancel(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()


def prepare_demo(models: Path) -> Conversion | None:
    """Start converting the demo model into `models` unless it is already there."""
    target = models / DEMO_FILE
    if target.exists():
        return None
    return Conversion(demo_checkpoint(), target, ["--outtype", "q8_0"])
