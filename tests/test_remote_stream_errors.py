"""RemoteEngine against a real HTTP server on 127.0.0.1 that sends what it is told: errors
reported in the middle of a stream fail the reply, and a cancel cuts the connection at
once even when the server has gone quiet.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from vigogne_desktop.core import RemoteEngine
from vigogne_desktop.core.protocol import ChatEvent, ChatFailed, ChatFinished, TextChunk

QUESTION = [{"role": "user", "content": "Bonjour"}]


def data(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def delta(text: str) -> bytes:
    return data({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]})


class ScriptedServer:
    """Answers each request with `events` as a chunked event stream, then ends it or,
    with `stall`, keeps the connection open and silent; notes when the client hangs up."""

    def __init__(self, events: list[bytes], *, stall: bool = False) -> None:
        self.events, self.stall = events, stall
        self.hung_up = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def _serve(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            with connection:
                self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            request += connection.recv(65536)
        head, _, body = request.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        while len(body) < length:
            body += connection.recv(65536)
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for event in self.events:
            connection.sendall(b"%x\r\n%s\r\n" % (len(event), event))
        if not self.stall:
            connection.sendall(b"0\r\n\r\n")
        connection.settimeout(0.05)
        deadline = time.monotonic() + 10
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                if not connection.recv(65536):
                    self.hung_up.set()
                    return
            except TimeoutError:
                continue
            except OSError:
                self.hung_up.set()
                return

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._listener.close()


@pytest.fixture
def serve() -> Iterator[list[ScriptedServer]]:
    servers: list[ScriptedServer] = []
    yield servers
    for server in servers:
        server.stop()


def chat(server: ScriptedServer) -> list[ChatEvent]:
    engine = RemoteEngine(server.base_url, model="m", n_ctx=4096)
    try:
        return list(engine.chat(QUESTION))
    finally:
        engine.close()


@pytest.mark.parametrize(
    "error",
    [
        # llama-server and OpenAI
        data({"error": {"code": 500, "message": "KV cache full", "type": "server_error"}}),
        # TGI
        data({"error": "KV cache full", "error_type": "generation"}),
        # TGI under its own event name
        b'event: error\ndata: {"error": "KV cache full"}\n\n',
        # older vLLM
        data({"object": "error", "message": "KV cache full", "type": "BadRequestError"}),
    ],
    ids=["openai", "tgi", "event-error", "vllm"],
)
def test_an_error_in_the_middle_of_a_stream_fails_the_reply(
    error: bytes, serve: list[ScriptedServer]
) -> None:
    server = ScriptedServer([delta("Bon"), delta("jour"), error, b"data: [DONE]\n\n"])
    serve.append(server)
    events = chat(server)
    assert [e.text for e in events if isinstance(e, TextChunk)] == ["Bon", "jour"]
    failed = events[-1]
    assert isinstance(failed, ChatFailed), failed
    assert "KV cache full" in failed.message


def test_the_oracle_can_fail_a_clean_stream_finishes(serve: list[ScriptedServer]) -> None:
    finished = data({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    server = ScriptedServer([delta("Bonjour"), finished, b"data: [DONE]\n\n"])
    serve.append(server)
    events = chat(server)
    assert isinstance(events[-1], ChatFinished) and events[-1].finish_reason == "stop"


def test_cancel_hangs_up_at_once_on_a_silent_server(serve: list[ScriptedServer]) -> None:
    server = ScriptedServer([delta("Bonjour")], stall=True)
    serve.append(server)
    engine = RemoteEngine(server.base_url, model="m", n_ctx=4096, read_timeout_s=30)
    events: list[ChatEvent] = []
    cancelled_at = 0.0
    for event in engine.chat(QUESTION):
        events.append(event)
        if isinstance(event, TextChunk):
            cancelled_at = time.monotonic()
            engine.cancel()
    ended = time.monotonic() - cancelled_at
    assert isinstance(events[-1], ChatFinished) and events[-1].finish_reason == "cancelled"
    assert ended < 0.2
    # The server sees the connection closed, not at its next line (it sends none).
    assert server.hung_up.wait(0.2)
    engine.close()
