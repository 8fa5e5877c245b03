"""What a quantization costs: a GGUF's next-token distributions against its reference's.

On the shipped French text (converters/quality_text.json), both files run through llama.cpp
with every position's logits kept; the report gives KL(reference ‖ model) per token (mean
and 99th percentile), how often both put the same token first, and each file's perplexity.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cores import default_threads
from .errors import Cancelled, ConversionError
from .messages import say

if TYPE_CHECKING:  # llama_cpp loads the native library: imported when a measure starts
    import llama_cpp

ProgressFn = Callable[[int, int], None]  # tokens evaluated, tokens to evaluate (both files)
CancelledFn = Callable[[], bool]

# 512 is what llama.cpp's perplexity tool is usually run with; a measurement's context is
# stored with it, since the same text scored with a longer one gives other figures.
DEFAULT_N_CTX = 512
# Batches of 128 tokens: a cancel waits for one batch at most (seconds on a 7B in f16 on
# CPU), and CPU prompt processing is barely slower than with llama.cpp's default 512.
DEFAULT_N_BATCH = 128


class QualityError(ConversionError):
    """The two files cannot be compared, or one of them cannot be run."""


@dataclass(frozen=True)
class QualityReport:
    """One measurement; the field names are the stable keys of `--json` and of the GGUF's
    `vigogne.quality.*` metadata."""

    reference_type: str  # the reference's file type, as llama.cpp's quantize names it ("F16")
    kl_mean: float  # mean over scored tokens of KL(reference ‖ model), in nats
    kl_p99: float  # 99th percentile of the same
    top1_agreement: float  # share of tokens where both files rank the same token first
    ppl: float  # the model's perplexity on the text
    ppl_reference: float  # the reference's
    tokens: int  # tokens scored
    text_sha256: str  # which text (its UTF-8 bytes' SHA-256)
    context_length: int  # the window the text was scored in

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def reference_text() -> str:
    """The shipped French text the measurement runs on (paragraphs joined by blank lines)."""
    source = resources.files("converters").joinpath("quality_text.json")
    return "\n\n".join(json.loads(source.read_text(encoding="utf-8"))["paragraphs"])


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def windows(n_tokens: int, n_ctx: int) -> list[tuple[int, int]]:
    """(start, first scored position) of each window over the text, as llama.cpp's perplexity
    tool scores a chunk: only positions with at least half a window of context before them.

    Its chunks do not overlap, so half of a short text is never scored; here each next
    window starts where its first scored token has that same half window behind it, and the
    last one ends at the text's end: every token after the first half window is scored
    once, at the same cost per scored token (about two evaluated per one scored)."""
    n_ctx = min(n_ctx, n_tokens)
    first = n_ctx // 2
    spans: list[tuple[int, int]] = []
    target = first + 1  # the first token not scored yet (position p predicts token p + 1)
    while target < n_tokens:
        start = min(target - first - 1, n_tokens - n_ctx)
        spans.append((start, target - start - 1))
        target = start + n_ctx
    return spans


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _cannot_run(path: Path, exc: BaseException) -> QualityError:
    return QualityError(
        say(
            f"llama.cpp n'a pas pu charger « {path.name} » ({exc}) : vérifiez que c'est un "
            "modèle GGUF complet.",
            f"llama.cpp could not load “{path.name}” ({exc}): check that it is a complete GGUF "
            "model.",
        )
    )


class _Run:
    """One file under llama.cpp, giving each window's log-probabilities at scored positions."""

    def __init__(self, path: Path, n_ctx: int, n_batch: int, threads: int | None) -> None:
        import llama_cpp

        try:
            self.llama: llama_cpp.Llama = llama_cpp.Llama(
                str(path),
                n_ctx=n_ctx,
                n_batch=n_batch,
                n_ubatch=n_batch,
                n_threads=threads or default_threads(),
                n_gpu_layers=0,
                logits_all=True,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise _cannot_run(path, exc) from exc

    def tokens(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode("utf-8"), add_bos=True)

    def log_probs(
        self,
        tokens: Sequence[int],
        spans: Sequence[tuple[int, int]],
        n_ctx: int,
        step: Callable[[int], None],
    ) -> Iterator[np.ndarray]:
        bos = self.llama.token_bos()
        for start, first in spans:
            window = list(tokens[start : start + n_ctx])
            if tokens[0] == bos:  # as llama.cpp's perplexity tool: each window opens with BOS
                window[0] = bos
            self.llama.reset()
            for at in range(0, len(window), self.llama.n_batch):
                batch = window[at : at + self.llama.n_batch]
                self.llama.eval(batch)
                step(len(batch))
            yield log_softmax(self.llama.scores[first : len(window) - 1].astype(np.float32))

    def close(self) -> None:
        self.llama.close()


def _vocabulary(path: Path) -> tuple[int, str]:
    """(size, SHA-256 of every token's bytes) from the GGUF's metadata, without loading it."""
    import gguf

    if not path.is_file():
        raise QualityError(
            say(
                f"Le fichier « {path} » n'existe pas : vérifiez le chemin.",
                f"The file “{path}” does not exist: check the path.",
            )
        )
    try:
        field = gguf.GGUFReader(path).fields["tokenizer.ggml.tokens"]
    except Exception as exc:  # GGUFReader fails in many ways on foreign or damaged files
        raise QualityError(
            say(
                f"« {path.name} » n'est pas un GGUF lisible avec un vocabulaire : vérifiez le "
                "fichier.",
                f"“{path.name}” is not a readable GGUF with a vocabulary: check the file.",
            )
        ) from exc
    digest = hashlib.sha256()
    for index in field.data:
        digest.update(bytes(field.parts[index]))
        digest.update(b"\0")
    return len(field.data), digest.hexdigest()


def check_same_vocabulary(model: Path, reference: Path) -> None:
    """Raise QualityError unless both files tokenize with the same vocabulary."""
    if _vocabulary(model) != _vocabulary(reference):
        raise QualityError(
            say(
                f"« {model.name} » et « {reference.name} » n'ont pas le même vocabulaire : "
                "choisissez comme référence le même modèle en f16 ou f32.",
                f"“{model.name}” and “{reference.name}” do not have the same vocabulary: choose "
                "the same model in f16 or f32 as the reference.",
            )
        )


def _file_type(path: Path) -> str:
    import gguf

    field = gguf.GGUFReader(path).fields.get("general.file_type")
    if field is None:
        return ""
    try:
        name = gguf.LlamaFileType(int(field.contents())).name
    except ValueError:
        return ""
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def measure(
    model: Path,
    reference: Path,
    *,
    text: str | None = None,
    n_ctx: int = DEFAULT_N_CTX,
    n_batch: int = DEFAULT_N_BATCH,
    threads: int | None = None,
    progress: ProgressFn | None = None,
    cancelled: CancelledFn | None = None,
) -> QualityReport:
    """Measure `model` against `reference` (the same model, unquantized) on `text` (default:
    the shipped French text). `cancelled` is asked between batches; True raises Cancelled.

    The files run one after the other, so only one is in memory at a time; the reference's
    log-probabilities at the scored positions are kept meanwhile (tokens × vocabulary × 4
    bytes: about 60 MB for the shipped text and a 32,000-token vocabulary)."""
    check_same_vocabulary(model, reference)
    text = reference_text() if text is None else text
    done = [0]
    total = [0]

    def step(count: int) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled(
                say(
                    "Mesure de la qualité interrompue : le modèle n'a pas été modifié.",
                    "Quality measurement interrupted: the model was not changed.",
                )
            )
        done[0] += count
        if progress is not None:
            progress(done[0], total[0])

    run = _Run(reference, n_ctx, n_batch, threads)
    try:
        tokens = run.tokens(text)
        if len(tokens) < 3:
            raise QualityError(
                say(
                    "Le texte de référence est trop court pour une mesure : donnez-en un plus "
                    "long.",
                    "The reference text is too short to measure: give a longer one.",
                )
            )
        n_ctx = min(n_ctx, len(tokens), run.llama.n_ctx())
        spans = windows(len(tokens), n_ctx)
        total[0] = 2 * sum(min(n_ctx, len(tokens) - start) for start, _ in spans)
        step(0)
        reference_logp = list(run.log_probs(tokens, spans, n_ctx, step))
    finally:
        run.close()
    run = _Run(model, n_ctx, n_batch, threads)
    try:
        if run.tokens(text) != tokens:
            raise QualityError(
                say(
                    f"« {model.name} » ne découpe pas le texte comme « {reference.name} » : "
                    "choisissez comme référence le même modèle en f16 ou f32.",
                    f"“{model.name}” does not tokenize the text as “{reference.name}” does: "
                    "choose the same model in f16 or f32 as the reference.",
                )
            )
        kl: list[np.ndarray] = []
        agree = nll = nll_reference = 0.0
        for (start, first), ref, logp in zip(
            spans, reference_logp, run.log_probs(tokens, spans, n_ctx, step), strict=True
        ):
            targets = np.asarray(tokens[start + first + 1 : start + n_ctx])
            rows = np.arange(len(targets))
            kl.append((np.exp(ref) * (ref - logp)).sum(axis=-1))
            agree += float((ref.argmax(axis=-1) == logp.argmax(axis=-1)).sum())
            nll -= float(logp[rows, targets].sum())
            nll_reference -= float(ref[rows, targets].sum())
    finally:
        run.close()
    per_token = np.maximum(np.concatenate(kl), 0.0)  # rounding can leave a tiny negative
    scored = len(per_token)
    return QualityReport(
        reference_type=_file_type(reference),
        kl_mean=float(per_token.mean()),
        kl_p99=float(np.percentile(per_token, 99)),
        top1_agreement=agree / scored,
        ppl=math.exp(nll / scored),
        ppl_reference=math.exp(nll_reference / scored),
        tokens=scored,
        text_sha256=text_sha256(text),
        context_length=n_ctx,
    )


def report_table(report: QualityReport) -> str:
    """The report as a short table for a terminal, each label in French and English."""
    rows = [
        ("Divergence KL moyenne / mean KL divergence", f"{report.kl_mean:.5f} nats"),
        ("KL, 99e centile / 99th percentile", f"{report.kl_p99:.5f} nats"),
        ("Même premier choix / top-1 agreement", f"{report.top1_agreement:.1%}"),
        ("Perplexité / perplexity", f"{report.ppl:.3f}"),
        ("Perplexité de la référence / reference perplexity", f"{report.ppl_reference:.3f}"),
        ("Référence / reference", report.reference_type or "?"),
        ("Jetons mesurés / tokens scored", f"{report.tokens} (n_ctx {report.context_length})"),
        ("Texte / text (SHA-256)", report.text_sha256[:16] + "…"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
