"""Every built-in operator, pushed down and streamed, over the same random orders: the same findings.

The Amazon pack uses only some of the rule language; this pack uses every operator and value form
(comparisons with fields and arithmetic, membership, negation of tests on missing values, text
prefixes, emptiness, item conditions, look-ups by another key) so each SQL form is held to its
Python form."""

from __future__ import annotations

import subprocess
import sys

import pytest

from test_sql_differential import AS_OF, _datasets, _same_report, random_world

RULES = [
    ("ne", "{field: status, ne: Shipped}"),
    ("not-in", "{field: fulfillment_channel, not_in: [AFN, Merchant]}"),
    ("not-eq-missing", "{not: {field: tracking_number, eq: 1Z999}}"),
    ("not-gt-missing", "{not: {field: items_shipped, gt: 0}}"),
    ("lt-le-ge", "{any: [{field: items_shipped, lt: 1}, {field: items_shipped, le: 0}, {field: items_shipped, ge: 2}]}"),
    ("arithmetic", "{field: items_shipped, gt: {sub: [{add: [{field: items_shipped}, 1]}, 2]}}"),
    ("field-vs-field", "{field: purchase_date, lt: {field: ship_date}}"),
    ("money", "{field: order_total, ge: 49.9}"),
    ("starts-with", "{field: order_id, starts_with: '1'}"),
    ("empty-and-missing", "{any: [{field: items, empty: true}, {field: buyer_email, missing: true}]}"),
    ("present-false", "{all: [{field: ship_address_1, present: false}, {field: buyer_email, present: false}]}"),
    ("some-items", "{field: items, some: {all: [{field: sku, in: [MUG, PEN]}, {field: quantity, ge: 2}]}}"),
    ("not-some", "{not: {field: items, some: {field: sku, eq: CUP}}}"),
    ("age-window", "{field: purchase_date, age_days: {ge: 21, lt: 28}}"),
    ("status-literals", "{field: status, in: [PENDING, cancelled, Unknown]}"),
    ("look-up-by-tracking", "{exists_in: {dataset: shipments, key: tracking_number, 'on': tracking_number}}"),
    ("not-exists", "{not: {exists_in: {dataset: unshipped-report}}}"),
]


def pack(tmp_path):
    lines = ['pack: {name: operators, version: "1"}', "rules:"]
    for number, (name, condition) in enumerate(RULES, start=1):
        lines += [f"  - id: OP-{number:03d}", f"    name: {name}", "    severity: high", f"    summary: {name}",
                  f"    fail_if: {condition}", f'    message: "Order {{order_id}} fails {name}"',
                  "    rationale: r", "    remediation: r", "    references: [r]",
                  "    examples: {bad: [{order: {order_id: X}}], good: [{order: {order_id: Y}}]}"]
    path = tmp_path / "operators.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("plain", [True, False], ids=["plain-lookup", "doubtful-lookup"])
def test_every_operator_means_the_same_in_sql(pushdown_db, order_guard_cli, monkeypatch, tmp_path, seed, plain):
    world = random_world(seed, 120, sqlite=pushdown_db.name == "sqlite")
    world["inventory"] = []
    for shipment, order in zip(world["shipments"], world["orders"], strict=False):
        tracking = order["tracking_number"]  # some look-ups by tracking number match
        shipment["tracking_number"] = tracking if not plain or (tracking and tracking.strip() == tracking) else "T0"
    args = [*_datasets(pushdown_db, world), "--as-of", AS_OF, "--rules", pack(tmp_path)]
    code, report, stderr = _same_report(order_guard_cli, monkeypatch, args)
    fired = set(report["summary"]["by_rule"])
    assert len(fired) >= len(RULES) - 2, fired  # the data exercises (nearly) every rule
    pushed = {line.split(":")[0].strip() for line in stderr.splitlines() if ": pushed down:" in line}
    explained = {line.split(":")[0].strip(): line[:300] for line in stderr.splitlines() if line.startswith("  OP-")}
    not_pushed = [line for rule, line in explained.items() if rule not in pushed]
    if plain:
        assert not not_pushed
    else:  # a tab or a no-break space as a tracking number: SQL cannot vouch for the look-up, Python does it
        assert len(not_pushed) == 1 and "OP-016" in not_pushed[0] and "vouch" in not_pushed[0]


def test_the_core_does_not_import_sqlalchemy_until_a_rule_is_pushed_down():
    code = ("import sys, order_guard.engine, order_guard.sql, order_guard.builtin.operators, order_guard.cli; "
            "sys.exit(1 if 'sqlalchemy' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
