"""The engine: compile every check once, read the look-up datasets, stream the orders once.

Orders are streamed: memory stays flat in their number. Every other dataset
(shipments, reports, inventory) is loaded and indexed by key first. Checks
of those datasets run after the stream, using what it collected: aggregates
(units held by Pending orders per SKU) and the orders their records name
(a semi-join, so only the orders a shipment asks about are kept).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from order_guard.datasets import Dataset, ReadError
from order_guard.redaction import Redactor
from order_guard.rulelang.compiler import CompileContext, Predicate
from order_guard.rulelang.model import Check, Rule
from order_guard.types import Operator

STREAMED = "orders"


@dataclass
class Finding:
    rule: Rule
    kind: str
    subject: str
    message: str
    evidence: dict[str, Any]
    location: dict[str, Any]
    value_at_risk: tuple[Any, str | None] | None = None


@dataclass
class CompiledCheck:
    rule: Rule
    check: Check
    when: Predicate | None
    fail_if: Predicate
    evidence_fields: list[str]
    evidence_lookups: list[Callable[[dict], dict[str, Any]]]
    named: dict[str, Callable[[dict], Any]]


@dataclass
class RunResult:
    as_of: datetime
    rules: list[Rule]
    datasets: list[Dataset]
    findings: list[Finding]
    records_checked: int
    rule_errors: list[ReadError] = field(default_factory=list)
    missing_datasets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def records_read(self) -> int:
        return sum(dataset.records_read for dataset in self.datasets)

    @property
    def records_unreadable(self) -> int:
        return sum(dataset.records_unreadable for dataset in self.datasets)

    @property
    def complete(self) -> bool:
        """True when every record was read and every check ran without error."""
        return not self.records_unreadable and not self.rule_errors and not any(
            dataset.errors for dataset in self.datasets)


class _Links:
    """Look-up indexes and aggregates the compiled checks asked for, filled as data is read."""

    def __init__(self) -> None:
        self.indexes: list[tuple[str, str, str, str, dict]] = []
        self.aggregates: list[tuple[Mapping[str, Any], Predicate | None, dict]] = []

    def index(self, dataset: str, key: str, on: str, requester: str) -> dict:
        table: dict = {}
        self.indexes.append((dataset, key, on, requester, table))
        return table

    def aggregate(self, spec: Mapping[str, Any], where: Predicate | None, requester: str) -> dict:
        table: dict = defaultdict(int)
        self.aggregates.append((spec, where, table))
        return table

    def feeders(self, kind: str, wanted: Mapping[str, set]) -> list[Callable[[dict], None]]:
        """Functions to call with every record of ``kind`` as it is read."""
        feeds: list[Callable[[dict], None]] = []
        for dataset, key, on, requester, table in self.indexes:
            if dataset == kind:
                feeds.append(_index_feeder(table, key, wanted.get(f"{requester}.{on}")))
        for spec, where, table in self.aggregates:
            if spec["dataset"] == kind:
                feeds.append(_aggregate_feeder(spec, where, table))
        return feeds


def _index_feeder(table: dict, key: str, wanted: set | None) -> Callable[[dict], None]:
    def feed(record: dict) -> None:
        value = record.get(key)
        if value is not None and (wanted is None or value in wanted):
            table.setdefault(value, []).append(record)

    return feed


def _aggregate_feeder(spec: Mapping[str, Any], where: Predicate | None, table: dict) -> Callable[[dict], None]:
    group_by, total = spec["group_by"], spec["sum"]
    unnest = spec.get("unnest")

    def feed(record: dict) -> None:
        if where is not None and not where(record):
            return
        for row in (record.get(unnest) or ()) if unnest else (record,):
            group, amount = row.get(group_by), row.get(total)
            if group is not None and amount is not None:
                table[group] += amount

    return feed


def _fold_duplicate(first: Finding, again: Finding) -> None:
    """One finding per rule and order. Rows of one order that are not adjacent in a
    report arrive as separate records: their amounts add up to the order's value at risk.
    The same order from another dataset (an API dump and a report) is not added twice."""
    if first.location["path"] == again.location["path"] and first.value_at_risk and again.value_at_risk:
        amount, currency = first.value_at_risk
        first.value_at_risk = (amount + again.value_at_risk[0], currency)


class Engine:
    """One run of compiled rules over a set of datasets."""

    def __init__(self, rules: Iterable[Rule], operators: Mapping[str, Operator], as_of: datetime,
                 redactor: Redactor):
        self.rules = list(rules)
        self.as_of = as_of
        self.redactor = redactor
        self.links = _Links()
        self.checks: dict[str, list[CompiledCheck]] = defaultdict(list)
        for rule in self.rules:
            for check in rule.checks:
                self.checks[check.dataset].append(self._compile(rule, check, operators))

    def _compile(self, rule: Rule, check: Check, operators: Mapping[str, Operator]) -> CompiledCheck:
        ctx = CompileContext(check.dataset, operators, self.as_of, self.links)
        when = ctx.condition(check.when) if check.when is not None else None
        fail_if = ctx.condition(check.fail_if)
        return CompiledCheck(rule, check, when, fail_if, list(ctx.fields_used), ctx.evidence, ctx.named)

    def run(self, datasets: list[Dataset]) -> RunResult:
        result = RunResult(as_of=self.as_of, rules=self.rules, datasets=datasets, findings=[], records_checked=0)
        present = {dataset.kind for dataset in datasets}
        for rule in self.rules:
            missing = sorted({check.dataset for check in rule.checks} - present)
            if missing:
                result.missing_datasets[rule.id] = missing
        seen: dict[tuple[str, str], Finding] = {}
        loaded: dict[str, list[tuple[Dataset, dict]]] = defaultdict(list)
        for dataset in datasets:
            if dataset.kind not in (STREAMED, "unknown"):
                feeds = self.links.feeders(dataset.kind, {})
                for record in dataset.records():
                    record["_path"] = dataset.location
                    loaded[dataset.kind].append((dataset, record))
                    result.records_checked += 1
                    for feed in feeds:
                        feed(record)
        wanted = {
            f"{requester}.{on}": {record.get(on) for _, record in loaded.get(requester, ())}
            for dataset, _, on, requester, _ in self.links.indexes if dataset == STREAMED
        }
        order_checks = self.checks.get(STREAMED, [])
        for dataset in datasets:
            if dataset.kind != STREAMED:
                continue
            feeds = self.links.feeders(STREAMED, wanted)
            for record in dataset.records():
                result.records_checked += record.get("_rows", 1)
                record["_path"] = dataset.location
                for feed in feeds:
                    feed(record)
                self._check(order_checks, dataset, record, result, seen)
        for kind, items in loaded.items():
            for dataset, record in items:
                self._check(self.checks.get(kind, []), dataset, record, result, seen)
        return result

    def _check(self, checks: list[CompiledCheck], dataset: Dataset, record: dict, result: RunResult,
               seen: dict[tuple[str, str], Finding]) -> None:
        for compiled in checks:
            try:
                if compiled.when is not None and not compiled.when(record):
                    continue
                if not compiled.fail_if(record):
                    continue
                subject = str(record.get("order_id") or record.get("sku"))
                key = (compiled.rule.id, subject)
                finding = self._finding(compiled, dataset, record, subject)
                if key in seen:
                    _fold_duplicate(seen[key], finding)
                    continue
                seen[key] = finding
                result.findings.append(finding)
            except Exception as err:  # a rule that cannot evaluate a record must not pass it
                result.rule_errors.append(ReadError(dataset.location, record.get("_line"),
                                                    f"rule {compiled.rule.id} failed: {err!r}",
                                                    record.get("_pointer")))

    def _finding(self, compiled: CompiledCheck, dataset: Dataset, record: dict, subject: str) -> Finding:
        rule = compiled.rule
        evidence = {name: self.redactor.value(name, record.get(name))
                    for name in compiled.evidence_fields if name != "items"}
        for lookup in compiled.evidence_lookups:
            evidence.update(lookup(record))
        computed = {name: get(record) for name, get in compiled.named.items()}
        evidence.update({name: self.redactor.value(name, value) for name, value in computed.items()})
        risk = None
        if rule.value_at_risk and record.get(rule.value_at_risk) is not None:
            risk = (record[rule.value_at_risk], record.get("currency"))
        location = {"path": dataset.location, "line": record.get("_line")}
        if record.get("_pointer") is not None:
            location["pointer"] = record["_pointer"]
        return Finding(rule=rule, kind=compiled.check.dataset, subject=subject, message=self.redactor.format(compiled.check.message, {**record, **computed}, rule),
                       evidence=evidence, location=location, value_at_risk=risk)
