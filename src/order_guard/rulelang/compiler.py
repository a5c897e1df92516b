"""Compile validated conditions into plain Python predicates, once per run.

A condition is the validated YAML tree itself (``{all: [...]}``,
``{field: status, in: [...]}``, ``{exists_in: {...}}``); the tree stays
declarative so another compiler can turn the same rule into SQL. Operators
compile their own node through :class:`CompileContext`, which resolves
fields, values, look-ups and aggregates against the run.
"""

from __future__ import annotations

import operator
import string
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from order_guard.canonical import (
    FIELDS,
    ITEM_FIELDS,
    STATUSES,
    UNKNOWN_STATUS,
    canonical_channel,
    canonical_status,
)

if TYPE_CHECKING:
    from order_guard.types import Operator

Predicate = Callable[[dict], bool]


class RuleSemanticError(ValueError):
    """A rule that fits the schema but cannot mean anything (unknown field, bad regex...)."""

Getter = Callable[[dict], Any]

#: Kind name used for the records inside an order's ``items`` list.
ITEMS = "items"


class Links(Protocol):
    """What the engine provides to look-ups and aggregates (``engine._Links``; ``loader._CheckingLinks``
    stands in while validating). ``requester`` is the kind of the records the check walks."""

    def index(self, dataset: str, key: str, on: str, requester: str) -> Mapping[Any, list[dict]]: ...

    def aggregate(self, spec: Mapping[str, Any], where: Predicate | None, requester: str) -> Mapping[Any, Any]: ...


def fields_of(kind: str) -> Mapping[str, Callable[[Any], Any]]:
    if kind == ITEMS:
        return ITEM_FIELDS
    fields = dict(FIELDS[kind])
    if kind == "orders":
        fields[ITEMS] = list
    return fields


class CompileContext:
    """Compiles conditions and values over records of one dataset ``kind``."""

    def __init__(self, kind: str, operators: Mapping[str, Operator], as_of: datetime, links: Links):
        self.kind = kind
        self.operators = operators
        self._as_of = as_of
        #: Whether a condition measured against --as-of (its result then depends on the day).
        self.reads_as_of = False
        self.links = links
        self.parent: CompileContext | None = None
        #: Fields the conditions read: shown as a finding's evidence.
        self.fields_used: list[str] = []
        #: Functions adding look-up matches to a finding's evidence.
        self.evidence: list[Callable[[dict], dict[str, Any]]] = []
        #: Computed values named with ``as:``: evidence and message placeholders.
        self.named: dict[str, Getter] = {}
        #: kind -> every field read, here and in child contexts (items, aggregates over other
        #: datasets): what a source must read. Operators read fields through :meth:`getter`.
        self.reads: dict[str, set[str]] = defaultdict(set)

    @property
    def as_of(self) -> datetime:
        context: CompileContext | None = self
        while context is not None:
            context.reads_as_of = True
            context = context.parent
        return self._as_of

    def child(self, kind: str) -> CompileContext:
        """A context for records of another kind (an order's items), sharing this one's links."""
        child = CompileContext(kind, self.operators, self._as_of, self.links)
        child.parent = self
        return child

    def getter(self, field: str) -> Getter:
        known = fields_of(self.kind)
        if field not in known and not field.startswith("x_"):
            import difflib  # here: only a rule with a mistake needs a suggestion

            hint = difflib.get_close_matches(field, list(known), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise RuleSemanticError(f"unknown field {field!r} for {self.kind}{suggestion}")
        if field not in self.fields_used:
            self.fields_used.append(field)
        context: CompileContext | None = self
        while context is not None:
            context.reads[self.kind].add(field)
            context = context.parent
        return operator.methodcaller("get", field)  # record.get(field), without a Python frame

    def converter(self, field: str) -> Callable[[Any], Any] | None:
        """How values of ``field`` are read (``canonical.DATETIME``, ``INT``, ...), if it is a known field."""
        return fields_of(self.kind).get(field)

    def coerce(self, field: str, literal: Any) -> Any:
        """A literal compared with ``field``, converted as the data is: dates, money, statuses."""
        if field in _CANONICAL_LITERALS and self.kind in ("orders", "inventory") and isinstance(literal, str):
            return _CANONICAL_LITERALS[field](literal)
        convert = fields_of(self.kind).get(field)
        if literal is None or convert is None or convert is list:
            return literal
        try:
            return convert(literal)
        except ValueError as err:
            raise RuleSemanticError(f"value {literal!r} for {field}: {err}") from None

    def condition(self, node: Mapping[str, Any]) -> Predicate:
        if "all" in node:
            return _all_of([self.condition(child) for child in node["all"]])
        if "any" in node:
            return _any_of([self.condition(child) for child in node["any"]])
        if "not" in node:
            inner = self.condition(node["not"])
            return lambda record: not inner(record)
        if "field" in node:
            (name, argument), = ((k, v) for k, v in node.items() if k != "field")
            return self.operators[name].compile(argument, node["field"], self)
        (name, argument), = node.items()
        return self.operators[name].compile(argument, None, self)

    def value(self, spec: Any, compared_with: str | None = None) -> Getter:
        """A value on the right of a comparison: a literal, ``{field}``, ``{aggregate}``, ``{add}``/``{sub}``."""
        if isinstance(spec, Mapping):
            if "field" in spec:
                return self.getter(spec["field"])
            if "aggregate" in spec:
                return self._aggregate(spec["aggregate"])
            if "add" in spec or "sub" in spec:
                op = "add" if "add" in spec else "sub"
                parts = [self.value(part, compared_with) for part in spec[op]]
                return _arithmetic(op, parts)
        constant = self.coerce(compared_with, spec) if compared_with else spec
        return lambda record: constant

    def _aggregate(self, spec: Mapping[str, Any]) -> Getter:
        source = spec["dataset"]
        where = None
        if "where" in spec:
            where = self.child(source).condition(spec["where"])
        table = self.links.aggregate(spec, where, self.kind)
        match = self.getter(spec.get("match", spec["group_by"]))

        def value(record: dict) -> Any:
            return table.get(match(record), 0)

        if "as" in spec:
            self.named[spec["as"]] = value
        return value


def _status_literal(literal: str) -> str:
    status = canonical_status(literal)
    if status == UNKNOWN_STATUS and literal != UNKNOWN_STATUS:
        raise RuleSemanticError(f"unknown status {literal!r}; statuses: {', '.join(STATUSES)}, {UNKNOWN_STATUS}")
    return status


#: Literals canonicalised like the data they are compared with: ``PENDING`` means Pending.
_CANONICAL_LITERALS: dict[str, Callable[[str], str]] = {
    "status": _status_literal,
    "fulfillment_channel": canonical_channel,
}


def placeholders(template: str) -> set[str]:
    """The field names a message template uses (``{order_id}``)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _all_of(parts: list[Predicate]) -> Predicate:
    # Small fixed arities as plain closures: a generator per record costs more than the tests.
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda record: first(record) and second(record)
    if len(parts) == 3:
        first, second, third = parts
        return lambda record: first(record) and second(record) and third(record)

    def every(record: dict) -> bool:
        for part in parts:
            if not part(record):
                return False
        return True

    return every


def _any_of(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda record: first(record) or second(record)

    def some(record: dict) -> bool:
        for part in parts:
            if part(record):
                return True
        return False

    return some


def _arithmetic(op: str, parts: list[Getter]) -> Getter:
    first, rest = parts[0], parts[1:]

    def compute(record: dict) -> Any:
        total = first(record)
        for part in rest:
            value = part(record)
            if total is None or value is None:
                return None
            total = total + value if op == "add" else total - value
        return total

    return compute
