"""One pass over a flat file's bytes beside DuckDB's scan: its SHA-256, where its lines are,
and whether DuckDB's rows can be numbered as the file's lines.

DuckDB skips blank lines and treats a lone carriage return its own way; Python
counts every line. The file's rows are numbered by DuckDB, so the bulk engine
trusts the numbering only when the file has no lone carriage return, no NUL
byte and no byte-order mark past its start, and when DuckDB read exactly as
many rows as the file has lines below the header (blank lines at the very end
aside). The line index (newlines before each 64 KiB step) reads any line back.
"""

from __future__ import annotations

import bisect
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from order_guard.files.parts import LONE_CR

BLOCK = 1 << 20
STEP = 1 << 16
_BOM = b"\xef\xbb\xbf"
_BREAKS = b"\r\n"
T = TypeVar("T")


@dataclass
class FileFacts:
    """What one pass over the bytes says; ``lines`` counts them as Python's reader does."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str = ""
    lines: int = 0
    #: blank lines after the last line with content (DuckDB skips them, and so does Python)
    trailing_blank: int = 0
    lone_cr: bool = False
    nul: bool = False
    inner_bom: bool = False
    #: for each STEP bytes of the file, the newlines before it
    newlines_before: list[int] = field(default_factory=list)

    def odd(self) -> str | None:
        """Why DuckDB's rows cannot stand for the file's lines, or None."""
        if self.lone_cr:
            return "a carriage return ends a line without a line feed"
        if self.nul:
            return "the file holds a NUL byte"
        if self.inner_bom:
            return "a byte-order mark inside the file (files joined with cat?)"
        return None

    def changed(self) -> bool:
        """Whether the file is no longer the one scanned (size or modification time)."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return True
        return (stat.st_size, stat.st_mtime_ns) != (self.size, self.mtime_ns)


def scan(path: Path, digest_it: bool = True) -> FileFacts:
    """Read ``path`` once (``digest_it``: its SHA-256 too, unless a second process computes it).
    Hashing releases the GIL: this runs in a thread beside DuckDB."""
    stat = os.stat(path)
    facts = FileFacts(path, stat.st_size, stat.st_mtime_ns)
    digest = hashlib.sha256() if digest_it else None
    newlines = 0
    tail = b""  # the previous block's last bytes: a pattern may straddle two blocks
    after_content = 0  # newlines since the last byte that is not a line break
    with open(path, "rb") as stream:
        first = True
        while block := stream.read(BLOCK):
            if digest is not None:
                digest.update(block)
            for start in range(0, len(block), STEP):
                facts.newlines_before.append(newlines)
                newlines += block.count(b"\n", start, start + STEP)
            # Most blocks are ASCII with CR LF or LF line ends: no copy of the block and no search but
            # memchr-speed tests. A byte-order mark is not ASCII, so an ASCII block ends none (one cut at
            # the block before reaches into this one); a lone CR needs a CR in the block or at its edge.
            if (b"\r" in block or tail.endswith(b"\r")) and LONE_CR.search(tail + block):
                facts.lone_cr = True
            if b"\x00" in block:
                facts.nul = True
            if not block.isascii() and (tail + block).find(_BOM, 1 if first else 0) >= 0:
                facts.inner_bom = True
            end = len(block)
            while end and block[end - 1] in _BREAKS:  # the block's line breaks after its last content
                end -= 1
            after_content = block.count(b"\n", end) + (0 if end else after_content)
            tail, first = (tail + block)[-2:] if len(block) < 2 else block[-2:], False
    if tail.endswith(b"\r"):
        facts.lone_cr = True
    facts.sha256 = digest.hexdigest() if digest is not None else ""
    facts.lines = newlines + (1 if facts.size and after_content == 0 else 0)
    facts.trailing_blank = max(after_content - 1, 0)
    return facts


class LineIndex:
    """Reads lines back by number (1-based, as Python's reader counts them) through the index."""

    def __init__(self, facts: FileFacts):
        self.facts = facts

    def read(self, wanted: Iterable[tuple[int, T]]) -> Iterator[tuple[int, T, bytes]]:
        """``(number, tag, bytes)`` for each ``(number, tag)`` asked for (ascending numbers): the line
        without its break."""
        before = self.facts.newlines_before
        step, data, position, passed = -1, b"", 0, 0  # the step read; where in it, after how many newlines
        with open(self.facts.path, "rb") as stream:
            for number, tag in wanted:
                if number == 1:
                    stream.seek(0)
                    yield number, tag, _strip(stream.readline())
                    continue
                # the last step with fewer than number - 1 newlines before it holds the line's start
                start_step = bisect.bisect_left(before, number - 1) - 1
                if start_step != step:
                    step = start_step
                    stream.seek(step * STEP)
                    data, position, passed = stream.read(STEP), 0, before[step]
                while passed < number - 1:  # walk to the line's start, newline by newline (C-speed finds)
                    position = data.index(b"\n", position) + 1
                    passed += 1
                end = data.find(b"\n", position)
                if end >= 0:
                    yield number, tag, _strip(data[position:end])
                else:  # the line runs past the step
                    stream.seek(step * STEP + position)
                    yield number, tag, _strip(stream.readline())


def _strip(line: bytes) -> bytes:
    """A line without its break (CR LF or LF; a lone CR never reaches here)."""
    return line.removesuffix(b"\n").removesuffix(b"\r")
