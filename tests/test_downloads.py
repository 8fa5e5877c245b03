"""Hub downloads against the local Hub stand-in: real HTTP, a real cache, real processes."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from hub_standin import HubStandin, use_standin
from huggingface_hub import (
    constants,
    hf_hub_download,
    list_repo_files,
    model_info,
    scan_cache_dir,
    try_to_load_from_cache,
)

from vigogne_desktop.core.downloads import (
    PART_SUFFIX,
    DownloadProgress,
    cached_file,
    download_file,
    partial_bytes,
)
from vigogne_desktop.core.errors import (
    ChecksumMismatch,
    DiskFull,
    DownloadBusy,
    DownloadCancelled,
    DownloadInterrupted,
    GatedModel,
    HubUnreachable,
    NotFoundOnHub,
)

ROOT = Path(__file__).resolve().parents[1]
REPO = "vigogne/Vigogne-tiny-GGUF"
GGUF = "vigogne-tiny.Q4_K_M.gguf"
CHILD = (
    "import sys\n"
    "from vigogne_desktop.core.downloads import download_file\n"
    "from vigogne_desktop.core.errors import DownloadFailed\n"
    "for name in sys.argv[2:]:\n"
    "    try:\n"
    "        print('ok', download_file(sys.argv[1], name), flush=True)\n"
    "    except DownloadFailed as error:\n"
    "        print('failed', error, flush=True)\n"
)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubStandin]:
    with HubStandin(tmp_path / "hub") as standin:
        yield standin


@pytest.fixture
def cache(tmp_path: Path, hub: HubStandin, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process's huggingface_hub (and any child) pointed at the stand-in, English text."""
    use_standin(monkeypatch, hub, tmp_path / "hf-cache")
    monkeypatch.setenv("VIGOGNE_LANGUAGE", "en")
    return tmp_path / "hf-cache"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a tmpfs of a given size (root only); unmounted after the test."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        folder = tmp_path / f"disk-{size}"
        folder.mkdir()
        try:
            result = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                capture_output=True,
                text=True,
            )
        except FileNotFoundError:
            pytest.skip("no mount command here to make a small disk")
        if result.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {result.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def one_cached(hub: HubStandin, cache: Path) -> Path:
    """GGUF downloaded into the cache; other.gguf on the Hub only."""
    hub.add_file(REPO, GGUF, gguf_bytes(1000))
    hub.add_file(REPO, "other.gguf", gguf_bytes(1000))
    return download_file(REPO, GGUF)


def gguf_bytes(size: int) -> bytes:
    """A stand-in model file: the GGUF magic, then noise (the bytes are what is tested)."""
    return b"GGUF" + os.urandom(size - 4)


def part_of(cache: Path, hub: HubStandin, repo_id: str, filename: str) -> Path:
    folder = cache / ("models--" + repo_id.replace("/", "--")) / "blobs"
    return folder / (hub.sha256(repo_id, filename) + PART_SUFFIX)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_download_lands_verified_in_the_standard_cache(hub: HubStandin, cache: Path) -> None:
    data = gguf_bytes(700_000)
    hub.add_file(REPO, GGUF, data)
    hub.add_file(REPO, "config.json", b'{"architectures": ["LlamaForCausalLM"]}')
    reports: list[DownloadProgress] = []

    path = download_file(REPO, GGUF, on_progress=reports.append)

    commit = hub.commit(REPO)
    assert path == cache / f"models--vigogne--Vigogne-tiny-GGUF/snapshots/{commit}/{GGUF}"
    assert path.is_symlink() and path.resolve().name == hashlib.sha256(data).hexdigest()
    assert path.read_bytes() == data
    assert (path.parents[2] / "refs" / "main").read_text() == commit
    assert reports[-1].done_bytes == reports[-1].total_bytes == len(data)
    # huggingface_hub's own readers see it, and its downloader does not fetch it again.
    assert try_to_load_from_cache(REPO, GGUF) == str(path)
    (repo,) = scan_cache_dir(cache).repos
    (revision,) = repo.revisions
    assert revision.commit_hash == commit and [f.file_name for f in revision.files] == [GGUF]
    gets = len(hub.downloads(GGUF))
    assert hf_hub_download(REPO, GGUF) == str(path)
    assert cached_file(REPO, GGUF) == path
    assert download_file(REPO, GGUF) == path
    assert len(hub.downloads(GGUF)) == gets == 1
    # The token-less bytes came from the "CDN" host, as the Hub's LFS files do.
    assert hub.downloads(GGUF)[0].path.startswith("/cdn/")
    # A small regular file is checked against its git blob id, the Hub's ETag for it.
    config = download_file(REPO, "config.json").read_bytes()
    git_blob_id = hashlib.sha1(b"blob %d\0" % len(config) + config).hexdigest()
    assert download_file(REPO, "config.json").resolve().name == git_blob_id


def test_a_killed_download_process_resumes_with_a_range_request(
    hub: HubStandin, cache: Path
) -> None:
    data = gguf_bytes(3_000_000)
    hub.add_file(REPO, GGUF, data)
    part = part_of(cache, hub, REPO, GGUF)
    hub.rate = 1_000_000
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, REPO, GGUF], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not (part.exists() and part.stat().st_size >= 500_000):
            assert child.poll() is None and time.monotonic() < deadline, "no bytes arrived"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    kept = part.stat().st_size
    assert 0 < kept < len(data)

    hub.rate = None
    second = subprocess.run(
        [sys.executable, "-c", CHILD, REPO, GGUF], cwd=ROOT, capture_output=True, text=True
    )

    assert second.stdout.startswith("ok "), second.stdout + second.stderr
    resumed = hub.downloads(GGUF)[-1]
    assert resumed.range == f"bytes={kept}-"
    path = Path(second.stdout.split(" ", 1)[1].strip())
    assert sha256_of(path) == hashlib.sha256(data).hexdigest() and not part.exists()


