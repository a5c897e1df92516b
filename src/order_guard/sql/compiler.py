"""Compile a check to SQL, node for node as :class:`order_guard.rulelang.compiler.CompileContext` does.

The compiler works over a :class:`Scope`: something that answers, for each
canonical field, a :class:`SqlColumn` (the SQL expression of its canonical
value, NULL where the record has none). The scope decides how raw columns
become canonical values (statuses, blank text, dates); the compiler only
composes. Every condition compiles to an expression that is TRUE or FALSE,
never NULL (two-valued, like Python: a missing value never satisfies ``eq``,
and ``not`` of such a test is TRUE).

Each column may say where its SQL value is not certainly the Python one
(``exact``); the compiled check collects those places as ``uncertain``. A
database runs ``predicate OR uncertain`` and the engine re-evaluates every
record it returns in Python, so a finding is always Python's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from order_guard.rulelang.compiler import ITEMS, CompileContext, RuleSemanticError
from order_guard.sql import CannotPush

if TYPE_CHECKING:
    from order_guard.rulelang.model import Check
    from order_guard.types import Operator

#: Kinds of canonical SQL values; values of different kinds are never compared.
TEXT, NUMBER, DATETIME, ITEM_LIST, ABSENT, OTHER = "text", "number", "datetime", "items", "absent", "other"


@dataclass
class SqlColumn:
    """One canonical field as SQL: ``expr`` is NULL where Python's value is ``None``.

    ``bind(value)`` turns a Python value of the field (a coerced literal) into
    a SQL literal comparable with ``expr`` (raising :class:`CannotPush` for a
    value whose comparison would mean something else). ``exact`` is a SQL
    boolean, TRUE where ``expr`` certainly is the Python value; ``None`` means
    everywhere. ``prefix(text)`` is a TEXT column's ``starts_with``.
    """

    expr: Any
    kind: str
    bind: Callable[[Any], Any] = field(default=lambda value: sa.literal(value))
    exact: Any = None
    prefix: Callable[[str], Any] | None = None


class ItemScope(Protocol):
    """An order's items: ``scope`` reads one item; ``some`` says whether one satisfies a condition."""

    scope: Scope

    def some(self, condition: Any, uncertain: Any | None) -> tuple[Any, Any | None]:
        """(exists an item with ``condition``, exists an item where it is ``uncertain``)."""


class Scope(Protocol):
    """What the compiler compiles against (see :mod:`order_guard.sql.relation`)."""

    def column(self, field: str) -> SqlColumn: ...

    def items(self) -> ItemScope: ...

    def lookup(self, dataset: str, key: str) -> Lookup: ...


class Lookup(Protocol):
    """Another dataset in the same database, read for ``exists_in``."""

    kind: str

    def exists(self, value: Any) -> Any:
        """A SQL boolean: a readable record of the dataset has ``key`` equal to ``value``."""


@dataclass
class SqlCheck:
    """A compiled check: ``predicate`` (when AND fail_if), and where SQL may be wrong (``uncertain``)."""

    predicate: Any
    uncertain: Any | None
    fields: list[str]
    #: the places SQL may be wrong, one by one (``uncertain`` is their OR)
    doubts: list[Any] = field(default_factory=list)

    @property
    def candidates(self) -> Any:
        """What a database must return: every record that may fail the check."""
        return self.predicate if self.uncertain is None else sa.or_(self.predicate, self.uncertain)


class _NoLinks:
    def index(self, *args: Any) -> Mapping:  # pragma: no cover - SQL never compiles Python look-ups
        raise CannotPush("internal: Python look-up requested while compiling SQL")

    aggregate = index


@dataclass
class Literal:
    """A constant on the right of a comparison, already coerced like Python coerces it."""

    value: Any


