"""Share the local model with other apps: llama_cpp.server on loopback, with a key.

Off by default. `start_sharing` runs this module as a child process (the frozen app:
`--share-server`), which serves the OpenAI API with a chat handler that prompts through
prompts.build_prompt, as the worker does; `vigogne-desktop serve` runs the same server in
the terminal. Every route wants the key (`KeyGate`), and no web page may read the replies.
The child loads the model beside the worker's copy: `second_copy_bytes` says what that costs.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from converters.messages import say
from converters.templates import DEFAULT_FORMAT, FORMATS

from . import hardware
from .child import StderrTail, child_command
from .context_size import context_for
from .errors import ModelLoadError, RemoteError, VigogneError
from .library import quick_check
from .prompts import AUTO, SpecialTokens, build_prompt, format_for_file, resolve_format
from .protocol import LoadSettings
from .remote_engine import RemoteEngine

if TYPE_CHECKING:  # starlette comes with llama_cpp.server, imported only by the server
    from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK = "127.0.0.1"
CHAT_HANDLER = "vigogne"  # the server's chat_format: our handler, registered by that name
KEY_VARIABLE = "VIGOGNE_SHARE_KEY"  # the window hands the child its key here, never in argv


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def second_copy_bytes(
    model_path: str, settings: LoadSettings, machine: hardware.Machine | None = None
) -> tuple[int, int]:
    """(RAM, VRAM) in bytes the sharing server adds beside the app's engine, at most.

    Both processes map the same file, so the weights read from it sit once in the page
    cache; what each process holds on its own comes twice: the weights llama.cpp repacks
    (Q4_0, Q4_K on AVX2 or NEON), the KV cache, the compute buffers, offloaded layers in
    VRAM. Measured with a 8-layer 1024-wide model at n_ctx 2048: the server added 94 MiB
    beside an F16 file of 212 MiB, 140 MiB beside its Q4_0 of 62 MiB (the estimate: 202 and
    252, the compute buffers counted whole, as for the first long prompt).
    """
    shape = hardware.shape_from_gguf(model_path)
    machine = machine or hardware.probe()
    n_ctx, _ = context_for(model_path, settings.n_ctx)
    fit = hardware.estimate(
        shape, n_ctx, machine, gpu_layers=settings.n_gpu_layers, n_batch=settings.n_batch
    )
    on_gpu = 0 if machine.unified_memory else fit.gpu_layers / max(1, shape.n_layers)
    mapped = int(shape.file_size * (1 - on_gpu))
    return max(0, fit.ram_bytes - mapped), fit.vram_bytes


@dataclass
class SharedServer:
    """A running llama_cpp.server child; `stop()` ends it."""

    base_url: str
    api_key: str
    model_alias: str
    n_ctx: int
    process: subprocess.Popen[bytes] = field(repr=False)
    stderr: StderrTail = field(repr=False)

    def engine(self) -> RemoteEngine:
        return RemoteEngine(self.base_url, self.api_key, self.model_alias, n_ctx=self.n_ctx)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin is not None:
                self.process.stdin.close()  # the server leaves when its stdin closes
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_sharing(
    model_path: str,
    *,
    prompt_format: str | None = None,
    settings: LoadSettings | None = None,
    host: str = LOOPBACK,
    port: int | None = None,
    model_alias: str = "vigogne",
    timeout_s: float = 120.0,
) -> SharedServer:
    """Start the server for one model and wait until it answers.

    `prompt_format` (by default `settings.prompt_format`) is a Vigogne format name, or
    "auto" to choose as the local engine does: from the file, the model table, then
    `settings.default_format`.
    """
    path = quick_check(model_path)
    settings = settings or LoadSettings()
    prompt_format = prompt_format or settings.prompt_format
    resolve_format(prompt_format)  # an unknown name fails here, in one sentence
    n_ctx, _ = context_for(path, settings.n_ctx)  # the same context the local engine takes
    port = port or _free_port(host)
    api_key = secrets.token_urlsafe(24)
    command = child_command(
        "share-server",
        "--model",
        str(path),
        "--host",
        host,
        "--port",
        str(port),
        "--chat-format",
        prompt_format,
        "--default-format",
        settings.default_format,
        "--alias",
        model_alias,
        "--n-ctx",
        str(n_ctx),
        "--n-gpu-layers",
        str(settings.n_gpu_layers),
        "--n-batch",
        str(settings.n_batch),
        *(["--n-threads", str(settings.n_threads)] if settings.n_threads else []),
    )
    env = dict(os.environ, **{KEY_VARIABLE: api_key})  # never on a command line
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert process.stderr is not None
    url_host = f"[{host}]" if ":" in host else host
    server = SharedServer(
        f"http://{url_host}:{port}/v1",
        api_key,
        model_alias,
        n_ctx,
        process,
        StderrTail(process.stderr),
    )
    deadline = time.monotonic() + timeout_s
    headers = {"Authorization": f"Bearer {api_key}"}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = server.stderr.last(wait_s=1.0)
            last = f" ({detail[:200]})" if detail else ""
            raise RemoteError(
                say(
                    f"Le partage n'a pas pu démarrer{last} : vérifiez que le port {port} est "
                    "libre.",
                    f"Sharing could not start{last}: check that port {port} is free.",
                )
            )
        try:
            if (
                httpx.get(f"{server.base_url}/models", headers=headers, timeout=2).status_code
                == 200
            ):
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RemoteError(
        say(
            "Le partage n'a pas démarré à temps : réessayez ou choisissez un autre modèle.",
            "Sharing did not start in time: try again or choose another model.",
        )
    )


# -- the server (the sharing child and `vigogne-desktop serve`) ------------------------


class KeyGate:
    """In front of llama_cpp.server: no request reaches any route without the key.

    llama_cpp.server checks its key only on the routes that ask for the check; /docs,
    /openapi.json and whatever a later version adds would answer anyone. The gate sees
    every request before routing, and compares in constant time (`hmac.compare_digest`)
    so response times tell nothing about how much of a guessed key was right.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: a 403
        else:
            await _refuse(send)

    def _allowed(self, scope: Scope) -> bool:
        value = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = value.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._key)


