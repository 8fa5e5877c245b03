"""vigogne-convert: the converter's command line (usable without Qt).

`vigogne-convert SOURCE -o OUT.gguf [...]` converts a checkpoint (a child process of the
GUI: --json progress on stdout, cancel by SIGTERM), and with --measure says what the
quantization cost; `vigogne-convert inspect FILE.gguf` prints any GGUF's metadata and tensors.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from .checkpoint import read_json_object
from .convert import OUTTYPES, Progress, Source, convert
from .errors import Cancelled, ConversionError
from .hub import resolve_source
from .messages import say
from .quality import QualityReport, measure, report_table
from .quality_metadata import store_report
from .quantize import QUANT_TYPES
from .templates import FORMATS

_LONG = 200  # characters of a long string value shown before "…"


def _value(field: gguf.ReaderField) -> Any:
    kinds = field.types
    if not kinds:
        return None
    if kinds[0] == gguf.GGUFValueType.ARRAY:
        return [field.contents(i) for i in range(min(len(field.data), 8))], len(field.data)
    return field.contents()


def _show(value: Any) -> str:
    if isinstance(value, tuple):  # (first items, count) of an array
        items, count = value
        shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in items)
        return f"[{shown}{', …' if count > len(items) else ''}] ({count} items)"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
    return text if len(text) <= _LONG else text[:_LONG] + "…"


def inspect(path: Path, as_json: bool) -> int:
    try:
        reader = gguf.GGUFReader(path)
    except FileNotFoundError:
        print(
            say(
                f"vigogne-convert: « {path} » n'existe pas : vérifiez le chemin.",
                f"vigogne-convert: “{path}” does not exist: check the path.",
            ),
            file=sys.stderr,
        )
        return 1
    except Exception:  # GGUFReader fails in many ways on foreign or damaged files
        print(
            say(
                f"vigogne-convert: « {path.name} » n'est pas un GGUF lisible : vérifiez le "
                "fichier.",
                f"vigogne-convert: “{path.name}” is not a readable GGUF: check the file.",
            ),
            file=sys.stderr,
        )
        return 1
    metadata = {
        name: _value(field) for name, field in reader.fields.items() if not name.startswith("GGUF.")
    }
    tensors: list[dict[str, Any]] = [
        {
            "name": t.name,
            "type": t.tensor_type.name,
            "shape": [int(d) for d in t.shape],
            "bytes": int(t.n_bytes),
        }
        for t in reader.tensors
    ]
    if as_json:
        print(
            json.dumps(
                {"metadata": metadata, "tensors": tensors},
                ensure_ascii=False,
                default=lambda v: v.tolist() if isinstance(v, np.ndarray) else str(v),
            )
        )
        return 0
    print(f"{path.name}: {len(metadata)} metadata keys, {len(tensors)} tensors")
    width = max((len(k) for k in metadata), default=0)
    for key, value in metadata.items():
        print(f"  {key:<{width}}  {_show(value)}")
    print()
    for tensor in tensors:
        shape = "×".join(str(d) for d in tensor["shape"])
        print(f"  {tensor['name']:<40} {tensor['type']:<8} {shape:<16} {tensor['bytes']:>12,} B")
    return 0


def _convert_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigogne-convert",
        description=(
            "Convert a Vigogne Hugging Face checkpoint (local folder or Hub repo id; LLaMA, "
            "Llama-2, Mistral, Falcon, MPT, BLOOM; LoRA adapters merged onto their base) into "
            "a GGUF file, quantized if asked. `vigogne-convert inspect FILE.gguf` prints a "
            "GGUF's metadata and tensors."
        ),
        epilog=(
            "Examples: vigogne-convert bofenghuang/vigogne-2-7b-chat -o vigogne.gguf --quant "
            "Q4_K_M · vigogne-convert ./my-lora -o merged.gguf --base ./llama-2-7b · Quantization "
            f"types: {', '.join(QUANT_TYPES)}."
        ),
    )
    parser.add_argument("source", help="checkpoint folder, or Hub repo id (owner/name)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTPUT.gguf")
    parser.add_argument(
        "--outtype",
        choices=sorted(OUTTYPES),
        default="f16",
        help="type written directly (default f16; 1-D tensors stay f32)",
    )
    parser.add_argument(
        "--quant",
        choices=sorted(QUANT_TYPES),
        metavar="TYPE",
        help="then quantize with llama.cpp to TYPE (e.g. Q4_K_M, Q8_0)",
    )
    parser.add_argument(
        "--keep-intermediate",
        action="store_true",
        help="with --quant, keep the unquantized GGUF beside the output",
    )
    parser.add_argument(
        "--base",
        help="base model of a LoRA adapter (folder or repo id); "
        "default: the adapter's base_model_name_or_path",
    )
    parser.add_argument("--revision", help="Hub revision (branch, tag or commit), e.g. v1.0")
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        dest="prompt_format",
        help="Vigogne prompt format to embed (default: from the model table)",
    )
    parser.add_argument(
        "--measure",
        action="store_true",
        help="with --quant, then measure the quantized model against the unquantized one on a "
        "French text (KL divergence, top-1 agreement, perplexity) and store the figures in "
        "its vigogne.quality.* metadata",
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="threads for quantization and measurement"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="progress as JSON lines on stdout (phase, tensor i/n, bytes, ETA)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing output")
    return parser


class _Reporter:
    """Progress as human lines on stderr, or JSON lines on stdout for the GUI."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self._last = 0.0

    def event(self, **fields: Any) -> None:
        if self.as_json:
            print(json.dumps(fields, ensure_ascii=False), flush=True)
        elif "message" in fields:
            print(fields["message"], file=sys.stderr, flush=True)

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        final = p.index == p.total or p.phase == "done"
        if not final and now - self._last < 0.2:
            return  # a line every 0.2 s at most
        self._last = now
        if self.as_json:
            self.event(
                phase=p.phase,
                tensor=p.index,
                tensors=p.total,
                bytes=p.bytes_done,
                total_bytes=p.bytes_total,
                eta_s=None if p.eta_s is None else round(p.eta_s, 1),
                name=p.tensor,
            )
        elif p.phase == "done":
            print(
                say(
                    f"écrit : {p.tensor} ({p.bytes_total / 1e6:.1f} Mo)",
                    f"written: {p.tensor} ({p.bytes_total / 1e6:.1f} MB)",
                ),
                file=sys.stderr,
            )
        else:
            eta = say(f", reste ~{p.eta_s:.0f} s", f", ~{p.eta_s:.0f} s left") if p.eta_s else ""
            verb, unit = _STEPS.get(p.phase, _STEPS["quantize"])
            print(
                f"{say(*verb)}{say(' :', ':')} {say(*unit)} {p.index}/{p.total}{eta}",
                file=sys.stderr,
                flush=True,
            )

    def quality(self, report: QualityReport) -> None:
        """The measurement: one JSON line (no "phase": it is a result, not a step) or a table."""
        if self.as_json:
            print(json.dumps({"quality": report.as_json()}), flush=True)
        else:
            print(report_table(report))


