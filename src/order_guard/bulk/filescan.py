"""One pass over a flat file's bytes on a thread of its own: its SHA-256, where its lines are,
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
import threading
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


class Cancelled(Exception):
    """The scan was stopped: its facts are not whole."""


def scan(path: Path, stop: threading.Event | None = None) -> FileFacts:
    """Read ``path`` once (until ``stop`` is set). Hashing releases the GIL: this runs on a thread
    beside Python's work and DuckDB's scan (:class:`Scanning`)."""
    stat = os.stat(path)
    facts = FileFacts(path, stat.st_size, stat.st_mtime_ns)
    digest = hashlib.sha256()
    newlines = 0
    tail = b""  # the previous block's last bytes: a pattern may straddle two blocks
    after_content = 0  # newlines since the last byte that is not a line break
    with open(path, "rb") as stream:
        first = True
        while block := stream.read(BLOCK):
            if stop is not None and stop.is_set():
                raise Cancelled(path)
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
    facts.sha256 = digest.hexdigest()
    facts.lines = newlines + (1 if facts.size and after_content == 0 else 0)
    facts.trailing_blank = max(after_content - 1, 0)
    return facts


class Scanning:
    """:func:`scan` on a thread of its own, started as soon as the bulk engine has the file: it reads
    beside the engine's own work before DuckDB starts (indexing the look-up files, compiling the
    checks), on a core that work leaves idle, not only beside DuckDB's scan, which keeps both busy."""

    def __init__(self, path: Path):
        self._stop = threading.Event()
        self._facts: FileFacts | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), name="order-guard-file-scan", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._facts = scan(path, self._stop)
        except BaseException as err:  # noqa: BLE001 - raised where the facts are asked for
            self._error = err

    def result(self) -> FileFacts:
        """The facts, once the scan is done; what stopped it, raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._facts is not None
        return self._facts

    def cancel(self) -> None:
        """Stop reading (the file is streamed instead, or the run is over)."""
        self._stop.set()


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
