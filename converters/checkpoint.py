"""Hugging Face checkpoints read one tensor at a time: safetensors, PyTorch .bin, LoRA.

Safetensors files are memory-mapped and every tensor is a view of the map; once written,
its pages are dropped again (madvise), so memory follows one tensor, not the model.
PyTorch `.bin` files are zip archives holding a pickle: they are read without torch and
without running pickle code, by an unpickler that only rebuilds tensors.
"""

from __future__ import annotations

import json
import mmap
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import AdapterError, CheckpointError, UnsafeCheckpoint
from .messages import say

_SAFETENSORS_DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # bfloat16 has no numpy type: kept as raw 16-bit words
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


def bf16_to_f32(words: np.ndarray) -> np.ndarray:
    """bfloat16 is the top half of a float32: shift the 16-bit words into place."""
    return (words.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 to bfloat16 words, rounding to nearest even (NaN stays NaN)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = ((bits + (np.uint32(0x7FFF) + ((bits >> 16) & 1))) >> 16).astype(np.uint16)
    nan = np.isnan(values)
    if nan.any():
        rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def to_f32(data: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "BF16":
        return bf16_to_f32(data)
    return data if data.dtype == np.float32 else data.astype(np.float32)


@dataclass
class TensorRef:
    """Where one tensor lives, known before any of its bytes are read."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # "F32", "F16", "BF16", ...
    file: Path
    offset: int  # byte offset of the tensor's (storage's) data in the file
    nbytes: int
    stride: tuple[int, ...] | None = None  # elements; None means contiguous
    storage_offset: int = 0  # elements from `offset`


class _MappedFile:
    """A read-only map of one weight file, with its pages released after each tensor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            self.size = path.stat().st_size
            self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if self.size else None

    def view(self, ref: TensorRef) -> np.ndarray:
        numpy_dtype = _SAFETENSORS_DTYPES[ref.dtype]
        count = int(np.prod(ref.shape, dtype=np.int64))
        if self.map is None or ref.offset + ref.nbytes > self.size:
            raise CheckpointError(
                say(
                    f"« {self.path.name} » est tronqué : le tenseur {ref.name} dépasse la fin du "
                    "fichier. Téléchargez le checkpoint à nouveau.",
                    f"“{self.path.name}” is truncated: tensor {ref.name} runs past the end of the "
                    "file. Download the checkpoint again.",
                )
            )
        if ref.stride is None:
            flat = np.frombuffer(self.map, dtype=numpy_dtype, count=count, offset=ref.offset)
            return flat.reshape(ref.shape)
        storage = np.frombuffer(
            self.map, dtype=numpy_dtype, count=ref.nbytes // numpy_dtype.itemsize, offset=ref.offset
        )
        itemsize = numpy_dtype.itemsize
        return np.lib.stride_tricks.as_strided(
            storage[ref.storage_offset :],
            shape=ref.shape,
            strides=tuple(s * itemsize for s in ref.stride),
            writeable=False,
        )

    def release(self, ref: TensorRef) -> None:
        """Drop the pages of a tensor that has been written (they stay on disk)."""
        if self.map is None:
            return
        start = ref.offset - ref.offset % mmap.PAGESIZE
        end = min(self.size, ref.offset + ref.nbytes)
        if end > start and hasattr(mmap, "MADV_DONTNEED"):
            self.map.madvise(mmap.MADV_DONTNEED, start, end - start)


def _safetensors_refs(path: Path) -> list[TensorRef]:
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise CheckpointError(
                say(
                    f"« {path.name} » est vide ou tronqué : téléchargez-le à nouveau.",
                    f"“{path.name}” is empty or truncated: download it again.",
                )
            )
        (length,) = struct.unpack("<Q", head)
        if length > min(size - 8, 100_000_000):
            raise CheckpointError(
                say(
                    f"« {path.name} » n'est pas un fichier safetensors valide (en-tête illisible).",
                    f"“{path.name}” is not a valid safetensors file (unreadable header).",
                )
            )
        try:
            header = json.loads(handle.read(length))
        except ValueError as exc:
            raise CheckpointError(
                say(
                    f"« {path.name} » n'est pas un fichier safetensors valide (en-tête illisible).",
                    f"“{path.name}” is not a valid safetensors file (unreadable header).",
                )
            ) from exc
    refs = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _SAFETENSORS_DTYPES:
            raise CheckpointError(
                say(
                    f"Type {info['dtype']} du tenseur {name} non pris en charge.",
                    f"Type {info['dtype']} of tensor {name} is not supported.",
                )
            )
        start, end = info["data_offsets"]
        if 8 + length + end > size:
            raise CheckpointError(
                say(
                    f"« {path.name} » est tronqué ({size} octets, il en faudrait au moins "
                    f"{8 + length + end}) : téléchargez le checkpoint à nouveau.",
                    f"“{path.name}” is truncated ({size} bytes, at least {8 + length + end} "
                    "needed): "
                    "download the checkpoint again.",
                )
            )
        refs.append(
            TensorRef(
                name, tuple(info["shape"]), info["dtype"], path, 8 + length + start, end - start
            )
        )
    return refs


# -- PyTorch .bin, without torch ------------------------------------------------------

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


@dataclass
class _Storage:
    dtype: str
    key: str


@dataclass
class _PickledTensor:
    storage: _Storage
    storage_offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(
    storage: _Storage, storage_offset: int, size: Any, stride: Any, *_ignored: Any
) -> _PickledTensor:
    return _PickledTensor(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data: _PickledTensor, *_ignored: Any) -> _PickledTensor:
    return data


class _StateDict(dict[str, Any]):
    """torch.save pickles an OrderedDict with a `_metadata` attribute: accept attributes."""


class _TensorUnpickler(pickle.Unpickler):
    """Rebuilds tensors from a torch.save pickle; refuses anything else it is asked to call."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("collections", "OrderedDict"): _StateDict,
    }

    def __init__(self, file: Any, origin: str) -> None:
        super().__init__(file)
        self._origin = origin

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return self._ALLOWED[(module, name)]
        if module == "torch" and name in _TORCH_STORAGES:
            return _TORCH_STORAGES[name]
        if module == "torch" and name in _TORCH_DTYPES:
            return _TORCH_DTYPES[name]
        raise UnsafeCheckpoint(
            say(
                f"« {self._origin} » demande d'exécuter {module}.{name} au chargement : ce n'est "
                "pas "
                "un simple fichier de poids, il est refusé. Utilisez une version safetensors du "
                "modèle.",
                f"“{self._origin}” asks to run {module}.{name} when loaded: it is not a plain "
                "weights file, so it is refused. Use a safetensors version of the model.",
            )
        )

    def persistent_load(self, pid: Any) -> _Storage:
        # ('storage', storage type or dtype name, key, location, numel)
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise UnsafeCheckpoint(
                say(
                    f"« {self._origin} » contient une référence inconnue.",
                    f"“{self._origin}” contains an unknown reference.",
                )
            )
        kind = pid[1]
        dtype = kind if isinstance(kind, str) and kind in _SAFETENSORS_DTYPES else None
        if dtype is None:
            raise UnsafeCheckpoint(
                say(
                    f"« {self._origin} » contient un stockage de type inconnu.",
                    f"“{self._origin}” contains a storage of an unknown type.",
                )
            )
        return _Storage(dtype, str(pid[2]))


def _bin_refs(path: Path) -> list[TensorRef]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            say(
                f"« {path.name} » n'est pas une archive PyTorch lisible (ancien format ou fichier "
                "abîmé) : utilisez une version safetensors du modèle.",
                f"“{path.name}” is not a readable PyTorch archive (old format or damaged file): "
                "use "
                "a safetensors version of the model.",
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
        with archive.open(pickles[0]) as handle:
            try:
                state = _TensorUnpickler(handle, path.name).load()
            except UnsafeCheckpoint:
                raise
            except Exception as exc:
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
        refs = []
        for name, tensor in state.items():
            if not isinstance(tensor, _PickledTensor):
                continue
            member = archive.getinfo(f"{prefix}data/{tensor.storage.key}")
            if member.compress_type != zipfile.ZIP_STORED:
                raise CheckpointError(
                    say(
                        f"« {path.name} » est compressé : format non pris en charge.",
                        f"“{path.name}” is compressed: this format is not supported.",
                    )
                )
            # Data starts after the local file header (30 bytes + name + extra field).
            with path.open("rb") as raw:
                raw.seek(member.header_offset)
                local = raw.read(30)
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            offset = member.header_offset + 30 + name_len + extra_len
            refs.append(
                TensorRef(
                    str(name),
                    tensor.shape,
                    tensor.storage.dtype,
                    path,
                    offset,
                    member.file_size,
                    tensor.stride,
                    tensor.storage_offset,
                )
            )
    return refs


# -- the checkpoint --------------------------------------------------------------------


class Checkpoint:
    """The weights and configuration of a Hugging Face checkpoint folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        config_file = folder / "config.json"
        if not config_file.is_file():
            raise CheckpointError(
                say(
                    f"Pas de config.json dans « {folder} » : ce dossier n'est pas un checkpoint "
                    "Hugging Face complet.",
                    f"No config.json in “{folder}”: this folder is not a complete Hugging Face "
                    "checkpoint.",
                )
            )
        self.config: dict[str, Any] = json.loads(config_file.read_text(encoding="utf-8"))
        files = self._weight_files()
        self._maps: dict[Path, _MappedFile] = {}
        self.refs: dict[str, TensorRef] = {}
        for file in files:
            refs = _safetensors_refs(file) if file.suffix == ".safetensors" else _bin_refs(file)
            for ref in refs:
                self.refs[ref.name] = ref

    def _weight_files(self) -> list[Path]:
        for pattern in ("*.safetensors", "*.bin"):
            index = next(self.folder.glob(f"*{pattern[1:]}.index.json"), None)
            if index is not None:
                weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
                names = sorted(set(weight_map.values()))
                missing = [n for n in names if not (self.folder / n).is_file()]
                if missing:
                    raise CheckpointError(
                        say(
                            f"Il manque {len(missing)} fichier(s) de poids ({missing[0]}…) dans "
                            f"« {self.folder} » : téléchargez le checkpoint en entier.",
                            f"{len(missing)} weight file(s) ({missing[0]}…) are missing from "
                            f"“{self.folder}”: download the whole checkpoint.",
                        )
                    )
                return [self.folder / n for n in names]
            found = sorted(
                p
                for p in self.folder.glob(pattern)
                if not p.name.startswith(("adapter_", "training_args"))
            )
            if found:
                return found
        raise CheckpointError(
            say(
                f"Aucun fichier de poids (.safetensors ou .bin) dans « {self.folder} ».",
                f"No weights file (.safetensors or .bin) in “{self.folder}”.",
            )
        )

    def names(self) -> list[str]:
        return list(self.refs)

    def _mapped(self, ref: TensorRef) -> _MappedFile:
        mapped = self._maps.get(ref.file)
        if mapped is None:
            mapped = self._maps[ref.file] = _MappedFile(ref.file)
        return mapped

    def raw(self, name: str) -> tuple[np.ndarray, str]:
        """One tensor as stored: a view of the file, and its type ("F32", "F16", "BF16").

        Other stored types come back as float32. bfloat16 comes as 16-bit words.
        """
        ref = self.refs[name]
        data = self._mapped(ref).view(ref)
        if ref.dtype in ("F32", "F16", "BF16"):
            return data, ref.dtype
        return data.astype(np.float32), "F32"

    def load(self, name: str) -> np.ndarray:
        """One tensor as float32 (a view of the file when it is already float32)."""
        data, dtype = self.raw(name)
        return to_f32(data, dtype)

    def release(self, name: str) -> None:
        ref = self.refs[name]
        self._mapped(ref).release(ref)


class LoraAdapter:
    """A PEFT LoRA adapter: W' = W + (alpha / r) * B @ A for each targeted weight."""

    def __init__(self, folder: Path) -> None:
        config_file = folder / "adapter_config.json"
        self.config: dict[str, Any] = json.loads(config_file.read_text(encoding="utf-8"))
        if self.config.get("peft_type", "LORA") != "LORA":
            raise AdapterError(
                say(
                    f"Adaptateur {self.config.get('peft_type')} non pris en charge (LoRA "
                    "seulement).",
                    f"{self.config.get('peft_type')} adapters are not supported (LoRA only).",
                )
            )
        weights = [folder / "adapter_model.safetensors", folder / "adapter_model.bin"]
        file = next((w for w in weights if w.is_file()), None)
        if file is None:
            raise AdapterError(
                say(
                    f"Pas de poids d'adaptateur (adapter_model.*) dans « {folder} ».",
                    f"No adapter weights (adapter_model.*) in “{folder}”.",
                )
            )
        refs = _safetensors_refs(file) if file.suffix == ".safetensors" else _bin_refs(file)
        self._map = _MappedFile(file)
        self._refs = {r.name: r for r in refs}
        rank = int(self.config.get("r", 0))
        alpha = float(self.config.get("lora_alpha", rank))
        self.scale = alpha / rank if rank else 0.0
        self.fan_in_fan_out = bool(self.config.get("fan_in_fan_out", False))
        self.base_model = str(self.config.get("base_model_name_or_path") or "")
        # "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" -> base weight name
        self.targets: dict[str, tuple[str, str]] = {}
        for name in self._refs:
            if ".lora_A." in name:
                base = name.replace("base_model.model.", "", 1).replace(".lora_A.weight", ".weight")
                self.targets[base] = (name, name.replace(".lora_A.", ".lora_B."))
        if not self.targets or not rank:
            raise AdapterError(
                say(
                    f"L'adaptateur de « {folder} » est vide : il ne modifie aucun poids.",
                    f"The adapter in “{folder}” is empty: it changes no weight.",
                )
            )

    def delta(self, base_name: str) -> np.ndarray | None:
        pair = self.targets.get(base_name)
        if pair is None:
            return None
        a = self._load(pair[0])
        b = self._load(pair[1])
        delta = (b @ a) * np.float32(self.scale)
        return delta.T if self.fan_in_fan_out else delta

    def _load(self, name: str) -> np.ndarray:
        ref = self._refs.get(name)
        if ref is None:
            raise AdapterError(f"L'adaptateur est incomplet : il manque {name}.")
        data = self._map.view(ref)
        return bf16_to_f32(data) if ref.dtype == "BF16" else data.astype(np.float32)


class MergedCheckpoint(Checkpoint):
    """A base checkpoint with a LoRA adapter folded into its weights as they are read."""

    def __init__(self, base: Checkpoint, adapter: LoraAdapter) -> None:
        self.__dict__.update(base.__dict__)
        self.adapter = adapter
        missing = [t for t in adapter.targets if t not in base.refs]
        if missing:
            raise AdapterError(
                say(
                    f"L'adaptateur ne correspond pas à ce modèle de base : {len(missing)} poids "
                    f"visés n'existent pas (par exemple {missing[0]}). Vérifiez --base.",
                    f"The adapter does not match this base model: {len(missing)} weights it "
                    "targets "
                    f"do not exist (for example {missing[0]}). Check --base.",
                )
            )
        for target in adapter.targets:
            shape = base.refs[target].shape
            a_ref = adapter._refs[adapter.targets[target][0]]
            b_ref = adapter._refs.get(adapter.targets[target][1])
            expected = (b_ref.shape[0], a_ref.shape[1]) if b_ref else None
            if adapter.fan_in_fan_out and expected:
                expected = (expected[1], expected[0])
            if expected != tuple(shape):
                raise AdapterError(
                    say(
                        f"L'adaptateur ne correspond pas à ce modèle de base : {target} fait "
                        f"{tuple(shape)} dans la base et {expected} dans l'adaptateur. Vérifiez "
                        "--base.",
                        f"The adapter does not match this base model: {target} is {tuple(shape)} "
                        "in the "
                        f"base and {expected} in the adapter. Check --base.",
                    )
                )

    def raw(self, name: str) -> tuple[np.ndarray, str]:
        delta = self.adapter.delta(name)
        if delta is None:
            return super().raw(name)
        return to_f32(*super().raw(name)) + delta, "F32"
