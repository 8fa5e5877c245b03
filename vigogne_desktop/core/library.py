"""Local model files: usable or not, their metadata, and the library's list of them.

`quick_check` is cheap (a header read) and runs before every load; `diagnose` parses the
whole file with gguf.GGUFReader and runs only to explain a load that failed. The list is
the app's models folder, the files and folders the user added, and what `discover` finds
in other apps' folders (see `discovery`): all listed where they are, never copied.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from converters import catalog
from converters.messages import say

from . import discovery
from .discovery import GPT4ALL, HF_CACHE, LM_STUDIO, OLLAMA
from .errors import ModelFileError, ModelLoadError
from .gguf_header import VERSIONS, DamagedGguf, TruncatedGguf, read_header

if TYPE_CHECKING:  # gguf brings numpy: imported where a file is read, not by the window's start
    import gguf

    from converters.quality import QualityReport

GGUF_MAGIC = b"GGUF"
_NEWEST_PLAUSIBLE_VERSION = 255
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata count


def quick_check(path: str | os.PathLike[str]) -> Path:
    """Raise ModelFileError unless `path` is a readable GGUF whose layout is sound (a header
    read, milliseconds): a damaged one raises DamagedModelFile, before llama.cpp sees it."""
    file = Path(path)
    if not file.exists():
        raise ModelFileError(
            say(
                f"Le fichier « {file} » n'existe pas : vérifiez le chemin du modèle.",
                f"The file “{file}” does not exist: check the model's path.",
            )
        )
    if not file.is_file():
        raise ModelFileError(
            say(
                f"« {file} » n'est pas un fichier : choisissez un fichier .gguf.",
                f"“{file}” is not a file: choose a .gguf file.",
            )
        )
    try:
        with file.open("rb") as handle:
            header = handle.read(_HEADER.size)
    except OSError as exc:
        raise ModelFileError(
            say(
                f"Impossible de lire « {file.name} » ({exc.strerror}) : vérifiez ses droits "
                "d'accès.",
                f"Cannot read “{file.name}” ({exc.strerror}): check its permissions.",
            )
        ) from exc
    if len(header) < _HEADER.size or header[:4] != GGUF_MAGIC:
        raise ModelFileError(
            say(
                f"« {file.name} » n'est pas un modèle GGUF : choisissez un fichier .gguf, "
                "ou convertissez d'abord le modèle avec vigogne-convert.",
                f"“{file.name}” is not a GGUF model: choose a .gguf file, or convert the model "
                "with vigogne-convert first.",
            )
        )
    _, version, _, _ = _HEADER.unpack(header)
    if version < min(VERSIONS):
        raise ModelFileError(
            say(
                f"« {file.name} » est un GGUF de version {version}, un ancien format que llama.cpp "
                "ne lit plus : téléchargez ou convertissez à nouveau le modèle.",
                f"“{file.name}” is a version {version} GGUF, an old format llama.cpp no longer "
                "reads: download or convert the model again.",
            )
        )
    # A newer format is a small number; random bytes after "GGUF" (or a big-endian file)
    # read as a huge one, which no update would read: those are damaged files.
    if max(VERSIONS) < version <= _NEWEST_PLAUSIBLE_VERSION:
        raise ModelFileError(
            say(
                f"« {file.name} » est un GGUF de version {version}, que cette version de "
                "Vigogne Desktop ne sait pas lire : mettez l'application à jour.",
                f"“{file.name}” is a version {version} GGUF, which this version of Vigogne Desktop "
                "cannot read: update the app.",
            )
        )
    _check_structure(file)
    return file


class DamagedModelFile(ModelFileError, ModelLoadError):
    """A file refused before llama.cpp sees it, because its layout is broken: a bad file
    (ModelFileError) and a failed load (ModelLoadError) to whoever catches either."""


def _check_structure(file: Path) -> None:
    """Every count, length, shape and offset of the header bounded by the file, so that
    llama.cpp is never handed a file it would read out of bounds."""
    try:
        read_header(file)
    except TruncatedGguf as exc:
        raise DamagedModelFile(_truncated(file, exc.size, exc.expected)) from exc
    except DamagedGguf as exc:
        raise DamagedModelFile(_damaged_because(file, exc)) from exc
    except (ValueError, OSError) as exc:  # mmap refusing the file, a read error
        raise DamagedModelFile(_damaged(file).args[0]) from exc


# -- the metadata of one file --------------------------------------------------------------

MODELS, IMPORTED = "models", "imported"
# Where a LocalModel was found (its `source`), as `models list` and the library view show it.
SOURCES = (MODELS, IMPORTED, HF_CACHE, LM_STUDIO, GPT4ALL, OLLAMA)


@dataclass(frozen=True)
class LocalModel:
    """A GGUF on this computer, where it is (never copied) and what its metadata says."""

    path: Path
    name: str  # general.name, else the file's stem (Ollama: the model's tag, "llama3:8b")
    architecture: str  # general.architecture: "llama", "falcon", …
    quantization: str  # "Q4_K_M", "F16", … ("" when the file does not say)
    size_bytes: int
    context_length: int | None  # the training context the file declares
    has_chat_template: bool
    catalog_id: str | None  # the Vigogne catalog entry it is a conversion of, if any
    source: str  # one of SOURCES
    quality: QualityReport | None = None  # what its quantization costs, if it carries it


@dataclass(frozen=True)
class SkippedFile:
    """A file a listing left out, and the sentence saying why."""

    path: Path
    reason: str


def _damaged(file: Path) -> ModelFileError:
    return ModelFileError(
        say(
            f"« {file.name} » est endommagé (fichier GGUF illisible ou incomplet) : "
            "téléchargez-le ou convertissez-le à nouveau.",
            f"“{file.name}” is damaged (an unreadable or incomplete GGUF file): download or "
            "convert it again.",
        )
    )


def _damaged_because(file: Path, damage: DamagedGguf) -> str:
    return say(
        f"« {file.name} » est endommagé ({damage.french}) : téléchargez-le ou convertissez-le "
        "à nouveau.",
        f"“{file.name}” is damaged ({damage.english}): download or convert it again.",
    )


def _truncated(file: Path, size: int, end: int) -> str:
    return say(
        f"« {file.name} » est endommagé (tronqué : {size} octets sur {end} attendus) : le "
        "téléchargement ou la conversion n'est pas allé au bout ; recommencez-le.",
        f"“{file.name}” is damaged (truncated: {size} bytes of {end} expected): the download "
        "or conversion did not finish; do it again.",
    )


def _reader(file: Path) -> gguf.GGUFReader:
    import gguf

    try:
        return gguf.GGUFReader(file)
    except Exception as exc:  # GGUFReader raises many kinds on damaged input; all mean "damaged"
        raise _damaged(file) from exc


def diagnose(path: str | os.PathLike[str]) -> str | None:
    """Explain why a GGUF that passed quick_check cannot be loaded, if the file is at fault
    (quick_check has already bounded every tensor by the file: no truncation is left)."""
    try:
        _reader(Path(path))
    except ModelFileError as exc:
        return str(exc)
    return None


def _text(reader: gguf.GGUFReader, key: str) -> str:
    field = reader.fields.get(key)
    return str(field.contents()) if field is not None else ""


def _number(reader: gguf.GGUFReader, key: str) -> int | None:
    field = reader.fields.get(key)
    return int(field.contents()) if field is not None else None


def quantization(reader: gguf.GGUFReader) -> str:
    """The file type as llama.cpp's quantize names it ("Q4_K_M"), "" when the file is silent."""
    return file_type_name(_number(reader, "general.file_type"))


