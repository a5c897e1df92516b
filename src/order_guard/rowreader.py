"""Rows of text cells (flat files) to canonical records, planned once per file.

The same meaning as :func:`order_guard.canonical.normalize`, which reads any dict:
this one knows each cell's position and reader before the first row, so a
million-row report costs a dict and a few parses per row, not a dispatch per cell.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from order_guard.canonical import (
    BOOL,
    DATETIME,
    DECIMAL,
    FIELDS,
    INT,
    ITEM_FIELDS,
    KEY_FIELD,
    TEXT,
    canonical_channel,
    canonical_status,
    canonicalise_order,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_int,
)
from order_guard.errors import UnreadableRecord

#: How a text cell is read for each converter: None keeps the text (flat files hold only text).
FROM_TEXT: dict[Callable[[Any], Any], Callable[[str], Any] | None] = {
    TEXT: None, DATETIME: parse_datetime, INT: parse_int, DECIMAL: parse_decimal, BOOL: parse_bool,
}


def _invisible(value: str, what: str, name: str) -> str | None:
    """A byte-order mark (files concatenated with ``cat``) is dropped; a NUL byte is not text,
    and an order id or status with one would silently miss its match: unreadable."""
    if "\x00" in value:
        raise UnreadableRecord(f"{what} {name}: contains a NUL byte")
    return value.replace("\ufeff", "") or None


def row_reader(kind: str, columns: list[tuple[str, int]], item_columns: list[tuple[str, int]],
               sums: list[tuple[str, list[int]]]) -> Callable[[list[str]], dict[str, Any]]:
    """A fast :func:`normalize` for rows of text cells (flat files): the plan of which cell
    becomes which field, and how it is read, is made once per file instead of once per cell.
    ``columns`` and ``item_columns`` are ``(field, cell index)``; ``sums`` adds cells up."""
    fields = FIELDS[kind]
    steps = [(name, index, FROM_TEXT.get(fields[name]) if name in fields else None) for name, index in columns]
    item_steps = [(name, index, FROM_TEXT.get(ITEM_FIELDS[name]) if name in ITEM_FIELDS else None)
                  for name, index in item_columns]
    key = KEY_FIELD[kind]
    orders, inventory = kind == "orders", kind == "inventory"

    def read_cells(row: list[str], plan: list, what: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, index, parse in plan:
            value = row[index]
            if not value or value.isspace():
                out[name] = None
            elif parse is None:
                if "\x00" in value or "\ufeff" in value:
                    value = _invisible(value, what, name)
                out[name] = value
            else:
                try:
                    out[name] = parse(value)
                except ValueError as err:
                    raise UnreadableRecord(f"{what} {name}: {err}") from None
        return out

    def read(row: list[str]) -> dict[str, Any]:
        record = read_cells(row, steps, "field")
        if item_steps:
            record["items"] = [read_cells(row, item_steps, "item field")]
        for name, indexes in sums:
            total = None
            for index in indexes:
                value = row[index]
                if value and not value.isspace():
                    try:
                        total = (total or Decimal(0)) + parse_decimal(value)
                    except ValueError as err:
                        raise UnreadableRecord(f"field {name}: {err}") from None
            record[name] = total
        if record.get(key) is None:
            raise UnreadableRecord(f"no {key}")
        if orders:
            canonicalise_order(record)
        elif inventory and record.get("fulfillment_channel") is not None:
            record["fulfillment_channel"] = canonical_channel(record["fulfillment_channel"])
        return record

    return read


def cell_parser(kind: str, name: str) -> Callable[[str], Any] | None:
    """The parser of a date, number or flag field's cells that are not blank (it raises
    ``ValueError`` where the record is unreadable); None for a text field. What
    :func:`cell_reader` calls, for a caller that reads blank cells itself."""
    fields = FIELDS[kind]
    return FROM_TEXT.get(fields[name]) if name in fields else None


def cell_reader(kind: str, name: str) -> Callable[[str], Any]:
    """How one cell of field ``name`` becomes its canonical value, exactly as :func:`row_reader`
    reads it (blank -> None, statuses and channels canonical); raises ``UnreadableRecord``
    where the row reader would make the record unreadable. For deciding from single cells
    whether a record can matter (:mod:`order_guard.relevance`) without reading the row."""
    parse = cell_parser(kind, name)
    canonical = None
    if name == "status" and kind == "orders":
        canonical = canonical_status
    elif name == "fulfillment_channel" and kind in ("orders", "inventory"):
        canonical = canonical_channel

    def read(value: str) -> Any:
        if not value or value.isspace():
            return None
        if parse is not None:
            try:
                return parse(value)
            except ValueError as err:
                raise UnreadableRecord(f"field {name}: {err}") from None
        if "\x00" in value or "\ufeff" in value:
            value = _invisible(value, "field", name)
            if value is None:
                return None
        return canonical(value) if canonical is not None else value

    return read
