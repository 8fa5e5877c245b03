"""LocalEngine against the real worker child and the real llama.cpp."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

import vigogne_desktop.core
from converters import synthetic
from converters.templates import FORMATS
from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.errors import EngineCrashed, ModelFileError, ModelLoadError
from vigogne_desktop.core.protocol import (
    CancelRequest,
    ChatEvent,
    ChatFailed,
    ChatFinished,
    ChatRequest,
    ChatStarted,
    Event,
    LoadRequest,
    LoadSettings,
    Ready,
    Request,
    SamplingParams,
    TextChunk,
    Tokens,
    WorkerError,
    decode_event,
    decode_request,
    encode_event,
    encode_request,
)

GREEDY = SamplingParams(temperature=0.0, max_tokens=24)
QUESTION = [{"role": "user", "content": "Bonjour ! Quelle est la capitale de la France ?"}]


def text_of(events: list[ChatEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextChunk))


@pytest.mark.parametrize(
    "request_",
    [
        LoadRequest("/modèles/m.gguf", LoadSettings(n_ctx=512, prompt_format="instruct")),
        ChatRequest(
            [{"role": "user", "content": "Ça va ?"}],
            SamplingParams(stop=("\n\n",), logit_bias={2: -100.0}, seed=7),
            "llama-2",
        ),
        CancelRequest(),
    ],
)
def test_requests_read_back_as_written(request_: Request) -> None:
    line = encode_request("7", request_)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_request(line) == ("7", request_)


@pytest.mark.parametrize(
    "event",
    [
        Ready(42),
        ChatStarted(12, 3, 1),
        TextChunk(" Bonjour\n"),
        ChatFinished("length", 12, 24, 50.5, 0.1),
        Tokens([1, 2, 3]),
        WorkerError("ModelLoadError", "Modèle illisible."),
    ],
)
def test_events_read_back_as_written(event: Event) -> None:
    assert decode_event(encode_event("3", event)) == ("3", event)


def test_lines_that_are_not_ours_are_refused() -> None:
    for line in (b"llama.cpp says hello\n", b"[1, 2]\n", b'{"event": "delta"}\n'):
        with pytest.raises(ValueError):
            decode_event(line)


def test_load_reports_the_model(engine: LocalEngine, tiny_gguf: Path) -> None:
    info = engine.model
    assert info is not None
    assert info.architecture == "llama"
    assert info.name == "Vigogne synthétique"
    assert info.prompt_format == "chat-v2" and info.format_source == "file"
    assert info.n_ctx == 2048 and info.file_type == "ALL_F32"
    assert info.path == str(tiny_gguf)


def test_reply_streams_in_order_and_counts_tokens(engine: LocalEngine) -> None:
    events = list(engine.chat(QUESTION, GREEDY))
    assert isinstance(events[0], ChatStarted) and events[0].prompt_tokens > 0
    chunks = [e for e in events if isinstance(e, TextChunk)]
    assert len(chunks) > 3
    done = events[-1]
    assert isinstance(done, ChatFinished)
    assert done.finish_reason == "length" and done.completion_tokens == 24
    assert done.tokens_per_second > 0
    assert done.prompt_tokens == events[0].prompt_tokens
    # The space the model writes after "<|assistant|>:" is not part of the reply.
    assert not chunks[0].text[0].isspace()


def test_stream_equals_llama_cpp_python_in_process(engine: LocalEngine, tiny_gguf: Path) -> None:
    # The worker must not change what llama.cpp says: same prompt, same greedy reply.
    streamed = text_of(list(engine.chat(QUESTION, GREEDY)))
    llm = Llama(str(tiny_gguf), n_ctx=2048, n_threads=2, verbose=False)
    llm.chat_handler = Jinja2ChatFormatter(
        FORMATS["chat-v2"].template, eos_token="</s>", bos_token="<s>", stop_token_ids=[2]
    ).to_chat_handler()
    reply = llm.create_chat_completion(
        QUESTION,
        temperature=0.0,
        max_tokens=24,
        top_k=0,
        top_p=1.0,
        min_p=0.0,
        repeat_penalty=1.1,
        stop=list(FORMATS["chat-v2"].stop),
    )
    llm.close()
    assert streamed == reply["choices"][0]["message"]["content"].lstrip()
    assert streamed


def test_prompt_tokens_match_the_models_tokenizer(engine: LocalEngine) -> None:
    started = next(iter(engine.chat(QUESTION, GREEDY)))
    assert isinstance(started, ChatStarted)
    expected = engine.tokenize(
        "<s><|system|>: "
        + FORMATS["chat-v2"].default_system
        + "\n<|user|>: Bonjour ! Quelle est la capitale de la France ?\n<|assistant|>:"
    )
    assert started.prompt_tokens == len(expected)


def test_a_reply_can_force_another_format_without_reloading(engine: LocalEngine) -> None:
    question = [
        {"role": "system", "content": "Sois bref."},
        {"role": "user", "content": "Traduis « bonjour »"},
    ]
    instruct = list(engine.chat(question, GREEDY, prompt_format="instruct"))
    expected = engine.tokenize(
        "<s>Sois bref.\n\n### Instruction:\nTraduis « bonjour »\n\n### Réponse:\n"
    )
    assert isinstance(instruct[0], ChatStarted)
    assert instruct[0].prompt_tokens == len(expected)
    assert isinstance(instruct[-1], ChatFinished)
    # The next reply without a forced format is back on the model's own (chat-v2).
    chat_v2 = engine.tokenize(
        "<s><|system|>: Sois bref.\n<|user|>: Traduis « bonjour »\n<|assistant|>:"
    )
    assert len(chat_v2) != len(expected)
    started = next(iter(engine.chat(question, GREEDY)))
    assert isinstance(started, ChatStarted) and started.prompt_tokens == len(chat_v2)


def test_cancel_mid_stream_stops_and_engine_stays_usable(engine: LocalEngine) -> None:
    long_reply = SamplingParams(temperature=0.0, max_tokens=1800)
    chunks = 0
    events: list[ChatEvent] = []
    for event in engine.chat(QUESTION, long_reply):
        events.append(event)
        if isinstance(event, TextChunk):
            chunks += 1
            if chunks == 5:
                engine.cancel()
    done = events[-1]
    assert isinstance(done, ChatFinished) and done.finish_reason == "cancelled"
    assert done.completion_tokens < 1800
    # No text reaches the caller after cancel().
    assert sum(isinstance(e, TextChunk) for e in events) == 5
    after = list(engine.chat(QUESTION, SamplingParams(temperature=0.0, max_tokens=4)))
    assert isinstance(after[-1], ChatFinished) and after[-1].completion_tokens == 4


def test_seed_makes_sampling_repeatable(engine: LocalEngine) -> None:
    params = SamplingParams(temperature=0.9, top_k=40, max_tokens=16, seed=1234)
    first = text_of(list(engine.chat(QUESTION, params)))
    second = text_of(list(engine.chat(QUESTION, params)))
    other = text_of(
        list(
            engine.chat(QUESTION, SamplingParams(temperature=0.9, top_k=40, max_tokens=16, seed=99))
        )
    )
    assert first == second
    assert first != other


def test_long_history_is_trimmed_and_reported(tiny_gguf: Path) -> None:
    rounds = []
    for i in range(30):
        rounds += [
            {"role": "user", "content": f"Question numéro {i} : parle-moi de la France."},
            {"role": "assistant", "content": f"Réponse numéro {i} : la France est un pays."},
        ]
    messages = [
        {"role": "system", "content": "Sois bref."},
        *rounds,
        {"role": "user", "content": "Et la capitale ?"},
    ]
    with LocalEngine() as local:
        local.load(str(tiny_gguf), LoadSettings(n_ctx=512, n_threads=2))
        events = list(local.chat(messages, SamplingParams(temperature=0.0, max_tokens=64)))
    started, done = events[0], events[-1]
    assert isinstance(started, ChatStarted) and started.dropped_rounds > 0
    assert started.prompt_tokens + 64 <= 512
    assert isinstance(done, ChatFinished) and done.completion_tokens == 64


def test_killed_worker_is_reported_and_engine_restarts(tiny_gguf: Path) -> None:
    with LocalEngine() as local:
        local.load(str(tiny_gguf), LoadSettings(n_ctx=2048, n_threads=2))
        pid = local.pid
        assert pid is not None
        events: list[ChatEvent] = []
        for event in local.chat(QUESTION, SamplingParams(temperature=0.0, max_tokens=1800)):
            events.append(event)
            if len(events) == 3:
                os.kill(pid, signal.SIGKILL)
        failed = events[-1]
        assert isinstance(failed, ChatFailed) and failed.crashed
        assert "arrêté de façon inattendue" in failed.message and "signal 9" in failed.details
        assert not local.alive
        with pytest.raises(EngineCrashed):
            local.tokenize("Bonjour")
        # Loading again starts a fresh child.
        local.load(str(tiny_gguf), LoadSettings(n_ctx=2048, n_threads=2))
        assert local.pid != pid
        again = list(local.chat(QUESTION, GREEDY))
        assert isinstance(again[-1], ChatFinished)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.startswith("State:") and "Z" in line for line in status)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_dies_with_its_parent(tiny_gguf: Path) -> None:
    script = (
        "import sys, time\n"
        "from vigogne_desktop.core import LocalEngine\n"
        "e = LocalEngine(); e.load(sys.argv[1])\n"
        "print(e.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tiny_gguf)], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    worker_pid = int(parent.stdout.readline())
    assert not _gone(worker_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _gone(worker_pid):
        time.sleep(0.05)
    assert _gone(worker_pid), "the worker outlived its parent"


def test_missing_file_is_rejected_before_starting(tmp_path: Path) -> None:
    local = LocalEngine()
    with pytest.raises(ModelFileError, match="n'existe pas"):
        local.load(str(tmp_path / "absent.gguf"))
    assert local.pid is None  # nothing was started for a file that is not there


def test_non_gguf_file_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "modele.gguf"
    fake.write_text("ceci n'est pas un modèle\n" * 10)
    with pytest.raises(ModelFileError, match="n'est pas un modèle GGUF"):
        LocalEngine().load(str(fake))


def test_truncated_gguf_is_rejected_with_a_reason(tmp_path: Path, tiny_gguf: Path) -> None:
    cut = tmp_path / "tronque.gguf"
    data = tiny_gguf.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    with LocalEngine() as local:
        with pytest.raises(ModelLoadError, match="tronqué|endommagé"):
            local.load(str(cut))
        # Refused from its header, before a child was started; a good file loads next.
        assert local.pid is None
        assert local.load(str(tiny_gguf)).architecture == "llama"


def test_chat_without_model_fails_cleanly() -> None:
    events = list(LocalEngine().chat(QUESTION))
    assert len(events) == 1 and isinstance(events[0], ChatFailed)
    assert "chargez un modèle" in events[0].message


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="n'est pas un fichier"):
        LocalEngine().load(str(tmp_path))


def test_switching_models_picks_each_ones_format(tiny_gguf: Path, bare_gguf: Path) -> None:
    with LocalEngine() as local:
        first = local.load(str(tiny_gguf), LoadSettings(n_ctx=512))
        pid = local.pid
        # No template in the file: the seed's table names vigogne-7b-instruct's format.
        second = local.load(str(bare_gguf), LoadSettings(n_ctx=512))
        assert local.pid == pid  # same child, new model
        assert (first.prompt_format, first.format_source) == ("chat-v2", "file")
        assert (second.prompt_format, second.format_source) == ("instruct", "catalog")
        events = list(local.chat(QUESTION, GREEDY))
        assert isinstance(events[-1], ChatFinished) and events[-1].completion_tokens == 24
        local.unload()
        assert local.model is None
        after = list(local.chat(QUESTION, GREEDY))
        assert isinstance(after[-1], ChatFailed) and "Aucun modèle" in after[-1].message


FALCON_EOS = "<|endoftext|>"


@pytest.fixture(scope="module")
def falcon_eos_gguf(models_dir: Path) -> Path:
    """A tiny GGUF whose end-of-sequence token is Falcon's `<|endoftext|>`, not `</s>`."""
    llama_vocab = synthetic._vocab

    def falcon_vocab(n_vocab: int) -> tuple[list[str], list[float], list[int]]:
        tokens, scores, types = llama_vocab(n_vocab)
        tokens[2] = FALCON_EOS  # token 2 stays the EOS id; only its text changes
        return tokens, scores, types

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synthetic, "_vocab", falcon_vocab)
        return synthetic.write_random_llama(models_dir / "falcon-eos.gguf", seed=3)