# Each phase's name and what it counts, (French, English).
_STEPS = {
    "convert": (("conversion", "conversion"), ("tenseur", "tensor")),
    "quantize": (("quantification", "quantization"), ("tenseur", "tensor")),
    "measure": (("mesure de la qualité", "quality measurement"), ("jeton", "token")),
}


def _on_signal(signum: int, _frame: Any) -> None:
    raise Cancelled(
        say(
            "Conversion interrompue : aucun fichier partiel n'a été laissé.",
            "Conversion interrupted: no partial file was left.",
        )
    )


class _Measure:
    """--measure, as convert's `on_quantized`: the quantized file measured against the
    unquantized one it came from (both still part files, which a killed run leaves to the
    next one to remove) and the figures stored in it before it gets its name.

    A cancel here keeps the conversion: the file is named without figures, then the cancel
    is said (`finish`)."""

    def __init__(self, threads: int, report: _Reporter) -> None:
        self.threads = threads
        self.report = report
        self.result: QualityReport | None = None
        self.cancelled = False

    def __call__(self, quantized: Path, reference: Path) -> None:
        started = time.monotonic()

        def on_tokens(done: int, total: int) -> None:
            elapsed = time.monotonic() - started
            eta = elapsed / done * (total - done) if done else None
            self.report(Progress("measure", done, total, 0, 0, eta))

        try:
            result = measure(quantized, reference, threads=self.threads or None, progress=on_tokens)
            store_report(quantized, result)
        except Cancelled:
            self.cancelled = True
            return
        self.result = result

    def finish(self, output: Path) -> None:
        """Once `output` has its name: the figures shown, or the cancel said."""
        if self.cancelled:
            raise Cancelled(
                say(
                    f"Mesure interrompue : « {output.name} » est converti mais sans mesure de "
                    "qualité.",
                    f"Measurement interrupted: “{output.name}” is converted but carries no "
                    "quality measurement.",
                )
            )
        if self.result is not None:
            self.report.quality(self.result)


def convert_main(argv: Sequence[str]) -> int:
    parser = _convert_parser()
    args = parser.parse_args(argv)
    if args.measure and not args.quant:
        parser.error(
            say(
                "--measure compare le modèle quantifié à l'original : ajoutez --quant TYPE.",
                "--measure compares the quantized model with the original: add --quant TYPE.",
            )
        )
    report = _Reporter(args.json)
    measured = _Measure(args.threads, report) if args.measure else None
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        folder, repo = resolve_source(args.source, args.revision, report.event)
        base = None
        if (folder / "adapter_config.json").is_file():
            wanted = args.base or read_json_object(folder / "adapter_config.json").get(
                "base_model_name_or_path"
            )
            if wanted:
                base, _ = resolve_source(wanted, None, report.event)
        convert(
            Source(folder, repo, args.revision),
            args.output,
            outtype=args.outtype,
            quant=args.quant,
            keep_intermediate=args.keep_intermediate,
            base=base,
            prompt_format=args.prompt_format,
            force=args.force,
            threads=args.threads,
            progress=report,
            on_quantized=measured,
        )
        if measured is not None:
            measured.finish(args.output)
    except ConversionError as exc:
        if args.json:
            report.event(phase="error", message=str(exc))
        print(f"vigogne-convert: {exc}", file=sys.stderr)
        return 130 if isinstance(exc, Cancelled) else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] == "inspect":
            show = argparse.ArgumentParser(
                prog="vigogne-convert inspect",
                description="Print the metadata and tensors of a GGUF.",
            )
            show.add_argument("file", type=Path, metavar="FILE.gguf")
            show.add_argument("--json", action="store_true", help="one JSON object instead of text")
            parsed = show.parse_args(args[1:])
            return inspect(parsed.file, parsed.json)
        return convert_main(args)
    except BrokenPipeError:  # `vigogne-convert … | head` closed the pipe early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
