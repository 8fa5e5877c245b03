"""`vigogne-desktop serve`: a real server child on 127.0.0.1, the official openai client,
every route locked by the key, no web origin let in, the Vigogne format, a clean stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.protocol import ChatFinished, LoadSettings, SamplingParams, TextChunk
from vigogne_desktop.core.sharing import second_copy_bytes
from vigogne_desktop.serve_command import API_KEY_VARIABLE, USAGE_ERROR, is_loopback

KEY = "cle-de-test-0123456789abcdef"
QUESTION = [{"role": "user", "content": "Bonjour ! Quelle est la capitale de la France ?"}]
# Every route llama_cpp.server has, those FastAPI adds (docs), and one that does not exist.
ROUTES = [
    ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/completions"),
    ("POST", "/v1/embeddings"),
    ("POST", "/v1/engines/copilot-codex/completions"),
    ("POST", "/extras/tokenize"),
    ("POST", "/extras/tokenize/count"),
    ("POST", "/extras/detokenize"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/openapi.json"),
    ("GET", "/nowhere"),
    ("DELETE", "/v1/models"),
]


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    key: str
    stdout: str  # the banner, as printed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vigogne_desktop", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "VIGOGNE_LANGUAGE": "en", **(env or {})},
    )


def wait_for_banner(process: subprocess.Popen[str]) -> Served:
    """Read the banner up to its last line; the server is ready once it is printed."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or "Ctrl+C" not in lines[-1]:
        line = process.stdout.readline()
        assert line, f"the server ended: {process.wait()} {process.stderr.read()}"  # type: ignore[union-attr]
        lines.append(line)
    banner = "".join(lines)
    url = re.search(r"at (http://\S+/v1)", banner)
    key = re.search(r"^Key: (\S+)$", banner, re.MULTILINE)
    assert url and key, banner
    return Served(process, url.group(1), key.group(1), banner)


def stop(process: subprocess.Popen[str], how: signal.Signals) -> tuple[int, str]:
    process.send_signal(how)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    return process.returncode, err


@pytest.fixture(scope="module")
def server(tiny_gguf: Path) -> Iterator[Served]:
    # The key from the environment: it never shows in `ps`.
    process = serve(
        str(tiny_gguf),
        "--port",
        str(free_port()),
        "--n-ctx",
        "2048",
        "--threads",
        "2",
        env={API_KEY_VARIABLE: KEY},
    )
    try:
        served = wait_for_banner(process)
        yield served
    finally:
        code, err = stop(process, signal.SIGTERM)
    assert code == 0 and "Traceback" not in err, err


