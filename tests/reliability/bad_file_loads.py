"""One damaged file through the app's real load path (LocalEngine, its checks and its child),
and what came of it: who refused it, the sentence the user reads, how long it took."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.errors import EngineCrashed, ModelFileError, VigogneError
from vigogne_desktop.core.library import DamagedModelFile
from vigogne_desktop.core.protocol import LoadSettings

SETTINGS = LoadSettings(n_ctx=256, n_threads=2, seed=1)
# A load of the tiny model takes a fraction of a second: far past this, it hangs.
HANG_SECONDS = 60.0

REFUSED_BY_CHECK, REFUSED_BY_LLAMA, CHILD_CRASHED, LOADED = (
    "refused by our check",
    "refused by llama.cpp",
    "child crashed",
    "loaded",
)


@dataclass(frozen=True)
class Outcome:
    kind: str
    sentence: str  # what the user reads; "" when the file loaded
    seconds: float


def is_one_sentence(text: str) -> bool:
    """One line that ends as a sentence, with no trace of a Python error."""
    return (
        bool(text)
        and "\n" not in text
        and text.endswith(".")
        and "Traceback" not in text
        and len(text) < 600
    )


def load(engine: LocalEngine, path: Path) -> Outcome:
    """Load `path`; the engine is left with a model loaded, or stopped after a crash."""
    result: list[Outcome] = []

    def attempt() -> None:
        started = time.perf_counter()
        try:
            engine.load(str(path), SETTINGS)
        except EngineCrashed as exc:
            kind, sentence = CHILD_CRASHED, str(exc)
        except DamagedModelFile as exc:
            kind, sentence = REFUSED_BY_CHECK, str(exc)
        except VigogneError as exc:
            # Not a GGUF at all (quick_check's first bytes) is our check too; the child's
            # refusals come back as ModelLoadError.
            mine = type(exc) is ModelFileError
            kind, sentence = (REFUSED_BY_CHECK if mine else REFUSED_BY_LLAMA), str(exc)
        else:
            kind, sentence = LOADED, ""
        result.append(Outcome(kind, sentence, time.perf_counter() - started))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(HANG_SECONDS)
    if worker.is_alive():
        engine.close()  # stops the child by its pid, which ends the waiting load
        worker.join(10)
        raise AssertionError(f"loading {path.name} hung for over {HANG_SECONDS:.0f} s")
    return result[0]
