"""Sharing through a real llama_cpp.server child, RemoteEngine, and the official openai client."""

from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from vigogne_desktop.core import LocalEngine, RemoteEngine, sharing
from vigogne_desktop.core.errors import PromptFormatError, RemoteError
from vigogne_desktop.core.protocol import (
    ChatEvent,
    ChatFailed,
    ChatFinished,
    ChatStarted,
    LoadSettings,
    SamplingParams,
    TextChunk,
)
from vigogne_desktop.core.remote_engine import normalise_base_url
from vigogne_desktop.core.sharing import SharedServer, start_sharing

QUESTION = [{"role": "user", "content": "Bonjour ! Quelle est la capitale de la France ?"}]


def text_of(events: list[ChatEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextChunk))


@pytest.fixture(scope="module")
def shared(tiny_gguf: Path) -> Iterator[SharedServer]:
    # No format given: the server chooses as the local engine does (here, the file's own).
    server = start_sharing(str(tiny_gguf), settings=LoadSettings(n_ctx=2048, n_threads=2))
    yield server
    server.stop()
    assert not server.running


def test_server_listens_on_loopback_with_a_key(shared: SharedServer) -> None:
    assert shared.base_url.startswith("http://127.0.0.1:")
    assert len(shared.api_key) >= 24


def test_other_app_uses_it_with_the_openai_client(shared: SharedServer) -> None:
    client = openai.OpenAI(base_url=shared.base_url, api_key=shared.api_key)
    assert [m.id for m in client.models.list()] == ["vigogne"]
    reply = client.chat.completions.create(
        model="vigogne", messages=QUESTION, max_tokens=12, temperature=0
    )
    assert reply.choices[0].message.content
    assert reply.usage is not None and reply.usage.completion_tokens == 12
    pieces = [
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model="vigogne", messages=QUESTION, max_tokens=12, temperature=0, stream=True
        )
        if c.choices
    ]
    assert "".join(pieces) == reply.choices[0].message.content


def test_wrong_key_is_refused(shared: SharedServer) -> None:
    client = openai.OpenAI(base_url=shared.base_url, api_key="pas-la-bonne-cle")
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    engine = RemoteEngine(shared.base_url, "pas-la-bonne-cle", "vigogne")
    with pytest.raises(RemoteError, match="refusé la clé"):
        engine.list_models()


def test_server_prompts_with_the_vigogne_format(shared: SharedServer, tiny_gguf: Path) -> None:
    # Greedy replies agree only if the server built the same chat-v2 prompt as the app.
    params = SamplingParams(temperature=0.0, max_tokens=16)
    with LocalEngine() as local:
        local.load(str(tiny_gguf), LoadSettings(n_ctx=2048, n_threads=2))
        local_text = text_of(list(local.chat(QUESTION, params)))
    client = openai.OpenAI(base_url=shared.base_url, api_key=shared.api_key)
    remote = client.chat.completions.create(
        model="vigogne",
        messages=QUESTION,
        max_tokens=16,
        temperature=0,
        extra_body={"repeat_penalty": 1.1},
    )
    assert remote.choices[0].message.content.lstrip() == local_text


def test_remote_engine_streams_from_the_shared_server(shared: SharedServer) -> None:
    engine = shared.engine()
    assert engine.list_models() == ["vigogne"]
    events = list(engine.chat(QUESTION, SamplingParams(temperature=0.0, max_tokens=10)))
    done = events[-1]
    assert isinstance(done, ChatFinished) and done.finish_reason == "length"
    assert done.completion_tokens == 10
    assert text_of(events) and not text_of(events)[0].isspace()
    engine.close()


def test_remote_engine_cancel(shared: SharedServer) -> None:
    engine = shared.engine()
    events: list[ChatEvent] = []
    for event in engine.chat(QUESTION, SamplingParams(temperature=0.0, max_tokens=1500)):
        events.append(event)
        if sum(isinstance(e, TextChunk) for e in events) == 3:
            engine.cancel()
    done = events[-1]
    assert isinstance(done, ChatFinished) and done.finish_reason == "cancelled"
    assert sum(isinstance(e, TextChunk) for e in events) == 3
    # The server is free again for the next request.
    again = list(engine.chat(QUESTION, SamplingParams(temperature=0.0, max_tokens=4)))
    assert isinstance(again[-1], ChatFinished)
    engine.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_a_clear_message() -> None:
    engine = RemoteEngine(f"http://127.0.0.1:{_closed_port()}", model="vigogne")
    with pytest.raises(RemoteError, match="Impossible de joindre"):
        engine.list_models()
    events = list(engine.chat(QUESTION))
    assert isinstance(events[-1], ChatFailed) and "Impossible de joindre" in events[-1].message


def test_silent_server_times_out_with_a_clear_message() -> None:
    # A real socket that accepts and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        engine = RemoteEngine(f"http://127.0.0.1:{port}/v1", model="m", read_timeout_s=0.5)
        events = list(engine.chat(QUESTION))
        assert isinstance(events[-1], ChatFailed) and "ne répond plus" in events[-1].message
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost:8000", "http://localhost:8000/v1"),
        ("http://localhost:11434/v1/", "http://localhost:11434/v1"),
        ("https://vllm.example.org/v1", "https://vllm.example.org/v1"),
    ],
)
def test_base_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


