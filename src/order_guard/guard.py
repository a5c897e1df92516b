"""The Python API: check order snapshots in-process, as a warehouse script or a test suite would.

    from order_guard.guard import Guard
    guard = Guard()
    findings = guard.check([{"order_id": "1-2-3", "status": "Pending"}],
                           datasets={"shipments": [{"order_id": "1-2-3"}]})

    gate = guard.gate(datasets={"shipments": [{"order_id": "1-2-3"}]})   # loaded once,
    findings = gate.check({"order_id": "1-2-3", "status": "Pending"})    # then one order at a time

Records use the canonical field names (``order-guard rules schema``; ``canonical.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from order_guard.checking import default_rule_paths, load_registry
from order_guard.datasets import memory_dataset
from order_guard.engine import Engine
from order_guard.ordergate import OrderGate
from order_guard.redaction import Redactor
from order_guard.registry import Registry
from order_guard.report import Report, build_report
from order_guard.rulelang.loader import load_packs
from order_guard.rulelang.model import Rule
from order_guard.types import DATASET_KINDS

Expected = tuple[str, str]


class Guard:
    """Rule packs loaded and validated once; each call checks a fresh set of records."""

    def __init__(self, rules: Sequence[str | Path] = (), as_of: datetime | None = None,
                 registry: Registry | None = None):
        self.registry = registry or load_registry()
        paths = [Path(path) for path in rules] or default_rule_paths(self.registry)
        self.packs = load_packs(paths, self.registry.operators)
        self.rules = [rule for pack in self.packs for rule in pack.rules]
        self.as_of = as_of

    def gate(self, datasets: Mapping[str, Iterable] | None = None, as_of: datetime | None = None,
             rules: Sequence[str] = ()) -> OrderGate:
        """Load ``datasets`` (all but orders) once, to check orders one at a time (``gate.check(order)``)."""
        return OrderGate(self._chosen(rules), self.registry.operators, self._when(as_of), datasets or {})

    def report(self, orders: Iterable[Mapping[str, Any]] = (), datasets: Mapping[str, Iterable] | None = None,
               as_of: datetime | None = None, rules: Sequence[str] = ()) -> Report:
        """The full report (as ``--format json`` would write it) for these records."""
        chosen = self._chosen(rules)
        when = self._when(as_of)
        inputs = [memory_dataset("orders", list(orders), "<orders>")]
        for kind, records in (datasets or {}).items():
            kind = kind.replace("_", "-")
            if kind not in DATASET_KINDS:
                raise ValueError(f"unknown dataset kind {kind!r}; kinds: {', '.join(DATASET_KINDS)}")
            inputs.append(memory_dataset(kind, list(records), f"<{kind}>"))
        result = Engine(chosen, self.registry.operators, when, Redactor()).run(inputs)
        return build_report(result, self.packs)

    def _when(self, as_of: datetime | None) -> datetime:
        return as_of or self.as_of or datetime.now(UTC).replace(microsecond=0)

    def _chosen(self, rules: Sequence[str]) -> list[Rule]:
        """The rules named (by id or name), or all of them."""
        unknown = set(rules) - {rule.id for rule in self.rules} - {rule.name for rule in self.rules}
        if unknown:
            raise ValueError(f"unknown rule(s): {', '.join(sorted(unknown))}")
        return [rule for rule in self.rules if not rules or rule.id in rules or rule.name in rules]

    def check(self, orders: Iterable[Mapping[str, Any]] = (), datasets: Mapping[str, Iterable] | None = None,
              as_of: datetime | None = None, rules: Sequence[str] = ()) -> list[dict[str, Any]]:
        """The findings for these records; raises if any record could not be read."""
        report = self.report(orders, datasets, as_of, rules)
        if not report.summary["complete"]:
            raise ValueError("records could not be checked: " + "; ".join(
                f"{error['path']}{error.get('pointer') or ''}: {error['message']}" for error in report.data["errors"]))
        return report.findings

    def assert_clean(self, orders: Iterable[Mapping[str, Any]] = (), datasets: Mapping[str, Iterable] | None = None,
                     as_of: datetime | None = None, rules: Sequence[str] = ()) -> None:
        """Fail with a readable list when any rule fires (e.g. "our sync never ships a Pending order")."""
        self.assert_findings(orders, [], datasets, as_of, rules)

    def assert_findings(self, orders: Iterable[Mapping[str, Any]], expected: Iterable[Expected],
                        datasets: Mapping[str, Iterable] | None = None, as_of: datetime | None = None,
                        rules: Sequence[str] = ()) -> None:
        """Fail unless exactly ``expected`` ``(rule id, order id or SKU)`` pairs fire."""
        findings = self.check(orders, datasets, as_of, rules)
        problems = explain_difference(findings, set(expected))
        if problems:
            raise AssertionError("order-guard findings differ from what was expected:\n" + "\n".join(problems))


def subject_of(finding: Mapping[str, Any]) -> str:
    return finding.get("order_id") or finding.get("sku") or ""


def explain_difference(findings: Sequence[Mapping[str, Any]], expected: set[Expected]) -> list[str]:
    """Lines naming each missing and each unexpected finding, with the rule's message."""
    fired = {(finding["rule_id"], subject_of(finding)): finding for finding in findings}
    lines = [f"  missing:    {rule} for {subject}" for rule, subject in sorted(expected - set(fired))]
    lines += [f"  unexpected: {rule} for {subject}: {fired[(rule, subject)]['message']}"
              for rule, subject in sorted(set(fired) - expected)]
    return lines
