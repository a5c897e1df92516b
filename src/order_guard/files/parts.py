"""A big tab-separated report cut into parts that processes can read side by side (``--jobs``).

A part starts at the beginning of a line, never between two rows of one order (All Orders
has a row per item), and knows how many lines come before it, so findings carry the same
line numbers as a whole-file read. Only files whose bytes can be cut at any newline are cut:
tab-separated (never quoted), not compressed, in an encoding where a newline byte is always a
newline, with no lone carriage return (Python's reader ends a line there too).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

#: Encodings in which byte 0x0A is only ever a newline (no multi-byte character holds it).
_CUTTABLE = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "cp932"})
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Part:
    """Bytes ``start``..``end`` of the file; ``lines_before``: physical lines before ``start``."""

    start: int
    end: int
    lines_before: int


@dataclass(frozen=True)
class Cut:
    """The file's header bytes (what every part is read after), its parts, and its SHA-256."""

    header: bytes
    parts: list[Part]
    sha256: str


def cuttable(encoding: str, delimiter: str, compressed: bool) -> bool:
    return delimiter == "\t" and not compressed and encoding.lower() in _CUTTABLE


def cut(path: Path, header_lines: int, key_column: int, count: int) -> Cut | None:
    """``count`` parts of about equal size, or None when the file cannot be cut exactly
    (a lone carriage return, or too few lines to be worth it)."""
    with open(path, "rb") as stream:
        header = b"".join(stream.readline() for _ in range(header_lines))
        data_start = stream.tell()
        size = path.stat().st_size
        starts = [data_start]
        for number in range(1, count):
            stream.seek(max(starts[-1], data_start + (size - data_start) * number // count))
            stream.readline()  # to the start of the next line
            start = _after_order(stream, key_column)
            if start is None or start <= starts[-1]:
                break
            starts.append(start)
    if len(starts) < 2:
        return None
    counted = _count_lines(path, starts[1:])
    if counted is None:
        return None
    lines, digest = counted
    ends = starts[1:] + [size]
    parts = [Part(start, end, before) for start, end, before in zip(starts, ends, [header_lines] + lines)]
    return Cut(header, parts, digest)


def _after_order(stream, key_column: int) -> int | None:
    """The start of the first line, from here on, of an order other than this line's."""
    start = stream.tell()
    first = stream.readline()
    if not first:
        return None
    key = _key(first, key_column)
    while True:
        start = stream.tell()
        line = stream.readline()
        if not line:
            return None
        if _key(line, key_column) != key:
            return start


def _key(line: bytes, column: int) -> bytes:
    cells = line.rstrip(b"\r\n").split(b"\t")
    return cells[column] if column < len(cells) else b""


def _count_lines(path: Path, offsets: list[int]) -> tuple[list[int], str] | None:
    """Lines before each offset and the file's SHA-256, in one pass over the bytes; None if a
    carriage return is not followed by a newline (a lone CR ends a line for Python's reader)."""
    digest = hashlib.sha256()
    lines_before: list[int] = []
    newlines = position = 0
    carriage = False  # the previous block ended with a carriage return
    with open(path, "rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
            if carriage and not block.startswith(b"\n"):
                return None
            if block.count(b"\r") - block.count(b"\r\n") > (1 if block.endswith(b"\r") else 0):
                return None
            carriage = block.endswith(b"\r")
            for offset in offsets[len(lines_before):]:
                if offset > position + len(block):
                    break
                lines_before.append(newlines + block.count(b"\n", 0, offset - position))
            newlines += block.count(b"\n")
            position += len(block)
    return (None if carriage else (lines_before, digest.hexdigest()))