async def _refuse(send: Send) -> None:
    message = say(
        "Clé d'API absente ou fausse : envoyez « Authorization: Bearer CLÉ ».",
        "Missing or wrong API key: send “Authorization: Bearer KEY”.",
    )
    # The shape of OpenAI's own errors, so its clients raise AuthenticationError.
    body = json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}}
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b"Bearer"),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def server_app(
    model: Path, settings: LoadSettings, n_ctx: int, api_key: str, alias: str = "vigogne"
) -> KeyGate:
    """llama_cpp.server's OpenAI API over `model` with our chat handler, locked by the key.

    Loads the model (seconds). `settings.prompt_format` is a format name or "auto".
    """
    from fastapi.middleware.cors import CORSMiddleware
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    register_chat_handler(settings.prompt_format, settings.default_format)
    # create_app would take its settings, key included, from a file this variable names.
    os.environ.pop("CONFIG_FILE", None)
    options: dict[str, Any] = {
        "model": str(model),
        "model_alias": alias,
        "chat_format": CHAT_HANDLER,
        "n_ctx": n_ctx,
        "n_gpu_layers": settings.n_gpu_layers,
        "n_batch": settings.n_batch,
        "verbose": False,
    }
    if settings.n_threads:
        options["n_threads"] = settings.n_threads
    try:
        app = create_app(
            server_settings=ServerSettings(api_key=api_key),
            model_settings=[ModelSettings(**options)],
        )
    except ValueError as exc:  # llama-cpp-python's word for "llama.cpp could not load it"
        raise ModelLoadError(
            say(
                f"llama.cpp n'a pas pu charger « {model.name} » : vérifiez la mémoire libre "
                "ou choisissez un autre fichier.",
                f"llama.cpp could not load “{model.name}”: check the free memory or choose "
                "another file.",
            )
        ) from exc
    # llama_cpp.server lets every web origin read its replies (allow_origins=["*"]): any page
    # open in the user's browser could then use the model. No origin is let in.
    app.user_middleware = [m for m in app.user_middleware if m.cls is not CORSMiddleware]
    app.middleware_stack = None  # built again from user_middleware at the first request
    return KeyGate(app, api_key)


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening: a port in use fails here, in one sentence,
    before the model is loaded; requests that come during the load wait in the backlog."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise RemoteError(
            say(
                f"L'adresse « {host} » est inconnue : donnez une adresse IP de cet ordinateur.",
                f"The address “{host}” is unknown: give an IP address of this computer.",
            )
        ) from exc
    sock = socket.socket(family, kind, proto)
    if sys.platform != "win32":  # a restart may bind at once over TIME_WAIT, as uvicorn lets
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise RemoteError(
            say(
                f"Impossible d'écouter sur {host}:{port} ({exc.strerror}) : choisissez un "
                "autre port avec --port.",
                f"Cannot listen on {host}:{port} ({exc.strerror}): choose another port with "
                "--port.",
            )
        ) from exc
    return sock


