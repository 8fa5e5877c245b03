"""Render the main views offscreen into docs/screenshots/ (`make screenshots`).

Light and dark, French and English, at 100 % and 1366×768 (the welcome, the chat and the
library also at 960×600); the French chat view also at 125 % and 150 % (each scale in its
own process, as Qt reads QT_SCALE_FACTOR at start);
`--library` renders the library pictures only. The model
is the real demo model, converted on first use, and the chat shown is a real conversation
with it: every figure on a picture comes from that run. The Markdown conversation is an
import, the way a user would bring one in, titled as an example and carrying no figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
HOME = Path(tempfile.gettempdir()) / "vigogne-desktop-screenshots"
LAPTOP, SMALL = (1366, 768), (960, 600)  # window sizes, in device-independent pixels

EXAMPLE = {
    "format": "vigogne-desktop.conversation",
    "version": 1,
    "title": "Exemple importé : listes et tuples en Python",
    "messages": [
        {
            "id": 1,
            "parent": None,
            "role": "user",
            "content": "Quelle est la différence entre une liste et un tuple en Python ?",
        },
        {
            "id": 2,
            "parent": 1,
            "role": "assistant",
            "content": (
                "Les deux rangent des éléments dans l'ordre, mais :\n\n"
                "- une **liste** se modifie (`append`, `remove`…) ;\n"
                "- un **tuple** est figé une fois créé, et peut servir de clé de "
                "dictionnaire.\n\n"
                '```python\nvilles = ["Paris", "Lyon"]\nvilles.append("Lille")\n'
                "point = (48.85, 2.35)  # latitude, longitude\n```\n\n"
                "| | liste | tuple |\n|---|---|---|\n| modifiable | oui | non |\n"
                "| syntaxe | `[1, 2]` | `(1, 2)` |\n"
            ),
        },
        {"id": 3, "parent": 2, "role": "user", "content": "Merci ! Et un ensemble ?"},
        {
            "id": 4,
            "parent": 3,
            "role": "assistant",
            "content": (
                "Un **ensemble** (`set`) ne garde chaque valeur qu'une fois et n'a pas "
                "d'ordre : `{1, 2, 3}`."
            ),
        },
    ],
}

# What the demo model knows (scripts/demo_facts.py): a real exchange for the chat pictures.
QUESTIONS = ("Quelle est la capitale de l'Italie ?", "Quel jour vient après lundi ?")


def wait(app: object, done: object, timeout_s: float = 300) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[attr-defined]
    if not done():  # type: ignore[operator]
        raise TimeoutError("the window did not get ready in time")


def settle(app: object) -> None:
    """Let a resize finish: a scroll area decides its scroll bars over several turns of the
    event loop, and one turn once caught the welcome with a scroll bar it did not need."""
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]


def library(app: object, window: object, name: str) -> None:
    """The library tab at both sizes, the recommended model in detail; the machine's figures
    are this computer's, measured when the tab opens."""
    view = window.library_view  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(view)  # type: ignore[attr-defined]
    wait(app, lambda: view.catalog.rowCount() > 0 and view.local.rowCount() > 0, 60)
    view.select_catalog("vigogne-2-7b-chat")
    for size, extra in ((LAPTOP, ""), (SMALL, "-960")):
        window.resize(*size)  # type: ignore[attr-defined]
        settle(app)
        window.grab().save(str(OUT / f"library-{name}{extra}.png"))  # type: ignore[attr-defined]
    window.resize(*LAPTOP)  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(window.chat_tab)  # type: ignore[attr-defined]