def test_key_with_accents_is_refused_clearly() -> None:
    with pytest.raises(RemoteError, match="clé d'API"):
        RemoteEngine("http://127.0.0.1:1/v1", api_key="clé-copiée")


def test_nonsense_url_is_refused() -> None:
    with pytest.raises(RemoteError, match="n'est pas une adresse"):
        RemoteEngine("localhost:8000")


def test_sharing_with_an_unknown_format_fails_before_starting(tiny_gguf: Path) -> None:
    with pytest.raises(PromptFormatError, match="inconnu"):
        start_sharing(str(tiny_gguf), prompt_format="alpaca")


def test_sharing_a_missing_model_fails_before_starting(tmp_path: Path) -> None:
    from vigogne_desktop.core.errors import ModelFileError

    with pytest.raises(ModelFileError):
        start_sharing(str(tmp_path / "absent.gguf"), prompt_format="chat-v2")


def test_remote_history_is_trimmed_to_the_servers_context(shared: SharedServer) -> None:
    # 150 rounds are far more than the server's context: sent whole, the server refuses
    # them. The engine leaves out the oldest rounds after the first and says how many.
    history = []
    for i in range(150):
        history += [
            {"role": "user", "content": f"Question {i} : la capitale de la France ?"},
            {"role": "assistant", "content": f"Réponse {i} : Paris est la capitale."},
        ]
    messages = [
        {"role": "system", "content": "Sois bref."},
        *history,
        {"role": "user", "content": "Et la langue ?"},
    ]
    # The test vocabulary spells French at about 1.6 characters a token, half what real
    # tokenizers do, so the engine is told half the server's 2048 tokens: the estimate
    # (3 characters a token) then still errs on the safe side, as with a real model.
    engine = RemoteEngine(shared.base_url, shared.api_key, "vigogne", n_ctx=1024)
    events = list(engine.chat(messages, SamplingParams(temperature=0.0, max_tokens=16)))
    engine.close()
    started, done = events[0], events[-1]
    assert isinstance(started, ChatStarted) and 0 < started.dropped_rounds < 150
    # The server took what was sent: a whole reply came back.
    assert isinstance(done, ChatFinished) and done.completion_tokens == 16, done
    assert text_of(events)


def test_a_reply_the_server_cuts_off_is_not_a_finished_one(shared: SharedServer) -> None:
    # Told a context far larger than the server's, the engine sends what the server
    # cannot take; llama_cpp.server then closes an empty stream, which must read as a
    # failure, not as an empty answer.
    engine = RemoteEngine(shared.base_url, shared.api_key, "vigogne", n_ctx=100_000)
    long_question = [{"role": "user", "content": "la capitale de la France " * 600}]
    events = list(engine.chat(long_question, SamplingParams(max_tokens=8)))
    engine.close()
    assert isinstance(events[-1], ChatFailed) and "sans la terminer" in events[-1].message


class _Models(http.server.BaseHTTPRequestHandler):
    """/v1/models as vLLM answers it: each model with its context, `max_model_len`."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "data": [
                    {"id": "autre", "max_model_len": 8192},
                    {"id": "vigogne", "max_model_len": 1024},
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass  # the test's output is not the place for an access log


def test_remote_context_is_read_from_the_server_where_it_says_it() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert RemoteEngine(url, model="vigogne").context_size() == 1024
        assert RemoteEngine(url, model="vigogne", n_ctx=512).context_size() == 512
    finally:
        server.shutdown()
        server.server_close()
    unreachable = RemoteEngine(f"http://127.0.0.1:{_closed_port()}", model="vigogne")
    assert unreachable.context_size() == 4096  # the documented default


# A stand-in for the share-server child that writes far more to stderr than a pipe holds
# (64 KiB), before listening and on every request, as a chatty server log does.
CHATTY_SERVER = r"""
import http.server, sys, threading
port = int(sys.argv[sys.argv.index("--port") + 1])
sys.stderr.write("journal du serveur\n" * 20000)
sys.stderr.flush()

class Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"data": [{"id": "vigogne"}]}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        sys.stderr.write("requete servie\n" * 5000)
        sys.stderr.flush()

server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Models)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()
"""

FAILING_SERVER = r"""
import sys
sys.stderr.write("chargement...\n" * 20000 + "erreur : mémoire insuffisante\n")
sys.exit(1)
"""


def _fake_child(monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    monkeypatch.setattr(
        sharing, "child_command", lambda _mode, *args: [sys.executable, "-c", script, *args]
    )


def test_a_chatty_server_child_never_blocks_on_its_stderr(
    monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path
) -> None:
    _fake_child(monkeypatch, CHATTY_SERVER)
    server = start_sharing(str(tiny_gguf), timeout_s=15)
    try:
        engine = server.engine()
        for _ in range(5):  # each request writes another 75 KB of log
            assert engine.list_models() == ["vigogne"]
        engine.close()
        assert server.running
    finally:
        server.stop()


def test_a_server_child_that_fails_says_why(
    monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path
) -> None:
    _fake_child(monkeypatch, FAILING_SERVER)
    with pytest.raises(RemoteError, match="mémoire insuffisante"):
        start_sharing(str(tiny_gguf), timeout_s=15)
