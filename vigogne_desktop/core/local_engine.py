"""LocalEngine: llama.cpp in a worker child (worker.py), spoken to in JSON lines.

A llama.cpp abort, an out-of-memory kill or a bad file ends the child, never the app:
the engine reports it as one sentence and starts a fresh child on the next load.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from typing import IO

from converters.messages import say

from . import errors
from .child import StderrTail, child_command
from .engine import ReplyStream
from .library import quick_check
from .protocol import (
    CancelRequest,
    ChatEvent,
    ChatFailed,
    ChatFinished,
    ChatRequest,
    ChatStarted,
    Event,
    LoadRequest,
    LoadSettings,
    Message,
    ModelInfo,
    Ready,
    Request,
    SamplingParams,
    TextChunk,
    TokenizeRequest,
    Tokens,
    UnloadRequest,
    WorkerError,
    decode_event,
    encode_request,
)

# The exception a worker error is raised as in the app, by the class name it sends.
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


class _Crashed:
    """Told to everyone still waiting when the child's stdout ends."""

    def __init__(self, message: str, details: str) -> None:
        self.message = message
        self.details = details


def _crash_sentence(*, during_reply: bool) -> str:
    """What the user reads when the child dies: what happened and what to do, no log."""
    if during_reply:
        return say(
            "Le moteur local s'est arrêté de façon inattendue pendant la réponse : réessayez ; "
            "si cela se reproduit, essayez un modèle plus petit ou moins de couches GPU.",
            "The local engine stopped unexpectedly during the reply: try again; if it happens "
            "again, try a smaller model or fewer GPU layers.",
        )
    return say(
        "Le moteur local s'est arrêté de façon inattendue : relancez-le ; si cela se "
        "reproduit, essayez un modèle plus petit ou moins de couches GPU.",
        "The local engine stopped unexpectedly: restart it; if it happens again, try a "
        "smaller model or fewer GPU layers.",
    )


def _not_running() -> str:
    return say(
        "Le moteur local n'est pas démarré : chargez un modèle.",
        "The local engine is not running: load a model.",
    )


# How much lower the model's priority is than the app's. The window must get the CPU at once
# when it has something to draw (bench/results/ui_responsiveness.md); the price is that any
# other program's load weighs more on the model (decode fell to 0.89x raw under a third of a
# core's background load, against 0.97x at 0). The terminal chat has no window: it asks 0.
NICENESS = 5