def file_type_name(file_type: int | None) -> str:
    """A `general.file_type` number as llama.cpp's quantize names it, "" when unknown."""
    if file_type is None:
        return ""
    import gguf

    try:
        return gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except ValueError:
        return ""


def read_model(
    path: str | os.PathLike[str], *, source: str = IMPORTED, name: str | None = None
) -> LocalModel:
    """A GGUF's metadata, or ModelFileError with one sentence if it cannot be used."""
    from converters.quality_metadata import read_report

    file = quick_check(path)  # the layout checked: the data lies inside the file
    reader = _reader(file)
    try:
        architecture = _text(reader, "general.architecture")
        written = _text(reader, "general.name")
        context_length = _number(reader, f"{architecture}.context_length")
        quant = quantization(reader)
    except (TypeError, ValueError) as exc:  # a key holding another type than the spec's
        raise _damaged(file) from exc
    shown = name or written or file.stem
    # Each name alone: joined, "vigogne-2-7b" and "chat.gguf" would match a model they are not.
    entry = catalog.match(shown) or catalog.match(written) or catalog.match(file.name)
    return LocalModel(
        path=file,
        name=shown,
        architecture=architecture,
        quantization=quant,
        size_bytes=file.stat().st_size,
        context_length=context_length,
        has_chat_template="tokenizer.chat_template" in reader.fields,
        catalog_id=entry.id if entry else None,
        source=source,
        quality=read_report(reader),
    )


# -- the library's list --------------------------------------------------------------------


