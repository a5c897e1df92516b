"""Guard.gate: rules compiled and datasets loaded once, then one order at a time, as a full run says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from order_guard.guard import Guard
from order_guard.rulelang import compiler

AS_OF = datetime(2026, 11, 26, 12, tzinfo=UTC)

ORDERS = [
    {"order_id": "405-0000001-0000001", "status": "Pending", "purchase_date": "2026-11-25T10:00:00Z"},
    {"order_id": "405-0000002-0000002", "status": "PENDING", "purchase_date": "2026-10-01T10:00:00Z",
     "buyer_email": "someone@example.com", "recipient_name": "A Buyer"},
    {"order_id": "405-0000003-0000003", "status": "Pending", "purchase_date": "2026-11-20T10:00:00Z"},
    {"order_id": "405-0000004-0000004", "status": "Unshipped", "fulfillment_channel": "AFN",
     "purchase_date": "2026-11-24T10:00:00Z"},
    {"order_id": "405-0000005-0000005", "status": "Canceled", "order_total": "25.80", "currency": "EUR",
     "purchase_date": "2026-11-23T10:00:00Z"},
    {"order_id": "405-0000006-0000006", "status": "Lost in space", "purchase_date": "2026-11-23T10:00:00Z"},
    {"order_id": "405-0000007-0000007", "status": "Unshipped", "fulfillment_channel": "MFN",
     "purchase_date": "2026-10-25T10:00:00Z"},
    {"order_id": "405-0000008-0000008", "status": "PendingAvailability", "purchase_date": "2026-09-01T10:00:00Z"},
    {"order_id": "405-0000009-0000009", "status": "Shipped", "fulfillment_channel": "MFN",
     "purchase_date": "2026-11-20T10:00:00Z", "items": [{"order_item_id": "1", "sku": "MUG", "quantity": 2}]},
    {"order_id": "405-0000010-0000010", "status": "Unshipped", "fulfillment_channel": "MFN",
     "purchase_date": "2026-11-25T10:00:00Z"},
]
DATASETS = {
    "shipments": [{"order_id": order_id, "tracking_number": f"BRT{n}", "ship_date": "2026-11-26"}
                  for n, order_id in enumerate(["405-0000001-0000001", "405-0000004-0000004",
                                                "405-0000005-0000005", "405-0000009-0000009",
                                                "405-0000010-0000010"])],
    "unshipped_report": [{"order_id": "405-0000003-0000003", "order_item_id": "9", "sku": "MUG", "quantity": 1},
                         {"order_id": "405-0000010-0000010", "order_item_id": "8", "sku": "TEA", "quantity": 1}],
}


@pytest.fixture(scope="module")
def guard():
    return Guard(as_of=AS_OF)


@pytest.fixture(scope="module")
def gate(guard):
    return guard.gate(DATASETS)


@pytest.mark.parametrize("order", ORDERS, ids=[order["order_id"][-2:] for order in ORDERS])
def test_one_order_gets_what_guard_check_says_about_it(guard, gate, order):
    # Guard.check also reports the other shipments (orders it was not given): not this order's findings.
    said = [finding for finding in guard.check([order], datasets=DATASETS) if finding["order_id"] == order["order_id"]]
    assert gate.check(order) == said


def test_each_order_gets_its_findings_of_a_full_run(guard, gate):
    full = guard.check(ORDERS, datasets=DATASETS)
    assert {finding["rule_id"] for finding in full} >= {f"AMZ-PEND-00{n}" for n in (1, 2, 3, 4, 5, 7, 8, 9)}
    for order in ORDERS:
        expected = [finding for finding in full if finding["order_id"] == order["order_id"]]
        found = gate.check(order)
        # The same findings; only where the order was differs (its place in the full run's list).
        assert [{**f, "location": None} for f in found] == [{**f, "location": None} for f in expected]
        assert all(f["location"] == {"path": "<orders>", "line": None, "pointer": "/0"} for f in found)


def test_buyer_data_stays_redacted_and_value_at_risk_is_reported(gate):
    [pending_with_address] = [f for f in gate.check(ORDERS[1]) if f["rule_id"] == "AMZ-PEND-002"]
    assert "someone@example.com" not in str(pending_with_address)
    [canceled] = [f for f in gate.check(ORDERS[4]) if f["rule_id"] == "AMZ-PEND-004"]
    assert canceled["value_at_risk"] == {"amount": "25.80", "currency": "EUR"}


def test_the_gate_compiles_and_loads_nothing_per_order(guard, monkeypatch):
    shipments = [dict(record) for record in DATASETS["shipments"]]
    gate = guard.gate({"shipments": shipments})
    before = gate.check(ORDERS[0])

    def no_compiling(*args, **kwargs):
        raise AssertionError("a rule was compiled while checking an order")

    monkeypatch.setattr(compiler.CompileContext, "condition", no_compiling)
    shipments.clear()  # the gate holds what it loaded, not the caller's list
    assert gate.check(ORDERS[0]) == before and before


def test_rules_and_as_of_choose_what_runs(guard):
    only = guard.gate(DATASETS, rules=["AMZ-PEND-008"])
    assert [f["rule_id"] for f in only.check(ORDERS[1])] == ["AMZ-PEND-008"]
    earlier = guard.gate(DATASETS, as_of=datetime(2026, 10, 2, tzinfo=UTC), rules=["pending-too-long"])
    assert earlier.check(ORDERS[1]) == []
    with pytest.raises(ValueError, match="unknown rule"):
        guard.gate(DATASETS, rules=["AMZ-PEND-01"])


def test_an_order_that_cannot_be_read_fails_as_guard_check_does(guard, gate):
    unreadable = {"order_id": "405-0000011-0000011", "status": "Pending", "purchase_date": "yesterday-ish"}
    with pytest.raises(ValueError) as by_guard:
        guard.check([unreadable], datasets=DATASETS)
    with pytest.raises(ValueError) as by_gate:
        gate.check(unreadable)
    assert str(by_gate.value) == str(by_guard.value)
    with pytest.raises(ValueError, match="no order_id"):
        gate.check({"status": "Pending"})


def test_datasets_are_checked_when_the_gate_is_made(guard):
    with pytest.raises(ValueError, match=r"<shipments>/1: .*ship_date"):
        guard.gate({"shipments": [{"order_id": "1"}, {"order_id": "2", "ship_date": "not a date"}]})
    with pytest.raises(ValueError, match="one at a time"):
        guard.gate({"orders": ORDERS})
    with pytest.raises(ValueError, match="unknown dataset kind 'shipment'"):
        guard.gate({"shipment": []})


def test_a_rule_that_fails_on_an_order_fails_the_check(tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_text("""pack: {name: test, version: '1'}
rules:
  - id: T-001
    name: custom-compare
    severity: high
    summary: s
    rationale: r
    remediation: m
    references: [x]
    fail_if: {field: x_weight, gt: 5}
    message: "{order_id}"
    examples:
      bad: [{order: {order_id: "1", x_weight: 9}}]
      good: [{order: {order_id: "2", x_weight: 1}}]
""")
    gate = Guard(rules=[pack], as_of=AS_OF).gate()
    assert [f["order_id"] for f in gate.check({"order_id": "B", "x_weight": 9})] == ["B"]
    with pytest.raises(ValueError, match="rule T-001 failed"):
        gate.check({"order_id": "A", "x_weight": "heavy"})
