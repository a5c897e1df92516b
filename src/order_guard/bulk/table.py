"""og_canon: og_rows as the shared SQL compiler reads them, every value already canonical and exact.

The SQL source's tables hold values a database typed its own way, so the
shared compiler (:class:`order_guard.sql.relation.CanonicalTable`) converts
them and doubts what it cannot vouch for. og_rows holds only values DuckDB
read exactly as Python would (rows it could not vouch for are *unsure* and
checked in Python), so this table hands the compiler each column as it is,
with no doubt to test row by row. Statuses and channels are listed from the
file and mapped value by value with :mod:`order_guard.canonical` in the view
og_canon; a look-up another dataset answers (``exists_in``) is one flag per
row there, computed once however many checks ask it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from order_guard.bulk import cells
from order_guard.bulk.dialect import DuckDB, expression
from order_guard.canonical import BOOL, DATETIME, DECIMAL, FIELDS, INT, ITEM_FIELDS
from order_guard.sql import CannotPush
from order_guard.sql.columns import Canon
from order_guard.sql.compiler import ABSENT, ITEM_LIST, NUMBER, SqlColumn
from order_guard.sql.compiler import DATETIME as DATETIME_KIND
from order_guard.sql.compiler import TEXT as TEXT_KIND
from order_guard.sql.relation import CanonicalTable, Layout

VIEW = "og_canon"
DIALECT = DuckDB()


def mapped(name: str) -> str:
    """The view's column of a status or channel as Python maps it."""
    return f"{name}_c"


class CanonicalRows(CanonicalTable):
    """og_canon (or rows of it) for the shared compiler; see the module docstring."""

    def __init__(self, base: Any, layout: Layout):
        super().__init__(base, DIALECT, layout)
        #: item fields the checks read (inside ``some``): og_rows keeps them
        self.items_read: set[str] = set()

    def suspect(self, src: Any) -> Any:
        return src.c[cells.UNSURE]

    def _canon(self, name: str, src: Any, need_values: bool = True) -> Canon:
        layout = self.layout
        if name == "items" and layout.kind == "orders":
            return Canon(SqlColumn(sa.true() if layout.items else sa.false(), ITEM_LIST))
        if name == "status_raw" and layout.kind == "orders":
            name, raw = "status", True  # normalize keeps the status as read
        else:
            raw = False
        column = layout.columns.get(name)
        if column is None:
            return Canon(SqlColumn(sa.null(), ABSENT))
        if name in layout.enumerated() and not raw:
            return Canon(_column(src.c[mapped(column.name)], None))
        return Canon(_column(src.c[column.name], FIELDS[layout.kind].get(name)))

    def item_canon(self, name: str, src: Any) -> Canon:
        self.items_read.add(name)
        column = self.layout.items.get(name)
        if column is None:
            return Canon(SqlColumn(sa.null(), ABSENT))
        return Canon(_column(src.c[column.name], ITEM_FIELDS.get(name)))


def _column(expr: Any, convert: Any) -> SqlColumn:
    """A canonical value as the compiler reads one: exact (no doubt), bound literals of its kind."""
    if convert is DATETIME:
        def bind_datetime(value: Any) -> Any:
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise CannotPush(f"a date compared with {value!r}")
            return DIALECT.datetime_literal(value)

        return SqlColumn(expr, DATETIME_KIND, bind_datetime)
    if convert in (INT, DECIMAL, BOOL):  # a flag is held as 1 or 0, as the compiler compares it
        return SqlColumn(expr, NUMBER, DIALECT.number_literal)

    def bind_text(value: Any) -> Any:
        if not isinstance(value, str):
            raise CannotPush(f"text compared with {type(value).__name__} {value!r}")
        return DIALECT.text_literal(value)

    return SqlColumn(expr, TEXT_KIND, bind_text, None, lambda value: DIALECT.prefix(expr, value))


class Lookup:
    """``exists_in`` another dataset: the keys the engine indexed from it. Over og_canon's own order
    id it is the row's flag; anywhere else (an order's group) a look-up into the keys' table."""

    kind = TEXT_KIND

    def __init__(self, table: str, flag: str, order_id: Any):
        self.table = sa.table(table, sa.column("k"))
        self.flag = flag
        self.order_id = order_id

    def exists(self, value: Any) -> Any:
        if value is self.order_id:
            return sa.literal_column(f"{VIEW}.{self.flag}")
        return value.in_(sa.select(self.table.c.k))


def view_sql(table: CanonicalRows, kept: Collection[str], lookups: Collection[tuple[str, str]]) -> str:
    """og_canon over og_rows: the row's place in the file, mapped statuses and channels (of the
    ``kept`` fields, as listed in ``table.enumerations``), and a flag per look-up table."""
    columns = ["rowid AS og_row", "*"]
    for name in table.layout.enumerated():
        if name not in kept:
            continue
        column = table.layout.columns[name].name
        by_value: dict[str, list[str]] = {}
        for text, value in table.enumerations[name].items():
            if value is not None:
                by_value.setdefault(value, []).append(text)
        raw = sa.column(column)
        case = sa.case(*[(raw.in_(sorted(texts)), sa.literal(value)) for value, texts in sorted(by_value.items())],
                       else_=sa.null()) if by_value else sa.null()
        columns.append(f"{expression(case)} AS {mapped(column)}")
    columns += [f"{cells.KEY} IN (SELECT k FROM {name}) AS {flag}" for name, flag in lookups]
    return f"CREATE VIEW {VIEW} AS SELECT {', '.join(columns)} FROM og_rows"
