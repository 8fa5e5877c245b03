"""Engines: one interface for streaming chat, whatever runs the model.

`LocalEngine` runs llama.cpp in a worker child (worker.py) and talks JSON lines over its
stdio; `RemoteEngine` talks to any OpenAI-compatible server. Both stream `ChatEvent`s
and honour `cancel()` from another thread within a fraction of a second.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import queue
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import httpx

from converters.messages import say

from . import errors
from .child import child_command
from .library import quick_check
from .prompts import Message
from .protocol import (
    ChatEvent,
    ChatFailed,
    ChatFinished,
    ChatStarted,
    LoadSettings,
    ModelInfo,
    SamplingParams,
    TextChunk,
    decode,
    encode,
)

# After cancel(), how long a reply waits for the engine's own final count before it
# ends with a local one. Keeps cancel under 200 ms even while a long prompt is read.
CANCEL_GRACE_S = 0.15


class Engine(Protocol):
    def chat(
        self,
        messages: Sequence[Message],
        params: SamplingParams | None = None,
        prompt_format: str | None = None,
    ) -> Iterator[ChatEvent]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


_WAKE = object()


class _Reply:
    """The events of one reply: filled by a reader thread, drained by the caller."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Any] = queue.Queue()
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()
        self.queue.put(_WAKE)

    def events(self) -> Iterator[ChatEvent]:
        started = time.perf_counter()
        first: float | None = None
        deadline: float | None = None
        prompt_tokens = chunks = 0
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                event = self.queue.get(timeout=timeout)
            except queue.Empty:
                elapsed = time.perf_counter() - (first or started)
                yield ChatFinished(
                    "cancelled",
                    prompt_tokens,
                    chunks,
                    chunks / elapsed if elapsed > 0 else 0.0,
                    (first or time.perf_counter()) - started,
                )
                return
            if deadline is None and self.cancelled.is_set():
                deadline = time.perf_counter() + CANCEL_GRACE_S
            if event is _WAKE:
                continue
            if isinstance(event, TextChunk):
                if deadline is not None:
                    continue  # the user asked to stop: show nothing more, even if queued
                if not chunks:
                    # Prompts end with "<|assistant|>:" or "[/INST]" and the model answers
                    # " Bonjour". Kept, that space would make the next prompt read
                    # "<|assistant|>:  Bonjour", unlike the training data.
                    event = TextChunk(event.text.lstrip())
                    if not event.text:
                        continue
                chunks += 1
                first = first or time.perf_counter()
            elif isinstance(event, ChatStarted):
                prompt_tokens = event.prompt_tokens
            yield event
            if isinstance(event, ChatFinished | ChatFailed):
                return


_ERRORS: dict[str, type[errors.VigogneError]] = {
    cls.__name__: cls
    for cls in (
        errors.ModelFileError,
        errors.ModelLoadError,
        errors.EngineNotReady,
        errors.PromptFormatError,
        errors.GenerationError,
    )
}
_ERRORS["ContextOverflow"] = errors.PromptFormatError


