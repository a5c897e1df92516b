"""A big tab-separated report cut into parts that processes can read side by side (``--jobs``).

A part starts at the beginning of a line, never between two rows of one order (All Orders
has a row per item), and knows how many lines come before it, so findings carry the same
line numbers as a whole-file read. Only files whose bytes can be cut at any newline are cut:
tab-separated (never quoted), not compressed, in an encoding where a newline byte is always a
newline, with no lone carriage return before a part (Python's reader ends a line there too,
so the lines before the part could not be counted from its bytes).

The lines before a part are counted by the process that reads it, beside the others (counted
first, in the run's own process, they were a tenth of a two-process run that every process waited
for); where they cannot be counted, :class:`LinesNotCountable` stops the part and the file is
streamed whole.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

#: Encodings in which byte 0x0A is only ever a newline (no multi-byte character holds it).
_CUTTABLE = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "cp932"})
_BLOCK = 1 << 20
#: A carriage return that does not begin a CR LF pair (one at a block's very end is looked at
#: with the next block). Python's reader ends a line there; a count of newline bytes would not.
LONE_CR = re.compile(rb"\r[^\n]")


@dataclass(frozen=True)
class Part:
    """Bytes ``start``..``end`` of the file; ``lines_before``: physical lines before ``start``,
    None where the reader of the part counts them (:func:`lines_before`)."""

    start: int
    end: int
    lines_before: int | None


class LinesNotCountable(Exception):
    """The lines before a part cannot be counted from the bytes (a lone carriage return before
    it, or the file is shorter than when it was cut): the part cannot be read exactly."""


@dataclass(frozen=True)
class Cut:
    """The file's header bytes (what every part is read after) and its parts."""

    header: bytes
    parts: list[Part]


def cuttable(encoding: str, delimiter: str, compressed: bool) -> bool:
    return delimiter == "\t" and not compressed and encoding.lower() in _CUTTABLE


def cut(path: Path, header_lines: int, key_column: int, count: int) -> Cut | None:
    """``count`` parts of about equal work, or None when the file is too small to be worth it.
    The first part's lines before it are the header's; the others' are counted by their reader."""
    with open(path, "rb") as stream:
        header = b"".join(stream.readline() for _ in range(header_lines))
        data_start = stream.tell()
        size = path.stat().st_size
        starts = [data_start]
        for offset in _balanced_starts(size - data_start, count):
            stream.seek(max(starts[-1], data_start + offset))
            stream.readline()  # to the start of the next line
            start = _after_order(stream, key_column)
            if start is None or start <= starts[-1]:
                break
            starts.append(start)
    if len(starts) < 2:
        return None
    ends = starts[1:] + [size]
    parts = [Part(start, end, header_lines if start == data_start else None)
             for start, end in zip(starts, ends, strict=True)]
    return Cut(header, parts)


#: What counting the lines of some bytes costs against streaming them (measured at 1M orders,
#: most rows skipped: 0.13 s against 1.1 s of CPU for half of the file).
_COUNTING_COST = 0.1


def _balanced_starts(size: int, count: int) -> list[int]:
    """Where parts 2..``count`` of ``size`` bytes start, so that each process's work, counting
    the lines before its part and streaming the part, is about the same: part k streams
    ``T - r * start_k`` bytes, so ``start_k = T * (1 - (1 - r) ** k) / r``."""
    r = _COUNTING_COST
    work = size * r / (1 - (1 - r) ** count)
    return [round(work * (1 - (1 - r) ** number) / r) for number in range(1, count)]


def sha256_of(path: Path) -> str:
    """The file's SHA-256. Separate from cutting, so that it can run while the parts are read
    (hashing releases the GIL): done before them, it was a fifth of a two-process run."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


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


def lines_before(path: Path, offset: int) -> int:
    """Physical lines before byte ``offset``, as Python's reader counts them; raises
    :class:`LinesNotCountable` where a carriage return there is not followed by a newline (a
    lone CR ends a line for Python's reader) or the file no longer reaches ``offset``."""
    newlines = position = 0
    carriage = False  # the previous block ended with a carriage return
    with open(path, "rb") as stream:
        while position < offset:
            block = stream.read(min(_BLOCK, offset - position))
            if not block:
                raise LinesNotCountable(f"{path} is shorter than when it was cut: it is being written")
            if (carriage and not block.startswith(b"\n")) or (b"\r" in block and LONE_CR.search(block)):
                raise LinesNotCountable(f"{path} has a carriage return without a newline before byte {offset}")
            carriage = block.endswith(b"\r")
            newlines += block.count(b"\n")
            position += len(block)
    if carriage:
        raise LinesNotCountable(f"{path} has a carriage return without a newline before byte {offset}")
    return newlines
