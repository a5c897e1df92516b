"""The engine: compile every check once, read the look-up datasets, stream the orders once.

Orders are streamed: memory stays flat in their number. Every other dataset
(shipments, reports, inventory) is loaded and indexed by key first. Checks
of those datasets run after the stream, using what it collected: aggregates
(units held by Pending orders per SKU) and the orders their records name
(a semi-join, so only the orders a shipment asks about are kept).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from order_guard import parallel, pushdown
from order_guard.canonical import KEY_FIELD
from order_guard.datasets import Dataset, ReadError
from order_guard.lookups import Aggregate, Links
from order_guard.redaction import Redactor
from order_guard.relevance import Relevance
from order_guard.rulelang.compiler import ITEMS, CompileContext, Predicate, placeholders
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
    #: kind -> fields the check reads (items' fields under "items")
    reads: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class RunResult:
    as_of: datetime
    rules: list[Rule]
    datasets: list[Dataset]
    findings: list[Finding]
    records_checked: int
    rule_errors: list[ReadError] = field(default_factory=list)
    missing_datasets: dict[str, list[str]] = field(default_factory=dict)
    #: Per rule and dataset: pushed down into a database or streamed, and why (``--explain``).
    explain: list[pushdown.Explanation] = field(default_factory=list)

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


def _keep_once(seen: dict[tuple[str, str], Finding], finding: Finding, out: list[Finding]) -> None:
    """One finding per rule and subject: a later one for the same pair folds into the first."""
    key = (finding.rule.id, finding.subject)
    if key in seen:
        _fold_duplicate(seen[key], finding)
    else:
        seen[key] = finding
        out.append(finding)


class _Snapshots:
    """Which snapshot of an order counts: the newest (by ``last_update_date``) wins.

    Only orders with findings or aggregate shares are tracked, so memory grows
    with the findings, not with the orders. An older snapshot seen after a newer
    clean one is still checked: a stale finding is the safe mistake.
    """

    def __init__(self, aggregates: list[Aggregate]):
        self.aggregates = aggregates
        self.versions: dict[str, datetime | None] = {}
        #: order id -> rule id -> finding, for the snapshot that counts
        self.findings: dict[str, dict[str, Finding]] = {}

    def admit(self, record: dict) -> bool:
        """Whether to check ``record``; a newer snapshot retracts what the older one said."""
        order = record.get("order_id")
        if order not in self.versions:
            return True
        stamp, seen = record.get("last_update_date"), self.versions[order]
        if stamp is None or seen is None or stamp == seen:
            return True  # same snapshot (more rows of it) or no way to tell: check it too
        if stamp < seen:
            return False
        self.findings.pop(order, None)
        for aggregate in self.aggregates:
            aggregate.retract(order)
        del self.versions[order]
        return True

    def keep(self, record: dict, findings: list[Finding]) -> None:
        order = record.get("order_id")
        contributed = False
        for aggregate in self.aggregates:
            contributed = aggregate.feed(record) or contributed
        if findings or contributed:
            self.versions.setdefault(order, record.get("last_update_date"))
        kept = self.findings.setdefault(order, {}) if findings else None
        for finding in findings:
            if finding.rule.id in kept:
                _fold_duplicate(kept[finding.rule.id], finding)
            else:
                kept[finding.rule.id] = finding


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
                 redactor: Redactor, jobs: int = 1):
        self.rules = list(rules)
        #: Processes the streamed orders may be read by (``parallel.py``).
        self.jobs = jobs
        self.operators = operators
        self.as_of = as_of
        self.redactor = redactor
        self.links = Links()
        self.checks: dict[str, list[CompiledCheck]] = defaultdict(list)
        for rule in self.rules:
            for check in rule.checks:
                self.checks[check.dataset].append(self._compile(rule, check, operators))

    def _compile(self, rule: Rule, check: Check, operators: Mapping[str, Operator]) -> CompiledCheck:
        ctx = CompileContext(check.dataset, operators, self.as_of, self.links)
        when = ctx.condition(check.when) if check.when is not None else None
        fail_if = ctx.condition(check.fail_if)
        reads = {kind: set(names) for kind, names in ctx.reads.items()}
        reads.setdefault(check.dataset, set()).update(placeholders(check.message))
        if rule.value_at_risk:
            reads[check.dataset].update((rule.value_at_risk, "currency"))
        return CompiledCheck(rule, check, when, fail_if, list(ctx.fields_used), ctx.evidence, ctx.named, reads)

    def fields_to_read(self, kind: str) -> set[str]:
        """Every field of ``kind`` some check reads: a source may skip the others."""
        wanted = {KEY_FIELD.get(kind, "order_id"), "order_id", "sku", "last_update_date", "status"}
        for compiled in (check for checks in self.checks.values() for check in checks):
            wanted |= compiled.reads.get(kind, set())
            if kind == STREAMED:
                wanted |= compiled.reads.get(ITEMS, set())
        for dataset, key, _on, _requester, _table in self.links.indexes:
            if dataset == kind:
                wanted.add(key)
        for aggregate in self.links.aggregates_over(kind):
            wanted |= {aggregate.spec["group_by"], aggregate.spec["sum"], aggregate.spec.get("unnest") or "items"}
        return wanted

    def run(self, datasets: list[Dataset]) -> RunResult:
        result = RunResult(as_of=self.as_of, rules=self.rules, datasets=datasets, findings=[], records_checked=0)
        for dataset in datasets:
            dataset.wanted_fields = self.fields_to_read(dataset.kind) if dataset.kind in KEY_FIELD else None
        present = {dataset.kind for dataset in datasets}
        for rule in self.rules:
            missing = sorted(set(rule.datasets()) - present)
            if missing:
                result.missing_datasets[rule.id] = missing
        loaded = self._load_lookups(datasets, result, present)
        wanted = {
            f"{requester}.{on}": {record.get(on) for _, record in loaded.get(requester, ())}
            for dataset, _, on, requester, _ in self.links.indexes if dataset == STREAMED
        }
        snapshots = _Snapshots(self.links.aggregates_over(STREAMED, present))
        # ORDER_GUARD_READ_EVERY_ROW=1 reads rows that cannot matter too (same report, slower: a cross-check).
        every_row = bool(os.environ.get("ORDER_GUARD_READ_EVERY_ROW"))
        relevance = None if every_row else self._relevance(wanted, snapshots, present)
        for dataset in datasets:
            if dataset.kind == STREAMED:
                feeds = self.links.index_feeders(STREAMED, wanted, present)
                if not pushdown.run(self, dataset, datasets, wanted, feeds, snapshots, result) and \
                        not parallel.stream(self, dataset, feeds, snapshots, result, relevance):
                    self._stream_orders(dataset, feeds, snapshots, result, relevance)
                result.records_checked += dataset.records_skipped  # rows no check needed: checked
        result.findings.extend(finding for findings in snapshots.findings.values() for finding in findings.values())
        seen: dict[tuple[str, str], Finding] = {}
        for kind, items in loaded.items():
            for dataset, record in items:
                for finding in self._check(self.checks.get(kind, []), dataset, record, result):
                    _keep_once(seen, finding, result.findings)
        self._missing_items(present, result)
        return result

    def _load_lookups(self, datasets: list[Dataset], result: RunResult,
                      present: set[str]) -> dict[str, list[tuple[Dataset, dict]]]:
        """Read every dataset but the orders into memory, indexing and aggregating as it goes."""
        loaded: dict[str, list[tuple[Dataset, dict]]] = defaultdict(list)
        for dataset in datasets:
            if dataset.kind in (STREAMED, "unknown"):
                continue
            feeds = self.links.index_feeders(dataset.kind, {}, present)
            aggregates = self.links.aggregates_over(dataset.kind, present)
            keep = bool(self.checks.get(dataset.kind))  # a report only looked up is not kept whole
            for record in dataset.records():
                record["_path"] = dataset.location
                if keep:
                    loaded[dataset.kind].append((dataset, record))
                result.records_checked += 1
                for feed in feeds:
                    feed(record)
                for aggregate in aggregates:
                    aggregate.feed(record)
        return loaded

    def _stream_orders(self, dataset: Dataset, feeds: list[Callable[[dict], None]], snapshots: _Snapshots,
                       result: RunResult, relevance: Relevance | None = None) -> None:
        checks = self.checks.get(STREAMED, [])
        dataset.relevance = relevance
        for record in dataset.records():
            result.records_checked += record.get("_rows", 1)
            record["_path"] = dataset.location
            if not snapshots.admit(record):
                continue  # an older snapshot of an order already checked in a newer state
            for feed in feeds:
                feed(record)
            snapshots.keep(record, self._check(checks, dataset, record, result))

    def _relevance(self, wanted: Mapping[str, set], snapshots: _Snapshots, present: set[str]) -> Relevance | None:
        """Which streamed records can matter: a check may fail on it, an aggregate may count it,
        an index wants its key, or an earlier snapshot of its order was kept."""
        conditions = [(compiled.check.when, compiled.check.fail_if) for compiled in self.checks.get(STREAMED, [])]
        conditions += [(aggregate.spec.get("where"), None)
                       for aggregate in self.links.aggregates_over(STREAMED, present)]
        keys: list[tuple[str, Container]] = [("order_id", snapshots.versions)]
        for dataset, key, on, requester, _table in self.links.indexes:
            if dataset == STREAMED and requester in present:
                if wanted.get(f"{requester}.{on}") is None:
                    return None  # an index of every order: every record matters
                keys.append((key, wanted[f"{requester}.{on}"]))

        def table(dataset: str, key: str, on: str) -> Container | None:
            # Look-up indexes of the other datasets are full before the stream starts.
            return next((table for index_of, index_key, index_on, requester, table in self.links.indexes
                         if (index_of, index_key, index_on, requester) == (dataset, key, on, STREAMED)
                         and dataset != STREAMED), None)

        return Relevance.derive(STREAMED, conditions, self.operators, self.as_of, table, keys)

    def _missing_items(self, present: set[str], result: RunResult) -> None:
        """An aggregate over items that met an order without items cannot be trusted: say so."""
        for aggregate in self.links.aggregates:
            if aggregate.requester not in present:
                continue
            for record in aggregate.missing_items:
                result.rule_errors.append(ReadError(
                    record.get("_path", "?"), record.get("_line"),
                    f"order {record.get('order_id')} has no items, so its units are missing from "
                    f"{aggregate.label} (an Orders API v0 dump without OrderItems?)", record.get("_pointer")))

    def _check(self, checks: list[CompiledCheck], dataset: Dataset, record: dict,
               result: RunResult) -> list[Finding]:
        findings = []
        for compiled in checks:
            try:
                if compiled.when is not None and not compiled.when(record):
                    continue
                if compiled.fail_if(record):
                    subject = str(record.get("order_id") or record.get("sku"))
                    findings.append(self._finding(compiled, dataset, record, subject))
            except Exception as err:  # a rule that cannot evaluate a record must not pass it
                result.rule_errors.append(ReadError(dataset.location, record.get("_line"),
                                                    f"rule {compiled.rule.id} failed: {err!r}",
                                                    record.get("_pointer")))
        return findings

    def _finding(self, compiled: CompiledCheck, dataset: Dataset, record: dict, subject: str) -> Finding:
        location = {"path": dataset.location, "line": record.get("_line")}
        if record.get("_pointer") is not None:
            location["pointer"] = record["_pointer"]
        return build_finding(self.redactor, compiled, record, subject, location)


def build_finding(redactor: Redactor, compiled: CompiledCheck, record: dict, subject: str,
                  location: dict[str, Any]) -> Finding:
    """A failed check on ``record`` as a finding: its evidence redacted, its message filled in."""
    rule = compiled.rule
    evidence = {name: redactor.value(name, record.get(name)) for name in compiled.evidence_fields if name != "items"}
    for lookup in compiled.evidence_lookups:
        evidence.update(lookup(record))
    computed = {name: get(record) for name, get in compiled.named.items()}
    evidence.update({name: redactor.value(name, value) for name, value in computed.items()})
    risk = None
    if rule.value_at_risk and record.get(rule.value_at_risk) is not None:
        risk = (record[rule.value_at_risk], record.get("currency"))
    message = redactor.format(compiled.check.message, {**record, **computed}, rule)
    return Finding(rule=rule, kind=compiled.check.dataset, subject=subject, message=message,
                   evidence=evidence, location=location, value_at_risk=risk)
