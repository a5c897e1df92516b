"""The scopes checks compile against: a row, an order folded from its rows, and look-ups.

:class:`RowScope` reads one row as one record (a table whose key is unique,
or any table for a first pass that finds the fields checks read);
:class:`GroupScope` folds the rows of one order (one row per item) into one
group, each value the rows' value, uncertain where the rows differ, items
being the order's rows. :class:`TableLookup` answers ``exists_in`` from
another table of the same database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from order_guard.sql import CannotPush
from order_guard.sql.compiler import ITEM_LIST, ItemScope, Lookup, SqlColumn
from order_guard.sql.compiler import TEXT as TEXT_KIND
from order_guard.sql.relation import KEY

if TYPE_CHECKING:
    from order_guard.sql.relation import CanonicalTable


class RowScope:
    """Canonical values of one row (a record that no other row folds into)."""

    def __init__(self, table: CanonicalTable, src: Any, used: set[str]):
        self.table = table
        self.src = src
        self.used = used

    def column(self, name: str) -> SqlColumn:
        self.used.add(name)
        return self.table.canon(name, self.src).column

    def items(self) -> ItemScope:
        return _InlineItems(self.table, self.src)

    def lookup(self, dataset: str, key: str) -> Lookup:
        return self.table.lookups(dataset, key)


class _ItemRow:
    def __init__(self, table: CanonicalTable, src: Any):
        self.table, self.src = table, src

    def column(self, name: str) -> SqlColumn:
        return self.table.item_canon(name, self.src).column

    def items(self) -> ItemScope:
        raise CannotPush("items have no items")

    def lookup(self, dataset: str, key: str) -> Lookup:
        raise CannotPush("exists_in inside some: not pushed down")


class _InlineItems:
    """The row's own item (a table with item columns has one item per row)."""

    def __init__(self, table: CanonicalTable, src: Any):
        self.table = table
        self.scope = _ItemRow(table, src)

    def some(self, condition: Any, uncertain: Any | None) -> tuple[Any, Any | None]:
        if not self.table.layout.items:
            return sa.false(), None
        return condition, uncertain


class GroupScope:
    """An order folded from its rows: each value is the rows' value, uncertain where rows differ."""

    def __init__(self, table: CanonicalTable, used: Sequence[str]):
        self.table = table
        base = table.base
        key = table.key(base)
        columns = [key.label(KEY)]
        self.kinds: dict[str, SqlColumn] = {}
        for name in used:
            canon = table.canon(name, base)
            column = canon.column
            self.kinds[name] = column
            if column.kind in (ITEM_LIST,) or isinstance(column.expr, sa.sql.elements.Null):
                continue
            if name in table.layout.sums or name == "order_total":
                value = sa.func.sum(column.expr)
                agree = sa.true()
            else:
                value = sa.func.min(column.expr)
                agree = sa.or_(value == sa.func.max(column.expr), value.is_(None))
            exact = agree if column.exact is None else sa.and_(
                agree, sa.func.min(sa.case((column.exact, 1), else_=0)) == 1)
            columns += [value.label(name), sa.case((exact, 1), else_=0).label(f"{name}__x")]
        no_suspect = sa.func.min(sa.case((table.suspect(base), 0), else_=1)) == 1
        self.groups = sa.select(*columns).group_by(key).having(no_suspect).subquery("og_orders")
        self._columns: dict[str, SqlColumn] = {}

    def column(self, name: str) -> SqlColumn:
        if name not in self._columns:
            self._columns[name] = self._column(name)
        return self._columns[name]

    def _column(self, name: str) -> SqlColumn:
        column = self.kinds.get(name)
        if column is None:
            raise CannotPush(f"internal: {name} was not prepared")
        if column.kind == ITEM_LIST:
            return column
        if isinstance(column.expr, sa.sql.elements.Null):  # never a value in any row
            return SqlColumn(sa.null(), column.kind, column.bind)
        expr = self.groups.c[name]
        if column.kind == TEXT_KIND and self.table.dialect.name != "mysql":
            expr = self.table.dialect.text(expr)  # keep code-point order through the subquery
        exact = self.groups.c[f"{name}__x"] == 1
        return SqlColumn(expr, column.kind, column.bind, exact,
                         (lambda value: self.table.dialect.prefix(expr, value)) if column.prefix else None)

    def items(self) -> ItemScope:
        return _GroupItems(self)

    def lookup(self, dataset: str, key: str) -> Lookup:
        return self.table.lookups(dataset, key)


class _GroupItems:
    """Items of a folded order: the rows with its key."""

    def __init__(self, group: GroupScope):
        self.group = group
        self.rows = group.table.base.alias("og_item")
        self.scope = _ItemRow(group.table, self.rows)

    def some(self, condition: Any, uncertain: Any | None) -> tuple[Any, Any | None]:
        table = self.group.table
        if not table.layout.items:
            return sa.false(), None
        same = table.key(self.rows) == self.group.groups.c[KEY]
        exists = sa.exists().where(same, condition)
        unsure = sa.exists().where(same, uncertain) if uncertain is not None else None
        return exists, unsure


class TableLookup:
    """``exists_in`` into another table of the same database, with no row it cannot vouch for."""

    def __init__(self, table: CanonicalTable, key: str):
        self.table = table
        self.key = key
        self.kind = table.canon(key, table.base).column.kind

    def exists(self, value: Any) -> Any:
        rows = self.table.base.alias(f"og_{self.table.layout.kind.replace('-', '_')}")
        return sa.exists().where(self.table.canon(self.key, rows).column.expr == value)


def absent_lookup() -> Lookup:
    """A dataset the run does not have: nothing exists in it."""

    class _Absent:
        def __init__(self) -> None:
            self.kind = None

        def exists(self, value: Any) -> Any:
            return sa.false()

    return _Absent()
