"""The conversion pipeline, once for every architecture: read → map → transform → write.

Tensors are read one at a time from the checkpoint, transformed by the architecture's
hook, cast to the output type and written; nothing else of the model is held in memory.
The output is written to NAME.part and renamed only when complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from . import archs, catalog, templates
from .checkpoint import Checkpoint
from .checkpoint_dtypes import f32_to_bf16, to_f32
from .checkpoint_lora import LoraAdapter, MergedCheckpoint
from .errors import CheckpointError, ConversionError, OutputError
from .messages import say
from .quantize import BITS_PER_WEIGHT, QUANT_TYPES, quantize
from .templates import FORMAT_KEY, FORMATS, MAX_ROUNDS_CONFIG, MAX_ROUNDS_KEY
from .vocab import load_vocab

OUTTYPES: dict[str, gguf.GGMLQuantizationType] = {
    "f32": gguf.GGMLQuantizationType.F32,
    "f16": gguf.GGMLQuantizationType.F16,
    "bf16": gguf.GGMLQuantizationType.BF16,
    "q8_0": gguf.GGMLQuantizationType.Q8_0,
}
_FILE_TYPES = {
    "f32": gguf.LlamaFileType.ALL_F32,
    "f16": gguf.LlamaFileType.MOSTLY_F16,
    "bf16": gguf.LlamaFileType.MOSTLY_BF16,
    "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
}


@dataclass(frozen=True)
class Progress:
    phase: str  # "convert", "quantize" or "done"
    index: int
    total: int
    bytes_done: int
    bytes_total: int
    eta_s: float | None
    tensor: str = ""


ProgressFn = Callable[[Progress], None]
# Told (quantized file, unquantized file it came from) while both are still part files.
QuantizedFn = Callable[[Path, Path], None]


@dataclass(frozen=True)
class Source:
    """Where a checkpoint came from, for the GGUF's metadata."""

    folder: Path
    repo: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class _Planned:
    source: str
    name: str
    shape: tuple[int, ...]
    qtype: gguf.GGMLQuantizationType

    @property
    def nbytes(self) -> int:
        byte_shape = gguf.quant_shape_to_byte_shape(self.shape, self.qtype)
        return int(np.prod(byte_shape, dtype=np.int64))


def open_checkpoint(folder: Path, base: Path | None) -> tuple[Checkpoint, Path]:
    """The checkpoint to convert (a LoRA adapter merged onto its base) and its tokenizer folder."""
    if (folder / "adapter_config.json").is_file():
        adapter = LoraAdapter(folder)
        base_folder = base
        if base_folder is None:
            raise CheckpointError(
                say(
                    f"« {folder} » est un adaptateur LoRA pour « {adapter.base_model} » : donnez "
                    "le "
                    "modèle de base avec --base (dossier local ou dépôt du Hub).",
                    f"“{folder}” is a LoRA adapter for “{adapter.base_model}”: give the base model "
                    "with --base (a local folder or a Hub repository).",
                )
            )
        merged = MergedCheckpoint(Checkpoint(base_folder), adapter)
        tokenizer = (
            folder
            if any((folder / f).is_file() for f in ("tokenizer.model", "tokenizer.json"))
            else base_folder
        )
        return merged, tokenizer
    return Checkpoint(folder), folder


def _out_type(
    shape: tuple[int, ...], wanted: gguf.GGMLQuantizationType
) -> gguf.GGMLQuantizationType:
    if len(shape) < 2:  # norms and biases stay exact; llama.cpp computes them in f32
        return gguf.GGMLQuantizationType.F32
    if wanted == gguf.GGMLQuantizationType.Q8_0 and shape[-1] % 32:
        return gguf.GGMLQuantizationType.F16  # Q8_0 needs rows in blocks of 32
    return wanted


_STORED = {
    "F32": gguf.GGMLQuantizationType.F32,
    "F16": gguf.GGMLQuantizationType.F16,
    "BF16": gguf.GGMLQuantizationType.BF16,
}
_CHUNK_VALUES = 1 << 22  # rows are converted in chunks of about 4M values (16 MB in f32)


