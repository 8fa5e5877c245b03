"""Hostile chat templates in GGUF metadata: rendered in Jinja's sandbox, never run as
Python (a canary file their payload would write stays absent); the model still loads and
chats in the Vigogne format of the model table, and the load says so once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import gguf
import pytest
from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core import LocalEngine
from vigogne_desktop.core.prompts import (
    FILE_TEMPLATE,
    FILE_TEMPLATE_SECONDS,
    FormatChoice,
    PromptFormatError,
    SpecialTokens,
    build_prompt,
    format_for_loaded_file,
)
from vigogne_desktop.core.protocol import (
    ChatFailed,
    ChatFinished,
    ChatStarted,
    LoadSettings,
    SamplingParams,
    TextChunk,
)

SHORT = SamplingParams(temperature=0.0, max_tokens=4)
QUESTION = [{"role": "user", "content": "Bonjour"}]


def payloads(canary: Path) -> dict[str, str]:
    """Templates that reach for Python, each of which would create `canary` if it ran."""
    touch = f"touch {canary}"
    return {
        "subclasses": (
            "{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
            f"{{% if c.__name__ == 'Popen' %}}{{{{ c('{touch}', shell=True) }}}}{{% endif %}}"
            "{% endfor %}"
        ),
        "cycler-globals": f"{{{{ cycler.__init__.__globals__.os.popen('{touch}').read() }}}}",
        "joiner-globals": f"{{{{ joiner.__init__.__globals__['os'].system('{touch}') }}}}",
        "self-globals": "{{ self.__init__.__globals__.__builtins__.open('x', 'w') }}",
        # Not even Jinja: llama-cpp-python compiled it during Llama() and failed the load.
        "broken-syntax": "{% for m in messages %}{{ m['content'] ",
        "nested-loops": (
            "{% for i in range(100000) %}{% for j in range(100000) %}"
            "{{ '' }}{% endfor %}{% endfor %}"
        ),
        "recursion": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    }


def with_template(source: Path, out: Path, template: str) -> Path:
    """`source` with its chat template replaced, as a downloaded third-party file would be."""
    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(out, "llama")
    details = MetadataDetails(gguf.GGUFValueType.STRING, template)
    copy_with_new_metadata(reader, writer, {gguf.Keys.Tokenizer.CHAT_TEMPLATE: details}, [])
    return out


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Named like an entry of the model table: its format is the one to fall back on.
    folder = tmp_path_factory.mktemp("hostile")
    return write_random_llama(
        folder / "vigogne-7b-instruct.gguf", TINY, seed=3, prompt_format=None, name=""
    )


@pytest.fixture(scope="module")
def local() -> Iterator[LocalEngine]:
    with LocalEngine() as engine:
        yield engine


@pytest.mark.parametrize("payload", list(payloads(Path("canary"))))
def test_a_hostile_template_falls_back_to_the_model_tables_format(
    payload: str, plain: Path, local: LocalEngine, tmp_path: Path
) -> None:
    canary = tmp_path / "CANARY"
    path = with_template(plain, tmp_path / plain.name, payloads(canary)[payload])

    info = local.load(str(path), LoadSettings(n_ctx=512, n_threads=2, seed=1))
    assert (info.prompt_format, info.format_source) == ("instruct", "catalog")
    assert info.load_note.count(plain.name) == 1
    assert "instruct" in info.load_note

    events = list(local.chat(QUESTION, SHORT))
    assert isinstance(events[0], ChatStarted)
    assert isinstance(events[-1], ChatFinished), events[-1]
    assert any(isinstance(e, TextChunk) for e in events)
    assert not any(isinstance(e, ChatFailed) for e in events)
    assert not canary.exists()


def test_a_template_that_fails_only_later_gives_way_mid_conversation(
    plain: Path, local: LocalEngine, tmp_path: Path
) -> None:
    # Good for the load's trial conversations, hostile from the third round on.
    template = (
        "{% if messages|length > 4 %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endif %}"
        "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}"
        "{{ 'assistant:' }}"
    )
    path = with_template(plain, tmp_path / plain.name, template)
    info = local.load(str(path), LoadSettings(n_ctx=512, n_threads=2, seed=1))
    assert (info.prompt_format, info.load_note) == (FILE_TEMPLATE, "")
    long_talk = [
        {"role": role, "content": f"tour {i}"} for i in range(3) for role in ("user", "assistant")
    ][:-1]
    events = list(local.chat(long_talk, SHORT))
    assert isinstance(events[-1], ChatFinished), events[-1]
    (started,) = [e for e in events if isinstance(e, ChatStarted)]
    assert plain.name in started.note and "instruct" in started.note  # said, and said once:
    # the table's format stays, and the next, short conversation is prompted with it too.
    events = list(local.chat(QUESTION, SHORT))
    assert isinstance(events[-1], ChatFinished), events[-1]
    assert [e.note for e in events if isinstance(e, ChatStarted)] == [""]


def test_a_looping_template_is_stopped_in_time() -> None:
    looping = payloads(Path("canary"))["nested-loops"]
    metadata = {"tokenizer.chat_template": looping, "general.name": "Vigogne-2-7B-Chat"}
    started = time.monotonic()
    choice, spare, note = format_for_loaded_file(
        None, metadata, "x.gguf", SpecialTokens("<s>", "</s>")
    )
    assert time.monotonic() - started < 2 * FILE_TEMPLATE_SECONDS
    assert choice == spare and choice.name == "chat-v2" and note


def test_the_oracle_can_fail_a_sound_file_template_is_kept() -> None:
    # A harmless template that is not ours stays the file's: the check sets aside only
    # templates that fail, and one that fails in plain Python is one of them.
    special = SpecialTokens("<s>", "</s>")
    sound = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    choice, _spare, note = format_for_loaded_file(
        None, {"tokenizer.chat_template": sound}, "x.gguf", special
    )
    assert (choice.name, note) == (FILE_TEMPLATE, "")
    assert build_prompt(choice, QUESTION, special).text == "Bonjour"
    dividing = FormatChoice(FILE_TEMPLATE, "{{ 1 / 0 }}", (), "file")
    with pytest.raises(PromptFormatError):
        build_prompt(dividing, QUESTION, special)
