"""The engine: one pass over orders, look-ups and aggregates, counting, fail-closed rule errors."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import pytest

from order_guard.checking import load_registry
from order_guard.datasets import memory_dataset
from order_guard.engine import Engine
from order_guard.redaction import Redactor
from order_guard.report import build_report
from order_guard.rulelang.loader import load_packs

AS_OF = datetime(2026, 11, 26, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _rules(tmp_path, registry, body: str):
    path = tmp_path / "pack.yaml"
    path.write_text("pack: {name: test, version: '1'}\nrules:\n" + textwrap.indent(textwrap.dedent(body), "  "))
    return [rule for pack in load_packs([path], registry.operators) for rule in pack.rules]


RULE_FIELDS = """
          severity: high
          summary: s
          rationale: r
          remediation: m
          references: [x]
          examples:
            bad: [{order: {order_id: "1"}}]
            good: [{order: {order_id: "2"}}]
"""


def _run(rules, registry, **datasets):
    engine = Engine(rules, registry.operators, AS_OF, Redactor())
    return engine.run([memory_dataset(kind.replace("_", "-"), records) for kind, records in datasets.items()])


def test_a_rule_that_raises_on_a_record_makes_the_run_incomplete(tmp_path, registry):
    rules = _rules(tmp_path, registry, """
        - id: T-001
          name: custom-compare
          fail_if: {field: x_weight, gt: 5}
          message: "{order_id}"
    """ + RULE_FIELDS)
    result = _run(rules, registry, orders=[{"order_id": "A", "x_weight": "heavy"}, {"order_id": "B", "x_weight": 9}])
    assert [f.subject for f in result.findings] == ["B"]
    assert len(result.rule_errors) == 1 and "T-001" in result.rule_errors[0].message
    report = build_report(result, [])
    assert report.summary["complete"] is False
    assert report.exit_code("high") == 3


def test_findings_are_reported_once_per_rule_and_order(registry, tmp_path):
    rules = load_packs([_pack_path()], registry.operators)[0].rules
    orders = [{"order_id": "A", "status": "Pending"}]
    shipments = [{"order_id": "A", "order_item_id": str(n)} for n in range(3)]
    result = _run(rules, registry, orders=orders, shipments=shipments)
    assert sorted(f.rule.id for f in result.findings) == ["AMZ-PEND-001", "AMZ-PEND-004"]


def test_shipment_checks_keep_only_the_orders_they_name(registry):
    """The semi-join: orders the shipments do not name are not kept in memory."""
    rules = load_packs([_pack_path()], registry.operators)[0].rules
    engine = Engine(rules, registry.operators, AS_OF, Redactor())
    orders = [{"order_id": f"O-{n}", "status": "Shipped"} for n in range(1000)]
    result = engine.run([memory_dataset("orders", orders), memory_dataset("shipments", [{"order_id": "O-7"}])])
    assert result.findings == []
    order_indexes = [table for dataset, *_, table in engine.links.indexes if dataset == "orders"]
    assert order_indexes and all(set(table) == {"O-7"} for table in order_indexes)


def test_records_read_equals_checked_plus_unreadable(registry):
    rules = load_packs([_pack_path()], registry.operators)[0].rules
    orders = [{"order_id": "A", "status": "Unshipped"}, {"status": "Pending"},
              {"order_id": "C", "purchase_date": "not a date"}]
    result = _run(rules, registry, orders=orders, shipments=[{"order_id": "A"}, {"ship_date": "2026-01-01"}])
    assert result.records_read == 5
    assert result.records_unreadable == 3
    assert result.records_checked == 2
    messages = [error.message for dataset in result.datasets for error in dataset.errors]
    assert "no order_id" in messages and any("purchase_date" in m for m in messages)


def test_pending_units_are_summed_per_sku_over_seller_fulfilled_pending_orders(registry):
    rules = [r for r in load_packs([_pack_path()], registry.operators)[0].rules if r.id == "AMZ-PEND-006"]
    orders = [
        {"order_id": "A", "status": "Pending", "items": [{"sku": "S1", "quantity": 2}, {"sku": "S2", "quantity": 1}]},
        {"order_id": "B", "status": "PENDING", "items": [{"sku": "S1", "quantity": 1}]},
        {"order_id": "C", "status": "Shipped", "items": [{"sku": "S1", "quantity": 5}]},
        {"order_id": "D", "status": "Pending", "fulfillment_channel": "AFN", "items": [{"sku": "S1", "quantity": 5}]},
    ]
    inventory = [{"sku": "S1", "quantity": 8, "on_hand": 10}, {"sku": "S1b", "quantity": 8, "on_hand": 10},
                 {"sku": "S2", "quantity": 10, "on_hand": 10}]
    result = _run(rules, registry, orders=orders, inventory=inventory)
    assert {(f.subject, f.evidence["pending_units"]) for f in result.findings} == {("S1", 3), ("S2", 1)}


def _pack_path():
    from order_guard.builtin.amazon_pack import bundled_rules_dir

    return bundled_rules_dir() / "amazon" / "pending.yaml"
