"""Ways a run could pass without having checked everything, each shown to end in 2 or 3."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys

import pytest
from tests.conftest import AS_OF, EXAMPLES, write_tsv

from order_guard.guard import Guard

ALL_ORDERS = ["amazon-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel",
              "sku", "quantity", "product-name"]
SHIP = ["order-id", "order-item-id", "quantity", "ship-date", "carrier-code", "tracking-number"]


def _json(run_cli, *args):
    result = run_cli("check", *args, "--as-of", AS_OF, "--format", "json", "-q")
    return result, result.json() if result.stdout.startswith("{") else None


def test_no_rules_at_all_is_an_error_not_a_pass(run_cli, tmp_path):
    empty = tmp_path / "rules"
    empty.mkdir()
    for args in (("--rules", empty), ("-p", "no:amazon_pack")):
        result = run_cli("check", EXAMPLES, *args)
        assert result.exit_code == 2 and "no rules to run" in result.stderr
    assert run_cli("rules", "validate", empty).exit_code == 2
    empty_pack = tmp_path / "empty.yaml"
    empty_pack.write_text("pack: {name: empty, version: '1'}\nrules: []\n")
    assert run_cli("check", EXAMPLES, "--rules", empty_pack).exit_code == 2


def test_rule_files_with_upper_case_suffixes_are_loaded(run_cli, tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(EXAMPLES.parents[1] / "rules" / "amazon" / "pending.yaml", folder / "PENDING.YAML")
    assert run_cli("check", EXAMPLES, "--rules", folder, "--as-of", AS_OF, "-q").exit_code == 1


def test_a_rule_filter_with_a_typo_is_refused():
    with pytest.raises(ValueError, match="unknown rule"):
        Guard().check([{"order_id": "1", "status": "Pending"}], rules=["AMZ-PEND-01"])


def test_every_file_of_a_directory_is_input(run_cli, tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    write_tsv(gate / "all-orders.txt", ALL_ORDERS, [["405-1-1", "2026-11-25", "2026-11-25", "Pending", "MFN",
                                                     "MUG", 1, "Mug"]])
    write_tsv(gate / "ship-confirm.tab", SHIP, [["405-1-1", "1", 1, "2026-11-26", "BRT", "X1"]])
    (gate / "README.md").write_text("# what these files are\n")
    result, report = _json(run_cli, gate)
    assert ("AMZ-PEND-001", "405-1-1") in {(f["rule_id"], f["order_id"]) for f in report["findings"]}
    assert "README.md: skipped (documentation, not data)" in result.stderr
    (gate / "orders.xlsx").write_bytes(b"PK\x03\x04 not a flat file")
    result, report = _json(run_cli, gate)
    assert result.exit_code == 3
    assert any(entry["path"].endswith("orders.xlsx") and entry["kind"] == "unknown" for entry in report["inputs"])


def test_rules_name_the_datasets_they_read_and_the_report_says_which_are_missing(run_cli):
    _, report = _json(run_cli, EXAMPLES / "all-orders.txt")
    rules = {rule["id"]: rule for rule in report["rules"]}
    assert rules["AMZ-PEND-004"]["datasets"] == ["orders", "shipments", "unshipped-report"]
    assert rules["AMZ-PEND-004"]["missing_datasets"] == ["shipments", "unshipped-report"]
    assert rules["AMZ-PEND-006"]["datasets"] == ["inventory", "orders"]


def test_an_unrecognised_header_does_not_echo_buyer_data(run_cli, tmp_path):
    path = tmp_path / "headerless.csv"
    path.write_text("405-1-1;Mario Rossi;Via Roma 1;mario.rossi@example.com;+39 333 1234567;Pending\n")
    result = run_cli("check", path, "--as-of", AS_OF)
    assert result.exit_code == 3
    for secret in ("Mario", "Roma", "mario.rossi", "1234567"):
        assert secret not in result.stdout + result.stderr
    assert "is the header row missing?" in result.stdout


def test_a_cp1252_byte_far_into_a_file_is_found(run_cli, tmp_path):
    rows = [[f"405-{n:07d}-1", "2026-11-25", "2026-11-25", "Shipped", "MFN", "MUG", 1, "Mug " + "x" * 60]
            for n in range(1500)]
    rows[1400][7] = "Tè verde"
    path = write_tsv(tmp_path / "orders.txt", ALL_ORDERS, rows, encoding="cp1252")
    assert path.stat().st_size > 70_000
    result, report = _json(run_cli, path)
    assert report["inputs"][0]["encoding"] == "cp1252"
    assert report["summary"]["records_read"] == 1500 and report["summary"]["records_unreadable"] == 0


def test_a_wrong_encoding_is_reported_on_its_line(run_cli, tmp_path):
    rows = [[f"405-{n:07d}-1", "2026-11-25", "2026-11-25", "Shipped", "MFN", "MUG", 1, "Mug"] for n in range(50)]
    rows[40][7] = "Tè verde"
    path = write_tsv(tmp_path / "orders.txt", ALL_ORDERS, rows, encoding="cp1252")
    result, report = _json(run_cli, path, "--encoding", "utf-8")
    assert result.exit_code == 3
    assert report["errors"][0]["line"] == 42 and "not valid utf-8" in report["errors"][0]["message"]


def test_a_truncated_gzip_file_is_unreadable_not_a_crash(run_cli, tmp_path):
    orders = [{"AmazonOrderId": f"1-1-{n}", "OrderStatus": "Shipped", "PurchaseDate": "2026-11-01T00:00:00Z",
               "BuyerInfo": {"BuyerEmail": f"a{n}-" + "x" * 40}} for n in range(2000)]
    packed = gzip.compress("\n".join(json.dumps(order) for order in orders).encode())
    path = tmp_path / "orders.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 4 // 5])
    result, report = _json(run_cli, path)
    assert result.exit_code == 3 and "internal error" not in result.stderr
    assert "truncated or damaged" in report["errors"][0]["message"]


@pytest.mark.parametrize(("document", "pointer"), [
    ({"orders": [{"orderId": "1-1-1", "createdTime": "2026-11-01T00:00:00Z",
                  "fulfillment": {"fulfillmentStatus": "SHIPPED"}, "packages": {"trackingNumber": "1Z"}}]},
     "/orders/0"),
    ([{"orderId": "1-1-1", "marketplaceId": "X", "packageDetail": {"shipDate": "2026-11-26T00:00:00Z"}},
      {"orderId": "1-1-2", "marketplaceId": "X"}], "/1"),
    ({"payload": {"Orders": [{"AmazonOrderId": "1-1-1", "OrderStatus": "Shipped"}, {"OrderStatus": "Pending"},
                             {"AmazonOrderId": "1-1-3", "OrderStatus": "Shipped"}]}}, "/payload/Orders/1"),
])
def test_an_odd_record_in_a_json_document_is_one_unreadable_record(run_cli, tmp_path, document, pointer):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    result, report = _json(run_cli, path)
    assert result.exit_code == 3 and "internal error" not in result.stderr
    assert [error.get("pointer") for error in report["errors"]] == [pointer]
    summary = report["summary"]
    assert summary["records_unreadable"] == 1
    assert summary["records_read"] == summary["records_checked"] + 1
    table = run_cli("check", path, "--as-of", AS_OF, "-q")
    assert f"{path}#{pointer}:" in table.stdout


def test_an_error_body_with_plain_strings_is_reported(run_cli, tmp_path):
    path = tmp_path / "err.json"
    path.write_text('{"errors": ["InvalidInput"]}')
    result, report = _json(run_cli, path)
    assert result.exit_code == 3 and "InvalidInput" in report["errors"][0]["message"]


def _change(order_id, status, when):
    return {"NotificationType": "ORDER_CHANGE", "Payload": {"OrderChangeNotification": {
        "AmazonOrderId": order_id, "OrderChangeTrigger": {"TimeOfOrderChange": when},
        "Summary": {"OrderStatus": status, "FulfillmentType": "MFN", "PurchaseDate": "2026-11-25T09:00:00Z"}}}}


def test_the_newest_snapshot_of_an_order_decides(run_cli, tmp_path):
    changes = tmp_path / "changes.jsonl"
    changes.write_text("\n".join(json.dumps(change) for change in (
        _change("405-1-1", "Pending", "2026-11-25T09:15:00Z"), _change("405-1-1", "Unshipped", "2026-11-25T09:46:00Z"),
        _change("405-1-2", "Unshipped", "2026-11-25T09:15:00Z"), _change("405-1-2", "Canceled", "2026-11-25T10:00:00Z"),
    )) + "\n")
    ship = write_tsv(tmp_path / "ship.txt", SHIP, [["405-1-1", "1", 1, "2026-11-26", "BRT", "A"],
                                                 ["405-1-2", "1", 1, "2026-11-26", "BRT", "B"]])
    _, report = _json(run_cli, changes, ship)
    assert {(f["rule_id"], f["order_id"]) for f in report["findings"]} == {("AMZ-PEND-004", "405-1-2")}
    assert report["summary"]["records_checked"] == 6


def test_overlapping_reports_do_not_double_count_pending_units(run_cli, tmp_path):
    rows = [["405-1-1", "2026-11-25", "2026-11-25", "Pending", "Merchant", "TEA", 5, "Tea"]]
    write_tsv(tmp_path / "by-order-date.txt", ALL_ORDERS, rows)
    write_tsv(tmp_path / "by-last-update.txt", ALL_ORDERS, rows)
    (tmp_path / "stock.csv").write_text("sku,quantity,on_hand\nTEA,14,20\n")
    _, report = _json(run_cli, tmp_path)
    assert report["findings"] == []  # 20 on hand - 5 held = 15 >= 14 offered (not 20 - 10)


def test_pending_orders_without_items_make_the_stock_check_incomplete(run_cli, tmp_path):
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([{"AmazonOrderId": "1-1-1", "OrderStatus": "Pending", "FulfillmentChannel": "MFN"}]))
    (tmp_path / "stock.csv").write_text("sku,quantity,on_hand\nTEA,14,20\n")
    result, report = _json(run_cli, orders, tmp_path / "stock.csv")
    assert result.exit_code == 3
    assert "order 1-1-1 has no items, so its units are missing from pending_units" in report["errors"][0]["message"]
    assert _json(run_cli, orders)[0].exit_code == 0  # without a stock file nothing needs the items


def test_a_sellers_own_x_columns_reach_rules(run_cli, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,status,x_warehouse\n1-1-1,Unshipped,B\n1-1-2,Unshipped,A\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text(X_RULE)
    _, report = _json(run_cli, orders, "--rules", rules)
    assert [f["order_id"] for f in report["findings"]] == ["1-1-1"]


X_RULE = """\
pack: {name: shop, version: "1"}
rules:
  - id: SHOP-001
    name: warehouse-b-closed
    severity: high
    summary: Warehouse B is closed.
    fail_if: {field: x_warehouse, eq: B}
    message: "Order {order_id} is assigned to warehouse B"
    rationale: Warehouse B is closed for stocktaking.
    remediation: Reassign the order.
    references: [internal memo]
    examples:
      bad: [{order: {order_id: "1", x_warehouse: B}}]
      good: [{order: {order_id: "2", x_warehouse: A}}]
