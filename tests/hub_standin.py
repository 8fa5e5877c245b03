"""A local stand-in for the Hugging Face Hub: real files over real HTTP on 127.0.0.1.

It answers the endpoints and headers huggingface_hub reads (checked against its 2.4 source):
`HEAD`/`GET /{repo}/resolve/{revision}/{file}` with `X-Repo-Commit`, `ETag`, `X-Linked-Etag`
(the sha256, quoted) and `X-Linked-Size` for LFS files, a 302 to a "CDN" host for their bytes
(`localhost` instead of `127.0.0.1`, so the Authorization header stays on the Hub, as on the
real one), Range requests answered 206; `GET /api/models/{repo}[/revision/{rev}]` with `sha`
and `siblings`; `GET /api/models/{repo}/tree/{rev}` (what `list_repo_files` reads). Errors
carry the Hub's `X-Error-Code` (`RepoNotFound`, `EntryNotFound`, `RevisionNotFound`,
`GatedRepo`). Repos are folders: `<root>/<owner>/<name>/<file>` is the
`main` revision, `<root>/<owner>/<name>@<revision>/<file>` any other.

In a test::

    with HubStandin(tmp_path / "hub") as hub:
        hub.add_file("vigogne/tiny-GGUF", "tiny.Q8_0.gguf", data)
        use_standin(monkeypatch, hub, tmp_path / "hf-cache")   # in-process huggingface_hub
        ...                                                  # or HF_ENDPOINT=hub.url in a child
        assert hub.requests[-1].range == "bytes=100-"

By hand: `python tests/hub_standin.py ROOT` serves ROOT and prints its URL.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# The Hub stores these through LFS (its default .gitattributes), and any file over 10 MB.
LFS_SUFFIXES = {".gguf", ".safetensors", ".bin", ".pt", ".pth", ".model", ".onnx", ".msgpack"}
LFS_MIN_SIZE = 10 * 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class HubRequest:
    """One request as the stand-in received it."""

    method: str
    path: str
    range: str | None
    authorization: str | None
    status: int


@dataclass
class _Cut:
    offset: int
    times: int


@dataclass
class _Knobs:
    gated: dict[str, str] = field(default_factory=dict)  # repo id -> the token that opens it
    corrupted: set[tuple[str, str]] = field(default_factory=set)
    cuts: dict[tuple[str, str], _Cut] = field(default_factory=dict)


class _HubError(Exception):
    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class HubStandin:
    """The server: start it (or use it as a context manager), add files, read `requests`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.requests: list[HubRequest] = []
        self.rate: int | None = None  # bytes per second for file bodies; None: as fast as it can
        self.ignore_ranges = False  # answer 200 and the whole file, as some proxies do
        self._knobs = _Knobs()
        self._lock = threading.Lock()
        self._sha_cache: dict[tuple[str, int, int], str] = {}
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- life -------------------------------------------------------------------------------

    def start(self) -> HubStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HubStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- content and knobs ------------------------------------------------------------------

    def add_file(self, repo_id: str, filename: str, data: bytes, revision: str = "main") -> Path:
        path = self._repo_dir(repo_id, revision) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def commit(self, repo_id: str, revision: str = "main") -> str:
        """The commit hash `revision` resolves to (it changes when the repo's files change)."""
        return self._commit_of(self._repo_dir(repo_id, revision), repo_id, revision)

    def sha256(self, repo_id: str, filename: str, revision: str = "main") -> str:
        return self._sha256(self._repo_dir(repo_id, revision) / filename)

    def gate(self, repo_id: str, token: str) -> None:
        """Files of `repo_id` answer 401 without a token, 403 with another one, as the Hub."""
        self._knobs.gated[repo_id] = token

    def corrupt(self, repo_id: str, filename: str) -> None:
        """Serve other bytes than the ones the headers' sha256 and size describe."""
        self._knobs.corrupted.add((repo_id, filename))

    def cut_after(self, repo_id: str, filename: str, offset: int, times: int = 1) -> None:
        """The next `times` downloads of the file stop at byte `offset`: the socket is closed."""
        self._knobs.cuts[(repo_id, filename)] = _Cut(offset, times)

    def downloads(self, filename: str) -> list[HubRequest]:
        """The GET requests answered with bytes of `filename` (from the CDN for LFS files)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.method == "GET"
                and r.status in (200, 206)
                and not r.path.startswith("/api/")
                and unquote(urlsplit(r.path).path).endswith("/" + filename)
            ]

    # -- what the handler asks --------------------------------------------------------------

    def _log(self, request: HubRequest) -> None:  # every answer, with its status
        with self._lock:
            self.requests.append(request)

    def _repo_dir(self, repo_id: str, revision: str) -> Path:
        return self.root / (repo_id if revision == "main" else f"{repo_id}@{revision}")

    def _sha256(self, path: Path) -> str:
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._sha_cache:
            digest = hashlib.sha256()
            with path.open("rb") as file:
                while chunk := file.read(1 << 20):
                    digest.update(chunk)
            self._sha_cache[key] = digest.hexdigest()
        return self._sha_cache[key]

    def _commit_of(self, folder: Path, repo_id: str, revision: str) -> str:
        digest = hashlib.sha1(f"{repo_id}@{revision}".encode())
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()

    def _resolve(self, repo_id: str, revision: str) -> tuple[Path, str]:
        """The folder and commit of a revision (a branch, a tag or a commit hash)."""
        if not self._repo_dir(repo_id, "main").is_dir():
            raise _HubError(404, "RepoNotFound", "Repository not found")
        base = self._repo_dir(repo_id, "main")
        candidates = [("main", base)] + [
            (p.name.split("@", 1)[1], p) for p in base.parent.glob(base.name + "@*")
        ]
        for name, folder in candidates:
            commit = self._commit_of(folder, repo_id, name)
            if revision in (name, commit):
                return folder, commit
        raise _HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")

    def _check_access(self, repo_id: str, authorization: str | None) -> None:
        token = self._knobs.gated.get(repo_id)
        if token is None or authorization == f"Bearer {token}":
            return
        if authorization is None:
            raise _HubError(
                401,
                "GatedRepo",
                f"Access to model {repo_id} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in.",
            )
        raise _HubError(
            403,
            "GatedRepo",
            f"Access to model {repo_id} is restricted and you are not in the authorized list. "
            f"Visit https://huggingface.co/{repo_id} to ask for access.",
        )

    def _is_lfs(self, path: Path) -> bool:
        return path.suffix in LFS_SUFFIXES or path.stat().st_size >= LFS_MIN_SIZE

    def _git_blob_sha1(self, path: Path) -> str:
        data = path.read_bytes()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    def _siblings(self, folder: Path) -> list[dict[str, Any]]:
        siblings: list[dict[str, Any]] = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            size = path.stat().st_size
            entry: dict[str, Any] = {
                "rfilename": path.relative_to(folder).as_posix(),
                "size": size,
                "blobId": self._git_blob_sha1(path),
            }
            if self._is_lfs(path):
                entry["lfs"] = {"sha256": self._sha256(path), "size": size, "pointerSize": 134}
            siblings.append(entry)
        return siblings

    def _take_cut(self, repo_id: str, filename: str) -> int | None:
        with self._lock:
            cut = self._knobs.cuts.get((repo_id, filename))
            if cut is None or cut.times <= 0:
                return None
            cut.times -= 1
            return cut.offset


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) for a single `bytes=N-` or `bytes=N-M` range; None for the whole file."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first_text, _, last_text = header[len("bytes=") :].partition("-")
    if not first_text:
        return None
    first = int(first_text)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return first, last


def _handler_for(hub: HubStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `hub.requests` instead."""

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def send_response(self, code: int, message: str | None = None) -> None:
            hub._log(
                HubRequest(
                    self.command,
                    self.path,
                    self.headers.get("Range"),
                    self.headers.get("Authorization"),
                    code,
                )
            )
            super().send_response(code, message)

        def _answer(self, send_body: bool) -> None:
            authorization = self.headers.get("Authorization")
            path = unquote(urlsplit(self.path).path)
            try:
                if path.startswith("/api/models/") and "/tree/" in path:
                    self._tree(path[len("/api/models/") :], send_body)
                elif path.startswith("/api/models/"):
                    self._model_info(path[len("/api/models/") :], send_body)
                elif path.startswith("/cdn/"):
                    repo_owner, repo_name, commit, filename = path[len("/cdn/") :].split("/", 3)
                    folder, _ = hub._resolve(f"{repo_owner}/{repo_name}", commit)
                    self._file(f"{repo_owner}/{repo_name}", folder, filename, send_body)
                elif "/resolve/" in path:
                    repo_id, _, rest = path.lstrip("/").partition("/resolve/")
                    revision, _, filename = rest.partition("/")
                    folder, commit = hub._resolve(repo_id, revision)
                    hub._check_access(repo_id, authorization)
                    self._resolve_file(repo_id, folder, commit, filename, send_body)
                else:
                    raise _HubError(404, None, "Not found")
            except _HubError as error:
                # The Hub answers 401 rather than 404 to a missing repo when no token is sent.
                status = 401 if error.code == "RepoNotFound" and not authorization else error.status
                named = {"X-Error-Code": error.code or "", "X-Error-Message": error.message}
                self._json({"error": error.message}, send_body, status, named)

        def _json(
            self,
            value: Any,
            send_body: bool,
            status: int = 200,
            headers: dict[str, str] | None = None,
        ) -> None:
            body = json.dumps(value).encode()
            self.send_response(status)
            for name, text in (headers or {}).items():
                self.send_header(name, text)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def _tree(self, rest: str, send_body: bool) -> None:
            """The repo's files as the Hub's tree API lists them, in one page (no `Link`)."""
            repo_id, _, rest = rest.partition("/tree/")
            revision, _, folder = rest.partition("/")
            root, _ = hub._resolve(repo_id, revision)
            recursive = "recursive=true" in urlsplit(self.path).query.lower()
            prefix = folder.strip("/") + "/" if folder.strip("/") else ""
            entries: list[dict[str, Any]] = []
            for sibling in hub._siblings(root):
                name = sibling["rfilename"]
                if not name.startswith(prefix) or (not recursive and "/" in name[len(prefix) :]):
                    continue
                entry = {"type": "file", "path": name, "oid": sibling["blobId"]}
                entry["size"] = sibling["size"]
                if "lfs" in sibling:
                    lfs = sibling["lfs"]
                    entry["lfs"] = {"oid": lfs["sha256"], "size": lfs["size"], "pointerSize": 134}
                entries.append(entry)
            self._json(entries, send_body)

        def _model_info(self, rest: str, send_body: bool) -> None:
            repo_id, _, revision = rest.partition("/revision/")
            folder, commit = hub._resolve(repo_id, revision or "main")
            info = {
                "id": repo_id,
                "modelId": repo_id,
                "sha": commit,
                "private": False,
                "gated": "manual" if repo_id in hub._knobs.gated else False,
                "siblings": hub._siblings(folder),
            }
            self._json(info, send_body)

        def _resolve_file(
            self, repo_id: str, folder: Path, commit: str, filename: str, send_body: bool
        ) -> None:
            path = folder / filename
            if not path.is_file():
                raise _HubError(404, "EntryNotFound", f"{filename} does not exist on the Hub")
            if not hub._is_lfs(path):
                self._file(repo_id, folder, filename, send_body, commit=commit)
                return
            # LFS bytes live on a CDN: the Hub answers a redirect carrying the file's metadata.
            location = f"http://localhost:{hub.port}/cdn/{repo_id}/{commit}/{quote(filename)}"
            sha256 = hub._sha256(path)
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("X-Repo-Commit", commit)
            self.send_header("ETag", f'"{sha256}"')
            self.send_header("X-Linked-Etag", f'"{sha256}"')
            self.send_header("X-Linked-Size", str(path.stat().st_size))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _file(
            self,
            repo_id: str,
            folder: Path,
            filename: str,
            send_body: bool,
            commit: str | None = None,
        ) -> None:
            path = folder / filename
            if not path.is_file():
                raise _HubError(404, "EntryNotFound", f"{filename} does not exist on the Hub")
            size = path.stat().st_size
            span = None if hub.ignore_ranges else _parse_range(self.headers.get("Range"), size)
            if span is not None and span[0] >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            first, last = span or (0, size - 1)
            self.send_response(206 if span else 200)
            if span:
                self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
            if commit is not None:
                # A regular (non-LFS) file: its ETag is the git blob id, as on the Hub.
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", f'"{hub._git_blob_sha1(path)}"')
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(last - first + 1))
            self.end_headers()
            if send_body:
                self._send_bytes(repo_id, path, filename, first, last)

        def _send_bytes(
            self, repo_id: str, path: Path, filename: str, first: int, last: int
        ) -> None:
            cut = hub._take_cut(repo_id, filename)
            corrupted = (repo_id, filename) in hub._knobs.corrupted
            end = last + 1 if cut is None else min(last + 1, max(cut, first))
            chunk_size = CHUNK if hub.rate is None else max(1024, min(CHUNK, hub.rate // 20))
            try:
                with path.open("rb") as file:
                    file.seek(first)
                    position = first
                    while position < end and not hub._stopping.is_set():
                        chunk = file.read(min(chunk_size, end - position))
                        if corrupted:
                            chunk = bytes(b ^ 0x55 for b in chunk)
                        self.wfile.write(chunk)
                        position += len(chunk)
                        if hub.rate is not None:
                            time.sleep(len(chunk) / hub.rate)
                if cut is not None:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                # The client went away (killed, cancelled): nothing left to answer.
                self.close_connection = True

    return Handler


def use_standin(monkeypatch: Any, hub: HubStandin, cache_dir: Path) -> None:
    """Point this process's huggingface_hub at the stand-in and a fresh cache.

    huggingface_hub reads HF_ENDPOINT and HF_HUB_CACHE once, at import: a child process only
    needs the environment, but this process also needs its constants set again. No stored
    token of the machine's user leaks in.
    """
    from huggingface_hub import constants, hf_api

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache_dir))
    monkeypatch.setenv("HF_TOKEN_PATH", str(cache_dir.parent / "hf-token"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        hub.url + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache_dir))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(cache_dir.parent / "hf-token"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # huggingface_hub.model_info and friends are methods of an HfApi made at import.
    monkeypatch.setattr(hf_api.api, "endpoint", hub.url)


if __name__ == "__main__":
    standin = HubStandin(Path(sys.argv[1])).start()
    print(standin.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()