def encode(data: np.ndarray, dtype: str, qtype: gguf.GGMLQuantizationType) -> np.ndarray:
    """A stored tensor in the output type, written chunk by chunk into one output buffer.

    Stored and output types alike: the data goes out as it is. Otherwise each chunk of rows
    is widened to float32 and encoded, so temporaries stay small whatever the tensor's size.
    """
    if _STORED[dtype] == qtype:
        return np.ascontiguousarray(data)
    rows = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(1, -1)
    if qtype == gguf.GGMLQuantizationType.F32:
        out = np.empty(rows.shape, np.float32)
    elif qtype == gguf.GGMLQuantizationType.F16:
        out = np.empty(rows.shape, np.float16)
    else:
        out = np.empty(gguf.quant_shape_to_byte_shape(rows.shape, qtype), np.uint8)
    step = max(1, _CHUNK_VALUES // rows.shape[1])
    for start in range(0, rows.shape[0], step):
        chunk = to_f32(rows[start : start + step], dtype)
        if qtype == gguf.GGMLQuantizationType.BF16:
            out[start : start + step] = f32_to_bf16(chunk).view(np.uint8)
        elif qtype in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            out[start : start + step] = chunk
        else:
            out[start : start + step] = gguf.quants.quantize(chunk, qtype)
    return out.reshape(data.shape) if out.dtype != np.uint8 else out


def plan(checkpoint: Checkpoint, arch: archs.Architecture, outtype: str) -> list[_Planned]:
    """Map every tensor to its GGUF name and type, and check names and shapes first."""
    planned: list[_Planned] = []
    for name in checkpoint.names():
        if arch.skip(name):
            continue
        ref = checkpoint.refs[name]
        target = arch.gguf_name(name)
        planned.append(
            _Planned(name, target, tuple(ref.shape), _out_type(tuple(ref.shape), OUTTYPES[outtype]))
        )
    expected = arch.expected_shapes()
    present = {p.name: p for p in planned}
    missing = [n for n in expected if n not in present and n not in arch.optional_tensors()]
    if missing:
        raise CheckpointError(
            say(
                f"Il manque {len(missing)} tenseur(s) au checkpoint (par exemple {missing[0]}) : "
                "il "
                "est incomplet ou ne correspond pas à sa config.json.",
                f"The checkpoint lacks {len(missing)} tensor(s) (for example {missing[0]}): it is "
                "incomplete or does not match its config.json.",
            )
        )
    for item in planned:
        if item.name in expected and expected[item.name] != item.shape:
            raise CheckpointError(
                say(
                    f"Le tenseur {item.source} a la forme {item.shape} au lieu de "
                    f"{expected[item.name]} : le checkpoint ne correspond pas à sa config.json.",
                    f"Tensor {item.source} has shape {item.shape} instead of "
                    f"{expected[item.name]}: "
                    "the checkpoint does not match its config.json.",
                )
            )
    return planned


def _read_card(folder: Path) -> tuple[str | None, str | None]:
    """(license, title) from a model card: its YAML front matter and first heading."""
    readme = folder / "README.md"
    if not readme.is_file():
        return None, None
    text = readme.read_text(encoding="utf-8", errors="replace")
    front = re.match(r"---\s*\n(.*?)\n---", text, re.S)
    found = re.search(r"^license:\s*([\w.\-]+)", front.group(1), re.M) if front else None
    title = re.search(r"^# (.+)$", text[front.end() if front else 0 :], re.M)
    return (found.group(1) if found else None), (title.group(1).strip() if title else None)


def choose_format(source: Source, forced: str | None) -> str:
    """The format to embed: the one rule of templates.choose_format, on the checkpoint's name."""
    try:
        return templates.choose_format(forced, model_name=source.repo or source.folder.name).name
    except templates.PromptTemplateError as exc:
        raise ConversionError(str(exc)) from exc


def _write_metadata(
    writer: gguf.GGUFWriter,
    source: Source,
    prompt_format: str,
    outtype: str,
    config: dict[str, Any],
) -> None:
    entry = catalog.match(source.repo or source.folder.name)
    card_license, card_title = _read_card(source.folder)
    name = entry.name if entry else card_title or (source.repo or source.folder.name).split("/")[-1]
    writer.add_name(name)
    license_name = card_license or (entry.license if entry else None)
    if license_name:
        writer.add_license(license_name)
    if source.repo:
        url = f"https://huggingface.co/{source.repo}"
        if source.revision and source.revision != "main":
            url += f"/tree/{source.revision}"
        writer.add_string(gguf.Keys.General.SOURCE_URL, url)
        writer.add_string(
            gguf.Keys.General.SOURCE_REPO_URL, f"https://huggingface.co/{source.repo}"
        )
        writer.add_string("vigogne.source.revision", source.revision or "main")
    writer.add_file_type(_FILE_TYPES[outtype])
    if outtype == "q8_0":
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_chat_template(FORMATS[prompt_format].template)
    writer.add_string(FORMAT_KEY, prompt_format)
    # A model trained on single questions says so in its config.json; the app then sends it
    # the last question only (and tells the user), since history would only confuse it.
    rounds = config.get(MAX_ROUNDS_CONFIG)
    if isinstance(rounds, int) and rounds > 0:
        writer.add_uint32(MAX_ROUNDS_KEY, rounds)


def check_output(output: Path, needed_bytes: int, force: bool) -> None:
    """Refuse before any work: existing output, unwritable folder, too little disk space."""
    if output.exists() and not force:
        raise OutputError(
            say(
                f"« {output} » existe déjà : choisissez un autre nom ou ajoutez --force.",
                f"“{output}” already exists: choose another name or add --force.",
            )
        )
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(
            say(
                f"Le dossier « {folder} » n'existe pas : créez-le ou choisissez-en un autre.",
                f"The folder “{folder}” does not exist: create it or choose another one.",
            )
        )
    if not os.access(folder, os.W_OK):
        raise OutputError(
            say(
                f"Impossible d'écrire dans « {folder} » : choisissez un dossier où vous avez "
                "les droits d'écriture.",
                f"Cannot write in “{folder}”: choose a folder you can write to.",
            )
        )
    free = shutil.disk_usage(folder).free
    if free < needed_bytes:
        raise OutputError(
            say(
                f"Pas assez d'espace disque dans « {folder} » : il faut environ "
                f"{needed_bytes / 1e9:.1f} Go et il en reste {free / 1e9:.1f} Go.",
                f"Not enough disk space in “{folder}”: about {needed_bytes / 1e9:.1f} GB are "
                f"needed and {free / 1e9:.1f} GB are left.",
            )
        )


def partial(output: Path) -> Path:
    return output.with_name(output.name + ".part")


@contextlib.contextmanager
def partial_file(output: Path) -> Iterator[Path]:
    """NAME.part while writing; renamed to NAME on success, removed on any failure."""
    part = partial(output)
    try:
        yield part
        os.replace(part, output)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def write_gguf(
    checkpoint: Checkpoint,
    tokenizer_folder: Path,
    source: Source,
    output: Path,
    outtype: str,
    prompt_format: str,
    progress: ProgressFn | None,
) -> None:
    arch = archs.for_config(checkpoint.config)
    vocab = load_vocab(tokenizer_folder, arch.vocab, arch.pre_tokenizer, arch.vocab_size)
    planned = plan(checkpoint, arch, outtype)
    writer = gguf.GGUFWriter(path=None, arch=arch.arch_name)
    _write_metadata(writer, source, prompt_format, outtype, checkpoint.config)
    arch.write_hparams(writer)
    vocab.write(writer)
    for item in planned:
        numpy_dtype = {
            gguf.GGMLQuantizationType.F32: np.float32,
            gguf.GGMLQuantizationType.F16: np.float16,
        }.get(item.qtype, np.uint8)
        shape = (
            item.shape
            if numpy_dtype is not np.uint8
            else gguf.quant_shape_to_byte_shape(item.shape, item.qtype)
        )
        writer.add_tensor_info(
            item.name,
            shape,
            np.dtype(numpy_dtype),
            item.nbytes,
            raw_dtype=None if numpy_dtype is not np.uint8 else item.qtype,
        )
    total = sum(p.nbytes for p in planned)
    check_output(output, total + 64 * 1024 * 1024, force=True)
    with partial_file(output) as part:
        writer.write_header_to_file(part)
        try:
            writer.write_kv_data_to_file()
            writer.write_ti_data_to_file()
            started, done = time.monotonic(), 0
            for index, item in enumerate(planned, 1):
                data, dtype = checkpoint.raw(item.source)
                writer.write_tensor_data(
                    encode(arch.transform(item.source, data), dtype, item.qtype)
                )
                del data
                checkpoint.release(item.source)
                done += item.nbytes
                if progress is not None:
                    elapsed = time.monotonic() - started
                    eta = elapsed / done * (total - done) if done else None
                    progress(Progress("convert", index, len(planned), done, total, eta, item.name))
        finally:
            writer.close()


_BYTES_PER_VALUE = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 34 / 32}


