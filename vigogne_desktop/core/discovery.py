"""Where other apps keep their GGUF files: the Hugging Face cache, LM Studio, GPT4All, Ollama.

Only paths are found here (nothing is read, opened or copied); `library.discover` reads
their metadata. Each layout is the one the app documents or writes:
- Hugging Face cache: `hub/models--owner--name/snapshots/<commit>/file`, scanned with
  huggingface_hub.scan_cache_dir (HF_HUB_CACHE / HF_HOME honoured by default).
- LM Studio: `~/.lmstudio/models/<publisher>/<model>/<file>.gguf` (lmstudio.ai docs,
  "Import Models"), and the older `~/.cache/lm-studio/models`; the same under the user's
  home on Windows and macOS.
- GPT4All: its download path, per OS (docs.gpt4all.io, settings): Linux
  `~/.local/share/nomic.ai/GPT4All`, macOS `~/Library/Application Support/nomic.ai/GPT4All`,
  Windows `%LOCALAPPDATA%\\nomic.ai\\GPT4All`; the Python bindings' `~/.cache/gpt4all`.
- Ollama: `$OLLAMA_MODELS`, else `~/.ollama/models` (ollama envconfig.Models); a model is a
  manifest `manifests/<registry>/<namespace>/<model>/<tag>` whose layer of media type
  `application/vnd.ollama.image.model` names the blob `blobs/sha256-<hex>` (a GGUF without
  extension; the oldest releases wrote `sha256:<hex>` outside Windows).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HF_CACHE, LM_STUDIO, GPT4ALL, OLLAMA = "hf-cache", "lm-studio", "gpt4all", "ollama"

_OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_OLLAMA_REGISTRY, _OLLAMA_NAMESPACE = "registry.ollama.ai", "library"


@dataclass(frozen=True)
class Found:
    """A file another app keeps, the app, and the name that app shows it under (if any)."""

    path: Path
    source: str
    name: str | None = None


def hf_cache_files(cache: Path | None = None) -> list[Found]:
    """GGUF files in the Hugging Face cache, once each even if several revisions share it."""
    from huggingface_hub import constants, scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        # scan_cache_dir(None) would use the cache path frozen when huggingface_hub was
        # imported; the constant is where the app downloads now.
        info = scan_cache_dir(cache or constants.HF_HUB_CACHE)
    except CacheNotFound:
        return []
    seen: set[Path] = set()
    found: list[Found] = []
    for repo in info.repos:
        # A file shared by several revisions is listed under the one a branch points at.
        revisions = sorted(repo.revisions, key=lambda r: (not r.refs, -r.last_modified))
        for revision in revisions:
            for file in revision.files:
                if file.file_name.lower().endswith(".gguf") and file.blob_path not in seen:
                    seen.add(file.blob_path)
                    found.append(Found(file.file_path, HF_CACHE))
    return found


def _ggufs(folder: Path, source: str, *, nested: bool) -> list[Found]:
    if not folder.is_dir():
        return []
    files = folder.rglob("*.gguf") if nested else folder.glob("*.gguf")
    return [Found(f, source) for f in sorted(files) if f.is_file()]


def lm_studio_files(home: Path) -> list[Found]:
    roots = [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]
    return [f for root in roots for f in _ggufs(root, LM_STUDIO, nested=True)]


def _gpt4all_folders(home: Path, windows_local: Path) -> list[Path]:
    # Every OS's folder is looked at: a home folder copied between machines, or a test's
    # fake home, has the layout of the OS it came from.
    return [
        home / ".local" / "share" / "nomic.ai" / "GPT4All",
        home / "Library" / "Application Support" / "nomic.ai" / "GPT4All",
        windows_local / "nomic.ai" / "GPT4All",
        home / ".cache" / "gpt4all",
    ]


def gpt4all_files(home: Path, windows_local: Path | None = None) -> list[Found]:
    """GPT4All keeps models flat in its download folder, beside its chats and databases."""
    local = windows_local or home / "AppData" / "Local"
    return [f for d in _gpt4all_folders(home, local) for f in _ggufs(d, GPT4ALL, nested=False)]


def ollama_root(home: Path) -> Path:
    """Ollama's models folder: OLLAMA_MODELS wins, as in Ollama itself."""
    configured = os.environ.get("OLLAMA_MODELS", "").strip().strip("\"'")
    return Path(configured) if configured else home / ".ollama" / "models"


def _ollama_name(registry: str, namespace: str, model: str, tag: str) -> str:
    """The name `ollama list` shows: the default registry and namespace are left out."""
    if registry == _OLLAMA_REGISTRY:
        if namespace == _OLLAMA_NAMESPACE:
            return f"{model}:{tag}"
        return f"{namespace}/{model}:{tag}"
    return f"{registry}/{namespace}/{model}:{tag}"


def _ollama_digest(manifest: Path) -> str | None:
    """The model layer's digest; ValueError if the manifest is not the JSON Ollama writes."""
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8"))["layers"]
        return next(
            (str(layer["digest"]) for layer in layers if layer["mediaType"] == _OLLAMA_MODEL_LAYER),
            None,
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable Ollama manifest {manifest}") from exc


def _ollama_blob(root: Path, digest: str | None) -> Path | None:
    if digest is None:
        return None  # a model without weights of its own (a projector, a cloud model)
    for blob in (root / "blobs" / digest.replace(":", "-"), root / "blobs" / digest):
        if blob.is_file():
            return blob
    return None


def ollama_manifests(root: Path) -> Iterator[tuple[Path, str]]:
    """Each manifest file and the model name it stands for."""
    manifests = root / "manifests"
    if not manifests.is_dir():
        return
    for manifest in sorted(manifests.glob("*/*/*/*")):
        if manifest.is_file():
            registry, namespace, model, tag = manifest.relative_to(manifests).parts
            yield manifest, _ollama_name(registry, namespace, model, tag)


def ollama_models(root: Path) -> tuple[list[Found], list[Path]]:
    """Ollama's models whose weights are a blob on disk, and the manifests that are unreadable."""
    found: list[Found] = []
    unreadable: list[Path] = []
    for manifest, name in ollama_manifests(root):
        try:
            blob = _ollama_blob(root, _ollama_digest(manifest))
        except ValueError:
            unreadable.append(manifest)
            continue
        if blob is not None:
            found.append(Found(blob, OLLAMA, name))
    return found, unreadable
