"""A quality report carried by the GGUF it describes, as `vigogne.quality.*` metadata.

Adding keys to a GGUF moves its tensor data, so storing rewrites the file: the new header,
then every tensor copied from the memory-mapped original, to NAME.part, renamed over the
original only when complete. One sequential copy of the file is seconds to tens of seconds,
small beside the measurement itself (two models run over the text). llama.cpp could write
the keys while quantizing (llama_model_quantize_params.kv_overrides), but the figures only
exist after the quantized file does: that would cost a second quantization, minutes on a 7B.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import fields
from pathlib import Path

import gguf

from .errors import OutputError
from .messages import say
from .quality import QualityReport

PREFIX = "vigogne.quality."
# Each QualityReport field as one key; f64 so that what was measured is read back unchanged.
# (The field types are the annotations' text: quality.py postpones their evaluation.)
_TYPES = {
    "str": gguf.GGUFValueType.STRING,
    "float": gguf.GGUFValueType.FLOAT64,
    "int": gguf.GGUFValueType.UINT32,
}
KEYS: dict[str, gguf.GGUFValueType] = {
    PREFIX + f.name: _TYPES[str(f.type)] for f in fields(QualityReport)
}


def read_report(reader: gguf.GGUFReader) -> QualityReport | None:
    """The report a GGUF carries; None when it carries none, or an incomplete or mistyped one
    (a foreign file's odd keys never make the model itself unusable)."""
    values = {}
    for key, kind in KEYS.items():
        field = reader.fields.get(key)
        if field is None or field.types != [kind]:
            return None
        values[key.removeprefix(PREFIX)] = field.contents()
    return QualityReport(**values)


def read_report_file(path: str | os.PathLike[str]) -> QualityReport | None:
    return read_report(gguf.GGUFReader(path))


def store_report(path: Path, report: QualityReport) -> None:
    """Write `report` into the GGUF at `path` (replacing any report it carried)."""
    size = path.stat().st_size
    if shutil.disk_usage(path.parent).free < size:
        raise OutputError(
            say(
                f"Pas assez d'espace disque pour enregistrer la mesure dans « {path.name} » "
                f"(il faut {size / 1e9:.1f} Go de libre) : libérez de la place.",
                f"Not enough disk space to store the measurement in “{path.name}” "
                f"({size / 1e9:.1f} GB free needed): free some space.",
            )
        )
    part = path.with_name(path.name + ".part")
    try:
        _write_copy(path, part, report)
        # Replaced once _write_copy has returned: the original's memory map is gone by then
        # (Windows refuses to replace a mapped file).
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _write_copy(path: Path, part: Path, report: QualityReport) -> None:
    """The file at `path` written to `part` with `report` as its only quality keys."""
    reader = gguf.GGUFReader(path)
    writer = gguf.GGUFWriter(part, str(reader.fields["general.architecture"].contents()))
    try:
        for field in reader.fields.values():
            if field.name.startswith(("GGUF.", PREFIX)) or field.name == "general.architecture":
                continue
            if field.name == "general.alignment":  # tensor offsets must keep their rule
                writer.data_alignment = int(field.contents())
            sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), field.types[0], sub_type)
        for key, kind in KEYS.items():
            writer.add_key_value(key, getattr(report, key.removeprefix(PREFIX)), kind)
        for tensor in reader.tensors:
            writer.add_tensor_info(
                tensor.name,
                tensor.data.shape,
                tensor.data.dtype,
                int(tensor.n_bytes),
                raw_dtype=tensor.tensor_type,
            )
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor in reader.tensors:
            writer.write_tensor_data(tensor.data)
    finally:
        writer.close()
