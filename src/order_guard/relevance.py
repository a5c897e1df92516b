"""Which rows of the streamed orders can matter to a run, decided from a few of their cells.

Most orders in a year of All Orders are Shipped or Canceled, and no Pending check can fail on
them. From the rules the engine derives a necessary condition: a record matters only if a check
could fail on it, an aggregate could count it, an index wants its key, or an earlier snapshot
of its order was kept. The condition is evaluated in three-valued logic (True, False, and None
for "the cells cannot tell") over a row's raw cells, and the few text cells such as status
and channel are decided once per distinct value. A row is read into a record unless the answer
is a definite False; a row skipped is counted as checked (no check can fail on it).

Whatever the derivation does not understand (an operator from a plugin, a sum of cells, an
order's items) answers None, so a rule can make every row matter but never make one be
skipped wrongly. ``tests/test_relevance.py`` holds the skipping run to the full one.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from order_guard.builtin.operators import OPERATORS as BUILTIN_OPERATORS
from order_guard.canonical import FIELDS, ITEM_FIELDS, KEY_FIELD, TEXT, parse_datetime
from order_guard.errors import UnreadableRecord
from order_guard.rowreader import cell_parser, cell_reader
from order_guard.rulelang.compiler import ITEMS, CompileContext, Predicate
from order_guard.types import Operator

#: Operators whose answer depends on one field's value alone, so one cell decides them.
_ONE_FIELD = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "matches", "starts_with",
                        "present", "missing", "empty", "age_days"})
#: Comparisons with listed values: the fields they test hold few distinct values (status, channel).
_LISTED = frozenset({"eq", "ne", "in", "not_in"})
_BUILTIN = {op.name: op for op in BUILTIN_OPERATORS}
#: Fields a flat record gets from more than one cell or from none: no single cell decides them.
_NOT_FROM_ONE_CELL = frozenset({"items", "status_raw"})
#: Status and channel cells (and pairs of them) decided once each; past this many, a new one is
#: decided again on every row that has it.
MAX_DECIDED = 65_536

Verdict = bool | None  # None: the cells cannot tell


class Formula:
    """A necessary condition over a record's fields, in three-valued logic."""

    def fields(self) -> set[str]:
        return set()

    def categorical(self) -> set[str]:
        """Fields compared with a few listed values (status, channel): few distinct values to decide."""
        return set()

    def partial(self, known: Mapping[str, Any]) -> Verdict | Formula:
        """Fold in the values of the fields in ``known`` (a value may be ``_UNSURE``)."""
        raise NotImplementedError

    def on_cells(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        """The condition as a test of a row's cells."""
        raise NotImplementedError

    def may_hold(self, cells: Cells) -> Callable[[list[str]], bool]:
        """``row -> False`` only where the condition is surely false (the row can be skipped)."""
        test = self.on_cells(cells)
        return lambda row: test(row) is not False


class _Unsure:
    """A cell that cannot decide (unreadable, or blank where a later row of the order may fill it)."""


_UNSURE = _Unsure()


@dataclass(frozen=True)
class Cells:
    """Where a file's row holds each field and how a cell is read: one per file."""

    kind: str
    columns: Mapping[str, int]
    #: Fields this file computes from several cells (sums): no one cell decides them.
    computed: frozenset[str]
    #: One record per order from several rows: a blank cell may be filled by a later row.
    grouped: bool
    #: Item fields this file has columns for (the rest are missing from every item).
    item_columns: frozenset[str] = frozenset()

    def absent(self, fields: Iterable[str]) -> dict[Any, None]:
        """The fields no row of this file has (their value is None in every record), and as
        ``("items", name)`` the item fields no item has."""
        absent: dict[Any, None] = {field: None for field in fields
                                   if field not in self.columns and self.value_reader(field) is not None}
        absent.update({(ITEMS, name): None for name in ITEM_FIELDS if name not in self.item_columns})
        return absent

    def value_reader(self, field: str) -> Callable[[list[str]], Any] | None:
        """``row -> value`` (or ``_UNSURE``); None when the field is not in one cell of this file."""
        if field in _NOT_FROM_ONE_CELL or field in self.computed or (self.grouped and field == "order_total"):
            return None
        index = self.columns.get(field)
        if index is None:
            return lambda row: None  # no such column: the record has no value
        read, grouped = cell_reader(self.kind, field), self.grouped

        def value(row: list[str]) -> Any:
            try:
                found = read(row[index])
            except UnreadableRecord:
                return _UNSURE  # the full read says why
            return _UNSURE if found is None and grouped else found

        return value


class _Atom(Formula):
    """A built-in operator on one field: the compiled predicate itself, so the meaning is the same."""

    def __init__(self, field: str, predicate: Predicate, listed: bool):
        self.field, self.predicate, self.listed = field, predicate, listed

    def fields(self) -> set[str]:
        return {self.field}

    def categorical(self) -> set[str]:
        return {self.field} if self.listed else set()

    def decide(self, value: Any) -> Verdict:
        if value is _UNSURE:
            return None
        try:
            return bool(self.predicate({self.field: value}))
        except Exception:  # a rule that fails on a value: the row is read, and the engine reports it
            return None

    def partial(self, known: Mapping[str, Any]) -> Verdict | Formula:
        return self.decide(known[self.field]) if self.field in known else self

    def on_cells(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        value = cells.value_reader(self.field)
        if value is None:
            return lambda row: None
        index = cells.columns.get(self.field)
        if index is None:
            return lambda row: self.decide(None)
        # value_reader and decide inlined: this runs on every row a status leaves undecided. A
        # built-in operator's predicate may carry ``of_value``, its test of the value alone: no
        # record is built for it.
        read, grouped = cell_reader(cells.kind, self.field), cells.grouped
        field, predicate = self.field, self.predicate
        of_value = getattr(predicate, "of_value", None) or (lambda value: predicate({field: value}))
        parse = cell_parser(cells.kind, self.field)
        if parse is not None:  # a date or number (age_days on the purchase date): read as cell_reader does
            def parsed_test(row: list[str]) -> Verdict:
                value = row[index]
                if not value or value.isspace():
                    if grouped:
                        return None
                    found = None
                else:
                    try:
                        found = parse(value)
                    except ValueError:
                        return None
                try:
                    return bool(of_value(found))
                except Exception:  # as in decide: read the row, the engine reports the rule's failure
                    return None

            if parse is not parse_datetime:
                return parsed_test
            fromisoformat = datetime.fromisoformat

            def date_test(row: list[str]) -> Verdict:
                # parse_datetime's first step, in C without its frame: the residual test of every
                # Unshipped and Pending row (a third of All Orders) is the age of its purchase date
                try:
                    found = fromisoformat(row[index])
                except ValueError:  # blank, or a lenient form: parse_datetime's other steps
                    return parsed_test(row)
                try:
                    return bool(of_value(found if found.tzinfo else found.replace(tzinfo=UTC)))
                except Exception:  # as in decide: read the row, the engine reports the rule's failure
                    return None

            return date_test

        def test(row: list[str]) -> Verdict:
            try:
                found = read(row[index])
            except UnreadableRecord:
                return None
            if found is None and grouped:
                return None
            try:
                return bool(of_value(found))
            except Exception:  # as in decide: read the row, the engine reports the rule's failure
                return None

        return test


class _KeyIn(Formula):
    """The record's ``field`` is a key of a container filled before the stream (or as it goes)."""

    def __init__(self, field: str, tables: tuple[Container, ...]):
        self.field, self.tables = field, tables

    def partial(self, known: Mapping[str, Any]) -> Verdict | Formula:
        return self

    def on_cells(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        return self._test(cells, unsure=None)

    def may_hold(self, cells: Cells) -> Callable[[list[str]], bool]:
        return self._test(cells, unsure=True)  # the common residual: one call per row, no wrapper

    def negated(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        """``not`` of the look-up as one test (no wrapper: it runs on every row of some statuses)."""
        return self._test(cells, unsure=None, hit=False)

    def _test(self, cells: Cells, unsure: bool | None, hit: bool = True) -> Callable[[list[str]], Any]:
        """``hit`` where the key is in a table, ``not hit`` where it is in none, ``unsure`` where
        the cell cannot tell."""
        value, tables, miss = cells.value_reader(self.field), self.tables, not hit
        if value is None:
            return lambda row: unsure
        index = cells.columns.get(self.field)
        plain = index is not None and FIELDS[cells.kind].get(self.field) is TEXT and \
            self.field not in ("status", "fulfillment_channel")

        def test(row: list[str]) -> Any:
            key = row[index] if plain else None
            if key is None or not key or key.isspace() or "\x00" in key or "\ufeff" in key:
                key = value(row)  # the careful reading; a plain text cell is its own value
                if key is _UNSURE:
                    return unsure
            for table in tables:
                if key in table:
                    return hit
            return miss

        return test


class _Some(Formula):
    """``{field: items, some: ...}``: undecidable from a row, except where no item of the file has
    the fields the inner condition reads and it is false on an item without them."""

    def __init__(self, inner: Verdict | Formula):
        self.inner = inner

    def partial(self, known: Mapping[Any, Any]) -> Verdict | Formula:
        if not isinstance(self.inner, Formula):
            return False if self.inner is False else None
        if all((ITEMS, name) in known for name in self.inner.fields()):
            on_bare_item = self.inner.partial({name: None for name in self.inner.fields()})
            return False if on_bare_item is False else None
        return self

    def on_cells(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        return lambda row: None


class _Not(Formula):
    def __init__(self, part: Formula):
        self.part = part

    def fields(self) -> set[str]:
        return self.part.fields()

    def categorical(self) -> set[str]:
        return self.part.categorical()

    def partial(self, known: Mapping[str, Any]) -> Verdict | Formula:
        inner = self.part.partial(known)
        return self if inner is self.part else _negate(inner)

    def on_cells(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        if isinstance(self.part, _KeyIn):
            return self.part.negated(cells)
        inner = self.part.on_cells(cells)
        return lambda row: None if (answer := inner(row)) is None else not answer


def _negate(answer: Verdict | Formula) -> Verdict | Formula:
    if isinstance(answer, Formula):
        return _Not(answer)
    return None if answer is None else not answer


class _Combination(Formula):
    """``all`` (``stop=False``) or ``any`` (``stop=True``) of parts; ``unsure`` is a part that was None."""

    def __init__(self, parts: list[Formula], stop: bool, unsure: bool = False):
        self.parts, self.stop, self.unsure = parts, stop, unsure

    def fields(self) -> set[str]:
        return set().union(*(part.fields() for part in self.parts))

    def categorical(self) -> set[str]:
        return set().union(*(part.categorical() for part in self.parts))

    def partial(self, known: Mapping[str, Any]) -> Verdict | Formula:
        return combine([part.partial(known) for part in self.parts], self.stop, self.unsure)

    def on_cells(self, cells: Cells) -> Callable[[list[str]], Verdict]:
        stop, unsure = self.stop, self.unsure
        tests = [part.on_cells(cells) for part in self.parts]
        if len(tests) == 1 and not unsure:
            return tests[0]

        def test(row: list[str]) -> Verdict:
            answer: Verdict = None if unsure else not stop
            for part in tests:
                found = part(row)
                if found is stop:
                    return stop
                if found is None:
                    answer = None
            return answer

        return test

    def may_hold(self, cells: Cells) -> Callable[[list[str]], bool]:
        """As ``test(row) is not False``, in one frame: a residual asked on many rows."""
        if self.stop and self.unsure:
            return _always  # an "any" with an unsure part is never a definite False
        tests = [part.on_cells(cells) for part in self.parts]

        def any_may_hold(row: list[str]) -> bool:
            for part in tests:
                if part(row) is not False:
                    return True
            return False

        def all_may_hold(row: list[str]) -> bool:
            for part in tests:
                if part(row) is False:
                    return False
            return True

        return any_may_hold if self.stop else all_may_hold


def _merge_keys(parts: list[Formula]) -> list[Formula]:
    """``any`` of several look-ups on one field: one cell read, one loop over the tables."""
    by_field: dict[str, list[Container]] = {}
    others = []
    for part in parts:
        if isinstance(part, _KeyIn):
            by_field.setdefault(part.field, []).extend(part.tables)
        else:
            others.append(part)
    return [_KeyIn(field, tuple(tables)) for field, tables in by_field.items()] + others


def combine(parts: Iterable[Verdict | Formula], stop: bool, unsure: bool = False) -> Verdict | Formula:
    """Kleene ``any`` (``stop=True``) or ``all`` (``stop=False``), folding what is already decided."""
    residual: list[Formula] = []
    for part in parts:
        if part is stop:
            return stop
        if part is None:
            unsure = True
        elif isinstance(part, _Combination) and part.stop == stop:
            residual.extend(part.parts)  # any(a, any(b, c)) is any(a, b, c)
            unsure = unsure or part.unsure
        elif isinstance(part, Formula):
            residual.append(part)
    if unsure and stop:
        return None  # an "any" with an unsure part is never a definite False: the row is read
    if stop:
        residual = _merge_keys(residual)
    if not residual:
        return None if unsure else not stop
    if len(residual) == 1 and not unsure:
        return residual[0]
    return _Combination(residual, stop, unsure)


class _Derivation:
    """Turns rule condition trees into formulas; anything not understood is None (cannot tell)."""

    def __init__(self, kind: str, operators: Mapping[str, Operator], as_of: datetime,
                 table: Callable[[str, str, str], Container | None]):
        self.kind, self.operators, self.table = kind, operators, table
        self.context = CompileContext(kind, operators, as_of, links=None)  # atoms never reach links

    def items(self) -> _Derivation:
        """The derivation for conditions on an order's items."""
        return _Derivation(ITEMS, self.operators, self.context.as_of, self.table)

    def formula(self, node: Mapping[str, Any] | None) -> Verdict | Formula:
        if node is None:
            return True
        if "all" in node or "any" in node:
            stop = "any" in node
            return combine([self.formula(child) for child in node["any" if stop else "all"]], stop)
        if "not" in node:
            return _negate(self.formula(node["not"]))
        if "field" in node:
            (name, argument), = ((k, v) for k, v in node.items() if k != "field")
            if name == "some" and node["field"] == ITEMS and self.operators.get(name) is _BUILTIN.get(name):
                return _Some(self.items().formula(argument))
            if name not in _ONE_FIELD or self.operators.get(name) is not _BUILTIN.get(name):
                return None
            if isinstance(argument, Mapping) and name != "age_days":
                return None  # compared with another field or an aggregate
            return _Atom(node["field"], self.context.condition(node), name in _LISTED)
        if set(node) == {"exists_in"} and self.operators.get("exists_in") is _BUILTIN["exists_in"]:
            spec = node["exists_in"]
            key = spec.get("key", "order_id")
            on = spec.get("on", key)
            table = self.table(spec["dataset"], key, on)
            return None if table is None else _KeyIn(on, (table,))
        return None


class Relevance:
    """The necessary condition for a streamed record to matter, and per-file row filters for it."""

    def __init__(self, kind: str, formula: Formula):
        self.kind, self.formula = kind, formula

    @classmethod
    def derive(cls, kind: str, conditions: Iterable[tuple[Mapping | None, Mapping | None]],
               operators: Mapping[str, Operator], as_of: datetime,
               table: Callable[[str, str, str], Container | None],
               keys: Iterable[tuple[str, Container]]) -> Relevance | None:
        """``conditions``: ``(when, fail_if)`` of every check and ``(where, None)`` of every
        aggregate over ``kind``; ``table(dataset, key, on)``: the look-up index a check's
        ``exists_in`` reads, if filled before the stream; ``keys``: ``(field, container)`` a
        record matters for whatever else (an index wants it, its order was seen). None when
        every record may matter."""
        derive = _Derivation(kind, operators, as_of, table)
        parts: list[Verdict | Formula] = [
            combine([derive.formula(first), derive.formula(second)], stop=False) for first, second in conditions]
        parts += [_KeyIn(field, (container,)) for field, container in keys]
        formula = combine(parts, stop=True)
        if not isinstance(formula, Formula):
            return None  # every record matters (or none does, which the stream proves cheaply anyway)
        return cls(kind, formula)

    def row_gate(self, cells: Cells) -> RowGate:
        """The row filter for a loop that runs once per row: the :data:`RowTest` of a row, its
        status and channel decided, is what is left to ask (:class:`RowGate`)."""
        # What this file lacks decides parts of the formula for every row (an address column
        # an All Orders report does not have is empty on every order).
        formula = self.formula.partial(cells.absent(self.formula.fields()))
        if not isinstance(formula, Formula):
            return RowGate(fixed=((), NEVER if formula is False else _always))
        text = [field for field in formula.categorical()
                if field in cells.columns and cells.value_reader(field) is not None
                and (FIELDS[self.kind].get(field) is TEXT or field.startswith("x_"))]
        if not text:
            return RowGate(fixed=_row_test(formula, cells))
        # Low-cardinality text cells (status, channel) decide most of the formula: do that once
        # per distinct pair of cells and keep what is left as a test of the remaining cells (a
        # third such cell, from a seller's rule, stays in that test).
        first, second = (sorted(text, key=lambda field: (field not in _GATE_FIRST, field)) * 2)[:2]
        readers = {field: cells.value_reader(field) for field in {first, second}}
        at_first, at_second = cells.columns[first], cells.columns[second]

        def residual(first_cell: str, second_cell: str) -> RowTest:
            row = {at_first: first_cell, at_second: second_cell}  # its cells, as a row has them
            rest = formula.partial({field: read(row) for field, read in readers.items()})
            if not isinstance(rest, Formula):
                return (), NEVER if rest is False else _always
            return _row_test(rest, cells)

        budget = [MAX_DECIDED]
        tests = _Decided(lambda first_cell: _Decided(partial(residual, first_cell), budget), budget)
        return RowGate(at_first, at_second, tests)


#: The text cells a row gate looks up first: few distinct values, and most rules ask them.
_GATE_FIRST = ("status", "fulfillment_channel")


class RowGate:
    """``tests[row[first]][row[second]]`` is the :data:`RowTest` of a row (``first`` and
    ``second`` may be one cell); ``fixed`` is every row's, where no text cell decides anything.
    Two look-ups of one cell each: a tuple of both as one key cost twice as much."""

    __slots__ = ("first", "second", "tests", "fixed")

    def __init__(self, first: int = 0, second: int = 0, tests: Mapping[str, Mapping[str, RowTest]] | None = None,
                 fixed: RowTest | None = None):
        self.first, self.second, self.tests, self.fixed = first, second, tests, fixed


#: ``(tables, test)``: a row matters where its key cell (present, without NUL or byte-order mark:
#: the skimmer asks that first) is in one of the tables, or else where ``test(row)`` is true;
#: ``test`` is :data:`NEVER` where nothing else can make it matter (the loop need not call it).
RowTest = tuple[tuple[Container, ...], Callable[[list[str]], bool]]


def _row_test(formula: Formula, cells: Cells) -> RowTest:
    """The formula as a :data:`RowTest`: look-ups of the key that make a row matter taken out,
    to be asked by the loop itself (the usual residual of a Shipped order is just that)."""
    key = KEY_FIELD[cells.kind]
    if key not in cells.columns or FIELDS[cells.kind].get(key) is not TEXT:
        return (), formula.may_hold(cells)
    if isinstance(formula, _KeyIn) and formula.field == key:
        return formula.tables, NEVER
    if isinstance(formula, _Combination) and formula.stop and not formula.unsure:
        lookups = [part for part in formula.parts if isinstance(part, _KeyIn) and part.field == key]
        if lookups:  # any(key in tables, rest): true where the key is found, else as the rest is
            rest = combine([part for part in formula.parts if part not in lookups], stop=True)
            # each table once (two rules may look into one dataset): asked on every row of the status
            tables = tuple({id(table): table for lookup in lookups for table in lookup.tables}.values())
            if not isinstance(rest, Formula):
                return tables, NEVER if rest is False else _always
            return tables, rest.may_hold(cells)
    return (), formula.may_hold(cells)


class _Decided(dict):
    """``cell -> what it decides``, decided on first sight; once :data:`MAX_DECIDED` keys are kept
    (a budget shared by the levels of a gate), a new one is decided again on every row with it."""

    def __init__(self, decide: Callable[[str], Any], budget: list[int]):
        super().__init__()
        self.decide, self.budget = decide, budget

    def __missing__(self, key: str) -> Any:
        decided = self.decide(key)
        if self.budget[0] > 0:
            self.budget[0] -= 1
            self[key] = decided
        return decided


def NEVER(row: list[str]) -> bool:  # noqa: N802 - a constant the skimmer compares with
    """The test of a row that cannot matter."""
    return False


def _always(row: list[str]) -> bool:
    return True
