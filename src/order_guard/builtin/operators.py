"""The core condition operators: comparison, membership, regex, presence, dates, items, look-ups.

Every comparison is ``None``-safe: a missing value never satisfies ``eq``,
``gt``, ``in`` and friends (use ``missing``/``present`` to test for absence).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from order_guard import hookimpl
from order_guard.canonical import DATETIME
from order_guard.rulelang.compiler import (
    ITEMS,
    CompileContext,
    Predicate,
    RuleSemanticError,
)
from order_guard.rulelang.schema import CONDITION, VALUE
from order_guard.types import Operator

SCALAR = {"type": ["string", "number", "boolean"]}


def _sql(name: str, *bound: Any) -> Callable[..., Any]:
    """The operator's SQL form in :mod:`order_guard.sql.forms`, imported only when a rule is pushed down
    (SQLAlchemy is an optional dependency)."""

    def to_sql(argument: Any, field: str | None, ctx: Any) -> Any:
        from order_guard.sql import forms

        return getattr(forms, name)(*bound, argument, field, ctx)

    return to_sql


def _comparison(name: str, compare: Callable[[Any, Any], bool], doc: str) -> Operator:
    def compile_comparison(argument: Any, field: str, ctx: CompileContext) -> Predicate:
        get = ctx.getter(field)
        if not isinstance(argument, dict):  # a literal: compared without a call per record
            constant = ctx.coerce(field, argument)
            if constant is None:
                return lambda record: False
            return lambda record: (left := get(record)) is not None and compare(left, constant)
        right = ctx.value(argument, compared_with=field)

        def test(record: dict) -> bool:
            left = get(record)
            if left is None:
                return False
            value = right(record)
            return value is not None and compare(left, value)

        return test

    return Operator(name=name, schema=VALUE, compile=compile_comparison, description=doc,
                    to_sql=_sql("comparison", name))


def _membership(name: str, wanted: bool, doc: str) -> Operator:
    def compile_membership(argument: list, field: str, ctx: CompileContext) -> Predicate:
        get = ctx.getter(field)
        values = frozenset(ctx.coerce(field, item) for item in argument)
        return lambda record: (value := get(record)) is not None and (value in values) is wanted

    return Operator(name=name, schema={"type": "array", "items": SCALAR, "minItems": 1},
                    compile=compile_membership, description=doc, to_sql=_sql("membership", wanted))


def _matches(argument: str, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    pattern = re.compile(argument)
    return lambda record: isinstance(value := get(record), str) and pattern.search(value) is not None


def _starts_with(argument: str, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    return lambda record: isinstance(value := get(record), str) and value.startswith(argument)


def _is_present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _present(argument: bool, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    return lambda record: _is_present(get(record)) is argument


def _missing(argument: bool, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    return lambda record: (get(record) is None) is argument


def _empty(argument: bool, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    return lambda record: (get(record) in ("", [], {})) is argument


_BOUNDS = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}


def _age_days(argument: dict, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    if ctx.converter(field) not in (None, DATETIME):
        raise RuleSemanticError(f"age_days: {field} is not a date")
    as_of = ctx.as_of
    bounds = [(_BOUNDS[name], limit) for name, limit in argument.items()]
    if len(bounds) == 1:  # the usual rule: one bound, compared without a generator
        (compare, limit), = bounds

        def of_value(value: Any) -> bool:
            return isinstance(value, datetime) and compare((as_of - value).total_seconds() / 86400, limit)
    else:
        def of_value(value: Any) -> bool:
            if not isinstance(value, datetime):
                return False
            age = (as_of - value).total_seconds() / 86400
            return all(compare(age, limit) for compare, limit in bounds)

    def test(record: dict) -> bool:
        return of_value(get(record))

    test.of_value = of_value  # type: ignore[attr-defined]  # the same test of the field's value alone
    return test


def _some(argument: dict, field: str, ctx: CompileContext) -> Predicate:
    get = ctx.getter(field)
    inner = ctx.child(ITEMS).condition(argument)
    return lambda record: any(inner(item) for item in get(record) or ())


def _exists_in(argument: dict, field: None, ctx: CompileContext) -> Predicate:
    dataset = argument["dataset"]
    key = argument.get("key", "order_id")
    on = argument.get("on", key)
    index = ctx.links.index(dataset, key, on, ctx.kind)
    read_on = ctx.getter(on)

    def evidence(record: dict) -> dict[str, Any]:
        matches = index.get(read_on(record)) or ()
        return {dataset: [{"path": match.get("_path"), "line": match.get("_line")} for match in matches[:5]]}

    ctx.evidence.append(evidence)
    return lambda record: read_on(record) in index


EXISTS_IN_SCHEMA = {
    "type": "object",
    "properties": {
        "dataset": {"type": "string"},
        "key": {"type": "string"},
        "on": {"type": "string"},
    },
    "required": ["dataset"],
    "additionalProperties": False,
}

AGE_SCHEMA = {
    "type": "object",
    "properties": {name: {"type": "number"} for name in _BOUNDS},
    "minProperties": 1,
    "additionalProperties": False,
}

OPERATORS = (
    _comparison("eq", operator.eq, "equal to a value"),
    _comparison("ne", operator.ne, "present and not equal to a value"),
    _comparison("gt", operator.gt, "greater than a value"),
    _comparison("ge", operator.ge, "greater than or equal to a value"),
    _comparison("lt", operator.lt, "less than a value"),
    _comparison("le", operator.le, "less than or equal to a value"),
    _membership("in", True, "one of a list of values"),
    _membership("not_in", False, "present and none of a list of values"),
    Operator(name="matches", schema={"type": "string"}, compile=_matches, to_sql=_sql("matches"),
             description="text matching a regular expression (Python syntax, searched anywhere)"),
    Operator(name="starts_with", schema={"type": "string"}, compile=_starts_with, to_sql=_sql("starts_with"),
             description="text starting with a prefix"),
    Operator(name="present", schema={"type": "boolean"}, compile=_present, to_sql=_sql("present"),
             description="true: has a value that is not null and not empty; false: the opposite"),
    Operator(name="missing", schema={"type": "boolean"}, compile=_missing, to_sql=_sql("missing"),
             description="true: missing or null; false: has a value (possibly empty)"),
    Operator(name="empty", schema={"type": "boolean"}, compile=_empty, to_sql=_sql("empty"),
             description="true: an empty list or object (blank text reads as missing); false: anything else"),
    Operator(name="age_days", schema=AGE_SCHEMA, compile=_age_days, to_sql=_sql("age_days"),
             description="days from a date to --as-of, compared with gt/ge/lt/le"),
    Operator(name="some", schema=CONDITION, compile=_some, to_sql=_sql("some"),
             description="at least one of the order's items satisfies a condition"),
    Operator(name="exists_in", schema=EXISTS_IN_SCHEMA, compile=_exists_in, to_sql=_sql("exists_in"), on_field=False,
             description="a record of another dataset has the same key (default order_id)"),
)


@hookimpl
def order_guard_operators() -> Iterator[Operator]:
    yield from OPERATORS
