"""The same orders give the same findings wherever they live: files, SQLite, PostgreSQL, MariaDB.

End to end through the CLI: Amazon's own reports loaded as tables with their
header names (all text, as an import makes them), and an SP-API JSON dump
against canonical, typed tables with one row per item.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from sql_db import load_kind, load_orders, run_check

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "amazon-it"
AS_OF = "2026-11-26T12:00:00Z"
FILES = {"orders": "all-orders.txt", "shipments": "ship-confirm.txt", "unshipped-report": "unshipped-orders.txt",
         "inventory": "stock.csv"}


def comparable(report: dict) -> list:
    """Findings without where they were read (a file's line, a table's row) and with look-ups' places dropped."""
    out = []
    for finding in report["findings"]:
        evidence = {name: ([{k: v for k, v in match.items() if k not in ("path", "line")} for match in value]
                           if isinstance(value, list) else value) for name, value in finding["evidence"].items()}
        out.append((finding["rule_id"], finding.get("order_id") or finding.get("sku"), finding["severity"],
                    finding["message"], json.dumps(evidence, sort_keys=True)))
    return sorted(out)


def load_report(db, kind: str, path: Path) -> str:
    """A report file as a table: its header names with underscores, every column text."""
    delimiter = "," if path.suffix == ".csv" else "\t"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if delimiter == "," else
                               csv.QUOTE_NONE))
    names = [name.replace("-", "_") for name in rows[0]]
    return db.load(kind.replace("-", "_"), {name: sa.Text() for name in names},
                   [dict(zip(names, row, strict=True)) for row in rows[1:]])


@pytest.mark.parametrize("kinds", [("orders", "shipments", "unshipped-report"),
                                   ("orders", "shipments", "unshipped-report", "inventory")],
                         ids=["orders-shipments-report", "with-stock-file"])
def test_amazon_reports_as_tables_give_the_findings_of_the_files(any_db, order_guard_cli, monkeypatch, kinds):
    from_files = []
    from_tables = []
    for kind in kinds:
        from_files += ["--dataset", f"{kind}={EXAMPLES / FILES[kind]}"]
        from_tables += ["--dataset", f"{kind}={any_db.url(load_report(any_db, kind, EXAMPLES / FILES[kind]))}"]
    code_files, files, _ = run_check(order_guard_cli, monkeypatch, *from_files, "--as-of", AS_OF)
    code_tables, tables, stderr = run_check(order_guard_cli, monkeypatch, *from_tables, "--as-of", AS_OF)
    assert files["findings"], "the example data makes rules fire"
    assert comparable(tables) == comparable(files), stderr[-2000:]
    assert tables["summary"]["by_rule"] == files["summary"]["by_rule"]
    assert (code_tables, tables["summary"]["complete"]) == (code_files, True)
    assert "all-orders-report" in stderr  # the table was read with the All Orders report's format


ORDERS = [
    {"order_id": "405-0000001-0000001", "status": "Pending", "fulfillment_channel": "MFN",
     "purchase_date": "2026-10-20T10:00:00Z", "ship_address_1": "Via Roma 1", "order_total": "49.90",
     "currency": "EUR", "items": [{"sku": "MUG-RED", "quantity": 2, "order_item_id": "1"}]},
    {"order_id": "405-0000002-0000002", "status": "PENDING", "fulfillment_channel": "AFN",
     "purchase_date": "2026-11-20T10:00:00Z", "items_shipped": 1, "order_total": "10.00", "currency": "EUR",
     "items": [{"sku": "MUG-BLUE", "quantity": 1, "order_item_id": "2"}]},
    {"order_id": "405-0000003-0000003", "status": "Unshipped", "fulfillment_channel": "MFN",
     "purchase_date": "2026-10-27T10:00:00Z", "order_total": "12.90", "currency": "EUR",
     "items": [{"sku": "MUG-RED", "quantity": 1, "order_item_id": "3"}, {"sku": "CUP", "quantity": 3,
                                                                       "order_item_id": "4"}]},
    {"order_id": "405-0000004-0000004", "status": "OnHold", "fulfillment_channel": "MFN",
     "purchase_date": "2026-11-25T10:00:00Z", "items": [{"sku": "CUP", "quantity": 1, "order_item_id": "5"}]},
    {"order_id": "405-0000005-0000005", "status": "Canceled", "fulfillment_channel": "MFN",
     "purchase_date": "2026-11-01T10:00:00Z", "order_total": "5.00", "currency": "EUR",
     "items": [{"sku": "PEN", "quantity": 1, "order_item_id": "6"}]},
    {"order_id": "405-0000006-0000006", "status": "PendingAvailability", "fulfillment_channel": "MFN",
     "purchase_date": "2026-08-01T10:00:00Z", "buyer_email": "x@marketplace.amazon.it",
     "items": [{"sku": "MUG-RED", "quantity": 1, "order_item_id": "7"}]},
]
SHIPMENTS = [{"order_id": "405-0000002-0000002", "ship_date": "2026-11-25"},
             {"order_id": "405-0000005-0000005", "ship_date": "2026-11-25"},
             {"order_id": "405-0000009-0000009", "ship_date": "2026-11-25"}]