class LocalEngine:
    """llama.cpp in a child process. Thread-safe; one reply at a time is expected."""

    def __init__(self, *, startup_timeout_s: float = 60.0, niceness: int = NICENESS) -> None:
        self._startup_timeout_s = startup_timeout_s
        self._niceness = niceness
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: StderrTail | None = None
        self._write_lock = threading.Lock()
        self._pending: dict[str, queue.Queue[Event | _Crashed]] = {}
        self._replies: dict[str, ReplyStream] = {}
        self._ids = itertools.count(1)
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
        proc = subprocess.Popen(
            child_command("worker", "--niceness", str(self._niceness)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Buffered pipes: unbuffered, reading a line asks for one byte per system call,
            # some fifty calls (each a GIL hand-off) per token, paid for by the model's cores.
            bufsize=-1,
        )
        self._proc = proc
        assert proc.stdout is not None and proc.stderr is not None
        self._stderr = StderrTail(proc.stderr)
        # One queue per child: a crashed child's last word must not reach the next one.
        ready: queue.Queue[Event | _Crashed] = queue.Queue()
        threading.Thread(
            target=self._read_events, args=(proc, proc.stdout, ready), daemon=True
        ).start()
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
        if not isinstance(event, Ready):
            raise errors.EngineCrashed(*self._crash_report(proc))

    def _read_events(
        self,
        proc: subprocess.Popen[bytes],
        stream: IO[bytes],
        ready: queue.Queue[Event | _Crashed],
    ) -> None:
        for line in stream:
            try:
                rid, event = decode_event(line)
            except ValueError:
                continue  # a library printed on stdout: not ours
            if isinstance(event, Ready):
                ready.put(event)
                continue
            reply = self._replies.get(rid)
            if reply is not None:
                if isinstance(event, WorkerError):
                    reply.put(ChatFailed(event.message))
                elif isinstance(event, ChatStarted | TextChunk | ChatFinished):
                    reply.put(event)
                continue
            waiting = self._pending.get(rid)
            if waiting is not None:
                waiting.put(event)
        proc.wait()
        crashed = _Crashed(*self._crash_report(proc))
        ready.put(crashed)
        if self._replies:
            during = _crash_sentence(during_reply=True)
            for reply in list(self._replies.values()):
                reply.put(ChatFailed(during, crashed=True, details=crashed.details))
        for waiting in list(self._pending.values()):
            waiting.put(crashed)

    def _crash_report(self, proc: subprocess.Popen[bytes]) -> tuple[str, str]:
        """The sentence for the user, and the raw facts: how the child ended, its last log
        lines (llama.cpp's own words, which name tensors and contexts, not what to do)."""
        code = proc.returncode
        if code is not None and code < 0:
            try:
                name = f" ({signal.Signals(-code).name})"
            except ValueError:
                name = ""
            how = say(
                f"Le moteur s'est terminé par le signal {-code}{name}.",
                f"The engine ended with signal {-code}{name}.",
            )
        else:
            how = say(
                f"Le moteur s'est terminé avec le code {code}.",
                f"The engine ended with exit code {code}.",
            )
        log = self._stderr.lines(wait_s=0.5) if self._stderr is not None else []
        return _crash_sentence(during_reply=False), "\n".join([how, *log])

    def _write(self, rid: str, request: Request) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise errors.EngineNotReady(_not_running())
        try:
            with self._write_lock:
                proc.stdin.write(encode_request(rid, request))
                proc.stdin.flush()  # a cancel must reach the child now
        except (BrokenPipeError, OSError, ValueError):
            proc.wait()
            raise errors.EngineCrashed(*self._crash_report(proc)) from None

    def _call(self, request: Request) -> Event:
        """Send one request and wait for its single answer."""
        waiting: queue.Queue[Event | _Crashed] = queue.Queue()
        rid = str(next(self._ids))
        self._pending[rid] = waiting
        try:
            self._write(rid, request)
            event = waiting.get()
        finally:
            self._pending.pop(rid, None)
        if isinstance(event, _Crashed):
            raise errors.EngineCrashed(event.message, event.details)
        if isinstance(event, WorkerError):
            raise _ERRORS.get(event.kind, errors.VigogneError)(event.message)
        return event

    # -- the Engine interface --------------------------------------------------------

    def load(self, path: str, settings: LoadSettings | None = None) -> ModelInfo:
        """Load (or switch to) a GGUF model. Blocks until it is ready or has failed.

        A file that is not a GGUF is refused before anything changes; if llama.cpp cannot
        load the new file, the worker loads the previous model again, and `model` still
        names it (None if even that failed).
        """
        checked = quick_check(path)
        self.start()
        try:
            info = self._call(LoadRequest(str(checked), settings or LoadSettings()))
        except errors.ModelLoadError:
            if self.model is not None and not self._has_model():
                self.model = None
            raise
        assert isinstance(info, ModelInfo)
        self.model = info
        return info

    def _has_model(self) -> bool:
        """Whether the worker holds a model now (it answers a tokenize only then)."""
        try:
            self._call(TokenizeRequest(""))
        except errors.VigogneError:
            return False
        return True

    def unload(self) -> None:
        if self.alive and self.model is not None:
            self._call(UnloadRequest())
        self.model = None

    def tokenize(self, text: str) -> list[int]:
        """Tokens of the loaded model (no child is started for this: load a model first)."""
        answer = self._call(TokenizeRequest(text))
        assert isinstance(answer, Tokens)
        return answer.tokens

    def chat(
        self,
        messages: Sequence[Message],
        params: SamplingParams | None = None,
        prompt_format: str | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream a reply. `prompt_format` forces a Vigogne format for this reply only."""
        reply = ReplyStream()
        rid = str(next(self._ids))
        self._replies[rid] = reply
        self._current = rid
        finished = False
        try:
            if not self.alive:
                if self._proc is None:
                    yield ChatFailed(_not_running())
                else:  # it died while idle (an out-of-memory kill): the user can restart it
                    message, details = self._crash_report(self._proc)
                    yield ChatFailed(message, True, details)
                finished = True
                return
            request = ChatRequest(
                [dict(m) for m in messages], params or SamplingParams(), prompt_format
            )
            try:
                self._write(rid, request)
            except errors.EngineCrashed as exc:
                yield ChatFailed(_crash_sentence(during_reply=True), True, exc.details)
                finished = True
                return
            except errors.VigogneError as exc:
                yield ChatFailed(str(exc))
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
                self._write(rid, CancelRequest())

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
