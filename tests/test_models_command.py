"""`vigogne-desktop models list|pull|fit`, run as a user's script runs them: a real process,
real files, real HTTP to a local Hub stand-in; JSON on stdout, one sentence on failure."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hub_standin import HubStandin  # noqa: E402

from converters import catalog  # noqa: E402
from converters.synthetic import TINY, write_random_llama  # noqa: E402

SEED_REPOS = {
    "bofenghuang/vigogne-2-7b-chat",
    "bofenghuang/vigogne-7b-chat",
    "bofenghuang/vigogne-13b-chat",
    "bofenghuang/vigogne-falcon-7b-chat",
    "bofenghuang/vigogne-2-7b-instruct",
    "bofenghuang/vigogne-2-13b-instruct",
    "bofenghuang/vigogne-7b-instruct",
    "bofenghuang/vigogne-13b-instruct",
    "bofenghuang/vigogne-33b-instruct",
    "bofenghuang/vigogne-falcon-7b-instruct",
    "bofenghuang/vigogne-mpt-7b-instruct",
    "bofenghuang/vigogne-bloom-7b1-instruct",
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A user with an empty home, data folder and Hugging Face cache; messages in English."""
    home = tmp_path / "home"
    home.mkdir()
    variables = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HUGGING_FACE"))
    }
    variables.update(
        HOME=str(home),
        VIGOGNE_DESKTOP_HOME=str(tmp_path / "data"),
        HF_HUB_CACHE=str(tmp_path / "hf-cache"),
        HF_TOKEN_PATH=str(tmp_path / "hf-token"),
        VIGOGNE_LANGUAGE="en",
    )
    return variables


@pytest.fixture
def hub(tmp_path: Path, env: dict[str, str]) -> Iterator[HubStandin]:
    with HubStandin(tmp_path / "hub") as standin:
        env["HF_ENDPOINT"] = standin.url
        yield standin


def models(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigogne_desktop", "models", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    """The failure's sentence: the last line of stderr, and the only error line there
    (progress lines may come before it)."""
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    (line,) = [x for x in lines if x.startswith("vigogne-desktop:")]
    assert line == lines[-1]
    return line


def test_list_shows_every_seed_model_and_the_local_files(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "data" / "models").mkdir(parents=True)
    write_random_llama(tmp_path / "data" / "models" / "mien.Q8_0.gguf", TINY, seed=3)
    result = models(env, "list", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    repos = {(e["repo"], e["revision"]) for e in listing["catalog"]}
    assert {r for r, _ in repos} == SEED_REPOS
    assert ("bofenghuang/vigogne-2-7b-chat", "v1.0") in repos
    assert listing["catalog"][0]["status"] == "recommended"
    (local,) = listing["local"]
    assert Path(local["path"]).name == "mien.Q8_0.gguf" and Path(local["path"]).is_absolute()
    assert local["architecture"] == "llama" and local["source"] == "models"
    assert local["size_bytes"] == (tmp_path / "data" / "models" / "mien.Q8_0.gguf").stat().st_size


def test_pull_a_catalog_model_prints_the_verified_path_last(
    env: dict[str, str], hub: HubStandin, tmp_path: Path
) -> None:
    entry = catalog.by_id("vigogne-2-7b-chat")
    assert entry is not None
    (repo,) = entry.ggufs
    file = next(f for f in repo.files if f.quant == "Q4_K_M")
    model = write_random_llama(tmp_path / "served.gguf", TINY, seed=4)
    hub.add_file(repo.repo, file.filename, model.read_bytes())
    result = models(env, "pull", "vigogne-2-7b-chat", "--quant", "Q4_K_M")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_absolute() and path.name == file.filename
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest()
        == hashlib.sha256(model.read_bytes()).hexdigest()
    )
    assert str(tmp_path / "hf-cache") in str(path)
    assert "%" in result.stderr  # progress went to stderr
    listing = json.loads(models(env, "list", "--json").stdout)
    assert any(m["source"] == "hf-cache" for m in listing["local"])  # found in the cache


def test_pull_owner_repo_file_with_json_progress(
    env: dict[str, str], hub: HubStandin, tmp_path: Path
) -> None:
    model = write_random_llama(tmp_path / "served.gguf", TINY, seed=5)
    hub.add_file("someone/tiny-GGUF", "tiny.Q8_0.gguf", model.read_bytes())
    result = models(env, "pull", "someone/tiny-GGUF:tiny.Q8_0.gguf", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[-1]["done_bytes"] == events[-1]["total_bytes"] == model.stat().st_size
    assert Path(result.stdout.strip().splitlines()[-1]).read_bytes() == model.read_bytes()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "does not exist"),
        ("gated", "token"),
        ("corrupt", "sha-256"),
        ("unknown-id", "neither a catalog model"),
        ("no-gguf", "convert it with"),
    ],
)
def test_pull_failures_are_one_sentence_and_a_non_zero_exit(
    env: dict[str, str], hub: HubStandin, tmp_path: Path, case: str, expected: str
) -> None:
    model = write_random_llama(tmp_path / "served.gguf", TINY, seed=6)
    hub.add_file("someone/tiny-GGUF", "tiny.gguf", model.read_bytes())
    spec = "someone/tiny-GGUF:tiny.gguf"
    if case == "missing":
        spec = "someone/tiny-GGUF:absent.gguf"
    elif case == "gated":
        hub.gate("someone/tiny-GGUF", "hf_secret")
    elif case == "corrupt":
        hub.corrupt("someone/tiny-GGUF", "tiny.gguf")
    elif case == "unknown-id":
        spec = "vigogne-99b"
    elif case == "no-gguf":
        spec = "vigogne-falcon-7b-instruct"
    line = one_sentence(models(env, "pull", spec))
    assert expected in line.lower() or expected in line, line
    assert not list((tmp_path / "hf-cache").rglob("snapshots/*/*.gguf"))


def test_pull_offline_says_so(env: dict[str, str], hub: HubStandin) -> None:
    env["HF_HUB_OFFLINE"] = "1"
    line = one_sentence(models(env, "pull", "someone/tiny-GGUF:tiny.gguf"))
    assert "offline" in line.lower()
    assert not hub.requests


def test_fit_gives_the_estimate_as_json(env: dict[str, str], tmp_path: Path) -> None:
    model = write_random_llama(tmp_path / "tiny.gguf", TINY, seed=7)
    result = models(env, "fit", str(model), "--n-ctx", "1024", "--json")
    assert result.returncode == 0, result.stderr
    fit = json.loads(result.stdout)
    for key in ("ram_bytes", "vram_bytes", "gpu_layers", "threads", "fits", "recommended_quant"):
        assert key in fit
    assert fit["fits"] is True and fit["gpu_layers"] == 0 and fit["threads"] >= 1
    assert model.stat().st_size < fit["ram_bytes"] < 2 * 1024**3
    big = json.loads(models(env, "fit", "vigogne-33b-instruct", "--quant", "Q8_0", "--json").stdout)
    assert big["quant"] == "Q8_0" and big["ram_bytes"] > 30e9 and big["fits"] is False
    assert big["reason"]


def test_fit_of_something_that_is_not_there_is_one_sentence(env: dict[str, str]) -> None:
    assert "neither a GGUF file" in one_sentence(models(env, "fit", "/nulle/part.gguf"))