UNSHIPPED = [{"order_id": "405-0000001-0000001", "order_item_id": "1", "quantity_to_ship": 1}]
STOCK = [{"sku": "MUG-RED", "quantity": 5, "on_hand": 5}, {"sku": "CUP", "quantity": 2, "on_hand": 9}]


def sp_api_json(orders: list[dict]) -> dict:
    def order(o: dict) -> dict:
        out = {"AmazonOrderId": o["order_id"], "OrderStatus": o["status"], "FulfillmentChannel":
               o["fulfillment_channel"], "PurchaseDate": o["purchase_date"],
               "OrderItems": [{"SellerSKU": i["sku"], "QuantityOrdered": i["quantity"], "OrderItemId":
                               i["order_item_id"]} for i in o["items"]]}
        if o.get("order_total"):
            out["OrderTotal"] = {"Amount": o["order_total"], "CurrencyCode": o["currency"]}
        if o.get("items_shipped") is not None:
            out["NumberOfItemsShipped"] = o["items_shipped"]
        if o.get("ship_address_1"):
            out["ShippingAddress"] = {"AddressLine1": o["ship_address_1"]}
        if o.get("buyer_email"):
            out["BuyerInfo"] = {"BuyerEmail": o["buyer_email"]}
        return out

    return {"payload": {"Orders": [order(o) for o in orders]}}


def write_tsv(path: Path, header: list[str], records: list[dict]) -> Path:
    lines = ["\t".join(header)] + ["\t".join(str(r.get(h.replace("-", "_"), "") or "") for h in header)
                                   for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("with_stock", [False, True], ids=["orders-shipments-report", "with-stock-file"])
def test_the_same_orders_from_a_json_file_and_from_each_database_give_the_same_findings(
        any_db, order_guard_cli, monkeypatch, tmp_path, with_stock):
    orders_json = tmp_path / "orders.json"
    orders_json.write_text(json.dumps(sp_api_json(ORDERS)), encoding="utf-8")
    from_files = ["--dataset", f"orders={orders_json}",
                  "--dataset", f"shipments={write_tsv(tmp_path / 'ship.txt', ['order-id', 'ship-date'], SHIPMENTS)}",
                  "--dataset", "unshipped-report=" + str(write_tsv(tmp_path / "unshipped.txt",
                                                                   ["order-id", "order-item-id", "quantity-to-ship"],
                                                                   UNSHIPPED))]
    from_db = ["--dataset", f"orders={any_db.url(load_orders(any_db, ORDERS))}",
               "--dataset", f"shipments={any_db.url(load_kind(any_db, 'shipments', SHIPMENTS))}",
               "--dataset", f"unshipped-report={any_db.url(load_kind(any_db, 'unshipped-report', UNSHIPPED))}"]
    if with_stock:
        stock = tmp_path / "stock.csv"
        stock.write_text("sku,quantity,on_hand\n" + "".join(f"{s['sku']},{s['quantity']},{s['on_hand']}\n"
                                                            for s in STOCK), encoding="utf-8")
        from_files += ["--dataset", f"inventory={stock}"]
        from_db += ["--dataset", f"inventory={any_db.url(load_kind(any_db, 'inventory', STOCK))}"]
    code_file, file_report, _ = run_check(order_guard_cli, monkeypatch, *from_files, "--as-of", AS_OF)
    code_db, db_report, stderr = run_check(order_guard_cli, monkeypatch, *from_db, "--as-of", AS_OF, "--explain")
    assert comparable(db_report) == comparable(file_report), stderr[-2000:]
    assert {f["rule_id"] for f in db_report["findings"]} >= {"AMZ-PEND-001", "AMZ-PEND-002", "AMZ-PEND-003",
                                                             "AMZ-PEND-004", "AMZ-PEND-005", "AMZ-PEND-007",
                                                             "AMZ-PEND-008", "AMZ-PEND-009"}
    assert code_db == code_file == 1
    assert "pushed down:" in stderr  # the database did the work
    if with_stock:
        assert "AMZ-PEND-006" in db_report["summary"]["by_rule"]
