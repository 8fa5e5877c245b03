"""Sharing through a real llama_cpp.server child, RemoteEngine, and the official openai client."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from vigogne_desktop.core.engine import LocalEngine, RemoteEngine, normalise_base_url
from vigogne_desktop.core.errors import RemoteError
from vigogne_desktop.core.protocol import (
    ChatEvent,
    ChatFailed,
    ChatFinished,
    LoadSettings,
    SamplingParams,
    TextChunk,
)
from vigogne_desktop.core.sharing import SharedServer, start_sharing

QUESTION = [{"role": "user", "content": "Bonjour ! Quelle est la capitale de la France ?"}]


def text_of(events: list[ChatEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextChunk))


@pytest.fixture(scope="module")
def shared(tiny_gguf: Path) -> Iterator[SharedServer]:
    server = start_sharing(
        str(tiny_gguf), prompt_format="chat-v2", settings=LoadSettings(n_ctx=2048, n_threads=2)
    )
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


def test_sharing_a_missing_model_fails_before_starting(tmp_path: Path) -> None:
    from vigogne_desktop.core.errors import ModelFileError

    with pytest.raises(ModelFileError):
        start_sharing(str(tmp_path / "absent.gguf"), prompt_format="chat-v2")
