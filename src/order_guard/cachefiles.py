"""Where order-guard keeps its caches, and how an entry is written and read back safely.

``ORDER_GUARD_CACHE_DIR`` names the folder; otherwise ``$XDG_CACHE_HOME/order-guard``
(``~/.cache/order-guard`` when XDG_CACHE_HOME is unset). ``ORDER_GUARD_NO_CACHE=1``
turns every cache off. An entry starts with the SHA-256 of its content and is
written to a temporary file and renamed, so a reader sees a whole entry or none;
one that is unreadable or fails its digest is a miss, never trusted. A cache
that cannot be written is simply not used.
"""

from __future__ import annotations

import os
from pathlib import Path

from order_guard.digests import sha256

_MAGIC = b"order-guard-cache sha256="


def cache_dir(name: str) -> Path | None:
    """The folder of one cache (``packs``, ``plugins``), or None when caching is off."""
    if os.environ.get("ORDER_GUARD_NO_CACHE"):
        return None
    explicit = os.environ.get("ORDER_GUARD_CACHE_DIR")
    if explicit:
        return Path(explicit) / name
    xdg = os.environ.get("XDG_CACHE_HOME")
    # XDG: a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "order-guard" / name


def read_entry(path: Path) -> bytes | None:
    """The content stored at ``path`` if it is whole and unaltered, else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, newline, content = data.partition(b"\n")
    if not newline or not header.startswith(_MAGIC):
        return None
    if header[len(_MAGIC):] != sha256(content).hexdigest().encode():
        return None
    return content


def write_entry(path: Path, content: bytes) -> None:
    """Store ``content`` at ``path`` atomically (a temporary file in the same folder, renamed)."""
    import threading  # here: a warm run reads its caches and writes none

    # Unique to this process and thread: concurrent gates each write their own, then rename.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as out:
            out.write(_MAGIC + sha256(content).hexdigest().encode() + b"\n" + content)
        os.replace(temporary, path)
    except OSError:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
