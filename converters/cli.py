"""vigogne-convert: the converter's command line (usable without Qt).

For now it reads GGUF files (`vigogne-convert inspect FILE.gguf`); conversion of
Hugging Face checkpoints is added by the converter work (see the project's issues).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gguf
import numpy as np

_LONG = 200  # characters of a long string value shown before "…"


def _value(field: gguf.ReaderField) -> Any:
    kinds = field.types
    if not kinds:
        return None
    if kinds[0] == gguf.GGUFValueType.ARRAY:
        return [field.contents(i) for i in range(min(len(field.data), 8))], len(field.data)
    return field.contents()


def _show(value: Any) -> str:
    if isinstance(value, tuple):  # (first items, count) of an array
        items, count = value
        shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in items)
        return f"[{shown}{', …' if count > len(items) else ''}] ({count} items)"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)
    return text if len(text) <= _LONG else text[:_LONG] + "…"


def inspect(path: Path, as_json: bool) -> int:
    try:
        reader = gguf.GGUFReader(path)
    except FileNotFoundError:
        print(f"vigogne-convert: « {path} » n'existe pas : vérifiez le chemin.", file=sys.stderr)
        return 1
    except Exception:  # GGUFReader fails in many ways on foreign or damaged files
        print(
            f"vigogne-convert: « {path.name} » n'est pas un GGUF lisible : vérifiez le fichier.",
            file=sys.stderr,
        )
        return 1
    metadata = {
        name: _value(field) for name, field in reader.fields.items() if not name.startswith("GGUF.")
    }
    tensors: list[dict[str, Any]] = [
        {
            "name": t.name,
            "type": t.tensor_type.name,
            "shape": [int(d) for d in t.shape],
            "bytes": int(t.n_bytes),
        }
        for t in reader.tensors
    ]
    if as_json:
        print(
            json.dumps(
                {"metadata": metadata, "tensors": tensors},
                ensure_ascii=False,
                default=lambda v: v.tolist() if isinstance(v, np.ndarray) else str(v),
            )
        )
        return 0
    print(f"{path.name}: {len(metadata)} metadata keys, {len(tensors)} tensors")
    width = max((len(k) for k in metadata), default=0)
    for key, value in metadata.items():
        print(f"  {key:<{width}}  {_show(value)}")
    print()
    for tensor in tensors:
        shape = "×".join(str(d) for d in tensor["shape"])
        print(f"  {tensor['name']:<40} {tensor['type']:<8} {shape:<16} {tensor['bytes']:>12,} B")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vigogne-convert",
        description="Vigogne checkpoints and GGUF files. `inspect` shows a GGUF's metadata "
        "and tensors.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("inspect", help="print the metadata and tensor table of a GGUF")
    show.add_argument("file", type=Path, metavar="FILE.gguf")
    show.add_argument("--json", action="store_true", help="one JSON object instead of text")
    args = parser.parse_args(argv)
    try:
        return inspect(args.file, args.json)
    except BrokenPipeError:  # `vigogne-convert inspect … | head` closed the pipe early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
