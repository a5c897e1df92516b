"""A seller's own table: columns and status codes mapped in the configuration file; named queries."""

from __future__ import annotations

import sqlalchemy as sa

from sql_db import run_check

AS_OF = "2026-11-26T12:00:00Z"
CONFIG = """\
sql:
  queries:
    pending_eu: "SELECT * FROM {table} WHERE market = 'EU'"
  mappings:
    {table}:
      kind: orders
      columns: {{order_id: ref, status: state, fulfillment_channel: how, purchase_date: created,
                items.sku: article, items.quantity: qty}}
      values:
        status: {{"10": Pending, "20": Unshipped, "90": Canceled}}
        fulfillment_channel: {{W: MFN, F: AFN}}
    pending_eu:
      kind: orders
      columns: {{order_id: ref, status: state, fulfillment_channel: how, purchase_date: created}}
      values:
        status: {{"10": Pending, "20": Unshipped, "90": Canceled}}
"""
ROWS = [
    {"ref": "A-1", "state": 10, "how": "W", "created": "2026-10-01 10:00:00", "article": "MUG", "qty": 2, "market": "EU"},
    {"ref": "A-2", "state": 20, "how": "W", "created": "2026-10-20 10:00:00", "article": "CUP", "qty": 1, "market": "US"},
    {"ref": "A-3", "state": 10, "how": "F", "created": "2026-11-25 10:00:00", "article": "MUG", "qty": 1, "market": "EU"},
    {"ref": "A-4", "state": 55, "how": "W", "created": "2026-11-25 10:00:00", "article": "PEN", "qty": 1, "market": "EU"},
]


def _setup(db, tmp_path):
    table = db.load("shop_orders", {"ref": sa.String(40), "state": sa.Integer(), "how": sa.String(4),
                                    "created": sa.String(40) if db.name == "sqlite" else sa.DateTime(),
                                    "article": sa.String(40), "qty": sa.Integer(), "market": sa.String(4)},
                    [{**row, "created": row["created"] if db.name == "sqlite" else
                      __import__("datetime").datetime.fromisoformat(row["created"])} for row in ROWS])
    quoted = db.engine.dialect.identifier_preparer.quote(table)
    config = tmp_path / "order-guard.yaml"
    config.write_text(CONFIG.format(table=table).replace(f"FROM {table}", f"FROM {quoted}"), encoding="utf-8")
    return table, config


def test_a_mapped_table_with_the_sellers_status_codes(pushdown_db, order_guard_cli, monkeypatch, tmp_path):
    table, config = _setup(pushdown_db, tmp_path)
    results = {}
    for pushdown in (True, False):
        code, report, stderr = run_check(order_guard_cli, monkeypatch, "--config", config, "--dataset",
                                         f"orders={pushdown_db.url(table)}", "--as-of", AS_OF, "--explain",
                                         pushdown=pushdown)
        results[pushdown] = report
    found = {(f["rule_id"], f["order_id"]) for f in results[True]["findings"]}
    # code 10 is Pending (too long), code 55 is nobody's status: blocked as unknown, showing the seller's code
    assert found == {("AMZ-PEND-008", "A-1"), ("AMZ-PEND-007", "A-4"), ("AMZ-PEND-009", "A-2")}
    assert any("status 55" in f["message"] for f in results[True]["findings"])
    assert results[True]["findings"] == results[False]["findings"]
    assert "pushed down" in stderr or pushdown is False


def test_a_named_query_from_the_configuration_file(pushdown_db, order_guard_cli, monkeypatch, tmp_path):
    table, config = _setup(pushdown_db, tmp_path)
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--config", config, "--dataset",
                                     f"orders={pushdown_db.base_url}?query=pending_eu", "--as-of", AS_OF)
    assert report["summary"]["records_read"] == 3  # the US order is not in the query
    assert {f["order_id"] for f in report["findings"]} == {"A-1", "A-4"}


def test_an_unknown_query_name_is_a_usage_error(sqlite_db, order_guard_cli, monkeypatch):
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset",
                                     f"orders={sqlite_db.base_url}?query=nope")
    assert code == 2 and "no query 'nope'" in stderr


