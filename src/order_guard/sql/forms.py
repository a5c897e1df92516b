"""The SQL forms of the built-in operators, one beside each Python form of ``builtin/operators.py``.

Each function has the signature of ``Operator.to_sql``: ``(argument, field,
ctx)`` -> a SQL boolean that is never NULL. Comments quote the Python form it
mirrors.
"""

from __future__ import annotations

import operator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from order_guard.canonical import DATETIME as PY_DATETIME
from order_guard.sql import CannotPush
from order_guard.sql.compiler import ABSENT, DATETIME, ITEM_LIST, ITEMS, NUMBER, TEXT, Literal, SqlColumn, SqlContext

_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
            "lt": operator.lt, "le": operator.le}
#: age > L days  <=>  date < as_of - L days (and so on): the date side of each bound.
_AGE = {"gt": operator.lt, "ge": operator.le, "lt": operator.gt, "le": operator.ge}


def comparison(name: str, argument: Any, field: str, ctx: SqlContext) -> Any:
    # Python: left is None -> False; right is None -> False; else compare(left, right).
    compare = _COMPARE[name]
    left = ctx.column(field)
    right = ctx.value(argument, compared_with=field)
    if left.kind == ABSENT:
        return sa.false()
    if isinstance(right, Literal):
        if right.value is None:
            return sa.false()
        return sa.and_(left.expr.is_not(None), compare(left.expr, left.bind(right.value)))
    if right.kind == ABSENT:
        return sa.false()
    if left.kind != right.kind or left.kind not in (TEXT, NUMBER, DATETIME):
        raise CannotPush(f"{name}: {field} ({left.kind}) compared with a {right.kind} value")
    return sa.and_(left.expr.is_not(None), right.expr.is_not(None), compare(left.expr, right.expr))


def membership(wanted: bool, argument: list, field: str, ctx: SqlContext) -> Any:
    # Python: value is not None and (value in {coerced literals}) is wanted.
    column = ctx.column(field)
    if column.kind == ABSENT:
        return sa.false()
    values = sorted({ctx.coerce(field, item) for item in argument}, key=repr)
    inside = column.expr.in_([column.bind(value) for value in values])
    return sa.and_(column.expr.is_not(None), inside if wanted else sa.not_(inside))


def matches(argument: str, field: str, ctx: SqlContext) -> Any:
    raise CannotPush("matches: Python regular expressions have no portable SQL form")


def starts_with(argument: str, field: str, ctx: SqlContext) -> Any:
    # Python: isinstance(value, str) and value.startswith(argument).
    column = ctx.column(field)
    if column.kind in (ABSENT, NUMBER, DATETIME, ITEM_LIST):
        return sa.false()
    if column.kind != TEXT or column.prefix is None:
        raise CannotPush(f"starts_with: {field} may hold text or other values")
    if argument == "":
        return column.expr.is_not(None)
    return sa.and_(column.expr.is_not(None), column.prefix(argument))


def _item_list(field: str, ctx: SqlContext) -> SqlColumn | None:
    column = ctx.column(field)
    return column if column.kind == ITEM_LIST else None


def present(argument: bool, field: str, ctx: SqlContext) -> Any:
    # Python: value not None, not "", not [], not {} (blank text was read as None).
    items = _item_list(field, ctx)
    if items is not None:
        return items.expr if argument else sa.not_(items.expr)
    column = ctx.scope.column(field)
    return column.expr.is_not(None) if argument else column.expr.is_(None)


def missing(argument: bool, field: str, ctx: SqlContext) -> Any:
    # Python: (value is None) is argument; an order's items are a list, never None.
    if _item_list(field, ctx) is not None:
        return sa.false() if argument else sa.true()
    column = ctx.scope.column(field)
    return column.expr.is_(None) if argument else column.expr.is_not(None)


def empty(argument: bool, field: str, ctx: SqlContext) -> Any:
    # Python: (value in ("", [], {})) is argument; blank text was read as None, never "".
    items = _item_list(field, ctx)
    if items is not None:
        return sa.not_(items.expr) if argument else items.expr
    return sa.false() if argument else sa.true()


def age_days(argument: dict, field: str, ctx: SqlContext) -> Any:
    # Python: isinstance(value, datetime) and every bound holds for (as_of - value) in days.
    column = ctx.column(field)
    if ctx.python.converter(field) not in (None, PY_DATETIME):
        raise CannotPush(f"age_days: {field} is not a date")
    if column.kind == ABSENT:
        return sa.false()
    if column.kind != DATETIME:
        raise CannotPush(f"age_days: {field} is not read as a date (fields named x_ are not converted)")
    as_of = ctx.as_of
    bounds = []
    for name, limit in argument.items():
        try:
            threshold = as_of - timedelta(days=limit)
        except OverflowError:
            raise CannotPush(f"age_days: {limit} days is out of range") from None
        bounds.append(_AGE[name](column.expr, column.bind(threshold)))
    return sa.and_(column.expr.is_not(None), *bounds)


def some(argument: dict, field: str, ctx: SqlContext) -> Any:
    # Python: any(inner(item) for item in record[field] or ()).
    if field != ITEMS:
        raise CannotPush(f"some: {field} is not a list of items")
    ctx.column(field)
    items = ctx.items()
    inner_ctx = ctx.child(ITEMS, items.scope)
    inner = inner_ctx.condition(argument)
    expr, unsure = items.some(inner, sa.or_(*inner_ctx.uncertain) if inner_ctx.uncertain else None)
    if unsure is not None:
        ctx.uncertain.append(unsure)
    return expr


def exists_in(argument: dict, field: None, ctx: SqlContext) -> Any:
    # Python: record[on] in index(dataset by key); None is never a key.
    dataset = argument["dataset"]
    key = argument.get("key", "order_id")
    on = argument.get("on", key)
    lookup = ctx.scope.lookup(dataset, key)
    column = ctx.column(on)
    if column.kind == ABSENT:
        return sa.false()
    if lookup.kind is not None and column.kind != lookup.kind:
        raise CannotPush(f"exists_in: {on} ({column.kind}) and {dataset}.{key} ({lookup.kind}) differ in kind")
    return sa.and_(column.expr.is_not(None), lookup.exists(column.expr))
