"""A big tab-separated report cut into parts that processes can read side by side (``--jobs``).

A part starts at the beginning of a line, never between two rows of one order (All Orders
has a row per item). Only files whose bytes can be cut at any newline are cut: tab-separated
(never quoted), not compressed, in an encoding where a newline byte is always a newline.

The first part's lines are numbered as the file's; a later part's lines are numbered from its
own start, and the run adds the lines of the parts before it once they are read
(``parallel.py``): counting them first, by the run or by the part's own process, was a tenth of a
two-process run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Encodings in which byte 0x0A is only ever a newline (no multi-byte character holds it).
_CUTTABLE = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "cp932"})
#: A carriage return that does not begin a CR LF pair (one at a block's very end is looked at
#: with the next block). Python's reader ends a line there; a count of newline bytes would not.
LONE_CR = re.compile(rb"\r[^\n]")


@dataclass(frozen=True)
class Part:
    """Bytes ``start``..``end`` of the file; ``lines_before``: the physical lines before ``start``
    for the first part (the header's), 0 for a later one (numbered from its own start)."""

    start: int
    end: int
    lines_before: int


@dataclass(frozen=True)
class Cut:
    """The file's header bytes (what every part is read after) and its parts."""

    header: bytes
    parts: list[Part]


def cuttable(encoding: str, delimiter: str, compressed: bool) -> bool:
    return delimiter == "\t" and not compressed and encoding.lower() in _CUTTABLE


def cut(path: Path, header_lines: int, key_column: int, count: int) -> Cut | None:
    """``count`` parts of about equal size, or None when the file cannot be cut exactly (a lone
    carriage return beside a cut) or is too small to be worth it."""
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
    ends = starts[1:] + [size]
    parts = [Part(start, end, header_lines if start == data_start else 0)
             for start, end in zip(starts, ends, strict=True)]
    return Cut(header, parts)


def _after_order(stream, key_column: int) -> int | None:
    """The start of the first line, from here on, of an order other than this line's; None where
    there is none, or where a lone carriage return is in one of the two lines beside it (Python's
    reader ends a line there, so the rows beside the cut would not be the lines compared)."""
    before = stream.readline()
    if not before:
        return None
    key = _key(before, key_column)
    while True:
        start = stream.tell()
        line = stream.readline()
        if not line:
            return None
        if _key(line, key_column) != key:
            return None if LONE_CR.search(before) or LONE_CR.search(line) else start
        before = line


def _key(line: bytes, column: int) -> bytes:
    cells = line.rstrip(b"\r\n").split(b"\t")
    return cells[column] if column < len(cells) else b""
