"""Run a rule's good and bad examples: bad ones must fire, good ones must not."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from order_guard.canonical import parse_datetime
from order_guard.datasets import memory_dataset
from order_guard.engine import Engine, Finding
from order_guard.redaction import Redactor
from order_guard.rulelang.model import Rule
from order_guard.rulelang.validation import example_datasets
from order_guard.types import Operator


def example_findings(rule: Rule, case: Mapping[str, Any], operators: Mapping[str, Operator]) -> list[Finding]:
    """The findings of ``rule`` alone over the datasets of one example."""
    as_of = parse_datetime(case["as_of"]) if "as_of" in case else datetime.now(UTC)
    datasets = [memory_dataset(kind, records, f"<example {kind}>")
                for kind, records in example_datasets(case).items()]
    result = Engine([rule], operators, as_of, Redactor()).run(datasets)
    if not result.complete:
        problems = [error.message for dataset in datasets for error in dataset.errors] + [
            error.message for error in result.rule_errors]
        raise AssertionError(f"{rule.id}: example could not be checked: {'; '.join(problems)}")
    return [finding for finding in result.findings if finding.rule.id == rule.id]


def example_failures(rule: Rule, operators: Mapping[str, Operator]) -> list[str]:
    """Why the rule's examples disagree with it (empty when every example behaves)."""
    failures = []
    for verdict in ("bad", "good"):
        for number, case in enumerate(rule.examples[verdict], start=1):
            fired = example_findings(rule, case, operators)
            label = f"{rule.id} {verdict} example #{number}" + (f" ({case['note']})" if "note" in case else "")
            if verdict == "bad" and not fired:
                failures.append(f"{label}: expected a finding, got none")
            if verdict == "good" and fired:
                failures.append(f"{label}: expected no finding, got: {fired[0].message}")
    return failures
