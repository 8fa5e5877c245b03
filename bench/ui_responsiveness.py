"""The window never waits: longest event-loop stall while a model loads, while a long
reply streams and while a 1,000-message conversation opens; and the speed the user sees
next to the engine's own, with the CPU each process spends.

The stall is measured by a 2 ms precise timer in the GUI thread: the longest gap between
two of its ticks, less the 2 ms, is the longest time the window could not react.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .models import tinyllama_q4_k_m
from .stats import machine, write

TICK_MS = 2
EOS_ID = 2  # the synthetic vocabulary's </s>: pushed down so replies run to max_tokens


class StallMeter:
    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last:
            self.gaps.append(now - self._last)
        self._last = now

    def __enter__(self) -> StallMeter:
        self.gaps.clear()
        self._last = 0.0
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.stop()

    @property
    def longest_ms(self) -> float:
        return max(0.0, (max(self.gaps, default=0.0) * 1000) - TICK_MS)


def run_until(done: Callable[[], bool], timeout_s: float) -> None:
    """Run the Qt event loop until `done()` (checked every 10 ms)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(10)
    deadline = time.monotonic() + timeout_s

    def poll() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()
    if not done():
        raise TimeoutError("the benchmark step did not finish in time")


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a child process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


MARKDOWN_REPLY = (
    "Voici une réponse **détaillée** sur le sujet, avec une liste :\n\n"
    "- premier point, assez long pour passer à la ligne dans la fenêtre ;\n"
    "- deuxième point avec du `code` ;\n- troisième point.\n\n"
    "```python\nfor i in range(3):\n    print(i)\n```\n\n"
    "| Ville | Pays |\n|---|---|\n| Paris | France |\n| Rome | Italie |\n"
)


