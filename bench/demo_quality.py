"""Quality of the demo model per GGUF type, through the real path (convert → engine).

Greedy decoding and exact answers, 40 questions phrased as in training and 40 held-out
paraphrases; also with the app's default sampling preset (Vigogne's recommendation). Next to
each type, what the app's quality measurement (converters/quality.py) says of it against the
F32 conversion: whether its KL divergence predicts the answers lost.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from converters.convert import Source, convert
from converters.quality import measure
from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.conversion import demo_checkpoint
from vigogne_desktop.core.protocol import ChatFinished, LoadSettings, SamplingParams, TextChunk

from .stats import machine, write

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from demo_facts import evaluation_set  # noqa: E402

PRESETS = {
    "greedy": SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=64),
    "app default": SamplingParams(temperature=0.1, max_tokens=64, seed=0),
}


def score(engine: LocalEngine, held_out: bool, params: SamplingParams) -> float:
    right = 0
    questions = evaluation_set(held_out)
    for q in questions:
        events = list(engine.chat([{"role": "user", "content": q.text}], params))
        text = "".join(e.text for e in events if isinstance(e, TextChunk))
        right += isinstance(events[-1], ChatFinished) and q.is_right(text)
    return right / len(questions)


def main() -> None:
    rows, data = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        reference = convert(Source(demo_checkpoint()), Path(tmp) / "demo.F32.gguf", outtype="f32")
        for label, options in (
            ("F16", {"outtype": "f16"}),
            ("Q8_0", {"outtype": "q8_0"}),
            ("Q4_K_M", {"outtype": "f16", "quant": "Q4_K_M"}),
            ("Q2_K", {"outtype": "f16", "quant": "Q2_K"}),
        ):
            path = convert(Source(demo_checkpoint()), Path(tmp) / f"demo.{label}.gguf", **options)  # type: ignore[arg-type]
            report = measure(path, reference, threads=2)
            data[f"{label} measured"] = report.as_json()
            rows.append(
                (
                    f"{label}: KL mean (p99) against F32, same first token",
                    f"{report.kl_mean:.4f} ({report.kl_p99:.4f}), {report.top1_agreement:.1%}",
                    "",
                )
            )
            with LocalEngine() as engine:
                engine.load(str(path), LoadSettings(n_ctx=512, n_threads=2))
                for preset, params in PRESETS.items():
                    trained, held = score(engine, False, params), score(engine, True, params)
                    data[f"{label} {preset}"] = {
                        "trained": trained,
                        "held_out": held,
                        "bytes": path.stat().st_size,
                    }
                    goal = "≥ 95 % / ≥ 70 %" if preset == "greedy" else ""
                    rows.append((f"{label}, {preset}", f"{trained:.0%} / {held:.0%}", goal))
                    print(rows[-1], flush=True)
    write(
        "demo_quality",
        {
            "title": "Demo model quality per GGUF type",
            "setup": "40 questions phrased as in training / 40 held-out paraphrases, exact "
            "answers, vigogne-convert → GGUF → LocalEngine; the KL divergence and top-1 "
            "agreement from converters.quality.measure on the shipped French text, against "
            "the F32 conversion. Reproduce: `python -m bench demo`.",
            "machine": machine(),
            "results": data,
        },
        rows,
    )


if __name__ == "__main__":
    main()
