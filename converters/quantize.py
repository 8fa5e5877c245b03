"""GGUF to quantized GGUF with llama.cpp's own quantizer (llama_model_quantize).

The call runs on a thread so that the main thread stays free to honour SIGINT/SIGTERM;
progress comes from llama.cpp's log lines ("[  12/ 201] blk.0.attn_q.weight …"), and so
does the reason of a failure ("failed to quantize: …"), raised as QuantizationError.
"""

from __future__ import annotations

import ctypes
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp._logger import llama_log_callback

from .errors import QuantizationError
from .messages import say

# Every llama.cpp file type that needs no importance matrix. IQ3_XS and IQ3_XXS are not
# here: this llama.cpp refuses them without one as soon as rows hold 256 values.
QUANT_TYPES: dict[str, int] = {
    name: getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{name}")
    for name in (
        "Q4_0",
        "Q4_1",
        "Q5_0",
        "Q5_1",
        "Q8_0",
        "Q2_K",
        "Q3_K_S",
        "Q3_K_M",
        "Q3_K_L",
        "Q4_K_S",
        "Q4_K_M",
        "Q5_K_S",
        "Q5_K_M",
        "Q6_K",
        "IQ4_NL",
        "IQ4_XS",
        "IQ3_S",
        "IQ3_M",
        "TQ1_0",
        "TQ2_0",
        "F16",
        "BF16",
    )
}
# Rough bits per weight, to check free disk space before starting.
BITS_PER_WEIGHT = {
    "Q2_K": 2.7,
    "Q3_K_S": 3.5,
    "Q3_K_M": 3.9,
    "Q3_K_L": 4.3,
    "Q4_0": 4.6,
    "Q4_1": 5.1,
    "Q4_K_S": 4.6,
    "Q4_K_M": 4.9,
    "Q5_0": 5.6,
    "Q5_1": 6.1,
    "Q5_K_S": 5.6,
    "Q5_K_M": 5.7,
    "Q6_K": 6.6,
    "Q8_0": 8.5,
    "IQ4_NL": 4.6,
    "IQ4_XS": 4.3,
    "IQ3_S": 3.5,
    "IQ3_M": 3.7,
    "TQ1_0": 1.7,
    "TQ2_0": 2.1,
    "F16": 16.0,
    "BF16": 16.0,
}
_PROGRESS = re.compile(rb"\[\s*(\d+)\s*/\s*(\d+)\s*\]")
_FAILURE = re.compile(rb"failed to quantize:\s*(.*)", re.S)

ProgressFn = Callable[[int, int], None]


def quantize(
    source: Path, target: Path, quant: str, *, threads: int = 0, progress: ProgressFn | None = None
) -> None:
    """Quantize `source` into `target` (written whole by llama.cpp; caller handles .part)."""
    ftype = QUANT_TYPES[quant]
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads

    reasons: list[str] = []

    def on_log(_level: int, text: bytes | None, _data: Any) -> None:
        if not text:
            return
        if progress is not None and (found := _PROGRESS.search(text)):
            progress(int(found.group(1)), int(found.group(2)))
        if failure := _FAILURE.search(text):
            reasons.append(" ".join(failure.group(1).decode(errors="replace").split()))

    callback = llama_cpp.llama_log_callback(on_log)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            llama_cpp.llama_model_quantize(
                str(source).encode(), str(target).encode(), ctypes.byref(params)
            )
        ),
        daemon=True,
    )
    try:
        worker.start()
        while worker.is_alive():  # short waits keep signal handlers running
            worker.join(0.1)
            time.sleep(0)
    finally:
        # Give llama.cpp's log back to llama-cpp-python's own handler.
        llama_cpp.llama_log_set(llama_log_callback, ctypes.c_void_p(0))
    if not result or result[0] != 0:
        reason = reasons[-1] if reasons else f"code {result[0] if result else '?'}"
        raise QuantizationError(
            say(
                f"La quantification en {quant} a échoué (llama.cpp : {reason}) : vérifiez le "
                "modèle source ou choisissez un autre type de quantification.",
                f"Quantization to {quant} failed (llama.cpp: {reason}): check the source model "
                "or choose another quantization type.",
            )
        )
