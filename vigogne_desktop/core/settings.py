"""Where the app keeps its data (platformdirs) and its settings: the app's and a conversation's.

VIGOGNE_DESKTOP_HOME, when set, replaces the per-user data folder.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from converters.messages import set_language as set_language  # the window sets it here
from converters.templates import SYSTEM_CHAT_V2

from . import keys
from .files import write_atomically
from .protocol import LoadSettings, SamplingParams

APP_NAME = "vigogne-desktop"


def data_dir() -> Path:
    override = os.environ.get("VIGOGNE_DESKTOP_HOME")
    folder = Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def models_dir() -> Path:
    folder = data_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


SETTINGS_FILE = "settings.json"
LANGUAGES = ("system", "fr", "en")
THEMES = ("system", "light", "dark")
LOCAL = "local"


@dataclass
class Endpoint:
    """A remote OpenAI-compatible server the user added."""

    name: str
    base_url: str
    api_key: str = ""
    model: str = ""
    # The key is kept in the system keyring (keys.py), not in the settings file.
    key_in_keyring: bool = False

    @property
    def keyring_entry(self) -> str:
        return f"{self.name} ({self.base_url})"


@dataclass
class ModelPreset:
    """How one model file is loaded (its load settings, not a conversation's)."""

    n_ctx: int | None = None  # None: the model's trained context, capped by memory
    n_threads: int | None = None
    n_gpu_layers: int = 0

    def load_settings(self) -> LoadSettings:
        return LoadSettings(
            n_ctx=self.n_ctx, n_threads=self.n_threads, n_gpu_layers=self.n_gpu_layers
        )


@dataclass
class AppSettings:
    """The app's settings, kept as JSON in the data folder."""

    language: str = "system"
    theme: str = "system"
    last_model: str = ""
    engine: str = LOCAL  # LOCAL or the name of an Endpoint
    endpoints: list[Endpoint] = field(default_factory=list)
    presets: dict[str, ModelPreset] = field(default_factory=dict)  # by model file name
    share: bool = False
    # GGUF files and folders the user added to the library, used where they are (not copied).
    imported_models: list[str] = field(default_factory=list)
    # A Hugging Face token for gated repositories (HF_TOKEN, when set, is used first).
    hf_token: str = ""
    # The side columns the user put away (View menu, Ctrl+B, or dragged shut) stay away.
    show_sidebar: bool = True
    show_settings_panel: bool = True
    # RAM for the states of recent conversations, for every model (LoadSettings'
    # context_cache_mb): None automatic, 0 none kept, else this many MiB.
    context_cache_mb: int | None = None

    def hub_token(self) -> str | None:
        """The token to give Hub requests: None when HF_TOKEN is set (it wins, and
        huggingface_hub reads it), else the one saved here, if any."""
        return None if os.environ.get("HF_TOKEN") else (self.hf_token or None)

    def preset(self, model_path: str) -> ModelPreset:
        return self.presets.get(Path(model_path).name, ModelPreset())

    def load_settings(self, model_path: str) -> LoadSettings:
        """How the window loads this model: its preset, and the app's memory for
        recent conversations."""
        return replace(
            self.preset(model_path).load_settings(), context_cache_mb=self.context_cache_mb
        )

    def endpoint(self, name: str) -> Endpoint | None:
        return next((e for e in self.endpoints if e.name == name), None)

    @classmethod
    def load(cls, folder: Path | None = None) -> AppSettings:
        """The saved settings; defaults for anything missing, unknown or unreadable."""
        path = (folder or data_dir()) / SETTINGS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        result = cls()
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            language, theme = str(raw.get("language")), str(raw.get("theme"))
            result.language = language if language in LANGUAGES else "system"
            result.theme = theme if theme in THEMES else "system"
            result.last_model = str(raw.get("last_model") or "")
            result.engine = str(raw.get("engine") or LOCAL)
            result.share = bool(raw.get("share", False))
            result.endpoints = [Endpoint(**e) for e in raw.get("endpoints", [])]
            result.presets = {k: ModelPreset(**v) for k, v in raw.get("presets", {}).items()}
            result.imported_models = [str(p) for p in raw.get("imported_models", [])]
            result.hf_token = str(raw.get("hf_token") or "")
            result.show_sidebar = raw.get("show_sidebar") is not False
            result.show_settings_panel = raw.get("show_settings_panel") is not False
        result.context_cache_mb = _megabytes(raw.get("context_cache_mb"))
        for endpoint in result.endpoints:
            if endpoint.key_in_keyring:
                endpoint.api_key = keys.fetch(endpoint.keyring_entry) or ""
        plain = any(e.api_key and not e.key_in_keyring for e in result.endpoints)
        if plain and keys.available():
            # Keys saved in plain text (before the keyring, or on a machine that had none)
            # go into the keyring as soon as there is one, and out of the file.
            result.save(folder)
        return result

    def save(self, folder: Path | None = None) -> None:
        """Write the settings; API keys go to the system keyring where there is one."""
        path = (folder or data_dir()) / SETTINGS_FILE
        saved = asdict(self)
        kept: set[str] = set()
        for endpoint, written in zip(self.endpoints, saved["endpoints"], strict=True):
            if endpoint.api_key and keys.store(endpoint.keyring_entry, endpoint.api_key):
                endpoint.key_in_keyring = True
            elif endpoint.api_key:
                endpoint.key_in_keyring = False  # no keyring took it: the file keeps it
            if endpoint.key_in_keyring:
                kept.add(endpoint.keyring_entry)
                written.update(api_key="", key_in_keyring=True)
            else:
                written["key_in_keyring"] = False
        before = AppSettings._keyring_entries(path)
        write_atomically(path, json.dumps(saved, indent=2, ensure_ascii=False))
        for entry in before - kept:
            keys.forget(entry)  # the server was removed

    @staticmethod
    def _keyring_entries(path: Path) -> set[str]:
        """The keyring entries the settings file at `path` refers to."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return {
                Endpoint(**e).keyring_entry
                for e in raw.get("endpoints", [])
                if e.get("key_in_keyring")
            }
        except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError):
            return set()


def _megabytes(value: object) -> int | None:
    """A saved size in MiB; None (automatic) for anything that is not one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # bool is an int to Python, not a size to anyone.
    return value if type(value) is int and value >= 0 else None


@dataclass
class ConversationSettings:
    """What a conversation asks of the engine: model, format, system prompt, sampling."""

    model: str = ""  # a GGUF path; empty: whatever model is loaded
    prompt_format: str = "auto"
    system: str = SYSTEM_CHAT_V2
    sampling: SamplingParams = field(default_factory=SamplingParams)

    def to_json(self) -> dict[str, Any]:
        sampling = self.sampling.to_json()
        for key in ("stop", "logit_bias"):
            sampling.pop(key)
        return {
            "model": self.model,
            "prompt_format": self.prompt_format,
            "system": self.system,
            "sampling": sampling,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConversationSettings:
        defaults = cls()
        known = {f for f in SamplingParams.__dataclass_fields__ if f not in ("stop", "logit_bias")}
        sampling = {k: v for k, v in dict(data.get("sampling") or {}).items() if k in known}
        try:
            params = SamplingParams(**sampling)
        except TypeError:
            params = defaults.sampling
        return cls(
            model=str(data.get("model", defaults.model) or ""),
            prompt_format=str(data.get("prompt_format") or defaults.prompt_format),
            system=str(data.get("system", defaults.system)),
            sampling=params,
        )