def test_prompt_tokens_count_the_models_own_eos(falcon_eos_gguf: Path) -> None:
    # Each past answer ends with the model's EOS: counted as `</s>`, a Falcon, MPT or
    # BLOOM prompt would be mis-measured, and history trimmed on a wrong count.
    history = [
        {"role": "user", "content": "Quelle est la capitale de la France ?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "Et celle de l'Italie ?"},
    ]
    prompt = (
        "<s><|system|>: " + FORMATS["chat-v2"].default_system + "\n<|user|>: Quelle est la "
        "capitale de la France ?\n<|assistant|>: Paris.{eos}\n<|user|>: Et celle de "
        "l'Italie ?\n<|assistant|>:"
    )
    with LocalEngine() as local:
        local.load(str(falcon_eos_gguf), LoadSettings(n_ctx=512, n_threads=2))
        events = list(local.chat(history, GREEDY))
        real = local.tokenize(prompt.format(eos=FALCON_EOS))
        assumed = local.tokenize(prompt.format(eos="</s>"))
    assert len(assumed) != len(real)  # the oracle can fail
    started = events[0]
    assert isinstance(started, ChatStarted) and started.prompt_tokens == len(real)
    assert isinstance(events[-1], ChatFinished) and events[-1].completion_tokens == 24


def test_the_documented_script_streams_a_reply(tiny_gguf: Path) -> None:
    # The example in vigogne_desktop/core's docstring (and the README), run as a user would.
    doc = vigogne_desktop.core.__doc__ or ""
    example = textwrap.dedent(doc.split("::\n", 1)[1])
    assert len(example.strip().splitlines()) == 5
    script = example.replace("vigogne-2-7b-chat.Q4_K_M.gguf", str(tiny_gguf)) + (
        "import sys\nprint('\\nQt:', any(m.startswith('PySide6') for m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    reply, qt = result.stdout.rsplit("\nQt:", 1)
    assert len(reply.split()) > 20 and qt.strip() == "False"


def test_the_script_api_names_are_importable() -> None:
    from vigogne_desktop.core import (  # noqa: F401
        ChatFailed,
        ChatFinished,
        LoadSettings,
        LocalEngine,
        RemoteEngine,
        SamplingParams,
        TextChunk,
    )


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities here")
def test_the_model_yields_to_the_window_but_not_to_a_terminal_chat() -> None:
    # The window's engine runs the model a little lower, so drawing gets the CPU at once; the
    # terminal chat has no window, and a lower priority there only lets other load slow it.
    own = os.getpriority(os.PRIO_PROCESS, 0)
    for engine, expected in ((LocalEngine(), min(own + 5, 19)), (LocalEngine(niceness=0), own)):
        with engine:
            engine.start()
            assert engine.pid is not None
            assert os.getpriority(os.PRIO_PROCESS, engine.pid) == expected
