"""Export (JSON with every version, Markdown as shown) and import, checked whole first."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from converters.messages import say

from ..files import write_atomically
from .records import ROLES, STATUSES, HistoryError

if TYPE_CHECKING:
    from .store import History

EXPORT_FORMAT = "vigogne-desktop.conversation"
EXPORT_ALL_FORMAT = "vigogne-desktop.conversations"
EXPORT_VERSION = 1
# JSON may escape half of a UTF-16 pair ("\ud800") that no UTF-8 text can hold: SQLite
# refused it with a traceback. Imported text gets U+FFFD in its place, as a decoder would.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def export_json(history: History, cid: int) -> dict[str, Any]:
    """The whole conversation, every version of every message included."""
    conv = history.conversation(cid)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "title": conv.title,
        "pinned": conv.pinned,
        "created": conv.created,
        "updated": conv.updated,
        "settings": conv.settings,
        "current": conv.leaf_id,
        "messages": [
            {
                "id": m.id,
                "parent": m.parent_id,
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "created": m.created,
                "meta": m.meta,
            }
            for m in history.all_messages(cid)
        ],
    }


def export_all(history: History) -> dict[str, Any]:
    return {
        "format": EXPORT_ALL_FORMAT,
        "version": EXPORT_VERSION,
        "conversations": [export_json(history, c.id) for c in history.conversations()],
    }


def export_markdown(history: History, cid: int, names: Mapping[str, str] | None = None) -> str:
    """The conversation as shown (current versions), as a Markdown document."""
    names = names or {
        "system": say("Système", "System"),
        "user": say("Vous", "You"),
        "assistant": "Vigogne",
    }
    conv = history.conversation(cid)
    parts = [f"# {conv.title or '…'}\n"]
    for msg in history.shown(cid):
        parts.append(f"## {names.get(msg.role, msg.role)}\n\n{msg.content.strip()}\n")
    return "\n".join(parts)


def import_json(history: History, data: Any) -> list[int]:
    """Add the conversations of an export (one or all); returns their new ids.

    The file is checked whole before anything is written: a bad file adds nothing.
    """
    if isinstance(data, dict) and data.get("format") == EXPORT_ALL_FORMAT:
        items = data.get("conversations")
    elif isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
        items = [data]
    else:
        raise HistoryError(
            say(
                "Ce fichier n'est pas un export de conversation de Vigogne Desktop : "
                "choisissez un fichier .json exporté par l'application.",
                "This file is not a Vigogne Desktop conversation export: choose a .json file "
                "the app exported.",
            )
        )
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise HistoryError(
            say(
                "Le fichier d'export est incomplet : exportez-le à nouveau.",
                "The export file is incomplete: export it again.",
            )
        )
    if any(int(i.get("version", 0) or 0) > EXPORT_VERSION for i in [data, *items]):
        raise HistoryError(
            say(
                "Ce fichier vient d'une version plus récente de Vigogne Desktop : "
                "mettez l'application à jour pour l'importer.",
                "This file comes from a newer version of Vigogne Desktop: update the app to "
                "import it.",
            )
        )
    for item in items:
        _check_export(item)
    with history.transaction():
        return [_import_one(history, item) for item in items]


def _import_one(history: History, item: Mapping[str, Any]) -> int:
    now = time.time()
    cur = history.write(
        "INSERT INTO conversations (title, title_is_auto, pinned, created, updated, settings) "
        "VALUES (?, 0, ?, ?, ?, ?)",
        (
            _valid_text(str(item.get("title", ""))),
            int(bool(item.get("pinned", False))),
            float(item.get("created", now)),
            float(item.get("updated", now)),
            json.dumps(item.get("settings") or {}),
        ),
    )
    cid = int(cur.lastrowid or 0)
    new_ids: dict[Any, int] = {}
    for msg in item["messages"]:
        status = msg.get("status", "complete")
        cur = history.write(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, "
            "created, meta) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                new_ids.get(msg.get("parent")),
                msg["role"],
                _valid_text(msg["content"]),
                "unfinished" if status == "streaming" else status,
                float(msg.get("created", now)),
                json.dumps(msg.get("meta") or {}),
            ),
        )
        new_ids[msg.get("id")] = int(cur.lastrowid or 0)
    messages = item["messages"]
    current = new_ids.get(item.get("current"))
    if current is None and messages:
        current = new_ids[messages[-1].get("id")]
    history.write("UPDATE conversations SET leaf_id = ? WHERE id = ?", (current, cid))
    return cid


def _valid_text(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _check_export(item: Mapping[str, Any]) -> None:
    messages = item.get("messages")
    if not isinstance(messages, list):
        raise HistoryError(
            say(
                "Le fichier d'export n'a pas de messages : exportez-le à nouveau.",
                "The export file has no messages: export it again.",
            )
        )
    seen: set[Any] = set()
    for number, msg in enumerate(messages, 1):
        ok = (
            isinstance(msg, dict)
            and msg.get("role") in ROLES
            and isinstance(msg.get("content"), str)
            and msg.get("status", "complete") in STATUSES
            and (msg.get("parent") is None or msg.get("parent") in seen)
        )
        if not ok:
            raise HistoryError(
                say(
                    f"Le message {number} du fichier d'export est invalide : "
                    "le fichier a été modifié ou tronqué.",
                    f"Message {number} of the export file is invalid: the file was changed or "
                    "cut short.",
                )
            )
        seen.add(msg.get("id", number))


def write_json(data: Mapping[str, Any], path: Path | str) -> None:
    write_text(json.dumps(data, ensure_ascii=False, indent=2), path)


def write_text(text: str, path: Path | str) -> None:
    """An export, never half-written."""
    target = Path(path)
    try:
        write_atomically(target, text)
    except OSError as exc:
        raise HistoryError(
            say(
                f"« {target} » n'a pas pu être écrit ({exc.strerror}) : choisissez un autre "
                "dossier.",
                f"“{target}” could not be written ({exc.strerror}): choose another folder.",
            )
        ) from exc


def read_json(path: Path | str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryError(
            say(
                f"« {Path(path).name} » n'est pas un fichier JSON lisible : "
                "choisissez un fichier exporté par Vigogne Desktop.",
                f"“{Path(path).name}” is not a readable JSON file: choose a file exported by "
                "Vigogne Desktop.",
            )
        ) from exc
