"""Hub downloads into the Hugging Face cache: resume across restarts, SHA-256 check, cancel.

Bytes go to `blobs/<sha256>.vigogne-part` beside their final blob, so a later process resumes
them with an HTTP Range request (huggingface_hub 2.4 writes to a process-unique temporary file
and starts again from zero). Only a verified file gets the blob's name and its
`snapshots/<commit>/<file>` link: the standard layout huggingface_hub and other tools read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import httpx
from filelock import FileLock, Timeout
from huggingface_hub import constants, hf_hub_url, try_to_load_from_cache
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import build_hf_headers

from converters.messages import say

from .errors import (
    ChecksumMismatch,
    DiskFull,
    DownloadBusy,
    DownloadCancelled,
    DownloadFailed,
    DownloadInterrupted,
    GatedModel,
    HubOffline,
    HubUnreachable,
    NotFoundOnHub,
)
from .files import write_atomically

PART_SUFFIX = ".vigogne-part"
# Room left to the system and other programs once the file is written.
SPACE_MARGIN = 32 * 1024 * 1024
CHUNK = 1024 * 1024
PROGRESS_INTERVAL_S = 0.25
SHA256 = re.compile(r"[0-9a-f]{64}")
GIT_BLOB_ID = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download stands; `eta_s` is None until a speed is known."""

    done_bytes: int
    total_bytes: int
    bytes_per_s: float
    eta_s: float | None


@dataclass(frozen=True)
class _Remote:
    """What the Hub says about one file: its commit, size and checksum (the blob's name)."""

    repo_id: str
    filename: str
    commit: str
    etag: str  # the sha256 for LFS files, the git blob id for small regular files
    size: int


def cached_file(
    repo_id: str, filename: str, revision: str = "main", cache_dir: Path | None = None
) -> Path | None:
    """The file in the Hugging Face cache at `revision`, or None.

    A file only ever gets a snapshot name complete: ours after the SHA-256 check,
    huggingface_hub's after its size check.
    """
    found = try_to_load_from_cache(
        repo_id, filename, cache_dir=cache_dir or constants.HF_HUB_CACHE, revision=revision
    )
    return Path(found) if isinstance(found, str) and Path(found).is_file() else None


def partial_bytes(repo_id: str, sha256: str, cache_dir: Path | None = None) -> int:
    """Bytes of the blob `sha256` an earlier download left in our part: the next one resumes
    from them (0 when there is none)."""
    storage = Path(cache_dir or constants.HF_HUB_CACHE) / repo_folder_name(
        repo_id=repo_id, repo_type="model"
    )
    try:
        return (storage / "blobs" / (sha256 + PART_SUFFIX)).stat().st_size
    except FileNotFoundError:
        return 0