def test_a_cut_connection_says_so_and_a_retry_resumes(hub: HubStandin, cache: Path) -> None:
    data = gguf_bytes(1_000_000)
    hub.add_file(REPO, GGUF, data)
    hub.cut_after(REPO, GGUF, 400_000)

    with pytest.raises(DownloadInterrupted) as failure:
        download_file(REPO, GGUF)

    assert str(failure.value) == (
        f"The connection broke while downloading {GGUF} (40%): start it again, it will "
        "resume where it stopped."
    )
    assert part_of(cache, hub, REPO, GGUF).stat().st_size == 400_000
    assert cached_file(REPO, GGUF) is None
    path = download_file(REPO, GGUF)
    assert hub.downloads(GGUF)[-1].range == "bytes=400000-"
    assert path.read_bytes() == data


def test_partial_bytes_are_what_the_next_download_resumes_from(
    hub: HubStandin, cache: Path
) -> None:
    data = gguf_bytes(500_000)
    hub.add_file(REPO, GGUF, data)
    sha256 = hub.sha256(REPO, GGUF)
    assert partial_bytes(REPO, sha256) == 0
    hub.cut_after(REPO, GGUF, 200_000)
    with pytest.raises(DownloadInterrupted):
        download_file(REPO, GGUF)

    assert partial_bytes(REPO, sha256) == 200_000 == partial_bytes(REPO, sha256, cache)
    assert partial_bytes("vigogne/other", sha256) == 0 == partial_bytes(REPO, "0" * 64)
    download_file(REPO, GGUF)
    assert hub.downloads(GGUF)[-1].range == "bytes=200000-"
    assert partial_bytes(REPO, sha256) == 0  # the part became the verified blob


def test_a_server_that_ignores_the_range_restarts_cleanly(hub: HubStandin, cache: Path) -> None:
    data = gguf_bytes(600_000)
    hub.add_file(REPO, GGUF, data)
    hub.cut_after(REPO, GGUF, 100_000)
    with pytest.raises(DownloadInterrupted):
        download_file(REPO, GGUF)
    hub.ignore_ranges = True

    path = download_file(REPO, GGUF)

    assert hub.downloads(GGUF)[-1].range == "bytes=100000-"
    assert path.read_bytes() == data


def test_wrong_bytes_leave_nothing_usable(hub: HubStandin, cache: Path) -> None:
    hub.add_file(REPO, GGUF, gguf_bytes(300_000))
    hub.corrupt(REPO, GGUF)

    with pytest.raises(ChecksumMismatch) as failure:
        download_file(REPO, GGUF)

    assert str(failure.value) == (
        f"{GGUF} does not match the SHA-256 the Hub publishes: the file received was deleted, "
        "start the download again."
    )
    storage = cache / "models--vigogne--Vigogne-tiny-GGUF"
    assert list((storage / "blobs").iterdir()) == []
    assert not (storage / "snapshots").exists()
    assert try_to_load_from_cache(REPO, GGUF) is None and cached_file(REPO, GGUF) is None


