"""Skipping the rows of a flat file that cannot matter to a run, without building their records.

A row is skipped (counted as read and checked) only when all of these hold, so a run that
skips reports exactly what a run that reads every row reports (``tests/test_relevance.py``
holds the two to each other):

- its key cell is there (a row without an order id is unreadable);
- it holds no NUL or stray byte-order mark (asked of a row only once the file's bytes held one);
- the engine's relevance test says no check can fail on it (:mod:`order_guard.relevance`);
- every cell the run reads parses: a bad date or number makes the record unreadable, with its
  line, whether or not a rule would have looked at it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from order_guard.canonical import DATETIME, FIELDS, ITEM_FIELDS, KEY_FIELD, parse_decimal
from order_guard.relevance import Cells, Relevance
from order_guard.rowreader import FROM_TEXT

#: Cells remembered as parsing, per column: prices and quantities repeat; dates mostly do not.
_GOOD_KEPT = 4096


def row_skipper(relevance: Relevance, kind: str, grouped: bool, record_plan: list[tuple[str, int]],
                item_plan: list[tuple[str, int]], sum_plan: list[tuple[str, list[int]]],
                invisible_seen: Callable[[], bool]) -> Callable[[list[str]], bool] | None:
    """``row -> True`` when the row can be skipped; None when no row can be (no key column)."""
    columns = dict(record_plan)
    key = columns.get(KEY_FIELD[kind])
    if key is None:
        return None
    matters = relevance.row_filter(Cells(kind, columns, frozenset(name for name, _ in sum_plan), grouped,
                                         frozenset(name for name, _ in item_plan)))
    cells_parse = _parses(kind, record_plan, item_plan, sum_plan)

    def skippable(row: list[str], decided: bool = False) -> bool:
        """``decided``: the row continues an order already found not to matter (its first row)."""
        cell = row[key]
        if not cell or cell.isspace():
            return False
        if invisible_seen() and any("\x00" in value or "\ufeff" in value for value in row):
            return False
        return (decided or not matters(row)) and cells_parse(row)

    return skippable


def _parses(kind: str, record_plan: list[tuple[str, int]], item_plan: list[tuple[str, int]],
            sum_plan: list[tuple[str, list[int]]]) -> Callable[[list[str]], bool]:
    """``row -> True`` when every cell the row reader would parse parses (it would not raise)."""
    fields = FIELDS[kind]
    parsed: list[tuple[int, Callable[[str], Any]]] = []
    for plan, known in ((record_plan, fields), (item_plan, ITEM_FIELDS)):
        for name, index in plan:
            parse = FROM_TEXT.get(known[name]) if name in known else None
            if parse is not None:
                parsed.append((index, _iso_first if known[name] is DATETIME else parse))
    parsed += [(index, parse_decimal) for _, indexes in sum_plan for index in indexes]
    checks = [(index, parse, set()) for index, parse in parsed]

    def cells_parse(row: list[str]) -> bool:
        for index, parse, good in checks:
            value = row[index]
            if value in good or not value or value.isspace():
                continue
            try:
                parse(value)
            except ValueError:
                return False  # read: the row reader says which cell and why
            if len(good) < _GOOD_KEPT:
                good.add(value)
        return True

    return cells_parse


def _iso_first(value: str) -> Any:
    """Whether ``parse_datetime`` reads ``value``: ISO 8601 in C first, the lenient forms after."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return FROM_TEXT[DATETIME](value)

