"""Pushdown: let a database run the orders checks and return only the orders that may fail them.

A dataset offers pushdown by carrying a ``pushdown`` attribute (a
:class:`Pushdown`; the SQL source's datasets do). The engine then, for the
one orders dataset of a run:

1. asks :meth:`Pushdown.plan` which checks the database can run (each
   compiled by :mod:`order_guard.sql`, or refused with a reason);
2. reads :meth:`Pushdown.unsure` in Python like any stream: the orders whose
   rows the database cannot vouch are readable (they are counted, and
   unreadable ones reported, exactly as streaming would);
3. adds :meth:`Pushdown.count` (the rows the database read and vouched for)
   to the records read and checked, so ``records_read == records_checked +
   records_unreadable`` still holds;
4. evaluates every record :meth:`Pushdown.candidates` returns with the
   compiled Python checks: the pushed checks it was flagged for, and every
   check that was not pushed (then the database returns every order). A
   finding is therefore always Python's, with the same message, evidence,
   location, value at risk and dedupe as streaming.

An aggregate over orders (the units Pending orders hold) is fed from the
records the database returns for its ``where``, as if it were one more check.
The dataset is streamed instead when it is not the only orders dataset (the
newest snapshot of an order decides across datasets) or when no check can be
pushed.
A look-up into orders (a shipment's order) asks :meth:`Pushdown.matching`
for the keys it needs. Every decision is recorded for ``--explain``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from order_guard.datasets import Dataset
    from order_guard.engine import Engine, RunResult
    from order_guard.rulelang.model import Check
    from order_guard.types import Operator


@dataclass
class Plan:
    """Which checks a database runs: per check, the SQL of its test or why not; and the statement."""

    pushed: set[int]
    notes: list[str]
    statement: str | None = None
    #: per pushed check: records the database returned that Python did not find failing
    rejected: dict[int, int] = field(default_factory=dict)


class Pushdown(Protocol):
    """What a dataset offers to run checks inside its database (see the module docstring)."""

    def plan(self, checks: Sequence[Check], operators: Mapping[str, Operator], as_of: datetime,
             datasets: Sequence[Dataset]) -> Plan: ...

    def unsure(self) -> Iterator[dict[str, Any]]:
        """Records to read and check in Python; counted by the dataset as it reads them."""

    def count(self) -> int:
        """Rows the database read and vouched for (all but those :meth:`unsure` returned)."""

    def candidates(self) -> Iterator[tuple[dict[str, Any], set[int]]]:
        """Vouched records that may fail a pushed check (every one, if a check was not pushed),
        each with the pushed checks it may fail. Not counted again."""

    def matching(self, field: str, values: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """Vouched records whose ``field`` may be one of ``values`` (a look-up another dataset needs);
        not counted again."""

    def close(self) -> None: ...


#: Keys asked for per look-up query: a database's limit on bound parameters (SQLite's was 999); a
#: pushdown may name its own as ``keys_per_query``.
CHUNK = 500


class Explanation:
    """One line of ``--explain``: a rule's check over one dataset, pushed down or not, and why."""

    __slots__ = ("location", "rule", "pushed", "detail")

    def __init__(self, location: str, rule: str, pushed: bool, detail: str):
        # (A plain class: a dataclass costs every run's start-up its generated methods.)
        self.location, self.rule, self.pushed, self.detail = location, rule, pushed, detail


class _Records:
    """A dataset seen through another record iterator (the unsure part of a pushed dataset)."""

    def __init__(self, dataset: Dataset, records: Iterator[dict[str, Any]]):
        self.location = dataset.location
        self._records = records

    def records(self) -> Iterator[dict[str, Any]]:
        return self._records


def explain_streamed(result: RunResult, engine: Engine, dataset: Dataset, reason: str) -> None:
    for compiled in engine.checks.get(dataset.kind, []):
        result.explain.append(Explanation(dataset.location, compiled.rule.id, False, reason))


def _feeding(aggregate: Any) -> Check:
    """An aggregate over orders as a check for the database: the orders it sums (its ``where``)."""
    from order_guard.rulelang.model import Check

    where = aggregate.spec.get("where") or {"field": "order_id", "present": True}
    return Check(dataset="orders", fail_if=where, message="")


