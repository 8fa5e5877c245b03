"""PyTorch .bin checkpoints, read without torch and without running the pickle's code.

A .bin is a zip archive: `data.pkl` describes the tensors, one uncompressed member per
storage holds their bytes. Unpickling calls whatever the pickle names, so this unpickler
resolves only these names, each to a stand-in defined here that just records data:
  - torch._utils._rebuild_tensor_v2 / _rebuild_parameter: a tensor's storage, offset,
    shape and stride (no bytes are read, nothing is built);
  - collections.OrderedDict: a plain dict (torch.save's state dict, with `_metadata`);
  - torch.FloatStorage, torch.float16, ... (a storage class or dtype): a type name string.
Any other name (os.system, builtins.eval, ...) is refused with UnsafeCheckpoint, and a
persistent id must be ("storage", type, key, ...). Each tensor must then lie inside its
storage member (TensorRef.fits) before any view of the file is made.
"""

from __future__ import annotations

import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .checkpoint_dtypes import DTYPES
from .checkpoint_safetensors import TensorRef
from .errors import CheckpointError, UnsafeCheckpoint
from .messages import say

_TORCH_STORAGES = {
    "FloatStorage": "F32",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "DoubleStorage": "F64",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
}
_TORCH_DTYPES = {
    "float32": "F32",
    "float": "F32",
    "float16": "F16",
    "half": "F16",
    "bfloat16": "BF16",
    "float64": "F64",
    "int64": "I64",
    "long": "I64",
    "int32": "I32",
    "int16": "I16",
    "int8": "I8",
    "uint8": "U8",
    "bool": "BOOL",
}


def _unsafe(origin: str, what: str) -> UnsafeCheckpoint:
    shown = _shown(what)
    return UnsafeCheckpoint(
        say(
            f"« {origin} » demande d'exécuter {shown} au chargement : ce n'est pas un simple "
            "fichier de poids, il est donc refusé (utilisez une version safetensors du modèle).",
            f"“{origin}” asks to run {shown} when loaded: it is not a plain weights file, so it "
            "is refused (use a safetensors version of the model).",
        )
    )


def _shown(text: str) -> str:
    """A name from the pickle as a message may quote it: short, on one line."""
    printable = "".join(c if c.isprintable() else "?" for c in text[:80])
    return printable + ("…" if len(text) > 80 else "")


class _Sealed:
    """Pickle's BUILD opcode sets attributes on whatever object it is given (ours too):
    anything the unpickler hands out refuses it, so a pickle cannot rewrite a tensor's
    checked shape, nor our functions, after the fact."""

    __slots__ = ()

    def __setstate__(self, state: object) -> None:
        raise _unsafe("data.pkl", "BUILD")


@dataclass
class _Storage(_Sealed):
    dtype: str
    key: str


@dataclass
class _PickledTensor(_Sealed):
    storage: _Storage
    storage_offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