def installed_models(models: Path) -> list[Path]:
    """GGUF files in the models folder, most recently modified first."""
    return sorted(models.glob("*.gguf"), key=lambda p: p.stat().st_mtime, reverse=True)


def _missing(path: Path) -> str:
    return say(
        f"« {path} » n'existe plus : retirez-le de la bibliothèque ou rebranchez son disque.",
        f"“{path}” no longer exists: remove it from the library or plug its drive back in.",
    )


def _collect(
    found: Iterable[discovery.Found], skipped: list[SkippedFile] | None
) -> list[LocalModel]:
    """Each file read once (by resolved path); a bad one is set aside, never fatal."""
    models: list[LocalModel] = []
    seen: set[Path] = set()
    for item in found:
        resolved = item.path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        try:
            models.append(read_model(item.path, source=item.source, name=item.name))
        except ModelFileError as exc:
            if skipped is not None:
                skipped.append(SkippedFile(item.path, str(exc)))
    return models


def _added(paths: Sequence[Path], skipped: list[SkippedFile] | None) -> list[discovery.Found]:
    """The user's added files as they are, and the GGUF files inside added folders."""
    found: list[discovery.Found] = []
    for path in paths:
        if path.is_dir():
            found += [discovery.Found(f, IMPORTED) for f in sorted(path.rglob("*.gguf"))]
        elif path.exists():
            found.append(discovery.Found(path, IMPORTED))
        elif skipped is not None:
            skipped.append(SkippedFile(path, _missing(path)))
    return found


def local_models(
    models_dir: Path,
    imported: Sequence[Path],
    skipped: list[SkippedFile] | None = None,
) -> list[LocalModel]:
    """The models folder (newest first), then what the user added; bad files go to `skipped`."""
    ours = [discovery.Found(p, MODELS) for p in installed_models(models_dir)]
    return _collect(ours + _added(imported, skipped), skipped)


def added_entry(path: Path, imported: Sequence[str]) -> str | None:
    """The added file or folder (as the settings keep it) that brought `path` into the
    library; None when the user did not add it."""
    for entry in imported:
        added = Path(entry)
        for candidate, root in ((path, added), (path.resolve(), added.resolve())):
            if candidate == root or root in candidate.parents:
                return entry
    return None


def import_models(
    paths: Sequence[str | os.PathLike[str]], skipped: list[SkippedFile] | None = None
) -> list[LocalModel]:
    """Check files or folders the user is adding: each model listed once, nothing copied.

    A chosen file that cannot be used, or a chosen folder with no usable GGUF, raises
    ModelFileError (the sentence says why); inside a folder, bad files go to `skipped`.
    """
    models: list[LocalModel] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = _collect(_added([path], None), skipped)
            if not inside:
                raise ModelFileError(
                    say(
                        f"Le dossier « {path} » ne contient aucun modèle GGUF utilisable : "
                        "choisissez un dossier qui en contient.",
                        f"The folder “{path}” holds no usable GGUF model: choose a folder "
                        "that holds one.",
                    )
                )
            models += inside
        else:
            models.append(read_model(path))
    # The same file chosen twice, or both alone and inside a chosen folder, is one model.
    return list({m.path.resolve(): m for m in models}.values())


def _unreadable_manifest(manifest: Path) -> SkippedFile:
    return SkippedFile(
        manifest,
        say(
            f"Le manifeste Ollama « {manifest} » est illisible : réinstallez ce modèle avec "
            "ollama pull.",
            f"The Ollama manifest “{manifest}” cannot be read: reinstall that model with "
            "ollama pull.",
        ),
    )


def discover(
    home: Path | None = None,
    hf_cache: Path | None = None,
    skipped: list[SkippedFile] | None = None,
) -> list[LocalModel]:
    """GGUF files other apps already keep on this computer, listed where they are.

    `home` stands for the user's home folder (a test's fake home); `hf_cache` for the
    Hugging Face hub cache, else huggingface_hub's own (HF_HUB_CACHE, HF_HOME).
    """
    user = home or Path.home()
    local_app_data = os.environ.get("LOCALAPPDATA") if home is None else None
    ollama, bad_manifests = discovery.ollama_models(discovery.ollama_root(user))
    if skipped is not None:
        skipped += [_unreadable_manifest(m) for m in bad_manifests]
    found = [
        *discovery.hf_cache_files(hf_cache),
        *discovery.lm_studio_files(user),
        *discovery.gpt4all_files(user, Path(local_app_data) if local_app_data else None),
        *ollama,
    ]
    return _collect(found, skipped)