def serve_on(app: KeyGate, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM (uvicorn's handlers), then return."""
    import uvicorn

    # A reply still streaming is given 3 s to end, not the unbounded wait of the default.
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3)
    uvicorn.Server(config).run(sockets=[sock])


# -- the child ------------------------------------------------------------------------


def register_chat_handler(prompt_format: str, default_format: str) -> None:
    """Make the app's prompting known to llama-cpp-python as the CHAT_HANDLER format.

    The format is chosen and the prompt rendered by prompts.py, with the model's own BOS
    and EOS: the other apps get exactly the prompt the app's own engine would build.
    """
    from llama_cpp import llama_chat_format

    def handler(*, llama: Any, **kwargs: Any) -> Any:
        choice = format_for_file(prompt_format, llama.metadata, llama.model_path, default_format)
        special = SpecialTokens.of(llama)

        def formatter(*, messages: Any, **_unused: Any) -> Any:
            prompt = build_prompt(choice, messages, special)
            # added_special: the text carries its BOS; llama.cpp must not add another.
            return llama_chat_format.ChatFormatterResponse(
                prompt=prompt.text, stop=list(prompt.stop), added_special=True
            )

        chat = llama_chat_format.chat_formatter_to_chat_completion_handler(formatter)
        return chat(llama=llama, **kwargs)

    llama_chat_format.LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(
        CHAT_HANDLER, handler, overwrite=True
    )


def _exit_when_parent_leaves() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vigogne-desktop --share-server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chat-format", default=AUTO, choices=[AUTO, *sorted(FORMATS)])
    parser.add_argument("--default-format", default=DEFAULT_FORMAT, choices=sorted(FORMATS))
    parser.add_argument("--alias", default="vigogne")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--n-gpu-layers", type=int, default=0)
    parser.add_argument("--n-batch", type=int, default=512)
    parser.add_argument("--n-threads", type=int)
    args = parser.parse_args(argv)

    threading.Thread(target=_exit_when_parent_leaves, daemon=True).start()
    api_key = os.environ.get(KEY_VARIABLE, "")
    if not api_key:  # this mode serves only with the key the window generated
        sys.exit(
            say(
                f"{KEY_VARIABLE} n'est pas défini : lancez le partage depuis la fenêtre.",
                f"{KEY_VARIABLE} is not set: start sharing from the window.",
            )
        )
    settings = LoadSettings(
        n_threads=args.n_threads,
        n_batch=args.n_batch,
        n_gpu_layers=args.n_gpu_layers,
        prompt_format=args.chat_format,
        default_format=args.default_format,
    )
    try:
        sock = listening_socket(args.host, args.port)
        app = server_app(Path(args.model), settings, args.n_ctx, api_key, args.alias)
    except VigogneError as exc:  # the window shows the last line of this child's stderr
        print(exc, file=sys.stderr)
        sys.exit(2)
    serve_on(app, sock)


if __name__ == "__main__":
    main()
