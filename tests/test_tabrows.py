"""Unquoted tab-separated text split in C reads as the csv module reads it (``files/tabrows.py``)."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from order_guard.files.tabrows import numbered_rows

#: Characters that matter to a reader: breaks, tabs, quotes, escapes, NUL, a BOM, other separators.
TEXT = st.text(alphabet=st.sampled_from(list("ab \t\r\n\"'\\\x00\ufeff\x85\u2028\x0b\x0c,;é")), max_size=80)


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    return [(reader.line_num, row) for row in reader]


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


@given(TEXT)
def test_rows_and_line_numbers_are_the_csv_modules(text):
    ours = list(numbered_rows(io.StringIO(text, newline=""), 1))
    theirs = _csv_rows(text)

    assert [(line, row) for line, row in ours if not _blank(row)] == \
        [(line, row) for line, row in theirs if not _blank(row)]
    assert [line for line, row in ours if _blank(row)] == [line for line, row in theirs if _blank(row)]


def test_numbering_starts_where_the_caller_says():
    text = io.StringIO("h1\th2\r\n405-1\tPending\r\n\r\n405-2\t\r\nlast\tline", newline="")
    text.readline()  # the header, read by the caller

    assert list(numbered_rows(text, 2)) == [
        (2, ["405-1", "Pending"]), (3, [""]), (4, ["405-2", ""]), (5, ["last", "line"])]
