"""Lines read back from a flat file, as runs of rows the Python reader folds like the whole file.

:func:`order_guard.datasets.flat_records` folds adjacent rows of one order
into one record. Rows read back are a subset of the file: two rows of one
order with rows left out between them were two records in the file (the rows
in between, readable and of other orders, ended the first), so a new run
starts there. Each run is what ``flat_records`` reads: ``names``, ``rows()``
and ``line``, like :class:`order_guard.files.flat.FlatReader`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence


class Segments:
    """Iterates runs of ``(line, order id, bytes)`` lines; ``broken`` once a line is not the row
    DuckDB read (the file changed underneath) or the lines could not be read: reading stops there."""

    def __init__(self, lines: Iterator[tuple[int, str | None, bytes]], names: Sequence[str], key_index: int):
        self._lines = lines
        self._next = next(lines, None)
        self._last: tuple[int, str | None] | None = None
        self.names = list(names)
        self.key_index = key_index
        self.broken = False

    def __iter__(self) -> Iterator[_Run]:
        while self._next is not None and not self.broken:
            yield _Run(self)

    def _take(self, first: bool) -> tuple[int, str | None, bytes] | None:
        """The next line of the current run, or None where a new run starts."""
        if self._next is None:
            return None
        line, key, _text = self._next
        last = self._last
        if not first and last is not None and line - last[0] > 1 and key is not None and key == last[1]:
            return None
        taken, self._last = self._next, (line, key)
        try:
            self._next = next(self._lines, None)
        except OSError:
            self._next, self.broken = None, True
            raise
        return taken


class _Run:
    """What ``flat_records`` reads: one run's rows of text cells, with ``line`` the current row's line."""

    def __init__(self, segments: Segments):
        self._segments = segments
        self.names = segments.names
        self.line = 0

    def rows(self) -> Iterator[list[str]]:
        segments = self._segments
        first = True
        while (taken := segments._take(first)) is not None:
            first = False
            self.line, key, raw = taken
            # As FlatReader reads a tab-separated line: no quoting, cells split at every tab.
            row = next(csv.reader([raw.decode("utf-8")], delimiter="\t", quoting=csv.QUOTE_NONE, strict=True), [])
            cell = row[segments.key_index] if len(row) > segments.key_index else None
            if key is not None and cell != key:  # DuckDB keeps a key cell as it is, or reads it as none
                segments.broken = True
                raise OSError(f"line {self.line} is not the row DuckDB read (did the file change?)")
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line is not a record
            yield row