def long_reply(window: Any, model: str, tokens: int, meter: StallMeter) -> dict[str, Any]:
    from vigogne_desktop.core.protocol import LoadSettings, SamplingParams

    window.load_model(model, LoadSettings(n_ctx=tokens + 512, n_threads=2, seed=1))
    run_until(lambda: window.session.model is not None, 300)
    window.new_conversation()
    window.session.conv_settings.sampling = SamplingParams(
        temperature=0.8, max_tokens=tokens, logit_bias={EOS_ID: -100.0}
    )
    finished: list[Any] = []
    window.engine.worker.finished.connect(finished.append)
    render_times: list[float] = []
    original = window.chat.render_reply

    def timed_render() -> None:
        reply = window.session.reply
        busy = reply is not None and reply.dirty  # an update with new text
        started = time.perf_counter()
        original()
        if busy:
            render_times.append(time.perf_counter() - started)

    window.chat.render_timer.timeout.disconnect()
    window.chat.render_timer.timeout.connect(timed_render)
    child = window.engine.engine.pid
    gui_before, child_before = self_cpu(), cpu_of(child)
    window.composer.setPlainText("Raconte-moi une très longue histoire.")
    with meter:
        window.send()
        reply = window.session.reply
        run_until(lambda: bool(finished), 3600)
    gui_cpu, child_cpu = self_cpu() - gui_before, cpu_of(child) - child_before
    done = finished[0]
    tenth = max(1, len(render_times) // 10)
    return {
        "tokens_engine": done.completion_tokens,
        "tokens_shown": reply.tokens,
        "engine_tokens_per_s": done.tokens_per_second,
        "shown_tokens_per_s": reply.tokens_per_second,
        "shown_over_engine": reply.tokens_per_second / done.tokens_per_second,
        "longest_stall_ms": meter.longest_ms,
        "gui_cpu_s": gui_cpu,
        "model_cpu_s": child_cpu,
        "gui_over_model_cpu": gui_cpu / child_cpu,
        "render_ms_first_tenth": 1000 * statistics.median(render_times[:tenth]),
        "render_ms_last_tenth": 1000 * statistics.median(render_times[-tenth:]),
        "renders": len(render_times),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="vigogne-bench-ui-"))
    os.environ["VIGOGNE_DESKTOP_HOME"] = str(home)

    from converters.synthetic import TINY, write_random_llama
    from vigogne_desktop.core.history import History, default_path
    from vigogne_desktop.core.protocol import LoadSettings
    from vigogne_desktop.core.settings import AppSettings
    from vigogne_desktop.ui.app import make_app
    from vigogne_desktop.ui.main_window import MainWindow

    big = str(tinyllama_q4_k_m())
    tiny = str(write_random_llama(home / "tiny.gguf", TINY, seed=1))
    with History(default_path(home)) as history:
        cid = history.create_conversation(title="Longue conversation").id
        parent = None
        for number in range(args.messages):
            role = "user" if number % 2 == 0 else "assistant"
            text = f"Question {number} : peux-tu détailler ?" if role == "user" else MARKDOWN_REPLY
            parent = history.add_message(cid, role, text, parent_id=parent).id

    app, _ = make_app()
    window = MainWindow(AppSettings())
    window.resize(1180, 760)
    window.show()
    meter = StallMeter()
    results: dict[str, Any] = {"machine": machine()}

    with meter:
        window.load_model(big, LoadSettings(n_ctx=2048, n_threads=2))
        run_until(lambda: window.session.model is not None, 300)
    load_seconds = window.session.model.load_seconds
    results["load"] = {"longest_stall_ms": meter.longest_ms, "seconds": load_seconds}

    with meter:
        started = time.perf_counter()
        window.open_conversation(cid)
        run_until(lambda: window.messages.rowCount() == args.messages, 60)
        first_shown = time.perf_counter() - started
        run_until(lambda: not window.chat_view.building, 600)
        all_built = time.perf_counter() - started
    results["open"] = {
        "messages": args.messages,
        "longest_stall_ms": meter.longest_ms,
        "first_messages_shown_s": first_shown,
        "first_screenful_built_s": all_built,
    }

    results["stream_tiny"] = long_reply(window, tiny, args.tokens, meter)
    results["stream_1b"] = long_reply(window, big, args.tokens, meter)
    window.close()
    app.processEvents()

    results["title"] = "Window responsiveness"
    results["setup"] = (
        f"Offscreen Qt, {machine()['cpu_count']} cores, the real worker child. Replies of "
        f"{args.tokens} tokens (end-of-sequence suppressed) from the tiny test model (fast: "
        "the hardest case for the window) and from a TinyLlama-1.1B-shaped Q4_K_M with random "
        "weights (realistic speed), 2 threads. Stall: longest gap of a 2 ms timer, less 2 ms."
    )
    tiny_r, big_r = results["stream_tiny"], results["stream_1b"]

    def both(key: str, fmt: str) -> str:
        return f"tiny {fmt.format(tiny_r[key])} · 1.1B {fmt.format(big_r[key])}"

    rows = [
        (
            "longest stall while the 1.1B model loads",
            f"{results['load']['longest_stall_ms']:.1f} ms "
            f"(load {results['load']['seconds']:.2f} s)",
            "< 50 ms",
        ),
        (
            f"longest stall while {args.messages} messages open",
            f"{results['open']['longest_stall_ms']:.1f} ms (newest shown after "
            f"{first_shown * 1000:.0f} ms, first screenful built after {all_built:.1f} s)",
            "< 50 ms",
        ),
        (
            f"longest stall while a {args.tokens}-token reply streams",
            both("longest_stall_ms", "{:.1f} ms"),
            "< 50 ms",
        ),
        (
            "tokens/s shown / engine's tokens/s",
            both("shown_over_engine", "{:.3f}"),
            "within 3 % (0.97–1.03)",
        ),
        (
            "tokens/s (shown, engine)",
            f"tiny {tiny_r['shown_tokens_per_s']:.1f}, {tiny_r['engine_tokens_per_s']:.1f} · "
            f"1.1B {big_r['shown_tokens_per_s']:.1f}, {big_r['engine_tokens_per_s']:.1f}",
            "—",
        ),
        (
            "CPU: GUI process / model process",
            both("gui_over_model_cpu", "{:.1%}"),
            "small next to the model's",
        ),
        (
            "CPU seconds (GUI, model)",
            f"tiny {tiny_r['gui_cpu_s']:.1f}, {tiny_r['model_cpu_s']:.1f} · "
            f"1.1B {big_r['gui_cpu_s']:.1f}, {big_r['model_cpu_s']:.1f}",
            "—",
        ),
        (
            "redraw per update, first tenth → last tenth of the reply",
            f"tiny {tiny_r['render_ms_first_tenth']:.2f} → "
            f"{tiny_r['render_ms_last_tenth']:.2f} ms · "
            f"1.1B {big_r['render_ms_first_tenth']:.2f} → {big_r['render_ms_last_tenth']:.2f} ms",
            "does not grow with the reply",
        ),
    ]
    write("ui_responsiveness", results, rows)
