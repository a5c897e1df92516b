"""A cache of rule files that passed the schema, keyed by their exact bytes.

A warehouse gate starts many times a day with the same pack; parsing its YAML
and validating it against the schema each time costs more than checking one
parcel. A file whose bytes, order-guard version and rule-file schema (which
depends on the operators plugins register) are unchanged is read back from
here as JSON instead. Meaning (phase 2) is still checked on every load. The
cache holds data only, never code; ``ORDER_GUARD_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from order_guard import __version__
from order_guard.rulelang.yamlload import LineDict, LineList

FORMAT = 1


def cache_dir() -> Path | None:
    if os.environ.get("ORDER_GUARD_NO_CACHE"):
        return None
    explicit = os.environ.get("ORDER_GUARD_CACHE_DIR")
    base = Path(explicit) if explicit else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
        "order-guard"
    return base / "packs"


def schema_digest(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()


def key_for(content: bytes, schema_sha: str) -> str:
    return hashlib.sha256(b"%d\0%s\0%s\0" % (FORMAT, __version__.encode(), schema_sha.encode()) + content).hexdigest()


def load(key: str) -> Any | None:
    """The validated document stored under ``key``, or None (a miss, or an unreadable entry)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        return _decode(json.loads((folder / f"{key}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: str, document: Any) -> None:
    """Keep a document that passed the schema; a cache that cannot be written is simply not used."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(_encode(document), out)
        os.replace(temporary, folder / f"{key}.json")
    except OSError:
        Path(temporary).unlink(missing_ok=True)  # a full disk must not fill up with partial entries


def _encode(value: Any) -> Any:
    if isinstance(value, LineDict):
        return {"m": {key: _encode(item) for key, item in value.items()}, "l": value.line, "k": value.key_lines}
    if isinstance(value, LineList):
        return {"s": [_encode(item) for item in value], "l": value.line, "i": value.item_lines}
    if isinstance(value, (dict, list)):
        raise TypeError("only line-aware documents are cached")
    return {"v": value}


def _decode(value: dict[str, Any]) -> Any:
    if "m" in value:
        mapping = LineDict((key, _decode(item)) for key, item in value["m"].items())
        mapping.line, mapping.key_lines = value["l"], value["k"]
        return mapping
    if "s" in value:
        sequence = LineList(_decode(item) for item in value["s"])
        sequence.line, sequence.item_lines = value["l"], value["i"]
        return sequence
    return value["v"]
