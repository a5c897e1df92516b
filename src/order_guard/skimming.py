"""Skipping the rows of a flat file that cannot matter to a run, without building their records.

A row is skipped (counted as read and checked) only when all of these hold, so a run that
skips reports exactly what a run that reads every row reports (``tests/test_relevance.py``
holds the two to each other):

- its key cell is there (a row without an order id is unreadable);
- it holds no NUL or stray byte-order mark (asked of a row only once the file's bytes held one);
- the engine's relevance test says no check can fail on it (:mod:`order_guard.relevance`);
- every cell the run reads parses: a bad date or number makes the record unreadable, with its
  line, whether or not a rule would have looked at it.

Most rows of a large report are skipped, so the test of a row is one function with as few
Python calls as it can have: it runs a million times for a million-row report.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from order_guard.canonical import DATETIME, FIELDS, ITEM_FIELDS, KEY_FIELD, parse_decimal
from order_guard.files.flat import BytesSeen
from order_guard.relevance import NEVER, Cells, Relevance
from order_guard.rowreader import FROM_TEXT

#: Cells, and combinations of number cells, remembered as parsing: prices and quantities repeat.
_GOOD_KEPT = 4096


def row_skipper(relevance: Relevance, kind: str, grouped: bool, record_plan: list[tuple[str, int]],
                item_plan: list[tuple[str, int]], sum_plan: list[tuple[str, list[int]]],
                seen: BytesSeen) -> Callable[..., bool] | None:
    """``row -> True`` when the row can be skipped; None when no row can be (no key column)."""
    columns = dict(record_plan)
    key = columns.get(KEY_FIELD[kind])
    if key is None:
        return None
    gate = relevance.row_gate(Cells(kind, columns, frozenset(name for name, _ in sum_plan), grouped,
                                    frozenset(name for name, _ in item_plan)))
    first, second, tests, fixed = gate.first, gate.second, gate.tests, gate.fixed
    parsed = _parsed_cells(kind, record_plan, item_plan, sum_plan)
    cells_parse, typed, typed_seen = parsed.check, parsed.typed, parsed.typed_seen
    dates, date_cells, dates_seen = parsed.dates, parsed.date_cells, parsed.dates_seen
    fromisoformat = datetime.fromisoformat
    # Dates are remembered while few are seen (an order's rows; a report of whole days); once
    # thousands are, timestamps are unique and a look-up would only miss: read them in C.
    remember_dates = True

    def skippable(row: list[str], decided: bool = False) -> bool:
        """``decided``: the row continues an order already found not to matter (its first row)."""
        nonlocal remember_dates
        cell = row[key]
        if not cell or cell.isspace():
            return False
        if seen.invisible and any("\x00" in value or "\ufeff" in value for value in row):
            return False
        if not decided:
            tables, test = fixed or tests[row[first]][row[second]]
            for table in tables:
                if cell in table:
                    return False
            if test is not NEVER and test(row):
                return False
        # Every cell the run reads parses. Numbers and flags: their combination parsed on an
        # earlier row (prices repeat); dates: seen before, or ISO 8601 read in C. Anything else:
        # the parsers.
        if typed(row) not in typed_seen:
            return cells_parse(row)
        if not (remember_dates and dates_seen.issuperset(date_cells(row))):
            try:
                for index in dates:
                    fromisoformat(row[index])
            except ValueError:  # blank, or a form parse_datetime reads after ISO 8601 (or not at all)
                return cells_parse(row)
            if remember_dates:
                dates_seen.update(date_cells(row))
                remember_dates = len(dates_seen) < _GOOD_KEPT
        return True

    return skippable


class _ParsedCells:
    """Whether the cells a row reader would parse parse (it would not raise), and what was seen to."""

    def __init__(self, parsed: list[tuple[int, Callable[[str], Any]]]):
        #: The date cells (``row -> them``), and the dates seen to parse.
        self.dates = tuple(index for index, parse in parsed if parse is _iso_first)
        self.date_cells = _cells(self.dates)
        self.dates_seen: set[str] = set()
        #: ``row -> its number and flag cells``, whose combinations repeat, and those seen to parse.
        self.typed = _cells([index for index, parse in parsed if parse is not _iso_first])
        self.typed_seen: set[tuple[str, ...]] = set()
        # One set per way of parsing: a cell that parsed once parses in any column read the same way.
        good_by_parse: dict[Callable[[str], Any], set[str]] = {parse: set() for _, parse in parsed}
        self._checks = [(index, parse, good_by_parse[parse]) for index, parse in parsed]

    def check(self, row: list[str]) -> bool:
        """``row -> True`` when every cell parses (blank cells are no value: they do)."""
        for index, parse, good in self._checks:
            value = row[index]
            if value in good or not value or value.isspace():
                continue
            try:
                parse(value)
            except ValueError:
                return False  # read: the row reader says which cell and why
            if len(good) < _GOOD_KEPT:
                good.add(value)
        if len(self.typed_seen) < _GOOD_KEPT:
            self.typed_seen.add(self.typed(row))
        return True


def _cells(indexes: list[int] | tuple[int, ...]) -> Callable[[list[str]], tuple[str, ...]]:
    """``row -> a tuple of its cells at indexes`` (with the first one twice: itemgetter of a single
    index would give the cell itself, not a tuple), in C."""
    return operator.itemgetter(*indexes, indexes[0]) if indexes else lambda row: ()


def _parsed_cells(kind: str, record_plan: list[tuple[str, int]], item_plan: list[tuple[str, int]],
                  sum_plan: list[tuple[str, list[int]]]) -> _ParsedCells:
    fields = FIELDS[kind]
    parsed: list[tuple[int, Callable[[str], Any]]] = []
    for plan, known in ((record_plan, fields), (item_plan, ITEM_FIELDS)):
        for name, index in plan:
            parse = FROM_TEXT.get(known[name]) if name in known else None
            if parse is not None:
                parsed.append((index, _iso_first if known[name] is DATETIME else parse))
    parsed += [(index, parse_decimal) for _, indexes in sum_plan for index in indexes]
    return _ParsedCells(parsed)


def _iso_first(value: str) -> Any:
    """Whether ``parse_datetime`` reads ``value``: ISO 8601 in C first, the lenient forms after."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return FROM_TEXT[DATETIME](value)
