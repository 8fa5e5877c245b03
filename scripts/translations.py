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
import xml.etree.ElementTree as ET
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


def known_translations(ts: Path) -> dict[str, ET.Element]:
    """Every finished translation of `ts`, by its English text, whatever its context."""
    if not ts.exists():
        return {}
    known: dict[str, ET.Element] = {}
    for message in ET.parse(ts).getroot().iter("message"):
        source, translation = message.find("source"), message.find("translation")
        if source is None or translation is None or translation.get("type"):
            continue
        known.setdefault(source.text or "", translation)
    return known


def carry_over(ts: Path, known: dict[str, ET.Element]) -> int:
    """Fill the unfinished messages of `ts` whose text was translated before in another
    class: code moved to a new class keeps its French. Returns how many were filled."""
    tree = ET.parse(ts)
    filled = 0
    for message in tree.getroot().iter("message"):
        source, translation = message.find("source"), message.find("translation")
        if source is None or translation is None or translation.get("type") != "unfinished":
            continue
        before = known.get(source.text or "")
        if before is None or bool(list(before)) != bool(list(translation)):
            continue  # never translated, or a plural form against a plain one
        message.remove(translation)
        message.append(before)
        filled += 1
    if filled:
        text = ET.tostring(tree.getroot(), encoding="unicode")
        ts.write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + text + "\n",
            encoding="utf-8",
        )
    return filled


def release(ts: Path, qm: Path) -> None:
    subprocess.run([tool("lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True)


def main() -> None:
    for language in LANGUAGES:
        ts = TRANSLATIONS / f"vigogne_{language}.ts"
        known = known_translations(ts)
        update(ts)
        filled = carry_over(ts, known)
        if filled:
            update(ts)  # lupdate writes the file in its own layout again
            print(f"{filled} moved message(s) kept their translation in {ts.name}")
        release(ts, ts.with_suffix(".qm"))
        print(f"{ts.relative_to(ROOT)} and its .qm are up to date")


if __name__ == "__main__":
    main()