def value_count(checkpoint: Checkpoint) -> int:
    return sum(int(np.prod(r.shape, dtype=np.int64)) for r in checkpoint.refs.values())


def convert(
    source: Source,
    output: Path,
    *,
    outtype: str = "f16",
    quant: str | None = None,
    keep_intermediate: bool = False,
    base: Path | None = None,
    prompt_format: str | None = None,
    force: bool = False,
    threads: int = 0,
    progress: ProgressFn | None = None,
    on_quantized: QuantizedFn | None = None,
) -> Path:
    """Convert a checkpoint folder to `output` (GGUF), quantized when `quant` is given.

    `on_quantized(quantized, intermediate)` runs once the quantized file is written, before
    it gets the name `output` and before the unquantized one is removed: what it adds to the
    file (a quality report) is there when the name is, and a run killed meanwhile leaves only
    part files, which the next run removes. Its exceptions end the conversion."""
    if outtype not in OUTTYPES:
        raise ConversionError(
            say(
                f"Type de sortie inconnu « {outtype} » : {', '.join(OUTTYPES)}.",
                f"Unknown output type “{outtype}”: {', '.join(OUTTYPES)}.",
            )
        )
    if quant is not None and quant not in QUANT_TYPES:
        raise ConversionError(
            say(
                f"Type de quantification inconnu « {quant} » : {', '.join(QUANT_TYPES)}.",
                f"Unknown quantization type “{quant}”: {', '.join(QUANT_TYPES)}.",
            )
        )
    if quant is not None and outtype == "q8_0":
        # llama.cpp refuses to quantize tensors that are already quantized.
        raise ConversionError(
            say(
                "La quantification part d'un fichier f32, f16 ou bf16 : retirez --outtype q8_0 "
                "ou --quant.",
                "Quantization starts from an f32, f16 or bf16 file: drop --outtype q8_0 or "
                "--quant.",
            )
        )
    try:
        return _convert(
            source,
            output,
            outtype,
            quant,
            keep_intermediate,
            base,
            prompt_format,
            force,
            threads,
            progress,
            on_quantized,
        )
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise OutputError(
                say(
                    f"Le disque de « {output.parent} » est plein : libérez de la place puis "
                    "recommencez (aucun fichier partiel n'a été laissé).",
                    f"The disk of “{output.parent}” is full: free some space and start again (no "
                    "partial file was left).",
                )
            ) from exc
        raise OutputError(
            say(
                f"Écriture impossible dans « {output.parent} » ({exc.strerror}) : choisissez un "
                "dossier où vous avez les droits d'écriture.",
                f"Cannot write in “{output.parent}” ({exc.strerror}): choose a folder you can "
                "write to.",
            )
        ) from exc


