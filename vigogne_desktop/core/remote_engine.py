"""RemoteEngine: any OpenAI-compatible server (vLLM, TGI, llama-server, Ollama, LM Studio).

The server applies its own chat template; the app still trims history to the server's
context the way the local engine does, on an estimate of the tokens (prompts.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

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
        self._current: ReplyStream | None = None

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
        reply = ReplyStream()
        self._current = reply
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
            target=self._stream, args=(body, reply, fitted.dropped_rounds), daemon=True
        )
        thread.start()
        try:
            yield from reply.events()
        finally:
            reply.cancelled.set()
            if self._current is reply:
                self._current = None

    def _stream(self, body: dict[str, Any], reply: ReplyStream, dropped_rounds: int) -> None:
        started = time.perf_counter()
        first: float | None = None
        chunks = prompt_tokens = 0
        completion_tokens: int | None = None
        finish: str | None = None  # stays None if the stream ends without an end
        try:
            with self._client.stream(
                "POST", f"{self.base_url}/chat/completions", json=body
            ) as response:
                response.raise_for_status()
                reply.put(ChatStarted(0, dropped_rounds))
                for line in response.iter_lines():
                    if reply.cancelled.is_set():
                        finish = "cancelled"
                        break  # leaving the block closes the connection: the server stops
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        finish = finish or "stop"
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
                            reply.put(TextChunk(text))
                        finish = choice.get("finish_reason") or finish
        except httpx.HTTPError as exc:
            reply.put(ChatFailed(str(self._explain(exc))))
            return
        except ValueError:
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

    def cancel(self) -> None:
        if self._current is not None:
            self._current.cancel()

    def close(self) -> None:
        self._client.close()
