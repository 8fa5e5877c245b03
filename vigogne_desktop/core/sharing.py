"""Share the local model with other apps: llama_cpp.server on loopback, with a key.

Off by default. `start_sharing` runs this module as a child process (the frozen app:
`--share-server`), which serves the OpenAI API with a chat handler that prompts through
prompts.build_prompt, as the worker does. While sharing is on, the app chats through the
server with RemoteEngine instead of loading the model a second time.
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
from converters.templates import DEFAULT_FORMAT, FORMATS

from .child import StderrTail, child_command
from .context_size import context_for
from .errors import RemoteError
from .library import quick_check
from .prompts import AUTO, SpecialTokens, build_prompt, format_for_file, resolve_format
from .protocol import LoadSettings
from .remote_engine import RemoteEngine

LOOPBACK = "127.0.0.1"
CHAT_HANDLER = "vigogne"  # the server's chat_format: our handler, registered by that name


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
    env = dict(os.environ, VIGOGNE_SHARE_KEY=api_key)  # never on a command line
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

    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    threading.Thread(target=_exit_when_parent_leaves, daemon=True).start()
    register_chat_handler(args.chat_format, args.default_format)
    model: dict[str, Any] = {
        "model": args.model,
        "model_alias": args.alias,
        "chat_format": CHAT_HANDLER,
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
