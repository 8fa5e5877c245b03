"""Kills of the app's children (`make test`): the converter SIGKILLed mid-write and
mid-quantize (as the system's out-of-memory killer would) leaves nothing under the final
name, and a rerun succeeds and leaves no leftovers (also when killed while it measures the
quantization); the engine child killed while a model loads is said and restarted by the
window."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from checkpoints import random_llama_checkpoint

from converters.quality_metadata import read_report_file

FIXTURES = Path(__file__).parents[1] / "fixtures"
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Llama checkpoint wide enough (about 50 MB) that its quantization takes a second."""
    return random_llama_checkpoint(
        tmp_path_factory.mktemp("kills") / "llama",
        n_embd=512,
        n_ff=1408,
        n_head=8,
        n_head_kv=4,
        n_layer=4,
    )


def convert_command(checkpoint: Path, output: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "converters.cli", str(checkpoint), "-o", str(output)] + [
        "--json",
        "--quant",
        "Q4_K_M",
        *options,
    ]


def kill_mid_phase(command: list[str], phase: str) -> None:
    """Run the converter and SIGKILL it once `phase` is under way, not at its end."""
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    try:
        for line in child.stdout:
            event = json.loads(line)
            if event.get("phase") == phase and event["tensor"] < event["tensors"]:
                os.kill(child.pid, signal.SIGKILL)
                break
        else:
            pytest.fail(f"the converter ended without a {phase} event mid-way")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def everything_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL")
@pytest.mark.parametrize("phase", ["convert", "quantize"])
def test_a_converter_killed_mid_phase_leaves_no_model_and_a_rerun_cleans_up(
    phase: str, checkpoint: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    output = out / "vigogne.Q4_K_M.gguf"
    kill_mid_phase(convert_command(checkpoint, output), phase)
    left = everything_in(out)
    # Nothing under the final name, and nothing a library would take for a model.
    assert output.name not in left and not [name for name in left if name.endswith(".gguf")], left

    rerun = subprocess.run(
        convert_command(checkpoint, output), cwd=ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert json.loads(rerun.stdout.splitlines()[-1])["phase"] == "done"
    # The killed run's part files were written over and removed, not left beside the model.
    assert everything_in(out) == [output.name]
    assert output.read_bytes()[:4] == b"GGUF"


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL")
def test_a_converter_killed_while_measuring_leaves_no_reference_behind(
    tmp_path: Path,
) -> None:
    """--measure's reference is the quantization's own part file: a kill while measuring
    leaves part files only, and the same command again needs no --force. (The small fixture:
    the wide checkpoint takes seconds to measure, twice; this one still measures over a few
    progress events.)"""
    out = tmp_path / "out"
    out.mkdir()
    output = out / "vigogne.Q4_K_M.gguf"
    command = convert_command(FIXTURES / "llama", output, "--measure")
    kill_mid_phase(command, "measure")
    left = everything_in(out)
    assert left and not [name for name in left if name.endswith(".gguf")], left

    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert "quality" in json.loads(rerun.stdout.splitlines()[-1])
    assert everything_in(out) == [output.name]  # no reference, no part file left behind
    assert read_report_file(output) is not None


@pytest.mark.skipif(sys.platform == "win32", reason="no SIGKILL")
def test_the_engine_killed_while_a_model_loads_is_said_and_restarted(  # type: ignore[no-untyped-def]
    qtbot, window, tiny_gguf: Path
) -> None:
    from PySide6.QtCore import Qt

    window.load_model(str(tiny_gguf))
    qtbot.waitUntil(lambda: window.engine.engine.pid is not None, timeout=30000)
    assert window.session.loading
    pid = window.engine.engine.pid
    os.kill(pid, signal.SIGKILL)  # the child is still starting or reading the file
    # The window says the engine stopped, and offers to start it again with this model.
    qtbot.waitUntil(window.banner.isVisible, timeout=30000)
    sentence = window.banner.text.text()
    assert "stopped" in sentence and sentence.endswith(".") and "\n" not in sentence
    # Both ways on: the same file again, or another one; no reply failed, so no « Retry ».
    assert window.banner.restart_button.isVisible() and window.banner.choose_button.isVisible()
    assert not window.banner.retry_button.isVisible()
    assert window.banner.details_button.isVisible()  # how the child ended, behind « Details »
    qtbot.mouseClick(window.banner.restart_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=60000)
    assert window.engine.engine.pid not in (None, pid) and not window.banner.isVisible()
