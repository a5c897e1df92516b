"""The ``[tool.order-guard]`` table of a ``pyproject.toml``, remembered by the file's text.

A gate started in a Python project's folder finds its ``pyproject.toml``, which usually has
no such table; importing :mod:`tomllib` and parsing the file to learn that cost the gate
3-5 ms each time. What a text gave is kept in the cache (:mod:`order_guard.cachefiles`),
keyed by a digest of that very text: an edited file is parsed again, and a file that does
not parse, or whose table its caller refuses (a password in a URL), is never stored: its error
is reported every time, and a refused secret is not copied into the cache.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from order_guard import __version__
from order_guard.cachefiles import cache_dir, read_entry, write_entry
from order_guard.digests import sha256
from order_guard.errors import UsageError

#: Bumped whenever the stored shape changes; part of every key.
FORMAT = 1


def tool_table(pyproject: Path, check: Callable[[Any], object] = lambda table: None) -> Any:
    """``[tool.order-guard]`` of ``pyproject`` (None when it has none); a :class:`UsageError`
    when the file is not UTF-8 TOML. ``check`` is asked of a table before it is stored (it raises
    for one the caller refuses)."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"{pyproject}: {err}") from None
    folder = cache_dir("pyproject")
    key = f"{FORMAT}\0{__version__}\0{sys.version_info[:2]}\0{text}"
    entry = None if folder is None else folder / f"{sha256(key.encode()).hexdigest()}.json"
    content = read_entry(entry) if entry is not None else None
    if content is not None:
        try:
            return json.loads(content)["table"]
        except (ValueError, KeyError, TypeError):
            pass  # damaged: parse, and store a good entry over it
    import tomllib

    try:
        table = tomllib.loads(text).get("tool", {}).get("order-guard")
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{pyproject}: {err}") from None
    if table is not None:
        check(table)
    if entry is not None:
        try:
            write_entry(entry, json.dumps({"table": table}).encode())
        except (TypeError, ValueError):
            pass  # a TOML date, which JSON cannot hold: that file is parsed every time
    return table
