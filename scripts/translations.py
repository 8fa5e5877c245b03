"""Refresh the translation sources from the code, then compile them for the app.

    python scripts/translations.py

`pyside6-lupdate` adds new strings to resources/translations/vigogne_*.ts as unfinished
(translate them with Qt Linguist, `pyside6-linguist`, or any editor) and marks removed
ones vanished; `pyside6-lrelease` writes the .qm files the app loads.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "resources" / "translations"
# French is a full translation; English, the language of the code, only needs its plural
# forms (« 1 token », « 2 tokens » for "%n token(s)").
LANGUAGES = ("fr", "en")


def tool(name: str) -> str:
    found = shutil.which(f"pyside6-{name}", path=str(Path(sys.executable).parent))
    return found or f"pyside6-{name}"


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "vigogne_desktop" / "ui").glob("*.py"))


def update(ts: Path) -> None:
    """Bring `ts` up to date with the strings in the code."""
    plurals_only = ["-pluralonly"] if ts.stem.endswith("_en") else []
    subprocess.run(
        [
            tool("lupdate"),
            *sources(),
            "-ts",
            str(ts),
            "-locations",
            "none",
            "-no-obsolete",
            *plurals_only,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def release(ts: Path, qm: Path) -> None:
    subprocess.run([tool("lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)


def main() -> None:
    for language in LANGUAGES:
        ts = TRANSLATIONS / f"vigogne_{language}.ts"
        update(ts)
        release(ts, ts.with_suffix(".qm"))
        print(f"{ts.relative_to(ROOT)} and its .qm are up to date")


if __name__ == "__main__":
    main()