def render(
    languages: list[str], themes: list[str], suffix: str, only_chat: bool, only_library: bool
) -> None:
    os.environ["VIGOGNE_DESKTOP_HOME"] = str(HOME)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vigogne_desktop.core.history import History, default_path
    from vigogne_desktop.core.settings import AppSettings
    from vigogne_desktop.ui.app import make_app
    from vigogne_desktop.ui.i18n import install_language
    from vigogne_desktop.ui.theme import apply_theme

    app, _ = make_app()
    OUT.mkdir(parents=True, exist_ok=True)
    history_file = default_path(HOME)
    for language in languages:
        install_language(app, language)
        from vigogne_desktop.ui.main_window import MainWindow

        for theme in themes:
            apply_theme(app, theme)
            history_file.unlink(missing_ok=True)
            for extra in ("-wal", "-shm"):
                Path(str(history_file) + extra).unlink(missing_ok=True)
            with History(history_file) as history:
                for title in ("Recette de la pâte à crêpes", "Capitales d'Europe"):
                    cid = history.create_conversation(title).id
                    history.add_message(cid, "user", title, parent_id=None)
                (example,) = history.import_json(EXAMPLE)
                history.set_pinned(example, True)
            window = MainWindow(AppSettings(language=language, theme=theme))
            window.resize(*LAPTOP)
            window.show()
            window.open_default_model()  # converts the demo model the first time
            wait(app, lambda w=window: w.session.model is not None)
            name = f"{language}-{theme}{suffix}"
            if only_library:
                library(app, window, name)
                window.close()
                continue
            window.new_conversation()
            if not only_chat:  # the welcome a first start shows, the demo notice with it
                settle(app)
                window.grab().save(str(OUT / f"welcome-{name}.png"))
                window.resize(*SMALL)
                settle(app)
                window.grab().save(str(OUT / f"welcome-{name}-960.png"))
                window.resize(*LAPTOP)
            for question in QUESTIONS:  # a real conversation: its figures are measured
                window.composer.setPlainText(question)
                window.send()
                wait(app, lambda w=window: w.session.reply is None)
            cid = window.session.conv_id
            window.open_conversation(example)
            wait(app, lambda w=window, c=example: w.session.conv_id == c)
            window.open_conversation(cid)
            wait(
                app,
                lambda w=window, c=cid: w.session.conv_id == c and not w.chat_view.building,
            )
            window.composer.setPlainText(
                "Peux-tu me donner un exemple de dictionnaire ?" if language == "fr" else ""
            )
            settle(app)
            window.grab().save(str(OUT / f"chat-{name}.png"))
            if not only_chat:  # half a laptop screen: the smallest size the window is made for
                window.resize(*SMALL)
                settle(app)
                window.grab().save(str(OUT / f"chat-{name}-960.png"))
                window.resize(*LAPTOP)
                app.processEvents()
            if not only_chat:
                window.tabs.setCurrentWidget(window.instruct)
                # The demo model knows only its chat format, not the instruct one.
                window.instruct.use_instruct_format.setChecked(False)
                window.instruct.instruction.setPlainText("Quelle est la capitale de l'Italie ?")
                window.instruct.run_button.click()
                wait(app, lambda w=window: w.session.reply is None and bool(w.instruct.answer))
                window.grab().save(str(OUT / f"instruct-{name}.png"))
                window.tabs.setCurrentWidget(window.chat_tab)
                window.open_conversation(example)
                wait(app, lambda w=window, c=example: w.session.conv_id == c)
                window.sidebar.search.setText("tuple")
                wait(app, lambda w=window: w.sidebar.results.count() > 0, 10)
                window.grab().save(str(OUT / f"search-{name}.png"))
                window.open_settings()
                dialog = window._settings_dialog
                dialog.tabs.setCurrentIndex(2)  # engines and sharing
                dialog.resize(560, 620)
                app.processEvents()
                dialog.grab().save(str(OUT / f"settings-{name}.png"))
                dialog.reject()
                library(app, window, name)
            window.close()
            app.processEvents()
            print(f"docs/screenshots/*-{name}.png", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", help="internal: one scaled rendering in this process")
    parser.add_argument("--library", action="store_true", help="only the library pictures")
    args = parser.parse_args()
    if args.scale:
        render(["fr"], ["light"], f"@{args.scale}", only_chat=True, only_library=False)
        return
    render(["fr", "en"], ["light", "dark"], "", only_chat=False, only_library=args.library)
    if args.library:
        return
    for scale, factor in (("125", "1.25"), ("150", "1.5")):
        env = dict(os.environ, QT_SCALE_FACTOR=factor)
        subprocess.run([sys.executable, __file__, "--scale", scale], env=env, check=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
