"""The terminal mode, as scripts and packaging checks use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from vigogne_desktop import __version__


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigogne_desktop", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_version_and_help() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"vigogne-desktop {__version__}"
    help_text = run("--help")
    assert help_text.returncode == 0
    for word in ("chat", "--self-test", "--model"):
        assert word in help_text.stdout
    chat_help = run("chat", "--help")
    for option in ("--system", "--format", "--max-tokens", "--temperature", "--seed"):
        assert option in chat_help.stdout


def test_chat_streams_a_greedy_answer(tiny_gguf: Path) -> None:
    question = ("Quelle est la capitale de la France ?", "--temperature", "0", "--max-tokens")
    first, second = (
        run("chat", str(tiny_gguf), *question, "12", "--n-ctx", "512") for _ in range(2)
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() and first.stdout == second.stdout


def test_system_and_format_change_the_prompt(tiny_gguf: Path) -> None:
    base = [
        "chat",
        str(tiny_gguf),
        "Bonjour",
        "--temperature",
        "0",
        "--max-tokens",
        "12",
        "--n-ctx",
        "512",
    ]
    plain = run(*base)
    other = run(*base, "--system", "Réponds toujours en une phrase.", "--format", "llama-2")
    assert plain.returncode == other.returncode == 0
    assert plain.stdout != other.stdout


def test_bad_model_is_one_clear_line(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("pas un modèle")
    result = run("chat", str(text), "Bonjour")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "n'est pas un modèle GGUF" in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_unknown_format_is_one_clear_line(tiny_gguf: Path) -> None:
    result = run("chat", str(tiny_gguf), "Bonjour", "--format", "alpaca")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "inconnu" in result.stderr


def test_self_test_without_and_with_a_model(tiny_gguf: Path) -> None:
    demo = run("--self-test")  # the bundled demo model, converted to Q8_0 on the way
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith("self-test OK: Vigogne démo") and "Paris" in demo.stdout
    given = run("--self-test", str(tiny_gguf))
    assert given.returncode == 0 and "format chat-v2" in given.stdout


def test_self_test_fails_on_a_missing_model(tmp_path: Path) -> None:
    result = run("--self-test", str(tmp_path / "absent.gguf"))
    assert result.returncode != 0 and "self-test failed" in result.stderr