def _convert(
    source: Source,
    output: Path,
    outtype: str,
    quant: str | None,
    keep_intermediate: bool,
    base: Path | None,
    prompt_format: str | None,
    force: bool,
    threads: int,
    progress: ProgressFn | None,
    on_quantized: QuantizedFn | None,
) -> Path:
    fmt = choose_format(source, prompt_format)
    checkpoint, tokenizer_folder = open_checkpoint(source.folder, base)
    values = value_count(checkpoint)
    direct = int(values * _BYTES_PER_VALUE[outtype])
    quantized = int(values * BITS_PER_WEIGHT.get(quant or "", 0) / 8)
    needed = (direct + quantized if quant else direct) + 64 * 1024 * 1024
    # Beside the output, under a name fixed by its own: a run killed outright (SIGKILL, the
    # out-of-memory killer) removes nothing, and the next run must find and replace it.
    intermediate = output.with_name(
        output.stem + f".{outtype}.gguf" if keep_intermediate else f"{output.name}.{outtype}.part"
    )
    # partial(partial(output)): what on_quantized writes while it rewrites the quantized part.
    leftovers = [partial(output), partial(partial(output)), partial(intermediate)]
    for leftover in leftovers if keep_intermediate else [*leftovers, intermediate]:
        leftover.unlink(missing_ok=True)  # before the space check: that space is free again
    check_output(output, needed, force)
    if not quant:
        write_gguf(checkpoint, tokenizer_folder, source, output, outtype, fmt, progress)
    else:
        try:
            write_gguf(checkpoint, tokenizer_folder, source, intermediate, outtype, fmt, progress)

            def on_tensor(index: int, total: int) -> None:
                if progress is not None:
                    progress(Progress("quantize", index, total, 0, 0, None))

            with partial_file(output) as part:
                quantize(intermediate, part, quant, threads=threads, progress=on_tensor)
                if on_quantized is not None:
                    on_quantized(part, intermediate)
        finally:
            if not keep_intermediate:
                intermediate.unlink(missing_ok=True)
    if progress is not None:
        size = output.stat().st_size
        progress(Progress("done", 1, 1, size, size, 0.0, str(output)))
    return output
