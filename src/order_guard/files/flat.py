"""Flat-file reports: delimiter, header names, and rows with their line numbers."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import TextIO

from order_guard.files.tabrows import numbered_rows

csv.field_size_limit(1 << 28)  # Amazon's product-name and description fields can be long

_SEPARATORS = re.compile(r"[\s_]+")
#: A first line like ``TemplateType=OrderFulfillment<TAB>Version=2011.1102``
#: precedes the header in some of Amazon's upload templates.
_TEMPLATE_LINE = re.compile(r"^\s*TemplateType=", re.IGNORECASE)


class BytesSeen:
    """What the bytes read so far hold, kept up by the reader of the bytes (``files/opening.py``):
    ``invisible``, a NUL or a byte-order mark inside the text (sticky; the bytes are ahead of the
    text read). An attribute, not a call: the skimmer asks it on every row."""

    __slots__ = ("invisible",)

    def __init__(self, invisible: bool = False):
        self.invisible = invisible


def normalize_header(name: str) -> str:
    """``Order_ID`` / ``order id`` / `` order-id`` -> ``order-id``."""
    return _SEPARATORS.sub("-", name.strip().lstrip("\ufeff").lower()).strip("-")


def sniff_delimiter(header_line: str) -> str:
    """Tab for Amazon's reports; comma or semicolon for spreadsheets saved as CSV."""
    counts = {sep: header_line.count(sep) for sep in ("\t", ",", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else "\t"


class FlatReader:
    """Iterates the rows of a flat file; ``line`` is the first line of the current row."""

    def __init__(self, text: TextIO, seen: BytesSeen | None = None, lines_before: int | None = None):
        """``seen``: what the bytes hold, as their reader finds (unknown: anything);
        ``lines_before``: for a part of a file read after its header (``files/parts.py``), the
        lines before its first line as the part numbers them (the header's for the first part,
        0 for a later one, whose lines the run renumbers)."""
        self._text = text
        #: What the bytes read so far hold; unknown bytes may hold anything.
        self.seen = seen if seen is not None else BytesSeen(invisible=True)
        first = text.readline()
        self.preamble_lines = 0
        if _TEMPLATE_LINE.match(first):
            self.preamble_lines = 1
            first = text.readline()
        self.delimiter = sniff_delimiter(first)
        # Amazon's tab-separated reports are never quoted: a '"' in a product name is text.
        # Comma- and semicolon-separated files come from spreadsheets, which quote.
        quoting = csv.QUOTE_NONE if self.delimiter == "\t" else csv.QUOTE_MINIMAL
        self.header = next(csv.reader([first.rstrip("\r\n")], delimiter=self.delimiter, quoting=quoting), [])
        self.names = [normalize_header(name) for name in self.header]
        self.line = 1 + self.preamble_lines
        self._reader = csv.reader(text, delimiter=self.delimiter, quoting=quoting, strict=True)
        #: Physical lines before the first row: the header's, or a part's (``files/parts.py``).
        self.lines_before = self.line if lines_before is None else lines_before

    def rows(self) -> Iterator[list[str]]:
        reader = self._reader
        base = self.lines_before
        end = 0
        for row in reader:
            self.line = base + end + 1
            end = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line is not a record
            yield row

    def numbered_rows(self) -> Iterator[tuple[int, list[str]]] | None:
        """``(line, cells)`` for every line left, blank ones too, split in C: for a tab-separated
        file (never quoted, so a line is a row; ``files/tabrows.py``). None for a quoted (comma)
        file: ``rows()`` reads those."""
        if self.delimiter != "\t":
            return None
        return numbered_rows(self._text, self.lines_before + 1)