"""


def test_a_plugin_name_taken_twice_is_an_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(tmp_path)
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "operators.py").write_text("")
    result = run_cli("check", EXAMPLES, "-p", "mypkg.operators")
    assert result.exit_code == 2 and "already taken" in result.stderr


def test_report_only_says_so(run_cli):
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--fail-on", "none", "-q")
    assert result.exit_code == 0
    assert "REPORT ONLY" in result.stdout and "PASS" not in result.stdout


def test_a_page_that_says_more_pages_exist_is_a_warning(run_cli, tmp_path):
    page = tmp_path / "page1.json"
    page.write_text(json.dumps({"payload": {"Orders": [{"AmazonOrderId": "1-1-1", "OrderStatus": "Shipped"}],
                                            "NextToken": "abc"}}))
    _, report = _json(run_cli, page)
    assert "more pages exist" in report["warnings"][0]["message"]


def test_a_closed_pipe_is_not_a_crash():
    env = {**os.environ, "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    with subprocess.Popen([sys.executable, "-m", "order_guard", "rules", "docs"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env) as process:
        process.stdout.read(10)
        process.stdout.close()  # the reader goes away, like `| head -c 10`
        stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr


def test_an_impossible_date_is_not_called_ambiguous(run_cli, tmp_path):
    path = write_tsv(tmp_path / "o.txt", ALL_ORDERS, [["405-1-1", "20/13/2026", "", "Pending", "MFN", "M", 1, "M"]])
    _, report = _json(run_cli, path)
    assert "not a date: '20/13/2026'" in report["errors"][0]["message"]