def test_a_mapping_naming_an_unknown_field_is_refused_with_its_line(order_guard_cli, tmp_path):
    config = tmp_path / "order-guard.yaml"
    config.write_text("sql:\n  mappings:\n    shop:\n      kind: orders\n      columns:\n        order_id: ref\n"
                      "        statuz: state\n", encoding="utf-8")
    result = order_guard_cli("check", "--config", config, "--dataset", "orders=sqlite:///x.db?table=shop")
    assert result.exit_code == 2
    assert f"{config}:7:" in result.stderr and "statuz" in result.stderr


def test_an_unknown_key_in_the_sql_section_is_refused(order_guard_cli, tmp_path):
    config = tmp_path / "order-guard.yaml"
    config.write_text("sql:\n  querys: {}\n", encoding="utf-8")
    result = order_guard_cli("check", "--config", config, "--dataset", "orders=sqlite:///x.db?table=shop")
    assert result.exit_code == 2 and "querys" in result.stderr


def test_a_table_no_format_fits_is_named_and_exits_3(sqlite_db, order_guard_cli, monkeypatch):
    table = sqlite_db.load("strange", {"a": sa.Text(), "b": sa.Text()}, [{"a": "1", "b": "2"}])
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset", f"orders={sqlite_db.url(table)}")
    assert code == 3 and "no known flat-file format" in report["errors"][0]["message"]


def test_explain_says_why_a_rule_is_not_pushed_down(sqlite_db, order_guard_cli, monkeypatch, tmp_path):
    from sql_db import load_orders

    rules = tmp_path / "rules.yaml"
    rules.write_text("""\
pack: {name: shop, version: "1"}
rules:
  - id: SHOP-001
    name: odd-order-id
    severity: high
    summary: An order id that is not Amazon's.
    fail_if: {not: {field: order_id, matches: "^[0-9]{3}-"}}
    message: "Order {order_id} has an odd id"
    rationale: r
    remediation: r
    references: [r]
    examples: {bad: [{order: {order_id: A-1, status: Pending}}], good: [{order: {order_id: 123-1, status: Pending}}]}
  - id: SHOP-002
    name: pending
    severity: high
    summary: Pending.
    when: {field: status, eq: PENDING}
    fail_if: {field: order_id, starts_with: "A"}
    message: "Order {order_id} is pending"
    rationale: r
    remediation: r
    references: [r]
    examples: {bad: [{order: {order_id: A-1, status: Pending}}], good: [{order: {order_id: B-1, status: Pending}}]}
""", encoding="utf-8")
    table = load_orders(sqlite_db, [{"order_id": "A-1", "status": "Pending"}, {"order_id": "123-1", "status": "Pending"}])
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--rules", rules, "--dataset",
                                     f"orders={sqlite_db.url(table)}", "--as-of", AS_OF, "--explain")
    assert report is not None, stderr
    assert {(f["rule_id"], f["order_id"]) for f in report["findings"]} == {("SHOP-001", "A-1"), ("SHOP-002", "A-1")}
    assert "SHOP-001: not pushed" in stderr and "regular expressions" in stderr
    assert "SHOP-002: pushed down" in stderr and "'Pending'" in stderr


def test_a_look_up_into_a_file_is_not_pushed_down_and_says_so(sqlite_db, order_guard_cli, monkeypatch, tmp_path):
    from sql_db import load_orders

    table = load_orders(sqlite_db, [{"order_id": "1-1", "status": "Pending"}, {"order_id": "1-2", "status": "Unshipped"}])
    shipments = tmp_path / "ship.txt"
    shipments.write_text("order-id\tship-date\n1-1\t2026-11-25\n", encoding="utf-8")
    args = ["--dataset", f"orders={sqlite_db.url(table)}", "--dataset", f"shipments={shipments}", "--as-of", AS_OF]
    code, pushed, stderr = run_check(order_guard_cli, monkeypatch, *args, "--explain")
    streamed = run_check(order_guard_cli, monkeypatch, *args, pushdown=False)[1]
    assert pushed["findings"] == streamed["findings"]
    assert {f["rule_id"] for f in pushed["findings"]} >= {"AMZ-PEND-001", "AMZ-PEND-004"}
    assert "AMZ-PEND-001: not pushed" in stderr and "shipments is not in the same database" in stderr
    assert "AMZ-PEND-002: pushed down" in stderr
