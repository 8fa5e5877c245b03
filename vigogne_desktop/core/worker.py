"""The local engine's child process: llama_cpp.Llama behind JSON lines on stdio.

Run as `python -m vigogne_desktop.core.worker` (or the frozen app with `--worker`). It
reads requests on stdin and writes events on stdout (see protocol.py). A reader thread
takes cancels at once and exits the process when stdin closes, so the child never
outlives the app.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

import gguf
import numpy as np
import numpy.typing as npt

from converters.messages import say
from converters.templates import MAX_ROUNDS_KEY

from .errors import EngineNotReady, GenerationError, ModelLoadError, VigogneError
from .library import diagnose, quick_check
from .prompts import (
    AUTO,
    FormatChoice,
    Message,
    fit_messages,
    last_rounds,
    render_prompt,
    resolve_format,
)
from .protocol import LoadSettings, SamplingParams, decode, encode

NICENESS = 5  # how much lower the model's priority is than the window's

TokenHook = Callable[[npt.NDArray[np.intc], npt.NDArray[np.single]], bool]


def _formatter_class() -> type:
    from llama_cpp.llama import StoppingCriteriaList
    from llama_cpp.llama_chat_format import ChatFormatterResponse, Jinja2ChatFormatter

    class HookedFormatter(Jinja2ChatFormatter):
        """A Jinja chat formatter whose stopping criteria also call the worker's hook.

        llama-cpp-python calls stopping criteria once per sampled token (and once more at
        the end): the hook counts tokens and stops the loop when a cancel arrives.
        """

        def __init__(self, *args: Any, hook: TokenHook, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._hook = hook

        def __call__(self, **kwargs: Any) -> ChatFormatterResponse:
            response = super().__call__(**kwargs)
            response.stopping_criteria = StoppingCriteriaList(
                [self._hook, *(response.stopping_criteria or [])]
            )
            return response

    return HookedFormatter


class Worker:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._requests: queue.Queue[dict[str, Any]] = queue.Queue()
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._llm: Any = None
        self._format: FormatChoice | None = None
        self._bos = ""
        self._eos, self._eos_id = "", -1
        self._max_rounds = 0  # 0: the model takes any number of rounds
        self._handlers: dict[str, Any] = {}  # chat handlers by format name
        self._on_token: TokenHook = lambda _ids, _logits: False

    # -- transport -----------------------------------------------------------------

    def emit(self, message: dict[str, Any]) -> None:
        self._out.write(encode(message))
        self._out.flush()

    def read_stdin(self, stdin: BinaryIO) -> None:
        for line in stdin:
            try:
                request = decode(line)
            except ValueError:
                continue
            if request.get("op") == "cancel":
                with self._lock:
                    self._cancelled.add(str(request.get("target")))
            else:
                self._requests.put(request)
        # stdin closed: the app is gone (or asked us to go). Leave at once, even mid-reply.
        os._exit(0)

    def is_cancelled(self, request_id: str) -> bool:
        with self._lock:
            return request_id in self._cancelled

    # -- requests ------------------------------------------------------------------

    def serve(self) -> None:
        self.emit({"event": "ready", "pid": os.getpid()})
        while True:
            request = self._requests.get()
            op, rid = request.get("op"), str(request.get("id"))
            if self.is_cancelled(rid):
                self.emit(
                    {
                        "id": rid,
                        "event": "done",
                        "finish_reason": "cancelled",
                        "prompt_tokens": 0,
                        "completion_tokens": 0,
                        "tokens_per_second": 0.0,
                        "first_token_seconds": 0.0,
                    }
                )
                continue
            try:
                if op == "load":
                    self.emit({"id": rid, "event": "loaded", **self.load(request)})
                elif op == "chat":
                    self.chat(
                        rid,
                        request["messages"],
                        SamplingParams.from_json(request["params"]),
                        request.get("format"),
                    )
                elif op == "tokenize":
                    self.emit(
                        {"id": rid, "event": "tokens", "tokens": self.tokenize(request["text"])}
                    )
                elif op == "unload":
                    self.unload()
                    self.emit({"id": rid, "event": "unloaded"})
                elif op == "shutdown":
                    self.unload()
                    self.emit({"id": rid, "event": "unloaded"})
                    return
                else:
                    self.emit(
                        {
                            "id": rid,
                            "event": "error",
                            "kind": "ProtocolError",
                            "message": f"unknown request {op!r}",
                        }
                    )
            except VigogneError as exc:
                self.emit(
                    {"id": rid, "event": "error", "kind": type(exc).__name__, "message": str(exc)}
                )
            finally:
                with self._lock:
                    self._cancelled.discard(rid)

    def unload(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
            self._format = None

    def load(self, request: dict[str, Any]) -> dict[str, Any]:
        from llama_cpp import Llama

        path = quick_check(request["path"])
        settings = LoadSettings(**request["settings"])
        self.unload()
        started = time.perf_counter()
        try:
            llm = Llama(
                model_path=str(path),
                n_ctx=settings.n_ctx,
                n_threads=settings.n_threads,
                n_batch=settings.n_batch,
                n_gpu_layers=settings.n_gpu_layers,
                seed=settings.seed,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            reason = diagnose(path) or (
                say(
                    f"llama.cpp n'a pas pu charger « {path.name} » ({exc}) : le modèle est "
                    "peut-être "
                    "d'une architecture non prise en charge, ou trop gros pour la mémoire "
                    "disponible.",
                    f"llama.cpp could not load “{path.name}” ({exc}): the model may have an "
                    "unsupported architecture, or be too large for the available memory.",
                )
            )
            raise ModelLoadError(reason) from exc
        load_seconds = time.perf_counter() - started
        metadata: dict[str, str] = dict(llm.metadata)
        name = metadata.get("general.name") or path.stem
        choice = resolve_format(
            settings.prompt_format,
            file_template=metadata.get("tokenizer.chat_template"),
            file_format=metadata.get("vigogne.prompt_format"),
            model_name=f"{name} {path.name}",
            fallback=settings.default_format,
        )
        eos_id, bos_id = llm.token_eos(), llm.token_bos()
        eos = llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        # Families without a BOS (Falcon, MPT, BLOOM) must not get one from the template.
        self._bos = (
            llm._model.token_get_text(bos_id) if bos_id != -1 and llm._model.add_bos_token() else ""
        )
        self._eos, self._eos_id = eos, eos_id
        self._max_rounds = int(metadata.get(MAX_ROUNDS_KEY, "0") or 0)
        self._llm, self._format = llm, choice
        self._handlers = {}
        architecture = metadata.get("general.architecture", "")
        file_type = metadata.get("general.file_type", "")
        if file_type.isdigit():
            with contextlib.suppress(ValueError):
                file_type = gguf.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
        return {
            "path": str(path),
            "name": name,
            "architecture": architecture,
            "n_ctx": llm.n_ctx(),
            "n_ctx_train": int(metadata.get(f"{architecture}.context_length", "0") or 0),
            "prompt_format": choice.name,
            "format_source": choice.source,
            "file_type": file_type,
            "load_seconds": load_seconds,
            "metadata": {k: v for k, v in metadata.items() if len(v) < 4096},
        }

    def _use_format(self, forced: str | None) -> FormatChoice:
        """The model's own format, or one a conversation forces, as llama.cpp's chat handler."""
        assert self._format is not None
        choice = self._format if not forced or forced == AUTO else resolve_format(forced)
        if choice.name not in self._handlers:
            self._handlers[choice.name] = _formatter_class()(
                template=choice.template,
                eos_token=self._eos,
                bos_token=self._bos,
                stop_token_ids=[self._eos_id],
                hook=lambda ids, logits: self._on_token(ids, logits),
            ).to_chat_handler()
        self._llm.chat_handler = self._handlers[choice.name]
        return choice

    def _require_model(self) -> Any:
        if self._llm is None:
            raise EngineNotReady(
                say(
                    "Aucun modèle n'est chargé : choisissez d'abord un modèle.",
                    "No model is loaded: choose a model first.",
                )
            )
        return self._llm

    def tokenize(self, text: str) -> list[int]:
        llm = self._require_model()
        return [int(t) for t in llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)]

    def count_prompt_tokens(self, choice: FormatChoice, messages: list[Message]) -> int:
        prompt = render_prompt(choice, messages, bos_token=self._bos)
        return len(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def chat(
        self, rid: str, messages: list[Message], params: SamplingParams, forced: str | None
    ) -> None:
        llm = self._require_model()
        choice = self._use_format(forced)
        received = time.perf_counter()
        n_ctx = llm.n_ctx()
        reply_budget = min(params.max_tokens or n_ctx // 4, n_ctx // 2)
        messages, limited = last_rounds(messages, self._max_rounds)
        fitted = fit_messages(
            messages, lambda m: self.count_prompt_tokens(choice, m), n_ctx, reply_budget
        )
        self.emit(
            {
                "id": rid,
                "event": "started",
                "prompt_tokens": fitted.prompt_tokens,
                "dropped_rounds": fitted.dropped_rounds + limited,
                "round_limit": self._max_rounds if limited else 0,
            }
        )
        ticks: list[float] = []
        seen: set[int] = set()

        def on_token(ids: npt.NDArray[np.intc], _logits: npt.NDArray[np.single]) -> bool:
            # One call per sampled token, plus a last one at the end with the same length.
            if len(ids) not in seen:
                seen.add(len(ids))
                ticks.append(time.perf_counter())
            return self.is_cancelled(rid)

        self._on_token = on_token
        finish_reason = "stop"
        first_text: float | None = None
        try:
            stream = llm.create_chat_completion(
                messages=fitted.messages,
                stream=True,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                min_p=params.min_p,
                repeat_penalty=params.repeat_penalty,
                max_tokens=params.max_tokens,
                seed=params.seed,
                stop=list(choice.stop) + list(params.stop),
                logit_bias=dict(params.logit_bias) or None,
            )
            for chunk in stream:
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if text and not self.is_cancelled(rid):
                    if first_text is None:
                        first_text = time.perf_counter()
                    self.emit({"id": rid, "event": "delta", "text": text})
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
        except (ValueError, RuntimeError) as exc:
            raise GenerationError(
                say(
                    f"La génération a échoué ({exc}) : réessayez, ou raccourcissez la "
                    "conversation.",
                    f"Generation failed ({exc}): try again, or shorten the conversation.",
                )
            ) from exc
        finally:
            self._on_token = lambda _ids, _logits: False
        if self.is_cancelled(rid):
            finish_reason = "cancelled"
        speed = (
            (len(ticks) - 1) / (ticks[-1] - ticks[0])
            if len(ticks) > 1 and ticks[-1] > ticks[0]
            else 0.0
        )
        self.emit(
            {
                "id": rid,
                "event": "done",
                "finish_reason": finish_reason,
                "prompt_tokens": fitted.prompt_tokens,
                "completion_tokens": len(ticks),
                "tokens_per_second": speed,
                "first_token_seconds": (first_text or time.perf_counter()) - received,
            }
        )


def main() -> None:
    # The protocol owns the real stdout; anything a library prints goes to stderr.
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    if hasattr(os, "nice"):
        # The model takes every core it is given; a slightly lower priority lets the
        # window get the CPU at once when it has something to draw (measured in
        # bench/results/ui_responsiveness.md).
        os.nice(NICENESS)
    worker = Worker(out)
    threading.Thread(target=worker.read_stdin, args=(sys.stdin.buffer,), daemon=True).start()
    worker.serve()


if __name__ == "__main__":
    main()