class LocalEngine:
    """llama.cpp in a child process. Thread-safe; one reply at a time is expected."""

    def __init__(self, *, startup_timeout_s: float = 60.0) -> None:
        self._startup_timeout_s = startup_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_lock = threading.Lock()
        self._pending: dict[str, queue.Queue[Any]] = {}
        self._replies: dict[str, _Reply] = {}
        self._ids = itertools.count(1)
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._current: str | None = None
        self.model: ModelInfo | None = None

    # -- the child ---------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the worker child if it is not running (also after a crash)."""
        if self.alive:
            return
        self.model = None
        self._stderr_tail.clear()
        proc = subprocess.Popen(
            child_command("worker"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self._proc = proc
        # One queue per child: a crashed child's last word must not reach the next one.
        ready: queue.Queue[dict[str, Any]] = queue.Queue()
        assert proc.stdout is not None and proc.stderr is not None
        threading.Thread(
            target=self._read_events, args=(proc, proc.stdout, ready), daemon=True
        ).start()
        threading.Thread(target=self._read_stderr, args=(proc.stderr,), daemon=True).start()
        try:
            event = ready.get(timeout=self._startup_timeout_s)
        except queue.Empty:
            self._kill()
            raise errors.EngineCrashed(
                say(
                    "Le moteur local n'a pas démarré à temps : relancez l'application.",
                    "The local engine did not start in time: restart the app.",
                )
            ) from None
        if event.get("event") != "ready":
            raise errors.EngineCrashed(self._crash_message(proc))

    def _read_stderr(self, stream: IO[bytes]) -> None:
        for line in stream:
            text = line.decode("utf-8", "replace").strip()
            if text:
                self._stderr_tail.append(text)

    def _read_events(
        self,
        proc: subprocess.Popen[bytes],
        stream: IO[bytes],
        ready: queue.Queue[dict[str, Any]],
    ) -> None:
        for line in stream:
            try:
                event = decode(line)
            except ValueError:
                continue
            kind = event.get("event")
            if kind == "ready":
                ready.put(event)
                continue
            rid = str(event.get("id"))
            reply = self._replies.get(rid)
            if reply is not None:
                reply.queue.put(_chat_event(event))
                continue
            waiting = self._pending.get(rid)
            if waiting is not None:
                waiting.put(event)
        proc.wait()
        message = self._crash_message(proc)
        ready.put({"event": "crashed"})
        for reply in list(self._replies.values()):
            reply.queue.put(ChatFailed(message, crashed=True))
        for waiting in list(self._pending.values()):
            waiting.put({"event": "crashed", "message": message})

    def _crash_message(self, proc: subprocess.Popen[bytes]) -> str:
        code = proc.returncode
        how = f"signal {-code}" if code is not None and code < 0 else f"code {code}"
        detail = f" — {self._stderr_tail[-1][:200]}" if self._stderr_tail else ""
        return say(
            f"Le moteur local s'est arrêté de façon inattendue ({how}{detail}) : relancez-le ; "
            "si cela se reproduit, essayez un modèle plus petit ou moins de couches GPU.",
            f"The local engine stopped unexpectedly ({how}{detail}): restart it; if it happens "
            "again, try a smaller model or fewer GPU layers.",
        )

    def _write(self, message: dict[str, Any]) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise errors.EngineNotReady(
                say(
                    "Le moteur local n'est pas démarré : chargez un modèle.",
                    "The local engine is not running: load a model.",
                )
            )
        try:
            with self._write_lock:
                proc.stdin.write(encode(message))
        except (BrokenPipeError, OSError, ValueError):
            proc.wait()
            raise errors.EngineCrashed(self._crash_message(proc)) from None

    def _call(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one request and wait for its single answer."""
        waiting: queue.Queue[Any] = queue.Queue()
        rid = str(next(self._ids))
        self._pending[rid] = waiting
        try:
            self._write({"op": op, "id": rid, **fields})
            event = waiting.get()
        finally:
            self._pending.pop(rid, None)
        if event["event"] == "crashed":
            raise errors.EngineCrashed(event["message"])
        if event["event"] == "error":
            raise _ERRORS.get(event.get("kind", ""), errors.VigogneError)(event["message"])
        return event

    # -- the Engine interface --------------------------------------------------------

    def load(self, path: str, settings: LoadSettings | None = None) -> ModelInfo:
        """Load (or switch to) a GGUF model. Blocks until it is ready or has failed."""
        checked = quick_check(path)
        self.start()
        event = self._call(
            "load", path=str(checked), settings=(settings or LoadSettings()).to_json()
        )
        event.pop("id", None)
        event.pop("event", None)
        self.model = ModelInfo(**event)
        return self.model

    def unload(self) -> None:
        if self.alive and self.model is not None:
            self._call("unload")
        self.model = None

    def tokenize(self, text: str) -> list[int]:
        """Tokens of the loaded model (no child is started for this: load a model first)."""
        return list(self._call("tokenize", text=text)["tokens"])

    def chat(
        self,
        messages: Sequence[Message],
        params: SamplingParams | None = None,
        prompt_format: str | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream a reply. `prompt_format` forces a Vigogne format for this reply only."""
        params = params or SamplingParams()
        reply = _Reply()
        rid = str(next(self._ids))
        self._replies[rid] = reply
        self._current = rid
        finished = False
        try:
            if not self.alive:
                yield ChatFailed(
                    say(
                        "Le moteur local n'est pas démarré : chargez un modèle.",
                        "The local engine is not running: load a model.",
                    )
                )
                finished = True
                return
            try:
                self._write(
                    {
                        "op": "chat",
                        "id": rid,
                        "messages": [dict(m) for m in messages],
                        "params": params.to_json(),
                        "format": prompt_format,
                    }
                )
            except errors.VigogneError as exc:
                yield ChatFailed(str(exc), crashed=isinstance(exc, errors.EngineCrashed))
                finished = True
                return
            for event in reply.events():
                finished = isinstance(event, ChatFinished | ChatFailed)
                yield event
        finally:
            self._replies.pop(rid, None)
            if self._current == rid:
                self._current = None
            if not finished or reply.cancelled.is_set():
                self._send_cancel(rid)

    def _send_cancel(self, rid: str) -> None:
        if self.alive:
            # If the child is gone meanwhile, there is nothing left to stop.
            with contextlib.suppress(errors.VigogneError):
                self._write({"op": "cancel", "target": rid})

    def cancel(self) -> None:
        rid = self._current
        if rid is None:
            return
        self._send_cancel(rid)
        reply = self._replies.get(rid)
        if reply is not None:
            reply.cancel()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def close(self) -> None:
        """Stop the child: politely first, then by force."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.close()  # the worker exits as soon as its stdin closes
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
        self._proc = None
        self.model = None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chat_event(event: dict[str, Any]) -> ChatEvent:
    kind = event["event"]
    if kind == "delta":
        return TextChunk(event["text"])
    if kind == "started":
        return ChatStarted(
            event["prompt_tokens"], event["dropped_rounds"], event.get("round_limit", 0)
        )
    if kind == "done":
        return ChatFinished(
            event["finish_reason"],
            event["prompt_tokens"],
            event["completion_tokens"],
            event["tokens_per_second"],
            event["first_token_seconds"],
        )
    return ChatFailed(event.get("message", "Erreur inconnue du moteur local."))


def normalise_base_url(url: str) -> str:
    """`http://host:8000` and `http://host:8000/v1/` both become `http://host:8000/v1`."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.RemoteError(
            say(
                f"« {url} » n'est pas une adresse de serveur : écrivez-la comme "
                "http://hôte:port/v1.",
                f"“{url}” is not a server address: write it as http://host:port/v1.",
            )
        )
    return url if parts.path else url + "/v1"


class RemoteEngine:
    """Any OpenAI-compatible server: vLLM, TGI, llama-server, Ollama, LM Studio."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str | None = None,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 120.0,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.model = model
        if api_key and not (api_key.isascii() and api_key.isprintable()):
            raise errors.RemoteError(
                say(
                    "La clé d'API contient des caractères invalides : "
                    "copiez-la à nouveau depuis le serveur.",
                    "The API key contains invalid characters: copy it again from the server.",
                )
            )
        headers = {"Authorization": f"Bearer {api_key.strip()}"} if api_key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
        )
        self._current: _Reply | None = None

    def _explain(self, exc: Exception) -> errors.RemoteError:
        where = self.base_url
        if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
            return errors.RemoteError(
                say(
                    f"Impossible de joindre {where} : vérifiez que le serveur est lancé et "
                    "l'adresse.",
                    f"Cannot reach {where}: check that the server is running and the address.",
                )
            )
        if isinstance(exc, httpx.TimeoutException):
            return errors.RemoteError(
                say(
                    f"Le serveur {where} ne répond plus (délai dépassé) : réessayez plus tard.",
                    f"The server {where} stopped answering (timed out): try again later.",
                )
            )
        if isinstance(exc, httpx.HTTPStatusError):
            code = exc.response.status_code
            if code in (401, 403):
                return errors.RemoteError(
                    say(
                        f"Le serveur {where} a refusé la clé d'API (HTTP {code}) : vérifiez la "
                        "clé.",
                        f"The server {where} refused the API key (HTTP {code}): check the key.",
                    )
                )
            if code == 404:
                return errors.RemoteError(
                    say(
                        f"Le serveur {where} ne connaît pas cette adresse ou ce modèle (HTTP 404) "
                        ": "
                        "vérifiez l'adresse (elle finit souvent par /v1) et le nom du modèle.",
                        f"The server {where} does not know this address or model (HTTP 404): "
                        "check the "
                        "address (it often ends with /v1) and the model name.",
                    )
                )
            return errors.RemoteError(
                say(
                    f"Le serveur {where} a répondu par une erreur (HTTP {code}) : réessayez ou "
                    "consultez ses journaux.",
                    f"The server {where} answered with an error (HTTP {code}): try again or read "
                    "its logs.",
                )
            )
        return errors.RemoteError(
            say(
                f"Échange impossible avec {where} ({exc}) : réessayez.",
                f"Could not talk to {where} ({exc}): try again.",
            )
        )

    def list_models(self) -> list[str]:
        try:
            response = self._client.get(f"{self.base_url}/models")
            response.raise_for_status()
            data = response.json()
        except httpx.HTTPError as exc:
            raise self._explain(exc) from exc
        except ValueError as exc:
            raise errors.RemoteError(
                say(
                    f"{self.base_url} n'a pas répondu comme un serveur OpenAI : vérifiez "
                    "l'adresse.",
                    f"{self.base_url} did not answer like an OpenAI server: check the address.",
                )
            ) from exc
        return [str(item["id"]) for item in data.get("data", [])]

    def model_name(self) -> str:
        """The model to ask for: the one given, else the first the server lists."""
        if self.model is None:
            models = self.list_models()
            if not models:
                raise errors.RemoteError(
                    say(
                        f"Le serveur {self.base_url} ne propose aucun modèle.",
                        f"The server {self.base_url} offers no model.",
                    )
                )
            self.model = models[0]
        return self.model

    def chat(
        self,
        messages: Sequence[Message],
        params: SamplingParams | None = None,
        prompt_format: str | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream a reply. The server applies its own template: `prompt_format` is unused."""
        params = params or SamplingParams()
        reply = _Reply()
        self._current = reply
        try:
            body = {
                "model": self.model_name(),
                "messages": [dict(m) for m in messages],
                "stream": True,
                "temperature": params.temperature,
                "top_p": params.top_p,
                "max_tokens": params.max_tokens,
                "stream_options": {"include_usage": True},
            }
        except errors.RemoteError as exc:
            yield ChatFailed(str(exc))
            return
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        thread = threading.Thread(target=self._stream, args=(body, reply), daemon=True)
        thread.start()
        try:
            yield from reply.events()
        finally:
            reply.cancelled.set()
            if self._current is reply:
                self._current = None

    def _stream(self, body: dict[str, Any], reply: _Reply) -> None:
        started = time.perf_counter()
        first: float | None = None
        chunks = prompt_tokens = 0
        completion_tokens: int | None = None
        finish = "stop"
        try:
            with self._client.stream(
                "POST", f"{self.base_url}/chat/completions", json=body
            ) as response:
                response.raise_for_status()
                reply.queue.put(ChatStarted(0, 0))
                for line in response.iter_lines():
                    if reply.cancelled.is_set():
                        finish = "cancelled"
                        break  # leaving the block closes the connection: the server stops
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = json.loads(data)
                    usage = chunk.get("usage")
                    if usage:
                        prompt_tokens = usage.get("prompt_tokens", 0)
                        completion_tokens = usage.get("completion_tokens")
                    for choice in chunk.get("choices", []):
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            chunks += 1
                            first = first or time.perf_counter()
                            reply.queue.put(TextChunk(text))
                        finish = choice.get("finish_reason") or finish
        except httpx.HTTPError as exc:
            reply.queue.put(ChatFailed(str(self._explain(exc))))
            return
        except ValueError:
            reply.queue.put(
                ChatFailed(
                    say(
                        f"{self.base_url} a envoyé une réponse illisible : vérifiez qu'il s'agit "
                        "d'un "
                        "serveur compatible OpenAI.",
                        f"{self.base_url} sent an unreadable reply: check that it is an "
                        "OpenAI-compatible "
                        "server.",
                    )
                )
            )
            return
        ended = time.perf_counter()
        tokens = completion_tokens if completion_tokens is not None else chunks
        speed = (tokens - 1) / (ended - first) if first and tokens > 1 and ended > first else 0.0
        reply.queue.put(
            ChatFinished(finish, prompt_tokens, tokens, speed, (first or ended) - started)
        )

    def cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()

    def close(self) -> None:
        self._client.close()
