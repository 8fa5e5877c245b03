"""The local engine's child process: llama_cpp.Llama behind JSON lines on stdio.

Run as `python -m vigogne_desktop.core.worker` (or the frozen app with `--worker`). It
reads requests on stdin and writes events on stdout (see protocol.py). A reader thread
takes cancels at once and exits the process when stdin closes, so the child never
outlives the app.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import gguf
import numpy as np
import numpy.typing as npt

from converters.cores import default_threads
from converters.messages import say
from converters.templates import MAX_ROUNDS_KEY

from .context_size import context_for
from .errors import (
    EngineNotReady,
    GenerationError,
    ModelLoadError,
    PromptFormatError,
    VigogneError,
)
from .kv_cache import ContextCache, default_budget_bytes
from .library import diagnose
from .prompts import (
    AUTO,
    FILE_TEMPLATE,
    ContextOverflow,
    FittedConversation,
    FormatChoice,
    Prompt,
    SpecialTokens,
    build_prompt,
    fit_messages,
    format_for_loaded_file,
    last_rounds,
    reply_budget,
    resolve_format,
    template_set_aside,
)
from .protocol import (
    CancelRequest,
    ChatFinished,
    ChatRequest,
    ChatStarted,
    Event,
    LoadRequest,
    Message,
    ModelInfo,
    Ready,
    Request,
    TextChunk,
    TokenizeRequest,
    Tokens,
    Unloaded,
    UnloadRequest,
    WorkerError,
    decode_request,
    encode_event,
)

Loaded = TypeVar("Loaded")


def offload_attempts(requested: int) -> list[int]:
    """GPU layers to try, in order: as asked, half, a quarter, then the CPU alone.

    A negative request (llama.cpp's "all layers") has no half: it falls back to the CPU.
    """
    if requested == 0:
        return [0]
    steps = [requested, requested // 2, requested // 4] if requested > 0 else [requested]
    return list(dict.fromkeys([n for n in steps if n != 0] + [0]))


def load_with_offload_fallback(
    load: Callable[[int], Loaded], requested: int
) -> tuple[Loaded, int, str]:
    """(model, GPU layers it loaded with, one sentence if fewer than asked) from `load`.

    llama.cpp answers an out-of-VRAM load with no model (llama-cpp-python raises
    ValueError) or a RuntimeError; each fewer-layers retry is cheap next to a failed chat.
    The CPU-only attempt's failure is the caller's to explain.
    """
    attempts = offload_attempts(requested)
    for layers in attempts[:-1]:
        try:
            model = load(layers)
        except (ValueError, RuntimeError):
            continue
        if layers == requested:
            return model, layers, ""
        fewer = say(
            f"La mémoire vidéo ne suffisait pas pour {requested} couches sur le GPU : le "
            f"modèle tourne avec {layers} couches sur le GPU, plus lentement (réduisez le "
            "contexte ou fermez d'autres applications graphiques pour en mettre davantage).",
            f"There was not enough video memory for {requested} layers on the GPU: the model "
            f"runs with {layers} layers on the GPU, more slowly (reduce the context or close "
            "other graphics applications to offload more).",
        )
        return model, layers, fewer
    model = load(0)
    if requested == 0:
        return model, 0, ""
    cpu_only = say(
        "Le modèle n'a pas pu être chargé sur le GPU (mémoire vidéo insuffisante) : il tourne "
        "sur le processeur seul, plus lentement (réduisez le contexte ou choisissez une "
        "quantification plus petite pour utiliser le GPU).",
        "The model could not be loaded on the GPU (not enough video memory): it runs on the "
        "CPU alone, more slowly (reduce the context or choose a smaller quantization to use "
        "the GPU).",
    )
    return model, 0, cpu_only


class _FileTemplateNotCompiled:
    """Stands in for llama-cpp-python's Jinja2ChatFormatter while the worker loads a model.

    Llama() compiles every chat template of the file into a chat handler, which only its
    create_chat_completion calls; the worker never does (prompts.build_prompt renders them,
    sandboxed, with a fallback). A template that does not even compile would otherwise fail
    the load itself.
    """

    def __init__(self, **_template: Any) -> None:
        pass

    def to_chat_handler(self) -> Callable[..., Any]:
        return self._unused

    @staticmethod
    def _unused(**_request: Any) -> Any:
        raise NotImplementedError("the worker renders prompts with prompts.build_prompt")


@contextlib.contextmanager
def _file_templates_not_compiled() -> Iterator[None]:
    from llama_cpp import llama_chat_format

    compiled = llama_chat_format.Jinja2ChatFormatter
    llama_chat_format.Jinja2ChatFormatter = _FileTemplateNotCompiled  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        llama_chat_format.Jinja2ChatFormatter = compiled  # type: ignore[misc]


class Worker:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._requests: queue.Queue[tuple[str, Request]] = queue.Queue()
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._llm: Any = None
        self._format: FormatChoice | None = None
        # The model table's format, for when the file's own template fails mid-conversation.
        self._spare: FormatChoice | None = None
        self._special = SpecialTokens("", "")
        self._max_rounds = 0  # 0: the model takes any number of rounds
        self._loaded: LoadRequest | None = None  # what the model in memory was loaded from
        self._contexts = ContextCache(0)  # the recent conversations' states, for this model

    # -- transport -----------------------------------------------------------------

    def emit(self, rid: str, event: Event) -> None:
        self._out.write(encode_event(rid, event))
        self._out.flush()

    def read_stdin(self, stdin: BinaryIO) -> None:
        for line in stdin:
            try:
                rid, request = decode_request(line)
            except ValueError:
                continue  # the app and its child are one version: nothing to answer to
            if isinstance(request, CancelRequest):
                with self._lock:
                    self._cancelled.add(rid)
            else:
                self._requests.put((rid, request))
        # stdin closed: the app is gone (or asked us to go). Leave at once, even mid-reply.
        os._exit(0)

    def is_cancelled(self, request_id: str) -> bool:
        with self._lock:
            return request_id in self._cancelled

    # -- requests ------------------------------------------------------------------

    def serve(self) -> None:
        self.emit("", Ready(os.getpid()))
        while True:
            rid, request = self._requests.get()
            if self.is_cancelled(rid):
                self.emit(rid, ChatFinished("cancelled", 0, 0, 0.0, 0.0))
                continue
            try:
                if isinstance(request, LoadRequest):
                    self.emit(rid, self.load(request))
                elif isinstance(request, ChatRequest):
                    self.chat(rid, request)
                elif isinstance(request, TokenizeRequest):
                    self.emit(rid, Tokens(self.tokenize(request.text)))
                elif isinstance(request, UnloadRequest):
                    self.unload()
                    self.emit(rid, Unloaded())
            except VigogneError as exc:
                self.emit(rid, WorkerError(type(exc).__name__, str(exc)))
            finally:
                with self._lock:
                    self._cancelled.discard(rid)

    def unload(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
            self._contexts = ContextCache(0)
            self._format = self._spare = None
            self._loaded = None

    def load(self, request: LoadRequest) -> ModelInfo:
        """Load `request`'s model; if llama.cpp fails, the previous model is loaded again."""
        previous = self._loaded
        try:
            return self._load(request)
        except ModelLoadError:
            if previous is not None and self._llm is None:
                # The user keeps a working model: the failure says only what was wrong
                # with the new file. If even the old one fails now, none is loaded.
                with contextlib.suppress(VigogneError):
                    self._load(previous)
            raise

    def _load(self, request: LoadRequest) -> ModelInfo:
        from llama_cpp import Llama, llama_supports_gpu_offload

        # A CPU-only llama.cpp ignores n_gpu_layers: say 0, as it is.
        requested_layers = request.settings.n_gpu_layers if llama_supports_gpu_offload() else 0

        # LocalEngine.load sent it after library.quick_check (its whole header read and bounded):
        # a file that is no sound GGUF never reaches here, so never unloads the current model.
        path = Path(request.path)
        settings = request.settings
        n_ctx, context_note = context_for(path, settings.n_ctx)
        threads = settings.n_threads or default_threads()
        self.unload()
        started = time.perf_counter()

        def load_with(layers: int) -> Any:
            return Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=settings.n_batch,
                n_gpu_layers=layers,
                seed=settings.seed,
                verbose=False,
            )

        try:
            with _file_templates_not_compiled():
                llm, gpu_layers, note = load_with_offload_fallback(load_with, requested_layers)
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
        self._special = SpecialTokens.of(llm)
        choice, self._spare, set_aside = format_for_loaded_file(
            settings.prompt_format, metadata, path, self._special, settings.default_format
        )
        self._max_rounds = int(metadata.get(MAX_ROUNDS_KEY, "0") or 0)
        self._llm, self._format, self._loaded = llm, choice, request
        budget = settings.context_cache_mb
        self._contexts = ContextCache(
            default_budget_bytes() if budget is None else budget * (1 << 20)
        )
        architecture = metadata.get("general.architecture", "")
        file_type = metadata.get("general.file_type", "")
        if file_type.isdigit():
            with contextlib.suppress(ValueError):
                file_type = gguf.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
        return ModelInfo(
            path=str(path),
            name=metadata.get("general.name") or path.stem,
            architecture=architecture,
            n_ctx=llm.n_ctx(),
            n_ctx_train=int(metadata.get(f"{architecture}.context_length", "0") or 0),
            prompt_format=choice.name,
            format_source=choice.source,
            file_type=file_type,
            load_seconds=load_seconds,
            metadata={k: v for k, v in metadata.items() if len(v) < 4096},
            gpu_layers=gpu_layers,
            threads=int(llm.context_params.n_threads),
            load_note=" ".join(n for n in (context_note, note, set_aside) if n),
        )

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

    def prompt_tokens(self, choice: FormatChoice, messages: list[Message]) -> list[int]:
        """The tokens llama.cpp reads for these messages: counted and generated alike."""
        return self.tokenize(build_prompt(choice, messages, self._special).text)

    def fit(
        self, choice: FormatChoice, messages: list[Message], reply_tokens: int
    ) -> tuple[FittedConversation, Prompt]:
        """The conversation fitted to the context, and its prompt, in `choice`'s format."""
        llm = self._require_model()
        fitted = fit_messages(
            messages, lambda m: len(self.prompt_tokens(choice, m)), llm.n_ctx(), reply_tokens
        )
        return fitted, build_prompt(choice, fitted.messages, self._special)

    def chat(self, rid: str, request: ChatRequest) -> None:
        llm = self._require_model()
        assert self._format is not None
        forced, params = request.prompt_format, request.params
        choice = self._format if not forced or forced == AUTO else resolve_format(forced)
        received = time.perf_counter()
        n_ctx = llm.n_ctx()
        messages, limited = last_rounds(request.messages, self._max_rounds)
        reply_tokens = reply_budget(n_ctx, params.max_tokens)
        note = ""
        try:
            fitted, prompt = self.fit(choice, messages, reply_tokens)
        except ContextOverflow:
            raise
        except PromptFormatError:
            # The file's template passed its trial at load but fails on this conversation:
            # the model table's format takes over for as long as the model stays loaded.
            if choice is not self._format or choice.name != FILE_TEMPLATE or not self._spare:
                raise
            self._format = choice = self._spare
            fitted, prompt = self.fit(choice, messages, reply_tokens)
            name = os.path.basename(self._loaded.path) if self._loaded else ""
            note = template_set_aside(name, choice)
        tokens = self.tokenize(prompt.text)
        restored = self._contexts.before(llm, tokens)
        self.emit(
            rid,
            ChatStarted(
                fitted.prompt_tokens,
                fitted.dropped_rounds + limited,
                self._max_rounds if limited else 0,
                restored.tokens if restored else 0,
                restored.seconds if restored else 0.0,
                note,
            ),
        )
        ticks: list[float] = []
        seen: set[int] = set()

        def on_token(ids: npt.NDArray[np.intc], _logits: npt.NDArray[np.single]) -> bool:
            # llama-cpp-python calls stopping criteria once per sampled token, plus a last
            # time at the end with the same length: count tokens, and stop on cancel.
            if len(ids) not in seen:
                seen.add(len(ids))
                ticks.append(time.perf_counter())
            return self.is_cancelled(rid)

        from llama_cpp import StoppingCriteriaList

        finish_reason = "stop"
        first_text: float | None = None
        try:
            # The very tokens that were counted: no second rendering, no BOS added twice.
            stream = llm.create_completion(
                prompt=tokens,
                stream=True,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                min_p=params.min_p,
                repeat_penalty=params.repeat_penalty,
                max_tokens=params.max_tokens,
                seed=params.seed,
                stop=list(prompt.stop) + list(params.stop),
                logit_bias=dict(params.logit_bias) or None,
                stopping_criteria=StoppingCriteriaList([on_token]),
            )
            for chunk in stream:
                piece = chunk["choices"][0]
                text = piece["text"]
                if text and not self.is_cancelled(rid):
                    if first_text is None:
                        first_text = time.perf_counter()
                    self.emit(rid, TextChunk(text))
                if piece.get("finish_reason"):
                    finish_reason = piece["finish_reason"]
        except (ValueError, RuntimeError) as exc:
            raise GenerationError(
                say(
                    f"La génération a échoué ({exc}) : réessayez, ou raccourcissez la "
                    "conversation.",
                    f"Generation failed ({exc}): try again, or shorten the conversation.",
                )
            ) from exc
        if self.is_cancelled(rid):
            finish_reason = "cancelled"
        speed = (
            (len(ticks) - 1) / (ticks[-1] - ticks[0])
            if len(ticks) > 1 and ticks[-1] > ticks[0]
            else 0.0
        )
        self.emit(
            rid,
            ChatFinished(
                finish_reason,
                fitted.prompt_tokens,
                len(ticks),
                speed,
                (first_text or time.perf_counter()) - received,
            ),
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vigogne-desktop --worker")
    # The model takes every core it is given; LocalEngine says how much lower its priority
    # is than the app's (its NICENESS: the window's, to get the CPU at once when it draws).
    parser.add_argument("--niceness", type=int, default=0)
    niceness = parser.parse_args(argv).niceness
    # The protocol owns the real stdout; anything a library prints goes to stderr.
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    worker = Worker(out)
    threading.Thread(target=worker.read_stdin, args=(sys.stdin.buffer,), daemon=True).start()
    worker.serve()


if __name__ == "__main__":
    main()