def download_file(
    repo_id: str,
    filename: str,
    *,
    revision: str = "main",
    token: str | None = None,
    on_progress: Callable[[DownloadProgress], None] | None = None,
    cancel: threading.Event | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Download one file into the Hugging Face cache and return its verified snapshot path.

    `token` None means HF_TOKEN or the stored Hugging Face login. A broken connection, a
    cancel or a full disk keep the bytes received: the next call resumes from them. Raises a
    `DownloadFailed` subclass whose message is one sentence for the user.
    """
    cache = Path(cache_dir or constants.HF_HUB_CACHE)
    if constants.HF_HUB_OFFLINE:
        found = cached_file(repo_id, filename, revision, cache)
        if found is None:
            raise HubOffline(
                say(
                    f"Le mode hors ligne (HF_HUB_OFFLINE) est actif et {filename} n'est pas "
                    "dans le cache : désactivez-le pour le télécharger.",
                    f"Offline mode (HF_HUB_OFFLINE) is on and {filename} is not in the cache: "
                    "turn it off to download it.",
                )
            )
        return found
    storage = cache / repo_folder_name(repo_id=repo_id, repo_type="model")
    headers = build_hf_headers(token=token)
    headers["Accept-Encoding"] = "identity"  # the exact bytes the checksum describes
    with httpx.Client(timeout=constants.HF_HUB_DOWNLOAD_TIMEOUT) as client:
        try:
            remote = _metadata(client, headers, repo_id, filename, revision)
        except HubUnreachable:
            # As huggingface_hub does: without the Hub, a copy already cached is still good.
            found = cached_file(repo_id, filename, revision, cache)
            if found is None:
                raise
            return found
        blob = storage / "blobs" / remote.etag
        if not blob.is_file():
            lock = FileLock(cache / ".locks" / storage.name / f"{remote.etag}.lock")
            try:
                # The lock huggingface_hub takes for this blob: neither writes it twice at once.
                lock.acquire(timeout=1)
            except Timeout as error:
                raise DownloadBusy(
                    say(
                        f"{filename} est déjà en cours de téléchargement par un autre programme : "
                        "réessayez quand il aura fini.",
                        f"{filename} is already being downloaded by another program: try again "
                        "when it has finished.",
                    )
                ) from error
            try:
                if not blob.is_file():
                    url = hf_hub_url(repo_id, filename, revision=remote.commit)
                    _fetch(client, url, headers, remote, blob, on_progress, cancel)
            finally:
                lock.release()
    pointer = storage / "snapshots" / remote.commit / filename
    _link(blob, pointer)
    if revision != remote.commit:
        ref = storage / "refs" / revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(ref, remote.commit)
    return pointer


def _metadata(
    client: httpx.Client, headers: dict[str, str], repo_id: str, filename: str, revision: str
) -> _Remote:
    url = hf_hub_url(repo_id, filename, revision=revision)
    try:
        response = client.head(url, headers=headers)
        # A renamed repo redirects within the Hub: follow. A redirect to a CDN carries the
        # metadata itself, and the token must not leave the Hub.
        while response.is_redirect and _same_host(url, response.headers["Location"]):
            url = urljoin(url, response.headers["Location"])
            response = client.head(url, headers=headers)
    except httpx.TransportError as error:
        raise HubUnreachable(
            say(
                f"Impossible de joindre le Hub ({constants.ENDPOINT}) : vérifiez la connexion "
                "à Internet, puis réessayez.",
                f"Cannot reach the Hub ({constants.ENDPOINT}): check the Internet connection, "
                "then try again.",
            )
        ) from error
    _raise_for_status(response, repo_id, filename, revision, "authorization" in headers)
    etag = response.headers.get("X-Linked-Etag") or response.headers.get("ETag") or ""
    etag = etag.removeprefix("W/").strip('"')
    size = response.headers.get("X-Linked-Size") or (
        None if response.is_redirect else response.headers.get("Content-Length")
    )
    commit = response.headers.get("X-Repo-Commit")
    if not commit or size is None or not (SHA256.fullmatch(etag) or GIT_BLOB_ID.fullmatch(etag)):
        raise DownloadFailed(
            say(
                f"Le serveur n'a pas donné l'empreinte de {filename} : le fichier ne peut pas "
                "être vérifié, vérifiez l'adresse du Hub (HF_ENDPOINT).",
                f"The server gave no checksum for {filename}, so it cannot be verified: check "
                "the Hub address (HF_ENDPOINT).",
            )
        )
    return _Remote(repo_id, filename, commit, etag, int(size))


def _same_host(url: str, location: str) -> bool:
    return urlsplit(urljoin(url, location)).netloc == urlsplit(url).netloc


def _raise_for_status(
    response: httpx.Response, repo_id: str, filename: str, revision: str, sent_token: bool
) -> None:
    """Turn the Hub's answer into one sentence; it names errors in `X-Error-Code`."""
    status = response.status_code
    if status < 400:
        return
    code = response.headers.get("X-Error-Code")
    page = f"{constants.ENDPOINT}/{repo_id}"
    if response.headers.get("X-Error-Message") == "Invalid credentials in Authorization header":
        raise GatedModel(
            say(
                "Le Hub a refusé le jeton d'accès Hugging Face : vérifiez-le dans les réglages "
                "(ou HF_TOKEN).",
                "The Hub refused the Hugging Face access token: check it in the settings "
                "(or HF_TOKEN).",
            )
        )
    if code == "GatedRepo" or status == 403:
        raise GatedModel(
            say(
                f"L'accès à {repo_id} est restreint : acceptez sa licence sur {page} avec le "
                "compte de votre jeton, puis réessayez.",
                f"Access to {repo_id} is restricted: accept its licence on {page} with your "
                "token's account, then try again.",
            )
            if sent_token
            else say(
                f"L'accès à {repo_id} est restreint : acceptez sa licence sur {page}, puis "
                "indiquez un jeton d'accès Hugging Face dans les réglages (ou HF_TOKEN).",
                f"Access to {repo_id} is restricted: accept its licence on {page}, then set a "
                "Hugging Face access token in the settings (or HF_TOKEN).",
            )
        )
    if code == "EntryNotFound":
        raise NotFoundOnHub(
            say(
                f"Le fichier {filename} n'existe pas dans {repo_id} (révision {revision}) : "
                "vérifiez son nom sur la page du modèle.",
                f"The file {filename} does not exist in {repo_id} (revision {revision}): check "
                "its name on the model's page.",
            )
        )
    if code == "RevisionNotFound":
        raise NotFoundOnHub(
            say(
                f"La révision {revision} de {repo_id} n'existe pas : vérifiez-la sur {page}.",
                f"Revision {revision} of {repo_id} does not exist: check it on {page}.",
            )
        )
    if code == "RepoNotFound" or status in (401, 404):
        raise NotFoundOnHub(
            say(
                f"Le dépôt {repo_id} est introuvable sur le Hub : vérifiez son nom (ou, s'il est "
                "privé, indiquez un jeton d'accès dans les réglages).",
                f"The repository {repo_id} was not found on the Hub: check its name (or, if it "
                "is private, set an access token in the settings).",
            )
        )
    raise HubUnreachable(
        say(
            f"Le Hub a répondu par l'erreur {status} : réessayez dans quelques minutes.",
            f"The Hub answered with error {status}: try again in a few minutes.",
        )
    )


def _fetch(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    remote: _Remote,
    blob: Path,
    on_progress: Callable[[DownloadProgress], None] | None,
    cancel: threading.Event | None,
) -> None:
    """Bring the part to the whole file, hashing as it goes, and rename it only if it matches."""
    part = blob.with_name(blob.name + PART_SUFFIX)
    part.parent.mkdir(parents=True, exist_ok=True)
    if part.exists() and part.stat().st_size > remote.size:
        part.unlink()
    _check_space(part, remote.size - (part.stat().st_size if part.exists() else 0))
    try:
        with part.open("ab") as file:
            digest = _digest_of(part, remote, cancel)
            done = file.tell()
            meter = _Meter(remote.size, done, on_progress)
            if done < remote.size:
                done, digest = _transfer(client, url, headers, remote, file, digest, meter, cancel)
            meter.report(done, final=True)
    except OSError as error:
        raise _write_error(error, part) from error
    if done != remote.size:
        raise _interrupted(remote, done)
    if digest.hexdigest() != remote.etag:
        part.unlink()
        raise ChecksumMismatch(
            say(
                f"{remote.filename} ne correspond pas à l'empreinte SHA-256 publiée par le Hub : "
                "le fichier reçu a été supprimé, relancez le téléchargement.",
                f"{remote.filename} does not match the SHA-256 the Hub publishes: the file "
                "received was deleted, start the download again.",
            )
        )
    os.replace(part, blob)


def _transfer(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    remote: _Remote,
    file: BinaryIO,
    digest: _Digest,
    meter: _Meter,
    cancel: threading.Event | None,
) -> tuple[int, _Digest]:
    done = file.tell()
    request_headers = dict(headers, Range=f"bytes={done}-") if done else headers
    try:
        with client.stream("GET", url, headers=request_headers, follow_redirects=True) as response:
            sent_token = "authorization" in headers
            _raise_for_status(response, remote.repo_id, remote.filename, remote.commit, sent_token)
            if done and response.status_code != 206:
                # The server ignored the range and sends the whole file: start over cleanly.
                file.truncate(0)
                digest, done = _Digest(remote), 0
                meter.restart()
            for chunk in response.iter_bytes():
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled(_cancelled(remote))
                file.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                meter.report(done)
    except httpx.TransportError as error:
        file.flush()
        raise _interrupted(remote, file.tell()) from error
    return done, digest


class _Digest:
    """The Hub's checksum: the sha256 for LFS files, the git blob id (sha1) for the others."""

    def __init__(self, remote: _Remote) -> None:
        if SHA256.fullmatch(remote.etag):
            self._hash = hashlib.sha256()
        else:
            self._hash = hashlib.sha1(b"blob %d\0" % remote.size)

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _digest_of(part: Path, remote: _Remote, cancel: threading.Event | None) -> _Digest:
    """The checksum so far, over the bytes a previous run left in the part."""
    digest = _Digest(remote)
    with part.open("rb") as file:
        while chunk := file.read(CHUNK):
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(_cancelled(remote))
            digest.update(chunk)
    return digest


class _Meter:
    """Progress a few times a second; the speed counts this run's bytes only."""

    def __init__(
        self, total: int, done: int, on_progress: Callable[[DownloadProgress], None] | None
    ) -> None:
        self._total, self._on_progress = total, on_progress
        self._last = 0.0
        self._start, self._start_done = time.monotonic(), done

    def restart(self) -> None:
        self._start, self._start_done = time.monotonic(), 0

    def report(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if self._on_progress is None or (not final and now - self._last < PROGRESS_INTERVAL_S):
            return
        self._last = now
        elapsed = now - self._start
        speed = (done - self._start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self._total - done) / speed if speed > 0 else None
        self._on_progress(DownloadProgress(done, self._total, speed, eta))


def _check_space(part: Path, remaining: int) -> None:
    free = shutil.disk_usage(part.parent).free
    if free < remaining + SPACE_MARGIN:
        raise DiskFull(
            say(
                f"Pas assez d'espace disque pour {part.parent.parent.name} : il faut "
                f"{_size(remaining + SPACE_MARGIN)} et il reste {_size(free)} "
                f"dans {part.parent} ; libérez de la place, puis réessayez.",
                f"Not enough disk space for {part.parent.parent.name}: it needs "
                f"{_size(remaining + SPACE_MARGIN)} and {_size(free)} is free "
                f"in {part.parent}; free some space, then try again.",
            )
        )


def _write_error(error: OSError, part: Path) -> DownloadFailed:
    # A full disk keeps the part: its bytes are right, and once space is freed the download
    # resumes instead of fetching gigabytes again.
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            say(
                f"Le disque est plein ({part.parent}) : les octets reçus sont gardés, libérez de "
                "la place puis relancez le téléchargement pour le reprendre.",
                f"The disk is full ({part.parent}): the bytes received are kept, free some space "
                "then start the download again to resume it.",
            )
        )
    return DownloadFailed(
        say(
            f"Impossible d'écrire dans le cache ({part.parent}) : {error.strerror} ; vérifiez "
            "les droits sur ce dossier.",
            f"Cannot write into the cache ({part.parent}): {error.strerror}; check the "
            "permissions of that folder.",
        )
    )


def _interrupted(remote: _Remote, done: int) -> DownloadInterrupted:
    percent = 100 * done // max(remote.size, 1)
    return DownloadInterrupted(
        say(
            f"La connexion a été coupée pendant le téléchargement de {remote.filename} "
            f"({percent} %) : relancez-le, il reprendra où il s'est arrêté.",
            f"The connection broke while downloading {remote.filename} ({percent}%): start "
            "it again, it will resume where it stopped.",
        )
    )


def _cancelled(remote: _Remote) -> str:
    return say(
        f"Téléchargement de {remote.filename} annulé : les octets reçus sont gardés pour le "
        "reprendre plus tard.",
        f"Download of {remote.filename} cancelled: the bytes received are kept to resume it later.",
    )


def _size(count: int) -> str:
    if count >= 10**9:
        return f"{count / 1e9:.1f} {say('Go', 'GB')}"
    return f"{count / 1e6:.0f} {say('Mo', 'MB')}"


def _link(blob: Path, pointer: Path) -> None:
    """The snapshot's name for the blob: a relative symlink, as huggingface_hub makes."""
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.unlink(missing_ok=True)
    try:
        pointer.symlink_to(os.path.relpath(blob, pointer.parent))
    except OSError:
        # Windows without Developer Mode forbids symlinks: a hard link keeps one copy on disk.
        os.link(blob, pointer)
