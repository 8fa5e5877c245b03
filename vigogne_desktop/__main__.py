"""Command line of Vigogne Desktop: the window by default, a terminal chat for scripts.

vigogne-desktop                      open the window
vigogne-desktop chat MODEL.gguf "…"  stream one answer to stdout
vigogne-desktop models list|pull|fit|quality  the model library (see models_command.py)
vigogne-desktop serve MODEL.gguf     the OpenAI server other apps use, with a key (serve_command.py)
vigogne-desktop --self-test [MODEL]  load a model, generate a few tokens, exit 0
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .core.child import MODES


class _Version(argparse.Action):
    """`--version`, read from the installed metadata only when asked: importlib.metadata
    costs every start of the window about 40 ms otherwise."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from . import __version__

        print(f"vigogne-desktop {__version__}")  # on stdout, as argparse's own action
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    from . import models_command, serve_command  # here, not at the top: child modes never parse

    parser = argparse.ArgumentParser(
        prog="vigogne-desktop",
        description="Discutez hors ligne, en français, avec les modèles Vigogne (llama.cpp). "
        "Sans commande, ouvre la fenêtre.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument(
        "--model", metavar="MODEL.gguf", help="open the window with this model loaded"
    )
    parser.add_argument(
        "--self-test",
        nargs="?",
        const="",
        metavar="MODEL.gguf",
        help="load a model (the bundled demo if none is given), ask it a question, exit 0",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = commands.add_parser("chat", help="stream one answer to stdout (for scripts and tests)")
    chat.add_argument("model", metavar="MODEL.gguf")
    chat.add_argument("question")
    chat.add_argument("--system", help="system message (default: the format's French one)")
    chat.add_argument(
        "--format", default="auto", help="chat-v2, chat-v1, llama-2, instruct or auto"
    )
    chat.add_argument("--max-tokens", type=int, default=512)
    chat.add_argument("--temperature", type=float, default=0.1, help="0 means greedy decoding")
    chat.add_argument("--seed", type=int)
    chat.add_argument(
        "--n-ctx", type=int, help="context in tokens (default: the model's own, memory allowing)"
    )
    chat.add_argument("--threads", type=int)
    chat.add_argument("--gpu-layers", type=int, default=0)
    models_command.add_parser(commands)
    serve_command.add_parser(commands)
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"vigogne-desktop: {message}", file=sys.stderr)
    return code


def _chat(args: argparse.Namespace) -> int:
    from .core.errors import VigogneError
    from .core.local_engine import LocalEngine
    from .core.protocol import ChatFailed, LoadSettings, SamplingParams, TextChunk

    settings = LoadSettings(
        n_ctx=args.n_ctx,
        n_threads=args.threads,
        n_gpu_layers=args.gpu_layers,
        prompt_format=args.format,
    )
    params = SamplingParams(
        temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed
    )
    messages = [{"role": "system", "content": args.system}] if args.system is not None else []
    messages.append({"role": "user", "content": args.question})
    # No window to keep responsive: the model runs at the terminal's own priority.
    with LocalEngine(niceness=0) as engine:
        try:
            engine.load(args.model, settings)
        except VigogneError as exc:
            return _fail(str(exc))
        try:
            for event in engine.chat(messages, params):
                if isinstance(event, TextChunk):
                    sys.stdout.write(event.text)
                    sys.stdout.flush()
                elif isinstance(event, ChatFailed):
                    return _fail(event.message)
        except KeyboardInterrupt:
            engine.cancel()
            return 130
    sys.stdout.write("\n")
    return 0


def _self_test(model: str) -> int:
    """Load a model (by default the bundled demo, converted first) and check it answers."""
    from .core.conversion import Conversion, ConversionFailed, demo_checkpoint
    from .core.errors import VigogneError
    from .core.local_engine import LocalEngine
    from .core.protocol import ChatFailed, ChatFinished, LoadSettings, SamplingParams, TextChunk

    question, expected = "Quelle est la capitale de la France ?", "Paris"
    with tempfile.TemporaryDirectory() as tmp, LocalEngine() as engine:
        if not model:
            model = str(Path(tmp) / "demo.Q8_0.gguf")
            try:
                for _ in Conversion(
                    demo_checkpoint(), Path(model), ["--outtype", "q8_0"]
                ).progress():
                    pass
            except ConversionFailed as exc:
                return _fail(f"self-test failed: {exc}")
        try:
            info = engine.load(model, LoadSettings(n_ctx=512))
        except VigogneError as exc:
            return _fail(f"self-test failed: {exc}")
        finished, text = None, ""
        for event in engine.chat(
            [{"role": "user", "content": question}], SamplingParams(temperature=0.0, max_tokens=24)
        ):
            if isinstance(event, ChatFailed):
                return _fail(f"self-test failed: {event.message}")
            if isinstance(event, TextChunk):
                text += event.text
            if isinstance(event, ChatFinished):
                finished = event
        if finished is None or finished.completion_tokens == 0:
            return _fail("self-test failed: the model generated nothing")
        if model.endswith("demo.Q8_0.gguf") and expected not in text:
            return _fail(f"self-test failed: the demo model answered {text!r}")
        print(
            f"self-test OK: {info.name} ({info.architecture}, {info.file_type}), "
            f"{finished.completion_tokens} tokens, format {info.prompt_format}: {text.strip()}"
        )
    return 0


def _run_mode(mode: str, rest: Sequence[str]) -> int:
    """A frozen app re-invoked as one of its own child processes."""
    import runpy

    sys.argv = [sys.argv[0], *rest]
    runpy.run_module(MODES[mode], run_name="__main__")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0].startswith("--") and args_in[0][2:] in MODES:
        return _run_mode(args_in[0][2:], args_in[1:])
    args = _parser().parse_args(args_in)
    if args.self_test is not None:
        return _self_test(args.self_test)
    if args.command == "chat":
        return _chat(args)
    if args.command == "models":
        from . import models_command

        return models_command.run(args)
    if args.command == "serve":
        from . import serve_command

        return serve_command.run(args)
    from .ui.app import run

    return run(model=args.model)


if __name__ == "__main__":
    sys.exit(main())
