"""`vigogne-desktop models …`: the model library from a terminal (list, pull, fit, quality).

Scripts and tests drive the real library through it: JSON with `--json`, progress on
stderr, one sentence and a non-zero exit code on any failure, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from converters.errors import ConversionError
from converters.messages import say

from .core import catalog, error_log, hardware, library
from .core.errors import VigogneError
from .core.settings import AppSettings, models_dir

# `vigogne-desktop` builds this command's parser before it opens the window: what only a
# verb needs (httpx and huggingface_hub, llama_cpp) is imported by that verb.
if TYPE_CHECKING:
    from .core import downloads


class CommandError(VigogneError):
    """What the user asked of the command cannot be done (the sentence says why)."""


def add_parser(commands: Any) -> None:
    """The `models` command and its four verbs, on the main parser's subcommands."""
    models = commands.add_parser("models", help="the model library: list, pull, fit, quality")
    verbs = models.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="the catalog and the models on this computer")
    listing.add_argument("--json", action="store_true", help="one JSON document on stdout")
    pull = verbs.add_parser("pull", help="download a ready GGUF, verified, into the HF cache")
    pull.add_argument("spec", metavar="SPEC", help="a catalog id, or owner/repo:file.gguf")
    pull.add_argument("--quant", metavar="TYPE", help="the quantization (default: recommended)")
    pull.add_argument("--json", action="store_true", help="progress as JSON lines on stderr")
    fit = verbs.add_parser("fit", help="the memory a model needs here, and whether it fits")
    fit.add_argument("model", metavar="PATH_OR_ID", help="a .gguf file or a catalog id")
    fit.add_argument("--n-ctx", type=int, default=4096, help="the context size (default 4096)")
    fit.add_argument("--quant", metavar="TYPE", help="for a catalog id: the quantization")
    fit.add_argument("--json", action="store_true", help="one JSON document on stdout")
    quality = verbs.add_parser(
        "quality",
        help="what a quantization costs: a GGUF against its unquantized reference "
        "(KL divergence, top-1 agreement, perplexity) on a French text",
    )
    quality.add_argument("model", type=Path, metavar="FILE.gguf", help="the model to measure")
    quality.add_argument(
        "--reference",
        type=Path,
        required=True,
        metavar="REF.gguf",
        help="the same model unquantized (f16 or f32)",
    )
    quality.add_argument("--json", action="store_true", help="one JSON document on stdout")
    quality.add_argument(
        "--store", action="store_true", help="write the figures into FILE.gguf's metadata"
    )


