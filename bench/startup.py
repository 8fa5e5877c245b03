"""App start to first painted window, timed from outside, against the floor Qt itself costs.

Each side is a process of its own started the same way (offscreen Qt): the app is
`vigogne-desktop` on a returning user's data folder (a history of conversations, a model
in the models folder and chosen last time, the language set); the floor is a bare PySide6
QMainWindow of the app's size. Both write one line to stderr once their first paint is
over (the app does it when VIGOGNE_DESKTOP_REPORT_FIRST_PAINT is set); the bench times the
line's arrival from the spawn, then ends the process by its pid. Pairs alternate, the
order flipping each time, after a warm-up that writes the bytecode an installed app has
(into bench/.cache/pycache) and puts the files in the page cache. The import time of the
main window module is measured the same way, against `import PySide6.QtWidgets`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core.history import History, default_path
from vigogne_desktop.ui.app import FIRST_PAINT_LINE, FIRST_PAINT_VARIABLE

from .models import CACHE
from .stats import machine, spread, summary, write

# The floor: what any PySide6 window costs here, reporting its first paint as the app does.
FLOOR = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, lambda: print(sys.argv[1], file=sys.stderr, flush=True))
        return False

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1180, 760)
window.installEventFilter(FirstPaint(window))
window.show()
app.exec()
"""
IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def returning_user(home: Path, conversations: int) -> None:
    """A data folder as a user leaves it: conversations, a model in use, the language set."""
    models = home / "models"
    models.mkdir(parents=True)
    model = write_random_llama(models / "tiny-chat-v2.gguf", TINY, seed=1)
    with History(default_path(home)) as history:
        for number in range(conversations):
            conversation = history.create_conversation()
            parent = None
            for turn in range(6):
                role = "user" if turn % 2 == 0 else "assistant"
                text = f"Message {turn} de la conversation {number}, assez long pour la liste. "
                parent = history.add_message(conversation.id, role, text * 4, parent_id=parent).id
    settings = {"language": "fr", "last_model": str(model)}
    (home / "settings.json").write_text(json.dumps(settings), encoding="utf-8")


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "VIGOGNE_DESKTOP_HOME": str(home)}
    env[FIRST_PAINT_VARIABLE] = "1"
    # An installed app runs from bytecode: keep it, outside the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    return env


def to_first_paint(command: list[str], env: dict[str, str]) -> float:
    """Seconds from the spawn to the first-paint line; the process is then ended by its pid."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    said = []
    for line in child.stderr:
        if line.strip() == FIRST_PAINT_LINE:
            painted = time.perf_counter() - started
            os.kill(child.pid, signal.SIGTERM)  # the app closes its window, engine and history
            child.communicate(timeout=30)
            return painted
        said.append(line)
    code = child.wait()
    raise RuntimeError(f"{command[0]} … ended with {code} before its first paint: {said[-3:]}")


def import_seconds(module: str, env: dict[str, str]) -> float:
    command = [sys.executable, "-c", IMPORT.format(module=module)]
    return float(subprocess.run(command, env=env, capture_output=True, check=True).stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--conversations", type=int, default=200)
    args = parser.parse_args(argv)
    entry_point = Path(sys.executable).with_name("vigogne-desktop")
    app = [str(entry_point)] if entry_point.exists() else [sys.executable, "-m", "vigogne_desktop"]
    floor = [sys.executable, "-c", FLOOR, FIRST_PAINT_LINE]
    modules = {"app": "vigogne_desktop.ui.main_window", "floor": "PySide6.QtWidgets"}
    with tempfile.TemporaryDirectory(prefix="vigogne-startup-") as tmp:
        home = Path(tmp) / "home"
        returning_user(home, args.conversations)
        env = environment(home)
        for command in (app, floor):
            to_first_paint(command, env)  # warm-up: bytecode written, files cached
        paint: dict[str, list[float]] = {"app": [], "floor": []}
        imports: dict[str, list[float]] = {"app": [], "floor": []}
        for pair in range(args.pairs):
            order = ("floor", "app") if pair % 2 == 0 else ("app", "floor")
            for side in order:
                paint[side].append(to_first_paint(app if side == "app" else floor, env))
                imports[side].append(import_seconds(modules[side], env))
            print(
                f"pair {pair + 1}: app {paint['app'][-1]:.3f} s, floor {paint['floor'][-1]:.3f} s"
                f" to the first paint; imports {imports['app'][-1]:.3f} s, "
                f"{imports['floor'][-1]:.3f} s",
                flush=True,
            )
    first = {side: summary(values) for side, values in paint.items()}
    ratio = summary([a / f for a, f in zip(paint["app"], paint["floor"], strict=True)])
    imported = {modules[side]: summary(values) for side, values in imports.items()}
    data = {
        "title": "App start to first painted window, from outside, against a bare Qt window",
        "setup": (
            f"A returning user's data folder ({args.conversations} conversations of 6 "
            "messages, a tiny model chosen last time, French), offscreen Qt, bytecode "
            f"cached; {args.pairs} alternated pairs after a warm-up. The floor is a bare "
            "PySide6 QMainWindow started the same way. Reproduce: "
            f"`python -m bench startup --pairs {args.pairs} "
            f"--conversations {args.conversations}`."
        ),
        "machine": machine(),
        "first_paint_seconds": first,
        "app_over_floor": ratio,
        "import_seconds": imported,
    }

    write(
        "startup",
        data,
        [
            ("app: start → first painted window", spread(first["app"], " s"), "< 1.0 s"),
            ("floor (bare PySide6 window): start → first paint", spread(first["floor"], " s"), ""),
            ("app / floor", spread(ratio), ""),
            *(
                (f"import of {module}", spread(seconds, " s"), "")
                for module, seconds in imported.items()
            ),
        ],
    )


if __name__ == "__main__":
    main()