class _Call(_Sealed):
    """One of the functions below, as the unpickler hands it out: callable, not writable."""

    __slots__ = ("_function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def __call__(self, *args: Any) -> Any:
        return self._function(*args)


def _rebuild_tensor(
    storage: _Storage, storage_offset: Any, size: Any, stride: Any, *_ignored: Any
) -> _PickledTensor:
    if not isinstance(storage, _Storage):
        raise TypeError("a tensor without storage")
    return _PickledTensor(
        storage, int(storage_offset), tuple(int(d) for d in size), tuple(int(s) for s in stride)
    )


def _rebuild_parameter(data: _PickledTensor, *_ignored: Any) -> _PickledTensor:
    return data


class _StateDict(dict[str, Any]):
    """torch.save pickles an OrderedDict with a `_metadata` attribute (a dict of versions,
    not needed here): that state is taken and dropped, so no attribute is ever set."""

    def __setstate__(self, state: object) -> None:
        if not isinstance(state, dict):
            raise _unsafe("data.pkl", "BUILD")


class _TensorUnpickler(pickle.Unpickler):
    """Rebuilds tensors from a torch.save pickle; refuses anything else it is asked to call."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("torch._utils", "_rebuild_tensor_v2"): _Call(_rebuild_tensor),
        ("torch._utils", "_rebuild_parameter"): _Call(_rebuild_parameter),
        ("collections", "OrderedDict"): _Call(_StateDict),
    }

    def __init__(self, file: IO[bytes], origin: str) -> None:
        super().__init__(file)
        self._origin = origin

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        if module == "torch" and name in _TORCH_STORAGES:
            return _TORCH_STORAGES[name]
        if module == "torch" and name in _TORCH_DTYPES:
            return _TORCH_DTYPES[name]
        raise _unsafe(self._origin, f"{module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        # ('storage', storage type or dtype name, key, location, numel)
        if not (isinstance(pid, tuple) and len(pid) > 2 and pid[0] == "storage"):
            raise UnsafeCheckpoint(
                say(
                    f"« {self._origin} » contient une référence inconnue.",
                    f"“{self._origin}” contains an unknown reference.",
                )
            )
        kind = pid[1]
        if not (isinstance(kind, str) and kind in DTYPES):
            raise UnsafeCheckpoint(
                say(
                    f"« {self._origin} » contient un stockage de type inconnu.",
                    f"“{self._origin}” contains a storage of an unknown type.",
                )
            )
        return _Storage(kind, str(pid[2]))


def _damaged(path: Path, what: str, what_en: str) -> CheckpointError:
    return CheckpointError(
        say(
            f"« {path.name} » est abîmé ({what}) : téléchargez-le à nouveau ou utilisez une "
            "version safetensors du modèle.",
            f"“{path.name}” is damaged ({what_en}): download it again or use a safetensors "
            "version of the model.",
        )
    )


def _load_state(archive: zipfile.ZipFile, member: str, path: Path) -> dict[Any, Any]:
    with archive.open(member) as handle:
        try:
            state = _TensorUnpickler(handle, path.name).load()
        except UnsafeCheckpoint:
            raise
        except Exception as exc:  # a damaged pickle fails in many ways, none of them ours
            raise CheckpointError(
                say(
                    f"« {path.name} » est illisible ({exc}) : téléchargez-le à nouveau.",
                    f"“{path.name}” cannot be read ({exc}): download it again.",
                )
            ) from exc
    if not isinstance(state, dict):
        raise CheckpointError(
            say(
                f"« {path.name} » ne contient pas un dictionnaire de poids.",
                f"“{path.name}” does not contain a dictionary of weights.",
            )
        )
    return state


def _data_offset(path: Path, member: zipfile.ZipInfo) -> int:
    """Where a stored member's bytes begin: after its local header (30 bytes, name, extra)."""
    with path.open("rb") as raw:
        raw.seek(member.header_offset)
        local = raw.read(30)
    if len(local) < 30:
        raise _damaged(path, "archive tronquée", "truncated archive")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    return member.header_offset + 30 + name_len + extra_len


def bin_refs(path: Path) -> list[TensorRef]:
    """Every tensor of a PyTorch .bin, found without running its pickle's code."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            say(
                f"« {path.name} » n'est pas une archive PyTorch lisible (ancien format ou fichier "
                "abîmé) : utilisez une version safetensors du modèle.",
                f"“{path.name}” is not a readable PyTorch archive (old format or damaged file): "
                "use a safetensors version of the model.",
            )
        ) from exc
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pickles:
            raise CheckpointError(
                say(
                    f"« {path.name} » ne contient pas de poids PyTorch.",
                    f"“{path.name}” contains no PyTorch weights.",
                )
            )
        prefix = pickles[0][: -len("data.pkl")]
        state = _load_state(archive, pickles[0], path)
        refs = []
        for name, tensor in state.items():
            if not isinstance(tensor, _PickledTensor):
                continue
            try:
                member = archive.getinfo(f"{prefix}data/{tensor.storage.key}")
            except KeyError as exc:
                key = tensor.storage.key
                raise _damaged(path, f"stockage {key} absent", f"storage {key} missing") from exc
            if member.compress_type != zipfile.ZIP_STORED:
                raise CheckpointError(
                    say(
                        f"« {path.name} » est compressé : format non pris en charge.",
                        f"“{path.name}” is compressed: this format is not supported.",
                    )
                )
            ref = TensorRef(
                str(name),
                tensor.shape,
                tensor.storage.dtype,
                path,
                _data_offset(path, member),
                member.file_size,
                tensor.stride,
                tensor.storage_offset,
            )
            if not ref.fits():
                raise _damaged(
                    path,
                    f"le tenseur {ref.name} sort de son stockage",
                    f"tensor {ref.name} lies outside its storage",
                )
            refs.append(ref)
    return refs
