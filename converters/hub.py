"""Checkpoints from the Hugging Face Hub: only the files a conversion needs are fetched."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import DownloadError
from .messages import say

_REPO_ID = re.compile(r"^[\w.\-]+/[\w.\-]+$")
# Weights in one format only: safetensors when the repository has them.
_COMMON = [
    "config.json",
    "generation_config.json",
    "tokenizer.model",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "README.md",
    "adapter_config.json",
]


def resolve_source(
    source: str, revision: str | None, report: Callable[..., None]
) -> tuple[Path, str | None]:
    """A local folder as it is, or a Hub repo id downloaded to the Hugging Face cache."""
    folder = Path(source).expanduser()
    if folder.is_dir():
        return folder, None
    if not _REPO_ID.match(source):
        raise DownloadError(
            say(
                f"« {source} » n'est ni un dossier ni un dépôt du Hub (propriétaire/nom) : "
                "vérifiez le chemin.",
                f"“{source}” is neither a folder nor a Hub repository (owner/name): check the "
                "path.",
            )
        )
    return download(source, revision, report), source


def download(repo: str, revision: str | None, report: Callable[..., None]) -> Path:
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        files = HfApi().list_repo_files(repo, revision=revision)
        weights = ["*.safetensors", "*.safetensors.index.json"]
        if not any(f.endswith(".safetensors") for f in files):
            weights = ["*.bin", "*.bin.index.json"]
        report(
            phase="download",
            message=say(
                f"téléchargement de {repo} ({revision or 'main'})…",
                f"downloading {repo} ({revision or 'main'})…",
            ),
        )
        path: Any = snapshot_download(repo, revision=revision, allow_patterns=_COMMON + weights)
    except GatedRepoError as exc:
        raise DownloadError(
            say(
                f"Le dépôt {repo} est protégé : acceptez sa licence sur le Hub puis connectez-vous "
                "(huggingface-cli login).",
                f"The repository {repo} is gated: accept its licence on the Hub, then log in "
                "(huggingface-cli login).",
            )
        ) from exc
    except RepositoryNotFoundError as exc:
        raise DownloadError(
            say(
                f"Le dépôt {repo} n'existe pas sur le Hub : vérifiez son nom.",
                f"The repository {repo} does not exist on the Hub: check its name.",
            )
        ) from exc
    except RevisionNotFoundError as exc:
        raise DownloadError(
            say(
                f"La révision « {revision} » n'existe pas dans {repo} : vérifiez --revision.",
                f"The revision “{revision}” does not exist in {repo}: check --revision.",
            )
        ) from exc
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as exc:
        raise DownloadError(
            say(
                f"Impossible de télécharger {repo} ({type(exc).__name__}) : vérifiez la connexion "
                "au réseau, ou donnez un dossier local.",
                f"Cannot download {repo} ({type(exc).__name__}): check the network connection, or "
                "give a local folder.",
            )
        ) from exc
    return Path(path)