def run(args: argparse.Namespace) -> int:
    try:
        if args.verb == "list":
            return _list(args.json)
        if args.verb == "pull":
            return _pull(args.spec, args.quant, args.json)
        if args.verb == "quality":
            return _quality(args.model, args.reference, args.json, args.store)
        return _fit(args.model, args.n_ctx, args.quant, args.json)
    except (VigogneError, ConversionError) as exc:
        print(f"vigogne-desktop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one sentence here, the traceback in errors.log
        log = error_log.record(exc)
        print(
            "vigogne-desktop: "
            + say(
                f"erreur inattendue ({type(exc).__name__}) : les détails sont dans {log}.",
                f"unexpected error ({type(exc).__name__}): the details are in {log}.",
            ),
            file=sys.stderr,
        )
        return 1


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _list(as_json: bool) -> int:
    settings = AppSettings.load()
    local = library.local_models(models_dir(), [Path(p) for p in settings.imported_models])
    found = library.discover()
    seen = {m.path.resolve() for m in local}
    local += [m for m in found if m.path.resolve() not in seen]
    if as_json:
        document = {
            "catalog": [catalog.entry_json(e) for e in catalog.entries()],
            "local": [_local_json(m) for m in local],
        }
        _out(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    _out("Catalogue / Catalog")
    for entry in catalog.entries():
        ready = ", ".join(f.quant for r in entry.ggufs for f in r.files) or "→ vigogne-convert"
        mark = " *" if entry.status == "recommended" else ""
        _out(f"  {entry.id:32} {entry.kind:8} {entry.parameters_b:>5g}B  {ready}{mark}")
    _out("Sur cet ordinateur / On this computer")
    for model in local:
        _out(
            f"  {model.name[:32]:32} {model.architecture:10} {model.quantization:8} "
            f"{_size(model.size_bytes):>10}  {model.source:10} {model.path}"
        )
    return 0


def _local_json(model: library.LocalModel) -> dict[str, Any]:
    return {
        "path": str(model.path.resolve()),
        "name": model.name,
        "architecture": model.architecture,
        "quantization": model.quantization,
        "size_bytes": model.size_bytes,
        "context_length": model.context_length,
        "has_chat_template": model.has_chat_template,
        "catalog_id": model.catalog_id,
        "source": model.source,
        "quality": model.quality.as_json() if model.quality else None,
    }


def _ready_files(entry: catalog.CatalogEntry) -> dict[str, tuple[str, str, str, int]]:
    """The entry's ready GGUFs by quantization: (repo, revision, filename, size)."""
    return {
        f.quant.upper(): (r.repo, r.revision, f.filename, f.size_bytes)
        for r in entry.ggufs
        for f in r.files
    }


def _choose_quant(
    entry: catalog.CatalogEntry, quant: str | None, n_ctx: int, machine: hardware.Machine
) -> str:
    """The quantization asked for; else the best ready one at or below this machine's
    recommendation (or the recommendation itself when there is no ready GGUF)."""
    if quant:
        return quant.upper()
    recommended = catalog.recommended_quant(entry, machine, n_ctx)
    ready = _ready_files(entry)
    if not ready:
        return recommended or "Q4_K_M"
    ladder = hardware.QUANT_LADDER
    start = ladder.index(recommended) if recommended in ladder else len(ladder) - 1
    for candidate in (*ladder[start:], *reversed(ladder[:start])):
        if candidate in ready:
            return candidate
    return min(ready, key=lambda q: ready[q][3])  # none on the ladder: the smallest file


def _pick_file(entry: catalog.CatalogEntry, quant: str | None) -> tuple[str, str, str]:
    """(repo, revision, filename) of the entry's ready GGUF to download."""
    ready = _ready_files(entry)
    if not ready:
        raise CommandError(
            say(
                f"Aucun GGUF prêt n'existe pour {entry.id} : convertissez-le avec "
                f"« vigogne-convert {entry.repo} --revision {entry.revision} -o "
                f"{entry.id}.gguf --quant Q4_K_M ».",
                f"No ready GGUF exists for {entry.id}: convert it with “vigogne-convert "
                f"{entry.repo} --revision {entry.revision} -o {entry.id}.gguf --quant Q4_K_M”.",
            )
        )
    wanted = quant.upper() if quant else _choose_quant(entry, None, 4096, _machine())
    if wanted not in ready:
        choices = ", ".join(ready)
        raise CommandError(
            say(
                f"{entry.id} n'existe pas en {wanted} : choisissez parmi {choices}.",
                f"{entry.id} does not come in {wanted}: choose one of {choices}.",
            )
        )
    repo, revision, filename, _ = ready[wanted]
    return repo, revision, filename


def _bits(quant: str) -> float:
    from converters.quantize import BITS_PER_WEIGHT

    if quant not in BITS_PER_WEIGHT:
        raise CommandError(
            say(
                f"Quantification inconnue « {quant} » : choisissez parmi "
                f"{', '.join(BITS_PER_WEIGHT)}.",
                f"Unknown quantization “{quant}”: choose one of {', '.join(BITS_PER_WEIGHT)}.",
            )
        )
    return BITS_PER_WEIGHT[quant]


def _machine() -> hardware.Machine:
    return hardware.probe(models_dir())


def _pull(spec: str, quant: str | None, as_json: bool) -> int:
    from .core import downloads

    if ":" in spec:
        repo, filename = spec.split(":", 1)
        revision = "main"
    else:
        entry = catalog.by_id(spec)
        if entry is None:
            raise CommandError(
                say(
                    f"« {spec} » n'est ni un modèle du catalogue ni propriétaire/dépôt:fichier.gguf"
                    " : voyez « vigogne-desktop models list ».",
                    f"“{spec}” is neither a catalog model nor owner/repo:file.gguf: see "
                    "“vigogne-desktop models list”.",
                )
            )
        if entry.research_only:
            print(entry.licence_note, file=sys.stderr)  # before any download, as in the window
        repo, revision, filename = _pick_file(entry, quant)
    token = AppSettings.load().hub_token()
    cancel = threading.Event()
    last = [0.0]

    def progress(p: downloads.DownloadProgress) -> None:
        if as_json:
            print(json.dumps(asdict(p)), file=sys.stderr, flush=True)
        elif time.monotonic() - last[0] >= 1 or p.done_bytes == p.total_bytes:
            last[0] = time.monotonic()
            share = 100 * p.done_bytes / p.total_bytes if p.total_bytes else 100.0
            eta = f", {p.eta_s:.0f} s" if p.eta_s is not None else ""
            print(
                f"{filename}: {share:.0f} % ({_size(p.done_bytes)} / {_size(p.total_bytes)}, "
                f"{p.bytes_per_s / 1e6:.1f} MB/s{eta})",
                file=sys.stderr,
                flush=True,
            )

    try:
        path = downloads.download_file(
            repo, filename, revision=revision, token=token, on_progress=progress, cancel=cancel
        )
    except KeyboardInterrupt:
        cancel.set()
        raise
    _out(str(Path(path).absolute()))
    return 0


def _fit(model: str, n_ctx: int, quant: str | None, as_json: bool) -> int:
    machine = _machine()
    if Path(model).exists():
        shape = hardware.shape_from_gguf(model)
        parameters = None
    else:
        entry = catalog.by_id(model)
        if entry is None:
            raise CommandError(
                say(
                    f"« {model} » n'est ni un fichier GGUF ni un modèle du catalogue : "
                    "vérifiez le chemin ou voyez « vigogne-desktop models list ».",
                    f"“{model}” is neither a GGUF file nor a catalog model: check the path or "
                    "see “vigogne-desktop models list”.",
                )
            )
        parameters = int(entry.parameters_b * 1e9)
        chosen = _choose_quant(entry, quant, n_ctx, machine)
        ready = _ready_files(entry)
        size = ready[chosen][3] if chosen in ready else int(parameters * _bits(chosen) / 8)
        shape = catalog.entry_shape(entry, size, chosen)
    fit = hardware.estimate(shape, n_ctx, machine, parameters=parameters)
    result = {
        "model": model,
        "n_ctx": n_ctx,
        "quant": shape.quant,
        "ram_bytes": fit.ram_bytes,
        "needed_bytes": fit.needed_bytes,
        "vram_bytes": fit.vram_bytes,
        "gpu_layers": fit.gpu_layers,
        "threads": fit.threads,
        "fits": fit.fits,
        "recommended_quant": fit.recommended_quant,
        "available_ram_bytes": machine.available_ram,
        "reason": fit.reason,
    }
    if as_json:
        _out(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    verdict = say("tient", "fits") if fit.fits else say("ne tient pas", "does not fit")
    _out(
        f"{model} ({shape.quant}, n_ctx {n_ctx}): {_size(fit.needed_bytes)} RAM, "
        f"{_size(fit.vram_bytes)} VRAM, {fit.gpu_layers} GPU layers, {fit.threads} threads — "
        f"{verdict}" + (f" ({fit.reason})" if fit.reason else "")
    )
    if fit.recommended_quant:
        advice = say("Quantification conseillée : ", "Recommended quantization: ")
        _out(advice + fit.recommended_quant)
    return 0


_BAD_INPUT = 2  # `models quality` on files that cannot be compared, as argparse's own errors


def _quality(model: Path, reference: Path, as_json: bool, store: bool) -> int:
    from converters.quality import QualityError, measure, report_table
    from converters.quality_metadata import store_report

    last = [0.0]

    def progress(done: int, total: int) -> None:
        if not as_json and (time.monotonic() - last[0] >= 1 or done == total):
            last[0] = time.monotonic()
            print(
                say(f"mesure : {done}/{total} jetons", f"measuring: {done}/{total} tokens"),
                file=sys.stderr,
                flush=True,
            )

    try:
        report = measure(model, reference, progress=progress)
    except QualityError as exc:  # a wrong file or pair of files: the user's to mend
        print(f"vigogne-desktop: {exc}", file=sys.stderr)
        return _BAD_INPUT
    if store:
        store_report(model, report)
    if as_json:
        _out(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return 0
    _out(f"{model.name} ↔ {reference.name}")
    _out(report_table(report))
    if store:
        _out(say(f"Enregistré dans {model}.", f"Stored in {model}."))
    return 0
