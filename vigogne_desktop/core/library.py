"""Local model files: checks that a file is a usable GGUF, and its metadata.

`quick_check` is cheap (a header read) and runs before every load; `diagnose` parses the
whole file with gguf.GGUFReader and runs only to explain a load that failed.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import gguf

from converters.messages import say

from .errors import ModelFileError

GGUF_MAGIC = b"GGUF"
_HEADER = struct.Struct("<4sIQQ")  # magic, version, tensor count, metadata count


def quick_check(path: str | os.PathLike[str]) -> Path:
    """Raise ModelFileError unless `path` is a readable file that starts like a GGUF."""
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
    if version not in (2, 3):
        raise ModelFileError(
            say(
                f"« {file.name} » est un GGUF de version {version}, que cette version de "
                "Vigogne Desktop ne sait pas lire : mettez l'application à jour.",
                f"“{file.name}” is a version {version} GGUF, which this version of Vigogne Desktop "
                "cannot read: update the app.",
            )
        )
    return file


def diagnose(path: str | os.PathLike[str]) -> str | None:
    """Explain why a GGUF that passed quick_check cannot be loaded, if the file is at fault."""
    file = Path(path)
    size = file.stat().st_size
    try:
        reader = gguf.GGUFReader(file)
    except Exception:  # GGUFReader raises many kinds on damaged input; all mean "damaged"
        return say(
            f"« {file.name} » est incomplet ou endommagé : téléchargez-le ou convertissez-le "
            "à nouveau.",
            f"“{file.name}” is incomplete or damaged: download or convert it again.",
        )
    end = max((t.data_offset + int(t.n_bytes) for t in reader.tensors), default=0)
    if end > size:
        return say(
            f"« {file.name} » est tronqué ({size} octets sur {end} attendus) : le "
            "téléchargement ou la conversion n'est pas allé au bout ; recommencez-le.",
            f"“{file.name}” is truncated ({size} bytes of {end} expected): the download or "
            "conversion did not finish; do it again.",
        )
    return None


def installed_models(models: Path) -> list[Path]:
    """GGUF files in the models folder, most recently modified first."""
    return sorted(models.glob("*.gguf"), key=lambda p: p.stat().st_mtime, reverse=True)
