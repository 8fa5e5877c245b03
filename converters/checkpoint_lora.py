"""LoRA adapters (PEFT) folded into their base checkpoint as its tensors are read."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import Checkpoint, read_json_object, weight_refs
from .checkpoint_dtypes import to_f32
from .checkpoint_safetensors import MappedFile, TensorRef
from .errors import AdapterError
from .messages import say

# PEFT settings this merge does not apply: with any of them on, W + scale * B @ A would be
# a different model than the adapter's, so the adapter is refused instead.
_UNMERGED = {
    "use_dora": ("la normalisation DoRA", "DoRA's magnitude vector"),
    "rank_pattern": ("un rang par module", "a rank per module"),
    "alpha_pattern": ("un alpha par module", "an alpha per module"),
    "lora_bias": ("des biais LoRA", "LoRA biases"),
    "modules_to_save": ("des modules entiers à remplacer", "whole modules to replace"),
}


def _refuse_unmerged_settings(config: dict[str, Any]) -> None:
    for setting, (french, english) in _UNMERGED.items():
        if config.get(setting):
            raise AdapterError(
                say(
                    f"L'adaptateur utilise « {setting} » ({french}), que la fusion LoRA ne sait "
                    "pas appliquer : fusionnez-le avec PEFT (merge_and_unload) puis convertissez "
                    "le modèle fusionné.",
                    f"The adapter uses “{setting}” ({english}), which the LoRA merge cannot "
                    "apply: merge it with PEFT (merge_and_unload), then convert the merged model.",
                )
            )
    bias = config.get("bias", "none")
    if bias not in (None, "none"):
        raise AdapterError(
            say(
                f"L'adaptateur entraîne aussi des biais (« bias » : « {bias} »), que la fusion "
                "LoRA ne sait pas appliquer : fusionnez-le avec PEFT (merge_and_unload) puis "
                "convertissez le modèle fusionné.",
                f"The adapter also trains biases (“bias”: “{bias}”), which the LoRA merge "
                "cannot apply: merge it with PEFT (merge_and_unload), then convert the merged "
                "model.",
            )
        )


class LoraAdapter:
    """A PEFT LoRA adapter: W' = W + (alpha / r) * B @ A for each targeted weight
    (alpha / sqrt(r) with rsLoRA)."""

    def __init__(self, folder: Path) -> None:
        config_file = folder / "adapter_config.json"
        self.config = read_json_object(config_file)
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
        self._map = MappedFile(file)
        self.refs: dict[str, TensorRef] = {r.name: r for r in weight_refs(file)}
        _refuse_unmerged_settings(self.config)
        rank = int(self.config.get("r", 0))
        alpha = float(self.config.get("lora_alpha", rank))
        # rsLoRA (Kalajdzievski 2023, PEFT's use_rslora) scales by alpha/sqrt(r), not alpha/r.
        divisor = math.sqrt(rank) if self.config.get("use_rslora") else rank
        self.scale = alpha / divisor if rank else 0.0
        self.fan_in_fan_out = bool(self.config.get("fan_in_fan_out", False))
        self.base_model = str(self.config.get("base_model_name_or_path") or "")
        # "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" -> base weight name
        self.targets: dict[str, tuple[str, str]] = {}
        for name in self.refs:
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

    def delta_shape(self, base_name: str) -> tuple[int, ...] | None:
        """The shape of the change to `base_name`, None when half of its pair is missing."""
        a_name, b_name = self.targets[base_name]
        a_ref, b_ref = self.refs.get(a_name), self.refs.get(b_name)
        if a_ref is None or b_ref is None:
            return None
        shape = (b_ref.shape[0], a_ref.shape[1])
        return (shape[1], shape[0]) if self.fan_in_fan_out else shape

    def delta(self, base_name: str) -> np.ndarray | None:
        pair = self.targets.get(base_name)
        if pair is None:
            return None
        a = self._load(pair[0])
        b = self._load(pair[1])
        delta = (b @ a) * np.float32(self.scale)
        return delta.T if self.fan_in_fan_out else delta

    def _load(self, name: str) -> np.ndarray:
        ref = self.refs.get(name)
        if ref is None:
            raise AdapterError(
                say(
                    f"L'adaptateur est incomplet : il manque {name}.",
                    f"The adapter is incomplete: {name} is missing.",
                )
            )
        return to_f32(self._map.view(ref), ref.dtype)


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
                    f"visés n'existent pas (par exemple {missing[0]}), vérifiez --base.",
                    f"The adapter does not match this base model: {len(missing)} weights it "
                    f"targets do not exist (for example {missing[0]}), check --base.",
                )
            )
        for target in adapter.targets:
            shape = tuple(base.refs[target].shape)
            expected = adapter.delta_shape(target)
            if expected != shape:
                raise AdapterError(
                    say(
                        f"L'adaptateur ne correspond pas à ce modèle de base : {target} fait "
                        f"{shape} dans la base et {expected} dans l'adaptateur, vérifiez --base.",
                        f"The adapter does not match this base model: {target} is {shape} in "
                        f"the base and {expected} in the adapter, check --base.",
                    )
                )

    def raw(self, name: str) -> tuple[np.ndarray, str]:
        delta = self.adapter.delta(name)
        if delta is None:
            return super().raw(name)
        return to_f32(*super().raw(name)) + delta, "F32"
