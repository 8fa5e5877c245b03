"""RemoteEngine: any OpenAI-compatible server (vLLM, TGI, llama-server, Ollama, LM Studio).

The server applies its own chat template; the app still trims history to the server's
context the way the local engine does, on an estimate of the tokens (prompts.py). Replies
arrive as server-sent events, read by httpx-sse.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import ServerSentEvent, SSEError, connect_sse

from converters.messages import say

from . import errors
from .engine import ReplyStream
from .prompts import ContextOverflow, estimate_tokens, fit_messages, reply_budget
from .protocol import (
    ChatEvent,
    ChatFailed,
    ChatFinished,
    ChatStarted,
    Message,
    SamplingParams,
    TextChunk,
)

# The context assumed for a server that does not say its own (only vLLM lists it, as
# `max_model_len`): the local engine's default, which llama-server, Ollama (2048 or
# more) and LM Studio all reach or exceed in their defaults.
DEFAULT_N_CTX = 4096


class _Call:
    """One reply being streamed, and the connection it arrives on.

    A cancel shuts the socket down at once: the reading thread, blocked until the server's
    next line (which may never come), wakes on the end of the stream, and the server sees
    the connection close and stops generating. Closing the socket from another thread
    would not wake a blocked read.
    """

    def __init__(self) -> None:
        self.reply = ReplyStream()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None

    def attach(self, response: httpx.Response) -> None:
        stream = response.extensions.get("network_stream")
        found = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._socket = found if isinstance(found, socket.socket) else None
        if self.reply.cancelled.is_set():
            self.hang_up()

    def detach(self) -> None:
        # Once the reply is over the connection may serve the next request: leave it be.
        with self._lock:
            self._socket = None

    def cancel(self) -> None:
        self.reply.cancel()
        self.hang_up()

    def hang_up(self) -> None:
        with self._lock:
            connection = self._socket
            if connection is not None:
                with contextlib.suppress(OSError):  # already closed by the server
                    connection.shutdown(socket.SHUT_RDWR)


def _server_error(event: ServerSentEvent) -> str | None:
    """The message of an error a server reports mid-stream, if this event is one.

    llama-server and OpenAI send `{"error": {"message": …}}`, TGI `{"error": "…"}` (some
    versions under `event: error`), older vLLM `{"object": "error", "message": …}`.
    """
    try:
        data = json.loads(event.data)
    except ValueError:
        data = event.data
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)
        if error:
            return str(error)
        if data.get("object") == "error":
            return str(data.get("message") or data)
    if event.event == "error":
        return str(data or "error")
    return None


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
        n_ctx: int | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 120.0,
    ) -> None:
        """`n_ctx` is the server's context in tokens, where the caller knows it."""
        self.base_url = normalise_base_url(base_url)
        self.model = model
        self.n_ctx = n_ctx
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
        self._current: _Call | None = None

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
                        f"Le serveur {where} ne connaît pas cette adresse ou ce modèle "
                        "(HTTP 404) : vérifiez l'adresse (elle finit souvent par /v1) et le nom "
                        "du modèle.",
                        f"The server {where} does not know this address or model (HTTP 404): "
                        "check the address (it often ends with /v1) and the model name.",
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

    def _listing(self) -> list[dict[str, Any]]:
        try:
            response = self._client.get(f"{self.base_url}/models")
            response.raise_for_status()
            data = response.json()
            return [item for item in data.get("data", []) if "id" in item]
        except httpx.HTTPError as exc:
            raise self._explain(exc) from exc
        except (ValueError, AttributeError, TypeError) as exc:
            raise errors.RemoteError(
                say(
                    f"{self.base_url} n'a pas répondu comme un serveur OpenAI : vérifiez "
                    "l'adresse.",
                    f"{self.base_url} did not answer like an OpenAI server: check the address.",
                )
            ) from exc

    def list_models(self) -> list[str]:
        return [str(item["id"]) for item in self._listing()]

    def context_size(self) -> int:
        """The server's context in tokens: given, listed by the server, or DEFAULT_N_CTX."""
        if self.n_ctx is not None:
            return self.n_ctx
        try:
            listing = self._listing()
        except errors.RemoteError:
            return DEFAULT_N_CTX  # not kept: the chat request itself will say what is wrong
        sizes = [
            item.get("max_model_len")
            for item in listing
            if self.model is None or item["id"] == self.model
        ]
        self.n_ctx = next((n for n in sizes if isinstance(n, int) and n > 0), DEFAULT_N_CTX)
        return self.n_ctx

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
        """Stream a reply. The server applies its own template: `prompt_format` is unused.

        History beyond the server's context is left out (the oldest rounds after the first,
        as the local engine does), on an estimate of the tokens: ChatStarted says how many
        rounds, and carries 0 prompt tokens since only the server can count them.
        """
        params = params or SamplingParams()
        call = _Call()
        self._current = call
        try:
            model = self.model_name()
            n_ctx = self.context_size()
            fitted = fit_messages(
                messages, estimate_tokens, n_ctx, reply_budget(n_ctx, params.max_tokens)
            )
        except (errors.RemoteError, ContextOverflow) as exc:
            yield ChatFailed(str(exc))
            return
        body: dict[str, Any] = {
            "model": model,
            "messages": fitted.messages,
            "stream": True,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "stream_options": {"include_usage": True},
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        thread = threading.Thread(
            target=self._stream, args=(body, call, fitted.dropped_rounds), daemon=True
        )
        thread.start()
        try:
            yield from call.reply.events()
        finally:
            call.cancel()  # the caller stopped reading: so does the connection
            if self._current is call:
                self._current = None

    def _stream(self, body: dict[str, Any], call: _Call, dropped_rounds: int) -> None:
        reply = call.reply
        started = time.perf_counter()
        first: float | None = None
        chunks = prompt_tokens = 0
        completion_tokens: int | None = None
        finish: str | None = None  # stays None if the stream ends without an end
        try:
            with connect_sse(
                self._client, "POST", f"{self.base_url}/chat/completions", json=body
            ) as source:
                call.attach(source.response)
                try:
                    source.response.raise_for_status()
                    reply.put(ChatStarted(0, dropped_rounds))
                    for event in source.iter_sse():
                        if reply.cancelled.is_set():
                            break  # a cancel that came between two events
                        if event.data == "[DONE]":
                            finish = finish or "stop"
                            break
                        error = _server_error(event)
                        if error is not None:
                            reply.put(ChatFailed(self._failed_midway(error)))
                            return
                        chunk = event.json()
                        usage = chunk.get("usage")
                        if usage:
                            prompt_tokens = usage.get("prompt_tokens", 0)
                            completion_tokens = usage.get("completion_tokens")
                        for choice in chunk.get("choices", []):
                            text = (choice.get("delta") or {}).get("content")
                            if text:
                                chunks += 1
                                first = first or time.perf_counter()
                                reply.put(TextChunk(text))
                            finish = choice.get("finish_reason") or finish
                finally:
                    call.detach()
        except httpx.HTTPError as exc:
            # A connection the cancel cut ends the reading as a broken stream would.
            if not reply.cancelled.is_set():
                reply.put(ChatFailed(str(self._explain(exc))))
                return
        except (ValueError, AttributeError, SSEError):
            reply.put(
                ChatFailed(
                    say(
                        f"{self.base_url} a envoyé une réponse illisible : vérifiez qu'il "
                        "s'agit d'un serveur compatible OpenAI.",
                        f"{self.base_url} sent an unreadable reply: check that it is an "
                        "OpenAI-compatible server.",
                    )
                )
            )
            return
        if reply.cancelled.is_set():
            finish = "cancelled"
        if finish is None:
            # llama_cpp.server, for one, answers 200 and then closes the stream when the
            # prompt overflows its context: an empty reply must not pass for a finished one.
            reply.put(
                ChatFailed(
                    say(
                        f"Le serveur {self.base_url} a coupé la réponse sans la terminer : "
                        "la conversation dépasse peut-être son contexte ; réessayez, ou "
                        "commencez une nouvelle conversation.",
                        f"The server {self.base_url} cut the reply off without ending it: the "
                        "conversation may exceed its context; try again, or start a new "
                        "conversation.",
                    )
                )
            )
            return
        ended = time.perf_counter()
        tokens = completion_tokens if completion_tokens is not None else chunks
        speed = (tokens - 1) / (ended - first) if first and tokens > 1 and ended > first else 0.0
        reply.put(ChatFinished(finish, prompt_tokens, tokens, speed, (first or ended) - started))

    def _failed_midway(self, error: str) -> str:
        shown = error if len(error) <= 200 else error[:200] + "…"
        return say(
            f"Le serveur {self.base_url} a signalé une erreur en cours de réponse "
            f"(« {shown} ») : réessayez, ou consultez ses journaux.",
            f"The server {self.base_url} reported an error during the reply (“{shown}”): "
            "try again, or read its logs.",
        )

    def cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()

    def close(self) -> None:
        self._client.close()
