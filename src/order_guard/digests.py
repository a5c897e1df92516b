"""SHA-256 for the digests a run takes: of the files it reads, of cache entries, of cache keys.

Importing :mod:`hashlib` loads OpenSSL, which costs a gate's start-up about 4 ms: more
than a gate's digests take. CPython's own SHA-256, the module ``hashlib`` itself falls back
to without OpenSSL, gives the same digests without that load but at about a sixth of
OpenSSL's speed (260 MB/s here), so data of :data:`BIG` bytes or more goes to OpenSSL.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

#: From this many bytes OpenSSL's speed repays loading it.
BIG = 2 << 20


def _builtin() -> Any:
    for module in ("_sha2", "_sha256"):  # CPython 3.12 and later, 3.11
        try:
            return importlib.import_module(module).sha256
        except ImportError:
            continue
    return None


_BUILTIN = _builtin()


def sha256(data: bytes = b"", size: int = 0) -> Any:
    """A SHA-256 hash object fed ``data``; ``size``: how many bytes it will be fed in all, if known."""
    if _BUILTIN is not None and max(len(data), size) < BIG:
        return _BUILTIN(data)
    import hashlib

    return hashlib.sha256(data)


def of_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a whole file, read a megabyte at a time."""
    with open(path, "rb") as stream:
        digest = sha256(size=os.fstat(stream.fileno()).st_size)
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