class SqlContext:
    """Compiles conditions over one scope, as ``CompileContext`` does over records of one kind."""

    def __init__(self, kind: str, operators: Mapping[str, Operator], as_of: datetime, scope: Scope):
        self.kind = kind
        self.operators = operators
        self.scope = scope
        # Field names, literal coercion and their errors come from the Python compiler itself.
        self.python = CompileContext(kind, operators, as_of, _NoLinks())
        self.uncertain: list[Any] = []
        self._doubted: set[int] = set()

    @property
    def as_of(self) -> datetime:
        return self.python.as_of

    @property
    def fields(self) -> list[str]:
        return self.python.fields_used

    def column(self, field: str) -> SqlColumn:
        try:
            self.python.getter(field)
        except RuleSemanticError as err:
            raise CannotPush(str(err)) from None
        column = self.scope.column(field)
        if column.exact is not None and id(column.exact) not in self._doubted:
            self._doubted.add(id(column.exact))  # a column read twice is doubted once
            self.uncertain.append(sa.not_(column.exact))
        return column

    def coerce(self, field: str, literal: Any) -> Any:
        try:
            return self.python.coerce(field, literal)
        except RuleSemanticError as err:
            raise CannotPush(str(err)) from None

    def child(self, kind: str, scope: Scope) -> SqlContext:
        child = SqlContext(kind, self.operators, self.python._as_of, scope)
        child.python.parent = self.python
        return child

    def items(self) -> ItemScope:
        return self.scope.items()

    def condition(self, node: Mapping[str, Any]) -> Any:
        if "all" in node:
            return sa.and_(*[self.condition(child) for child in node["all"]])
        if "any" in node:
            return sa.or_(*[self.condition(child) for child in node["any"]])
        if "not" in node:
            return sa.not_(self.condition(node["not"]))
        if "field" in node:
            (name, argument), = ((k, v) for k, v in node.items() if k != "field")
            field = node["field"]
        else:
            (name, argument), = node.items()
            field = None
        operator = self.operators[name]
        if operator.to_sql is None:
            raise CannotPush(f"operator {name!r} has no SQL form")
        return operator.to_sql(argument, field, self)

    def value(self, spec: Any, compared_with: str | None = None) -> SqlColumn | Literal:
        """The right of a comparison: a literal, ``{field}``, ``{add}``/``{sub}``; never ``{aggregate}``."""
        if isinstance(spec, Mapping):
            if "field" in spec:
                return self.column(spec["field"])
            if "aggregate" in spec:
                raise CannotPush("aggregate: sums over another dataset are computed in Python")
            if "add" in spec or "sub" in spec:
                op = "add" if "add" in spec else "sub"
                return self._arithmetic(op, [self.value(part, compared_with) for part in spec[op]])
        return Literal(self.coerce(compared_with, spec) if compared_with else spec)

    def _arithmetic(self, op: str, parts: list[SqlColumn | Literal]) -> SqlColumn:
        exprs = []
        for part in parts:
            if isinstance(part, Literal):
                if part.value is None:
                    return SqlColumn(sa.null(), ABSENT)
                if isinstance(part.value, bool) or not isinstance(part.value, (int, float)) \
                        and type(part.value).__name__ != "Decimal":
                    raise CannotPush(f"{op}: {part.value!r} is not a number")
                exprs.append(sa.literal(part.value))
            elif part.kind == ABSENT:
                return SqlColumn(sa.null(), ABSENT)
            elif part.kind != NUMBER:
                raise CannotPush(f"{op}: arithmetic on {part.kind} values is not pushed down")
            else:
                exprs.append(part.expr)
        total = exprs[0]
        for expr in exprs[1:]:
            total = total + expr if op == "add" else total - expr
        return SqlColumn(total, NUMBER)


def compile_check(check: Check, operators: Mapping[str, Operator], as_of: datetime, scope: Scope) -> SqlCheck:
    """``check``'s ``when`` AND ``fail_if`` over ``scope``; raises :class:`CannotPush` saying why not."""
    ctx = SqlContext(check.dataset, operators, as_of, scope)
    when = ctx.condition(check.when) if check.when is not None else None
    fail_if = ctx.condition(check.fail_if)
    predicate = fail_if if when is None else sa.and_(when, fail_if)
    uncertain = sa.or_(*ctx.uncertain) if ctx.uncertain else None
    return SqlCheck(predicate, uncertain, list(ctx.fields), list(ctx.uncertain))


__all__ = ["ABSENT", "DATETIME", "ITEMS", "ITEM_LIST", "NUMBER", "OTHER", "TEXT", "CannotPush", "Literal",
           "SqlCheck", "SqlColumn", "SqlContext", "compile_check"]
