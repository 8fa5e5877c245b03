"""vigogne-convert inspect on real GGUF files, and on files that are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def convert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "converters.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_inspect_prints_metadata_and_tensors(tiny_gguf: Path) -> None:
    result = convert("inspect", str(tiny_gguf))
    assert result.returncode == 0, result.stderr
    assert "21 tensors" in result.stdout
    assert '"Vigogne synthétique"' in result.stdout
    assert "vigogne.prompt_format" in result.stdout and '"chat-v2"' in result.stdout
    assert "token_embd.weight" in result.stdout and "64×512" in result.stdout


def test_inspect_json_is_machine_readable(tiny_gguf: Path) -> None:
    result = convert("inspect", "--json", str(tiny_gguf))
    data = json.loads(result.stdout)
    assert data["metadata"]["llama.embedding_length"] == 64
    names = {t["name"]: t for t in data["tensors"]}
    assert names["token_embd.weight"]["shape"] == [64, 512]
    assert names["token_embd.weight"]["type"] == "F32"
    assert names["token_embd.weight"]["bytes"] == 64 * 512 * 4


def test_inspect_refuses_other_files_in_one_line(tmp_path: Path) -> None:
    other = tmp_path / "notes.gguf"
    other.write_text("bonjour")
    for target in (other, tmp_path / "absent.gguf"):
        result = convert("inspect", str(target))
        assert result.returncode == 1
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
