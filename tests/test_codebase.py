"""House rules that the code itself must keep: lint, types, layering, packaging."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff_is_clean() -> None:
    result = subprocess.run([BIN / "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_mypy_on_core_and_converters() -> None:
    result = subprocess.run([BIN / "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_core_and_converters_never_load_qt() -> None:
    # Dependencies point one way: ui -> core -> converters. Importing every core and
    # converters module must not bring in PySide6, and converters must not need the app.
    code = (
        "import importlib, pkgutil, sys\n"
        "import converters, vigogne_desktop.core as core\n"
        "for pkg in (converters, core):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        "assert not any(n.startswith('PySide6') for n in sys.modules), 'Qt imported'\n"
        "import converters.templates, converters.synthetic\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for module in (ROOT / "converters").rglob("*.py"):
        assert "vigogne_desktop" not in module.read_text(encoding="utf-8"), module


def test_wheel_ships_resources_and_entry_points(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("vigogne_desktop-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert "converters/catalog.json" in names
    assert "vigogne_desktop/resources/icons/vigogne.svg" in names
    assert "vigogne_desktop/resources/vigogne-desktop.desktop" in names
    assert "vigogne_desktop/resources/translations/vigogne_fr.qm" in names
    assert "converters/templates.py" in names
    assert "vigogne-desktop = vigogne_desktop.__main__:main" in scripts
    assert "vigogne-convert = converters.cli:main" in scripts


def test_resources_are_found_from_the_checkout() -> None:
    from vigogne_desktop.core.resources import resource_path

    assert resource_path("icons/vigogne.svg").is_file()


def test_screenshots_show_no_invented_figures() -> None:
    # Every figure on a screenshot comes from a real run: the imported example is titled as
    # one and carries no token counts or speeds (the chat pictures are a real demo exchange).
    sys.path.insert(0, str(ROOT / "scripts"))
    import screenshots

    assert screenshots.EXAMPLE["title"].startswith("Exemple")
    assert all(not message.get("meta") for message in screenshots.EXAMPLE["messages"])
    assert screenshots.QUESTIONS


def test_the_window_reaches_converters_only_through_the_core() -> None:
    # ui -> core -> converters, no shortcut: formats, the model table and the bilingual
    # messages come to the window re-exported by the core.
    for module in (ROOT / "vigogne_desktop" / "ui").rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert "from converters" not in text and "import converters" not in text, module


def test_no_source_file_is_over_500_lines() -> None:
    for package in ("vigogne_desktop", "converters"):
        for module in (ROOT / package).rglob("*.py"):
            lines = len(module.read_text(encoding="utf-8").splitlines())
            assert lines <= 500, f"{module.relative_to(ROOT)}: {lines} lines"
