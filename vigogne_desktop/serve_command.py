"""`vigogne-desktop serve MODEL.gguf`: the window's sharing server, from a terminal.

The same OpenAI-compatible server (core/sharing.py): Vigogne formats, every route behind
the key, no web origin let in, loopback unless the user names another address.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import signal
import sys
from typing import Any

from converters.messages import say

API_KEY_VARIABLE = "VIGOGNE_API_KEY"  # a key here stays out of `ps` and the shell history
DEFAULT_PORT = 8080  # llama.cpp's llama-server uses it too: clients' settings carry over
USAGE_ERROR = 2  # what argparse returns for a bad argument: the command could not start


def add_parser(commands: Any) -> None:
    """The `serve` command on the main parser's subcommands (nothing heavy imported)."""
    serve = commands.add_parser(
        "serve",
        help="serve a model to other apps (OpenAI API, key required)",
        description="Sert un modèle aux autres applications par l'API d'OpenAI, avec une clé. "
        "Serve a model to other apps through the OpenAI API, with a key.",
    )
    serve.add_argument("model", metavar="MODEL.gguf")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only)",
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    serve.add_argument(
        "--api-key",
        metavar="KEY",
        help=f"the key clients must send (default: ${API_KEY_VARIABLE}, else a new one printed)",
    )
    serve.add_argument(
        "--format", default="auto", help="chat-v2, chat-v1, llama-2, instruct or auto"
    )
    serve.add_argument("--alias", default="vigogne", help="the model's name in the API")
    serve.add_argument(
        "--n-ctx", type=int, help="context in tokens (default: the model's own, memory allowing)"
    )
    serve.add_argument("--threads", type=int)
    serve.add_argument("--gpu-layers", type=int, default=0)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def run(args: argparse.Namespace) -> int:
    from .core import sharing
    from .core.context_size import context_for
    from .core.errors import VigogneError
    from .core.library import quick_check
    from .core.prompts import resolve_format
    from .core.protocol import LoadSettings

    # SIGTERM ends the server as Ctrl+C does: uvicorn stops, then raises the signal again,
    # which lands here as KeyboardInterrupt (also while the model loads).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = LoadSettings(
        n_threads=args.threads, n_gpu_layers=args.gpu_layers, prompt_format=args.format
    )
    api_key, shell_key, python_key = _key(args.api_key)
    try:
        model = quick_check(args.model)
        resolve_format(args.format)
        n_ctx, _ = context_for(model, args.n_ctx)
        sock = sharing.listening_socket(args.host, args.port)
        if not is_loopback(args.host):
            _err(
                say(
                    f"Attention : {args.host} est joignable depuis d'autres ordinateurs, seule "
                    "la clé protège le modèle (et le trafic n'est pas chiffré).",
                    f"Warning: {args.host} can be reached from other computers; only the key "
                    "protects the model (and the traffic is not encrypted).",
                )
            )
        _err(say(f"Chargement de « {model.name} »…", f"Loading “{model.name}”…"))
        app = sharing.server_app(model, settings, n_ctx, api_key, args.alias)
        host, port = sock.getsockname()[:2]
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"
        _banner(url, args.alias, shell_key, python_key)
        sharing.serve_on(app, sock)
    except VigogneError as exc:
        _err(f"vigogne-desktop: {exc}")
        return USAGE_ERROR
    except KeyboardInterrupt:
        pass
    _err(say("Serveur arrêté.", "Server stopped."))
    return 0


def _key(given: str | None) -> tuple[str, str, str]:
    """(the key, how the shell and the Python examples show it): the option, the
    environment (then the examples name the variable, not the key), else a new one."""
    from_env = os.environ.get(API_KEY_VARIABLE, "")
    if not given and from_env:
        return from_env, f"${API_KEY_VARIABLE}", f'os.environ["{API_KEY_VARIABLE}"]'
    key = given or secrets.token_urlsafe(24)
    return key, key, f'"{key}"'


def _banner(url: str, alias: str, key: str, python_key: str) -> None:
    question = {"model": alias, "messages": [{"role": "user", "content": "Bonjour !"}]}
    body = json.dumps(question, ensure_ascii=False)
    lines = [
        say(f"Vigogne sert « {alias} » sur {url}", f"Vigogne serves “{alias}” at {url}"),
        say(f"Clé : {key}", f"Key: {key}"),
        say("Essayez :", "Try:"),
        f'  curl {url}/chat/completions -H "Authorization: Bearer {key}" '
        f"-H \"Content-Type: application/json\" -d '{body}'",
        say("Ou en Python :", "Or in Python:"),
        f'  openai.OpenAI(base_url="{url}", api_key={python_key})',
        say("Ctrl+C pour arrêter.", "Ctrl+C to stop."),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
