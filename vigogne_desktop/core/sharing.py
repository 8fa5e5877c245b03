"""Share the local model with other apps: llama_cpp.server on loopback, with a key.

Off by default. `start_sharing` runs this module as a child process (the frozen app:
`--share-server`), which registers the Vigogne chat formats in llama-cpp-python under
`vigogne-<format>` names and serves the OpenAI API. While sharing is on, the app chats
through the server with RemoteEngine instead of loading the model a second time.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from converters.messages import say
from converters.templates import FORMATS

from .child import child_command
from .engine import RemoteEngine
from .errors import RemoteError
from .library import quick_check
from .protocol import LoadSettings

LOOPBACK = "127.0.0.1"


def handler_name(prompt_format: str) -> str:
    return f"vigogne-{prompt_format}"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class SharedServer:
    """A running llama_cpp.server child; `stop()` ends it."""

    base_url: str
    api_key: str
    model_alias: str
    process: subprocess.Popen[bytes] = field(repr=False)

    def engine(self) -> RemoteEngine:
        return RemoteEngine(self.base_url, self.api_key, self.model_alias)

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
    prompt_format: str,
    settings: LoadSettings | None = None,
    host: str = LOOPBACK,
    port: int | None = None,
    model_alias: str = "vigogne",
    timeout_s: float = 120.0,
) -> SharedServer:
    """Start the server for one model and wait until it answers."""
    path = quick_check(model_path)
    if prompt_format not in FORMATS:
        raise RemoteError(
            say(
                f"Format de prompt inconnu « {prompt_format} ».",
                f"Unknown prompt format “{prompt_format}”.",
            )
        )
    settings = settings or LoadSettings()
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
        "--alias",
        model_alias,
        "--n-ctx",
        str(settings.n_ctx),
        "--n-gpu-layers",
        str(settings.n_gpu_layers),
        "--n-batch",
        str(settings.n_batch),
        *(["--n-threads", str(settings.n_threads)] if settings.n_threads else []),
    )
    env = dict(os.environ, VIGOGNE_SHARE_KEY=api_key)  # never on a command line
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    url_host = f"[{host}]" if ":" in host else host
    server = SharedServer(f"http://{url_host}:{port}/v1", api_key, model_alias, process)
    deadline = time.monotonic() + timeout_s
    headers = {"Authorization": f"Bearer {api_key}"}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = (
                process.stderr.read().decode("utf-8", "replace").strip().splitlines()
                if process.stderr
                else []
            )
            last = f" ({detail[-1][:200]})" if detail else ""
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


# -- the child ------------------------------------------------------------------------


def register_vigogne_formats() -> None:
    """Make the Vigogne formats known to llama-cpp-python as `vigogne-<format>` handlers."""
    from llama_cpp import llama_chat_format

    registry = llama_chat_format.LlamaChatCompletionHandlerRegistry()
    for fmt in FORMATS.values():

        def handler(*, llama: Any, template: str = fmt.template, **kwargs: Any) -> Any:
            eos_id, bos_id = llama.token_eos(), llama.token_bos()
            formatter = llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=llama._model.token_get_text(eos_id) if eos_id != -1 else "",
                bos_token=llama._model.token_get_text(bos_id)
                if bos_id != -1 and llama._model.add_bos_token()
                else "",
                stop_token_ids=[eos_id],
            )
            return formatter.to_chat_handler()(llama=llama, **kwargs)

        registry.register_chat_completion_handler(handler_name(fmt.name), handler, overwrite=True)


def _exit_when_parent_leaves() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vigogne-desktop --share-server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chat-format", required=True, choices=sorted(FORMATS))
    parser.add_argument("--alias", default="vigogne")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--n-gpu-layers", type=int, default=0)
    parser.add_argument("--n-batch", type=int, default=512)
    parser.add_argument("--n-threads", type=int)
    args = parser.parse_args(argv)

    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    threading.Thread(target=_exit_when_parent_leaves, daemon=True).start()
    register_vigogne_formats()
    model: dict[str, Any] = {
        "model": args.model,
        "model_alias": args.alias,
        "chat_format": handler_name(args.chat_format),
        "n_ctx": args.n_ctx,
        "n_gpu_layers": args.n_gpu_layers,
        "n_batch": args.n_batch,
        "verbose": False,
    }
    if args.n_threads:
        model["n_threads"] = args.n_threads
    app = create_app(
        server_settings=ServerSettings(
            host=args.host, port=args.port, api_key=os.environ.get("VIGOGNE_SHARE_KEY") or None
        ),
        model_settings=[ModelSettings(**model)],
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
