"""A Hugging Face checkpoint folder: its config and its weights, read one tensor at a time.

The readers live beside it: checkpoint_safetensors.py (memory-mapped files),
checkpoint_pickle.py (PyTorch .bin without torch), checkpoint_dtypes.py (bfloat16),
checkpoint_lora.py (a LoRA adapter merged as tensors are read).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint_dtypes import to_f32
from .checkpoint_pickle import bin_refs
from .checkpoint_safetensors import MappedFile, TensorRef, safetensors_refs
from .errors import CheckpointError
from .messages import say


def read_json_object(path: Path) -> dict[str, Any]:
    """A checkpoint's JSON file (config, index, tokenizer), which must hold an object."""
    invalid = CheckpointError(
        say(
            f"« {path.name} » n'est pas un fichier JSON valide : téléchargez le checkpoint à "
            "nouveau.",
            f"“{path.name}” is not a valid JSON file: download the checkpoint again.",
        )
    )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # bad UTF-8 too
        raise invalid from exc
    if not isinstance(data, dict):
        raise invalid
    return data


def weight_refs(file: Path) -> list[TensorRef]:
    """The tensors of one weight file, safetensors or PyTorch .bin."""
    return safetensors_refs(file) if file.suffix == ".safetensors" else bin_refs(file)


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
        self.config = read_json_object(config_file)
        files = self._weight_files()
        self._maps: dict[Path, MappedFile] = {}
        self.refs: dict[str, TensorRef] = {}
        for file in files:
            for ref in weight_refs(file):
                self.refs[ref.name] = ref

    def _weight_files(self) -> list[Path]:
        for pattern in ("*.safetensors", "*.bin"):
            index = next(self.folder.glob(f"*{pattern[1:]}.index.json"), None)
            if index is not None:
                weight_map = read_json_object(index).get("weight_map")
                if not isinstance(weight_map, dict):
                    raise CheckpointError(
                        say(
                            f"« {index.name} » ne donne pas la liste des poids (weight_map) : "
                            "téléchargez le checkpoint à nouveau.",
                            f"“{index.name}” does not list the weights (weight_map): download "
                            "the checkpoint again.",
                        )
                    )
                names = sorted({str(n) for n in weight_map.values()})
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

    def _mapped(self, ref: TensorRef) -> MappedFile:
        mapped = self._maps.get(ref.file)
        if mapped is None:
            mapped = self._maps[ref.file] = MappedFile(ref.file)
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