def run(engine: Engine, dataset: Dataset, datasets: Sequence[Dataset], wanted: Mapping[str, set],
        feeds: list, snapshots: Any, result: RunResult) -> bool:
    """Check orders ``dataset`` in its database if it can; False when the caller must stream it."""
    pushdown: Pushdown | None = getattr(dataset, "pushdown", None)
    checks = engine.checks.get("orders", [])
    if pushdown is None:
        explain_streamed(result, engine, dataset, "streamed: the source reads records, it runs no SQL")
        return False
    present = {other.kind for other in datasets}
    reason = None
    if sum(1 for other in datasets if other.kind == "orders") > 1:
        reason = "streamed: several orders datasets (the newest snapshot of an order decides across them)"
    aggregates = engine.links.aggregates_over("orders", present)
    plan = None
    if reason is None and checks:
        plan = pushdown.plan([compiled.check for compiled in checks] + [_feeding(a) for a in aggregates],
                             engine.operators, engine.as_of, datasets)
        if not plan.pushed:
            reason = "streamed: " + "; ".join(dict.fromkeys(plan.notes))
    if reason is not None or plan is None:
        pushdown.close()
        explain_streamed(result, engine, dataset, reason or "streamed: no orders checks")
        return False
    try:
        _run(engine, dataset, pushdown, plan, checks, aggregates, feeds, snapshots, result, present, wanted)
    finally:
        pushdown.close()
    for index, compiled in enumerate(checks):
        detail = plan.notes[index]
        if index in plan.pushed and plan.rejected.get(index):
            detail += f"\n(re-checked in Python: {plan.rejected[index]} returned record(s) did not fail it)"
        result.explain.append(Explanation(dataset.location, compiled.rule.id, index in plan.pushed, detail))
    for number, aggregate in enumerate(aggregates, start=len(checks)):
        detail = plan.notes[number].replace("pushed down: ", "pushed down (the orders summed): ", 1)
        result.explain.append(Explanation(dataset.location, f"{aggregate.label} ({aggregate.requester})",
                                          number in plan.pushed, detail))
    if plan.statement:
        result.explain.append(Explanation(dataset.location, "*", True, plan.statement))
    return True


def _run(engine: Engine, dataset: Dataset, pushdown: Pushdown, plan: Plan, checks: list, aggregates: list,
         feeds: list, snapshots: Any, result: RunResult, present: set[str], wanted: Mapping[str, set]) -> None:
    engine._stream_orders(_Records(dataset, pushdown.unsure()), feeds, snapshots, result)
    vouched = pushdown.count()
    dataset.records_read += vouched
    result.records_checked += vouched
    indexes = [index for index in engine.links.indexes if index[0] == "orders" and index[3] in present]
    for (_dataset, key, on, requester, _table), feed in zip(indexes, feeds, strict=True):
        # a look-up into orders (a shipment's order): ask the database for the keys named
        keys = sorted(value for value in wanted.get(f"{requester}.{on}") or () if value is not None)
        chunk = getattr(pushdown, "keys_per_query", CHUNK)
        for start in range(0, len(keys), chunk):
            for record in pushdown.matching(key, keys[start:start + chunk]):
                record["_path"] = dataset.location
                feed(record)
    # Aggregates are fed below, from the records the database returns for them (the unsure ones
    # above were fed as streaming feeds them); the snapshots must not feed them twice.
    streamed_aggregates, snapshots.aggregates = snapshots.aggregates, []
    try:
        for record, flagged in pushdown.candidates():
            record["_path"] = dataset.location
            if not snapshots.admit(record):
                continue
            findings = []
            for index, compiled in enumerate(checks):
                if index in plan.pushed and index not in flagged:
                    continue
                found = engine._check([compiled], dataset, record, result)
                if index in plan.pushed and not found:
                    plan.rejected[index] = plan.rejected.get(index, 0) + 1
                findings += found
            snapshots.keep(record, findings)
            for number, aggregate in enumerate(aggregates, start=len(checks)):
                if number not in plan.pushed or number in flagged:
                    aggregate.feed(record)  # its own where decides, in Python
    finally:
        snapshots.aggregates = streamed_aggregates