def test_the_key_from_the_environment_is_named_not_printed(server: Served) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.key == f"${API_KEY_VARIABLE}"
    assert KEY not in server.stdout
    assert f'api_key=os.environ["{API_KEY_VARIABLE}"]' in server.stdout


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer faux", f"Bearer {KEY[:-1]}X", f"Basic {KEY}", KEY, "Bearer"],
)
def test_every_route_refuses_a_missing_or_wrong_key(
    server: Served, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    base = server.url.removesuffix("/v1")
    reply = httpx.request(method, base + path, headers=headers, json={}, timeout=10)
    assert reply.status_code == 401, reply.text
    assert reply.json()["error"]["code"] == "invalid_api_key"


def test_with_the_key_the_routes_answer(server: Served) -> None:
    base = server.url.removesuffix("/v1")
    for scheme in ("Bearer", "bearer"):  # the scheme is case-insensitive (RFC 7235)
        reply = httpx.get(base + "/v1/models", headers={"Authorization": f"{scheme} {KEY}"})
        assert reply.status_code == 200
    assert httpx.get(base + "/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).is_success
    assert (
        httpx.get(base + "/nowhere", headers={"Authorization": f"Bearer {KEY}"}).status_code == 404
    )


def test_no_web_page_may_read_the_replies(server: Served) -> None:
    base = server.url.removesuffix("/v1")
    origin = {"Origin": "https://page-hostile.example"}
    reply = httpx.get(base + "/v1/models", headers={**origin, "Authorization": f"Bearer {KEY}"})
    assert reply.status_code == 200
    assert "access-control-allow-origin" not in reply.headers
    # A browser's preflight carries no key: refused, and no CORS grant either.
    preflight = httpx.options(
        base + "/v1/chat/completions",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 401
    assert "access-control-allow-origin" not in preflight.headers


def test_the_openai_client_uses_it(server: Served) -> None:
    client = openai.OpenAI(base_url=server.url, api_key=KEY)
    assert [m.id for m in client.models.list()] == ["vigogne"]
    reply = client.chat.completions.create(
        model="vigogne",
        messages=QUESTION,
        max_tokens=8,
        temperature=0,  # type: ignore[arg-type]
    )
    assert reply.choices[0].message.content
    completion = client.completions.create(model="vigogne", prompt="Bonjour", max_tokens=4)
    assert completion.usage is not None and completion.usage.completion_tokens == 4
    wrong = openai.OpenAI(base_url=server.url, api_key="pas-la-bonne-cle", max_retries=0)
    for call in (
        wrong.models.list,
        lambda: wrong.chat.completions.create(model="vigogne", messages=QUESTION),  # type: ignore[arg-type]
        lambda: wrong.completions.create(model="vigogne", prompt="Bonjour"),
        lambda: wrong.embeddings.create(model="vigogne", input="Bonjour"),
    ):
        with pytest.raises(openai.AuthenticationError):
            call()


def test_the_server_prompts_with_the_vigogne_format(server: Served, engine: LocalEngine) -> None:
    # The same greedy reply and the same prompt length as the app's own engine, which
    # renders the file's chat-v2 format: the server built the very same prompt.
    events = list(engine.chat(QUESTION, SamplingParams(temperature=0.0, max_tokens=16)))
    local_text = "".join(e.text for e in events if isinstance(e, TextChunk))
    finished = events[-1]
    assert isinstance(finished, ChatFinished)
    client = openai.OpenAI(base_url=server.url, api_key=KEY)
    remote = client.chat.completions.create(
        model="vigogne",
        messages=QUESTION,  # type: ignore[arg-type]
        max_tokens=16,
        temperature=0,
        extra_body={"repeat_penalty": 1.1},  # the app's default, not the server's
    )
    assert remote.usage is not None and remote.usage.prompt_tokens == finished.prompt_tokens
    assert (remote.choices[0].message.content or "").lstrip() == local_text


def test_a_generated_key_is_printed_and_ctrl_c_stops_cleanly(tiny_gguf: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != API_KEY_VARIABLE}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vigogne_desktop",
            "serve",
            str(tiny_gguf),
            "--port",
            "0",
            "--n-ctx",
            "512",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "VIGOGNE_LANGUAGE": "en"},
    )
    try:
        served = wait_for_banner(process)
        assert len(served.key) >= 32
        assert f'api_key="{served.key}"' in served.stdout
        assert f"Authorization: Bearer {served.key}" in served.stdout
        client = openai.OpenAI(base_url=served.url, api_key=served.key)
        assert [m.id for m in client.models.list()] == ["vigogne"]
    finally:
        code, err = stop(process, signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err and "Server stopped." in err


def test_a_missing_model_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    process = serve(str(tmp_path / "absent.gguf"), "--port", "0")
    out, err = process.communicate(timeout=60)
    assert process.returncode == USAGE_ERROR
    assert out == "" and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()] and "does not exist" in err


def test_a_port_in_use_is_one_sentence_and_exit_2(tiny_gguf: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve(str(tiny_gguf), "--port", str(port))
        out, err = process.communicate(timeout=60)
    assert process.returncode == USAGE_ERROR
    assert out == "" and "Traceback" not in err
    assert f"Cannot listen on 127.0.0.1:{port}" in err and "--port" in err
    assert len(err.strip().splitlines()) == 1


def test_another_address_than_loopback_is_warned_of(tiny_gguf: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    assert not is_loopback("machine.example")
    process = serve(str(tiny_gguf), "--host", "0.0.0.0", "--port", "0", "--n-ctx", "512")
    try:
        wait_for_banner(process)
    finally:
        code, err = stop(process, signal.SIGTERM)
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "only the key protects" in warnings[0]


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux's memory map")
def test_the_second_copy_costs_no_more_than_announced(server: Served, tiny_gguf: Path) -> None:
    # What the server holds of its own (not the file's pages, shared with any other
    # process that maps the model): the upper bound the window can show before sharing.
    ram, vram = second_copy_bytes(str(tiny_gguf), LoadSettings(n_ctx=2048, n_threads=2))
    rollup = Path(f"/proc/{server.process.pid}/smaps_rollup").read_text()
    own = int(re.search(r"^Anonymous:\s+(\d+) kB", rollup, re.MULTILINE).group(1)) * 1024  # type: ignore[union-attr]
    assert vram == 0
    assert own <= ram, (own >> 20, ram >> 20)