def test_a_gated_repo_needs_the_licence_and_a_token(
    hub: HubStandin, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.add_file(REPO, GGUF, gguf_bytes(200_000))
    hub.gate(REPO, "hf_accepted")
    page = f"{hub.url}/{REPO}"

    with pytest.raises(GatedModel) as anonymous:
        download_file(REPO, GGUF)
    with pytest.raises(GatedModel) as refused:
        download_file(REPO, GGUF, token="hf_other")

    assert str(anonymous.value) == (
        f"Access to {REPO} is restricted: accept its licence on {page}, then set a Hugging "
        "Face access token in the settings (or HF_TOKEN)."
    )
    assert "with your token's account" in str(refused.value)
    assert download_file(REPO, GGUF, token="hf_accepted").is_file()
    shutil.rmtree(cache)
    monkeypatch.setenv("HF_TOKEN", "hf_accepted")
    assert download_file(REPO, GGUF).is_file()
    answers = [(r.status, r.authorization) for r in hub.requests]
    assert (401, None) in answers and (403, "Bearer hf_other") in answers
    assert (302, "Bearer hf_accepted") in answers
    # The token never leaves the Hub for the CDN host.
    assert all(r.authorization is None for r in hub.downloads(GGUF))


def test_a_missing_repo_revision_or_file_is_named(
    hub: HubStandin, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub.add_file(REPO, GGUF, gguf_bytes(1000))

    with pytest.raises(NotFoundOnHub, match="The repository vigogne/nothing was not found"):
        download_file("vigogne/nothing", GGUF)
    with pytest.raises(NotFoundOnHub, match=f"The file other.gguf does not exist in {REPO}"):
        download_file(REPO, "other.gguf")
    with pytest.raises(NotFoundOnHub, match=f"Revision v9 of {REPO} does not exist"):
        download_file(REPO, GGUF, revision="v9")
    monkeypatch.setenv("VIGOGNE_LANGUAGE", "fr")
    with pytest.raises(NotFoundOnHub, match=f"Le fichier other.gguf n'existe pas dans {REPO}"):
        download_file(REPO, "other.gguf")


def test_a_tagged_revision_is_its_own_snapshot(hub: HubStandin, cache: Path) -> None:
    hub.add_file(REPO, GGUF, gguf_bytes(1000))
    old = gguf_bytes(1000)
    hub.add_file(REPO, GGUF, old, revision="v1.0")

    path = download_file(REPO, GGUF, revision="v1.0")

    assert path.read_bytes() == old and path.parent.name == hub.commit(REPO, "v1.0")
    assert cached_file(REPO, GGUF, "v1.0") == path and cached_file(REPO, GGUF) is None


def test_an_unreachable_hub_is_one_sentence_unless_the_file_is_cached(
    one_cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setattr(constants, "ENDPOINT", closed)
    template = closed + "/{repo_id}/resolve/{revision}/{filename}"
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)

    with pytest.raises(HubUnreachable) as failure:
        download_file(REPO, "other.gguf")

    assert str(failure.value) == (
        f"Cannot reach the Hub ({closed}): check the Internet connection, then try again."
    )
    assert download_file(REPO, GGUF) == one_cached


def test_offline_mode_serves_the_cache_and_says_what_is_missing(
    hub: HubStandin, one_cached: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = len(hub.requests)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # read by huggingface_hub when the child starts

    child = subprocess.run(
        [sys.executable, "-c", CHILD, REPO, GGUF, "other.gguf"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert child.stdout.splitlines() == [
        f"ok {one_cached}",
        "failed Offline mode (HF_HUB_OFFLINE) is on and other.gguf is not in the cache: turn "
        "it off to download it.",
    ], child.stderr
    assert len(hub.requests) == before


def test_no_room_on_the_disk_refuses_before_downloading(
    hub: HubStandin, cache: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("2m")
    hub.add_file(REPO, GGUF, gguf_bytes(1_000_000))

    with pytest.raises(DiskFull, match="Not enough disk space for models--vigogne--Vigogne"):
        download_file(REPO, GGUF, cache_dir=disk)

    assert hub.downloads(GGUF) == [] and list(disk.rglob("*" + PART_SUFFIX)) == []


def test_a_disk_filling_up_keeps_the_part_and_resumes(
    hub: HubStandin, cache: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("40m")
    data = gguf_bytes(4_000_000)
    hub.add_file(REPO, GGUF, data)
    hub.rate = 2_000_000
    filler = disk / "another-program.bin"

    def fill_the_disk(progress: DownloadProgress) -> None:
        # Another program takes the last free byte while the download runs.
        if progress.done_bytes and not filler.exists():
            with filler.open("wb", buffering=0) as file, pytest.raises(OSError):
                while True:
                    file.write(b"\0" * 1_000_000)

    with pytest.raises(DiskFull) as failure:
        download_file(REPO, GGUF, cache_dir=disk, on_progress=fill_the_disk)

    assert "the bytes received are kept, free some space" in str(failure.value)
    part = part_of(disk, hub, REPO, GGUF)
    kept = part.stat().st_size
    assert 0 < kept < len(data)
    filler.unlink()
    hub.rate = None
    path = download_file(REPO, GGUF, cache_dir=disk)
    assert hub.downloads(GGUF)[-1].range == f"bytes={kept}-"
    assert path.read_bytes() == data


def test_cancel_keeps_the_bytes_and_reports_a_few_times_a_second(
    hub: HubStandin, cache: Path
) -> None:
    data = gguf_bytes(2_000_000)
    hub.add_file(REPO, GGUF, data)
    hub.rate = 1_000_000
    cancel = threading.Event()
    reports: list[tuple[float, DownloadProgress]] = []

    def watch(progress: DownloadProgress) -> None:
        reports.append((time.monotonic(), progress))
        if progress.done_bytes >= 800_000:
            cancel.set()

    with pytest.raises(DownloadCancelled, match="cancelled: the bytes received are kept"):
        download_file(REPO, GGUF, on_progress=watch, cancel=cancel)

    gaps = [later[0] - earlier[0] for earlier, later in zip(reports, reports[1:], strict=False)]
    assert len(reports) >= 3 and min(gaps) >= 0.24
    last = reports[-1][1]
    assert last.total_bytes == len(data) and 100_000 < last.bytes_per_s < 1_500_000
    assert last.eta_s == pytest.approx((len(data) - last.done_bytes) / last.bytes_per_s)
    kept = part_of(cache, hub, REPO, GGUF).stat().st_size
    assert kept >= 800_000
    hub.rate = None
    assert download_file(REPO, GGUF).read_bytes() == data
    assert hub.downloads(GGUF)[-1].range == f"bytes={kept}-"


def test_a_file_another_process_is_downloading_is_not_written_twice(
    hub: HubStandin, cache: Path
) -> None:
    hub.add_file(REPO, GGUF, gguf_bytes(1000))
    storage = "models--vigogne--Vigogne-tiny-GGUF"
    lock = FileLock(cache / ".locks" / storage / f"{hub.sha256(REPO, GGUF)}.lock")

    with lock, pytest.raises(DownloadBusy, match="already being downloaded by another program"):
        download_file(REPO, GGUF)

    assert download_file(REPO, GGUF).is_file()


def test_the_standin_answers_model_info_as_huggingface_hub_reads_it(
    hub: HubStandin, cache: Path
) -> None:
    # Other tests (catalog, library, the CLI) list a repo's files through this endpoint.
    hub.add_file(REPO, GGUF, gguf_bytes(5000))
    hub.add_file(REPO, "README.md", b"# Vigogne tiny\n")

    info = model_info(REPO, files_metadata=True)

    assert info.sha == hub.commit(REPO)
    files = {s.rfilename: s for s in info.siblings or []}
    assert files[GGUF].size == 5000 and files["README.md"].lfs is None
    lfs = files[GGUF].lfs
    assert lfs is not None and lfs.sha256 == hub.sha256(REPO, GGUF)


def test_the_standin_lists_a_repo_tree_as_huggingface_hub_reads_it(
    hub: HubStandin, cache: Path
) -> None:
    # The converter picks the files a conversion needs from this list (list_repo_files).
    hub.add_file(REPO, GGUF, gguf_bytes(5000))
    hub.add_file(REPO, "README.md", b"# Vigogne tiny\n")
    hub.add_file(REPO, "extra/notes.txt", b"notes\n", "v1.0")

    assert sorted(list_repo_files(REPO)) == ["README.md", GGUF]
    assert list_repo_files(REPO, revision="v1.0") == ["extra/notes.txt"]
