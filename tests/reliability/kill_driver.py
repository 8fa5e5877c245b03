"""The real app (`vigogne_desktop`'s own entry point, `--model MODEL`) asking questions on its
own, one after the other, and saying on stdout what the user would have seen, with the time:
`ready WORKER_PID T`, `asked MESSAGE_ID T QUESTION`, `shown MESSAGE_ID LENGTH T`.

Usage: python kill_driver.py MODEL.gguf RUN MAX_TOKENS (the data folder from
VIGOGNE_DESKTOP_HOME, as for the app). Only the test that kills it reads what it prints.
"""

from __future__ import annotations

import itertools
import sys
import time
from typing import Any

from PySide6.QtCore import QModelIndex, QTimer
from PySide6.QtWidgets import QApplication

from vigogne_desktop.__main__ import main

POLL_MS = 20


def tell(*words: object) -> None:
    # time.monotonic() is the machine's clock (CLOCK_MONOTONIC): the test compares it with its own.
    print(*words[:2], f"{time.monotonic():.6f}", *words[2:], flush=True)


class Asker:
    """Finds the window once the app has built it, then asks whenever it may."""

    def __init__(self, app: QApplication, run: str, max_tokens: int) -> None:
        self.app, self.run, self.max_tokens = app, run, max_tokens
        self.window: Any = None
        self.numbers = itertools.count(1)
        self.shown: dict[int, int] = {}
        self.timer = QTimer()
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.step)
        self.timer.start()

    def step(self) -> None:
        window = self.window
        if window is None:
            window = next(
                (w for w in self.app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None
            )
            if window is None:
                return
            self.window = window
            window.panel.max_tokens.setValue(self.max_tokens)
            window.panel.temperature.setValue(1.0)
            window.messages.dataChanged.connect(self.on_changed)
        if window.session.reply is not None or not window.send_button.isEnabled():
            return
        if not self.shown and window.engine.engine.pid is not None:
            tell("ready", window.engine.engine.pid)
            self.shown[0] = 0
        question = f"Question {self.run}-{next(self.numbers)} : raconte une longue histoire"
        window.composer.setPlainText(question)
        window.send()
        asked = window.messages.messages[-2]
        assert asked.role == "user" and asked.content == question, asked
        tell("asked", asked.id, question)

    def on_changed(self, top: QModelIndex, _bottom: QModelIndex, *_roles: object) -> None:
        message = self.window.messages.messages[top.row()]
        if message.role == "assistant" and len(message.content) != self.shown.get(message.id):
            self.shown[message.id] = len(message.content)
            tell("shown", message.id, len(message.content))


if __name__ == "__main__":
    model, run, max_tokens = sys.argv[1], sys.argv[2], int(sys.argv[3])
    application = QApplication(sys.argv[:1])  # the app's make_app() takes this one
    asker = Asker(application, run, max_tokens)
    sys.exit(main(["--model", model]))
