"""One order at a time against datasets loaded once: the Python API's pre-shipment gate.

    gate = Guard().gate({"shipments": todays_confirmations, "unshipped-report": unshipped})
    for parcel in parcels:
        if gate.check(fetch_order(parcel.order_id)):
            hold(parcel)

The rules are compiled and the datasets read, indexed and aggregated when the
gate is made; each :meth:`OrderGate.check` then only reads the order and runs
the checks of orders on it. Its findings are the ones ``Guard.check([order],
datasets)`` reports, in the same shape and order. Checks that walk another
dataset (a shipment naming an unknown order, a SKU's stock) are about those
records, not about an order: ``Guard.check`` over all the data reports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from order_guard.canonical import normalize
from order_guard.datasets import memory_dataset
from order_guard.engine import CompiledCheck, Engine, Finding, build_finding
from order_guard.errors import UnreadableRecord
from order_guard.redaction import Redactor
from order_guard.report import ordered_findings
from order_guard.rulelang.model import Rule
from order_guard.types import DATASET_KINDS, Operator

ORDERS = "orders"
#: Where a checked order is said to be, as ``Guard.check([order])`` says it.
LOCATION = "<orders>"
POINTER = "/0"


class OrderGate:
    """Compiled rules and loaded datasets; :meth:`check` takes one order."""

    def __init__(self, rules: Sequence[Rule], operators: Mapping[str, Operator], as_of: datetime,
                 datasets: Mapping[str, Iterable[Mapping[str, Any]]]):
        self.as_of = as_of
        self.redactor = Redactor()
        engine = Engine(rules, operators, as_of, self.redactor)  # compiles every check once
        #: (when, fail_if, check) of every check of orders: what each order goes through
        self._checks = [(compiled.when, compiled.fail_if, compiled) for compiled in engine.checks.get(ORDERS, [])]
        kinds = [_kind(name) for name in datasets]
        present = {ORDERS, *kinds}
        for kind, records in zip(kinds, datasets.values(), strict=True):
            _load(engine, kind, records, present)

    def check(self, order: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The findings for ``order`` (canonical field names), as ``Guard.check`` gives them.

        Raises ValueError, as ``Guard.check`` does, when the order cannot be read or a rule
        cannot be evaluated on it: an order that was not checked must not pass.
        """
        try:
            record = normalize(ORDERS, order)
        except UnreadableRecord as err:
            raise ValueError(f"records could not be checked: {LOCATION}{POINTER}: {err.message}") from None
        record["_pointer"] = POINTER
        record["_path"] = LOCATION
        by_rule: dict[str, Finding] = {}
        for when, fail_if, compiled in self._checks:
            try:
                if when is not None and not when(record):
                    continue
                failed = fail_if(record)
            except Exception as err:  # a rule that cannot evaluate an order must not pass it
                raise ValueError(f"records could not be checked: {LOCATION}{POINTER}: "
                                 f"rule {compiled.rule.id} failed: {err!r}") from err
            if failed:
                finding = self._finding(compiled, record)
                first = by_rule.setdefault(compiled.rule.id, finding)
                if first is not finding and first.value_at_risk and finding.value_at_risk:
                    # One finding per rule and order; its checks' amounts add up, as in a full run.
                    first.value_at_risk = (first.value_at_risk[0] + finding.value_at_risk[0], first.value_at_risk[1])
        return [entry for _, entry in ordered_findings(by_rule.values())] if by_rule else []

    def _finding(self, compiled: CompiledCheck, record: dict[str, Any]) -> Finding:
        """As the engine builds a finding for a streamed order (tests compare the two)."""
        return build_finding(self.redactor, compiled, record, str(record.get("order_id") or record.get("sku")),
                             {"path": LOCATION, "line": None, "pointer": POINTER})


def _kind(name: str) -> str:
    kind = name.replace("_", "-")
    if kind == ORDERS:
        raise ValueError("a gate checks orders one at a time (gate.check(order)); load the other datasets")
    if kind not in DATASET_KINDS:
        raise ValueError(f"unknown dataset kind {kind!r}; kinds: {', '.join(DATASET_KINDS)}")
    return kind


def _load(engine: Engine, kind: str, records: Iterable[Mapping[str, Any]], present: set[str]) -> None:
    """Read one dataset into the look-up indexes and aggregates the checks of orders use."""
    dataset = memory_dataset(kind, list(records), f"<{kind}>")
    feeds = engine.links.index_feeders(kind, {}, present)
    aggregates = engine.links.aggregates_over(kind, present)
    for record in dataset.records():
        record["_path"] = dataset.location
        for feed in feeds:
            feed(record)
        for aggregate in aggregates:
            aggregate.feed(record)
    if dataset.errors:
        raise ValueError("records could not be checked: " + "; ".join(
            f"{error.path}{error.pointer or ''}: {error.message}" for error in dataset.errors))
