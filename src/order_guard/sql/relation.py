"""A table (or query) of raw columns read as canonical records, and the queries pushdown runs over it.

:class:`CanonicalTable` knows which raw column carries which canonical field
(a :class:`Layout`, the same mapping the flat formats use) and builds:

* the stream: every raw row, ordered by the key so an order's rows (one per
  item) arrive together and fold into one record, as flat files do;
* ``suspect`` rows: rows SQL cannot vouch are readable (their order is then
  read and checked in Python, and counted as streaming counts it);
* the candidates of compiled checks over the other orders, with a flag per
  check; an order split over rows is one group (values that differ between
  its rows make the check uncertain, so Python decides).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from order_guard.canonical import (
    DECIMAL,
    FIELDS,
    ITEM_FIELDS,
    KEY_FIELD,
    TEXT,
    canonical_channel,
    canonical_status,
)
from order_guard.sql import CannotPush
from order_guard.sql.columns import Canon, absent, canonical, enumerated
from order_guard.sql.compiler import ITEM_LIST, Lookup, SqlCheck, SqlColumn
from order_guard.sql.compiler import TEXT as TEXT_KIND
from order_guard.sql.dialects import Dialect

#: Most distinct raw values a status or channel column may have to be mapped in SQL.
MAX_ENUMERATED = 2000
KEY = "og_key"


@dataclass(frozen=True)
class RawColumn:
    name: str
    type_class: str


@dataclass
class Layout:
    """Which raw column carries which canonical field of records of ``kind``."""

    kind: str
    columns: dict[str, RawColumn]
    items: dict[str, RawColumn] = field(default_factory=dict)
    sums: dict[str, list[RawColumn]] = field(default_factory=dict)
    #: field -> {seller's value: canonical value}: applied before reading
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    #: rows with one key fold into one record (orders: one row per item)
    grouped: bool = False
    #: the key column is unique (a primary key): no two rows fold
    unique: bool = False

    @property
    def key(self) -> str:
        return KEY_FIELD[self.kind]

    def enumerated(self) -> list[str]:
        """Fields mapped in Python value by value: canonical statuses and channels, value mappings."""
        names = set(self.values)
        if self.kind == "orders":
            names |= {"status", "fulfillment_channel"}
        if self.kind == "inventory":
            names.add("fulfillment_channel")
        return sorted(name for name in names if name in self.columns)


def mapped_value(layout: Layout, name: str, text: str | None) -> str | None:
    """What ``normalize`` makes of one raw value (as text) of an enumerated field."""
    value = layout.values.get(name, {}).get(text, text) if text is not None else None
    if value is None or not value.strip():
        return None
    if layout.kind == "orders" and name == "status":
        return canonical_status(value)
    if name == "fulfillment_channel" and layout.kind in ("orders", "inventory"):
        return canonical_channel(value)
    return value


class CanonicalTable:
    """``base`` (a table or a named query as a subquery) read as canonical records through ``layout``."""

    def __init__(self, base: Any, dialect: Dialect, layout: Layout):
        self.base = base
        self.dialect = dialect
        self.layout = layout
        #: field -> {raw text: canonical value}, read from the table (see :meth:`distinct`)
        self.enumerations: dict[str, dict[str, str | None]] = {}
        self.lookups: Callable[[str, str], Lookup] = _no_lookups
        #: the fields the stream reads (``Dataset.wanted_fields``): only they can make a row unreadable
        self.wanted: set[str] | None = None
        self._canons: dict[tuple, tuple[Canon, Any]] = {}

    # -- row level -------------------------------------------------------------------------------

    def _converter(self, name: str, item: bool = False) -> Any:
        return (ITEM_FIELDS if item else FIELDS[self.layout.kind]).get(name)

    def raw_text(self, src: Any, raw: RawColumn) -> Any:
        """A raw column as text, blank kept (the form enumerated values are listed in)."""
        column = src.c[raw.name]
        storage = self.dialect.storage(column)
        if storage is not None:
            return sa.case((storage == "integer", sa.cast(column, sa.String())), else_=column)
        return column if raw.type_class == "text" else self.dialect.as_text(column)

    def canon(self, name: str, src: Any, need_values: bool = True) -> Canon:
        """The canonical value of field ``name`` over rows ``src`` (the same object each time it is asked,
        so that a check reading a field twice doubts it once)."""
        key = (name, id(src), need_values, name in self.enumerations)
        if key not in self._canons:
            self._canons[key] = (self._canon(name, src, need_values), src)
        return self._canons[key][0]

    def _canon(self, name: str, src: Any, need_values: bool = True) -> Canon:
        layout = self.layout
        if name == "items" and layout.kind == "orders":
            return Canon(SqlColumn(sa.true() if layout.items else sa.false(), ITEM_LIST))
        if name in layout.sums and name not in layout.columns:
            return self._sum(layout.sums[name], src)
        raw = layout.columns.get(name)
        if raw is None and name == "status_raw" and layout.kind == "orders" and "status" in layout.columns:
            raw = layout.columns["status"]  # normalize keeps the status as read (after a value mapping)
            if "status" not in layout.values:
                return canonical(self.dialect, src.c[raw.name], raw.type_class, TEXT)
            if "status" not in self.enumerations:
                raise CannotPush("status_raw: the status values were not listed")
            table = layout.values["status"]
            shown = {text: (table.get(text, text) if text.strip() else None) for text in self.enumerations["status"]}
            shown = {text: (value if value and value.strip() else None) for text, value in shown.items()}
            return enumerated(self.dialect, self.raw_text(src, raw), shown, None)
        if raw is None:
            return Canon(absent())
        if name in layout.enumerated():
            readable = canonical(self.dialect, src.c[raw.name], raw.type_class, TEXT).readable
            if not need_values:
                return Canon(absent(), readable)
            storage = self.dialect.storage(src.c[raw.name])
            if storage is None and raw.type_class not in ("text", "integer"):
                raise CannotPush(f"{name}: values of a {raw.type_class} column are not mapped in SQL")
            if name not in self.enumerations:
                raise CannotPush(f"{name}: its values were not listed")
            canon = enumerated(self.dialect, self.raw_text(src, raw), self.enumerations[name], readable)
            if storage is not None:
                canon.column.exact = sa.and_(storage.in_(["null", "text", "integer"]), canon.column.exact)
            return canon
        return canonical(self.dialect, src.c[raw.name], raw.type_class, self._converter(name))

    def item_canon(self, name: str, src: Any) -> Canon:
        raw = self.layout.items.get(name)
        if raw is None:
            return Canon(absent())
        return canonical(self.dialect, src.c[raw.name], raw.type_class, self._converter(name, item=True))

    def _sum(self, raws: Sequence[RawColumn], src: Any) -> Canon:
        parts = [canonical(self.dialect, src.c[raw.name], raw.type_class, DECIMAL) for raw in raws]
        exprs = [part.column.expr for part in parts]
        total = sa.case((sa.and_(*[expr.is_(None) for expr in exprs]), sa.null()),
                        else_=sum((sa.func.coalesce(expr, 0) for expr in exprs[1:]), sa.func.coalesce(exprs[0], 0)))
        exact = [part.column.exact for part in parts if part.column.exact is not None]
        readable = [part.readable for part in parts if part.readable is not None]
        column = SqlColumn(total, parts[0].column.kind, parts[0].column.bind, sa.and_(*exact) if exact else None)
        return Canon(column, sa.and_(*readable) if readable else None)

    def readable(self, src: Any) -> Any:
        """TRUE where every mapped value of the row certainly converts (the key aside)."""
        layout, wanted = self.layout, self.wanted
        conditions = [self.canon(name, src, need_values=False).readable for name in layout.columns
                      if name != layout.key and (wanted is None or name in wanted)]
        conditions += [self.item_canon(name, src).readable for name in layout.items
                       if wanted is None or name in wanted]
        conditions += [self._sum(raws, src).readable for name, raws in layout.sums.items()
                       if wanted is None or name in wanted]
        return sa.and_(sa.true(), *[c for c in conditions if c is not None])

    def key(self, src: Any) -> Any:
        """The key (order id, SKU) as exact text: NULL where Python reads none."""
        return self.canon(self.layout.key, src).column.expr

    def suspect(self, src: Any) -> Any:
        key = self.canon(self.layout.key, src)
        sure = [key.column.expr.is_not(None)]
        sure += [c for c in (key.readable, key.column.exact) if c is not None]
        return sa.not_(sa.and_(self.readable(src), *sure))

    # -- queries ---------------------------------------------------------------------------------

    def order_by(self, src: Any) -> list[Any]:
        """The stream's order: by key, then (unless the key is unique) every column, so that the rows
        of an order always arrive in the same order, whichever query reads them."""
        order = [self.key(src)]
        if self.layout.grouped and not self.layout.unique:
            for column in src.c:
                if column.name == KEY or column.name.startswith(("og_check_", "og_test_", "og_unsure")):
                    continue
                text = self.dialect.storage(column) is not None or _type_class(column) == "text"
                order.append(self.dialect.text(column) if text else column)
        return order

    def stream(self) -> Any:
        return sa.select(*self.base.c).order_by(*self.order_by(self.base))

    def total(self) -> Any:
        return sa.select(sa.func.count()).select_from(self.base)

    def distinct(self, name: str) -> Any:
        raw = self.layout.columns[name]
        text = self.dialect.text(self.raw_text(self.base, raw))
        return sa.select(text).distinct().limit(MAX_ENUMERATED + 1)

    def set_values(self, name: str, texts: Sequence[Any]) -> None:
        if len(texts) > MAX_ENUMERATED:
            raise CannotPush(f"{name} has more than {MAX_ENUMERATED} distinct values")
        decoded = [t.decode("utf-8") if isinstance(t, (bytes, bytearray, memoryview)) else t for t in texts]
        decoded = [bytes(t).decode("utf-8") if isinstance(t, memoryview) else t for t in decoded]
        self.enumerations[name] = {t: mapped_value(self.layout, name, t) for t in decoded if t is not None}

    def suspects(self) -> Any:
        """Rows read and checked in Python: every row of an order with a row SQL cannot vouch for."""
        base = self.base
        if self.layout.unique or not self.layout.grouped:
            where = self.suspect(base)
        else:
            other = base.alias("og_suspect")
            keys = sa.select(self.key(other)).where(self.suspect(other), self.key(other).is_not(None))
            where = sa.or_(self.suspect(base), self.key(base).in_(keys))
        return sa.select(*base.c).where(where).order_by(*self.order_by(base))

    def matching(self, field: str, values: Sequence[str]) -> Any:
        """Raw rows of the vouched records whose ``field`` may be one of ``values`` (a superset:
        the caller keeps the exact matches)."""
        base = self.base
        canon = self.canon(field, base).column
        if canon.kind != TEXT_KIND:
            raise CannotPush(f"look-up by {field}: not a text field")
        hit = canon.expr.in_([canon.bind(value) for value in values])
        if canon.exact is not None:
            hit = sa.or_(hit, sa.not_(canon.exact))
        if self.layout.unique or not self.layout.grouped:
            where = sa.and_(sa.not_(self.suspect(base)), hit)
        else:
            rows, other = base.alias("og_hit"), base.alias("og_suspect")
            row = self.canon(field, rows).column
            row_hit = row.expr.in_([row.bind(value) for value in values])
            if row.exact is not None:
                row_hit = sa.or_(row_hit, sa.not_(row.exact))
            suspects = sa.select(self.key(other)).where(self.suspect(other), self.key(other).is_not(None))
            where = sa.and_(self.key(base).in_(sa.select(self.key(rows)).where(row_hit)),
                            self.key(base).is_not(None), sa.not_(self.key(base).in_(suspects)))
        return sa.select(*base.c).where(where).order_by(*self.order_by(base))

    def doubtful(self, key_field: str) -> Any:
        """How many rows a look-up into this table could not be sure of."""
        canon = self.canon(key_field, self.base)
        sure = [self.readable(self.base), sa.not_(self.suspect(self.base))]
        if canon.column.exact is not None:
            sure.append(canon.column.exact)
        return sa.select(sa.func.count()).select_from(self.base).where(sa.not_(sa.and_(*sure)))

    def scope(self, used: set[str] | None = None) -> Any:
        """The scope checks compile against: rows, or (for orders folded from rows) groups."""
        from order_guard.sql.scopes import GroupScope, RowScope

        if used is None or self.layout.unique or not self.layout.grouped:
            return RowScope(self, self.base, used if used is not None else set())
        return GroupScope(self, sorted(used))

    def candidates(self, checks: Sequence[SqlCheck], scope: Any, everything: bool = False) -> Any:
        """Raw rows of every order some check may fail (of every vouched order, with ``everything``),
        each with a 0/1 flag per check (``og_check_N``)."""
        from order_guard.sql.scopes import RowScope

        base = self.base
        if isinstance(scope, RowScope):
            return self._row_candidates(checks, everything)
        flags = [sa.case((check.candidates, 1), else_=0).label(f"og_check_{n}") for n, check in enumerate(checks)]
        anything = sa.true() if everything else sa.or_(*[check.candidates for check in checks])
        groups = scope.groups
        violations = sa.select(groups.c[KEY], *flags).where(anything).subquery("og_violations")
        query = sa.select(*base.c, *[violations.c[f"og_check_{n}"] for n in range(len(checks))])
        query = query.join_from(base, violations, self.key(base) == violations.c[KEY])
        return query.order_by(*self.order_by(base))


    def _row_candidates(self, checks: Sequence[SqlCheck], everything: bool) -> Any:
        """Rows that are records of their own; where SQL is unsure of a value the order reads,
        every check is flagged (each doubt is tested once per row)."""
        base = self.base
        doubts = list({_same(doubt): doubt for check in checks for doubt in check.doubts}.values())
        unsure = sa.or_(*doubts) if doubts else sa.false()
        flags = [sa.case((sa.or_(check.predicate, unsure), 1), else_=0).label(f"og_check_{n}")
                 for n, check in enumerate(checks)]
        query = sa.select(*base.c, *flags).where(sa.not_(self.suspect(base)))
        if not everything:  # the flags are computed only for the rows this lets through
            query = query.where(sa.or_(*[check.predicate for check in checks], unsure))
        return query.order_by(*self.order_by(base))


def _same(expression: Any) -> Any:
    """What makes two doubts the same doubt (two checks reading one field)."""
    try:
        return str(expression.compile(compile_kwargs={"literal_binds": True}))
    except Exception:  # noqa: BLE001 - a value without a literal form: compare by identity
        return id(expression)


def _type_class(column: Any) -> str:
    from order_guard.sql.dialects import type_class

    return type_class(column.type)


def _no_lookups(dataset: str, key: str) -> Lookup:
    raise CannotPush(f"exists_in {dataset}: not in the same database")


__all__ = ["CanonicalTable", "Layout", "RawColumn", "mapped_value"]
