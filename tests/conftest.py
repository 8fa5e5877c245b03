"""Shared fixtures: tiny random-weight GGUF models made on the fly, and a loaded engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never write into the keyring of the desktop they run on (test_keyring.py sets its own).
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from converters.synthetic import TINY, write_random_llama  # noqa: E402
from vigogne_desktop.core import LocalEngine  # noqa: E402
from vigogne_desktop.core.protocol import LoadSettings  # noqa: E402

# Token 2 is </s> in the synthetic vocabulary: pushing it down makes replies run to
# max_tokens, so a test controls exactly how long a stream is.
NO_EOS = {2: -100.0}


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_gguf(models_dir: Path) -> Path:
    """A tiny Llama GGUF carrying the chat-v2 template, as our converter writes them."""
    return write_random_llama(models_dir / "tiny-chat-v2.gguf", TINY, seed=1)


@pytest.fixture(scope="session")
def bare_gguf(models_dir: Path) -> Path:
    """A tiny GGUF with no chat template, named like a legacy Vigogne model."""
    return write_random_llama(
        models_dir / "vigogne-7b-instruct.Q8_0.gguf",
        TINY,
        seed=2,
        prompt_format=None,
        name="",
    )


@pytest.fixture
def app_language(qapp, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:  # type: ignore[no-untyped-def]
    """Switch the app's language (translators and core messages) for one test only."""
    from PySide6.QtCore import QLocale

    from converters.messages import LANGUAGE_VARIABLE
    from vigogne_desktop.ui import i18n

    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")  # the suite goes on in French, the default
    yield lambda code: i18n.install_language(qapp, code)
    for translator in list(i18n._installed):
        qapp.removeTranslator(translator)
    i18n._installed.clear()
    QLocale.setDefault(QLocale.system())


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_language: Callable[[str], None]
) -> Path:
    """A fresh data folder, and the app in English as `make_app` sets it up."""
    monkeypatch.setenv("VIGOGNE_DESKTOP_HOME", str(tmp_path / "home"))
    app_language("en")
    return tmp_path / "home"


@pytest.fixture
def window(qtbot, home: Path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The real main window on a fresh data folder, shown; closed after the test."""
    from vigogne_desktop.core.settings import AppSettings
    from vigogne_desktop.ui.main_window import MainWindow

    win = MainWindow(AppSettings())
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture(scope="module")
def engine(tiny_gguf: Path) -> Iterator[LocalEngine]:
    with LocalEngine() as local:
        local.load(str(tiny_gguf), LoadSettings(n_ctx=2048, n_threads=2, seed=7))
        yield local
