"""Input formats, end to end through ``order-guard check``.

Every file here is written by the tests themselves (small, made-up Amazon-shaped data): flat-file
reports and upload files, SP-API v0 and v2026 JSON, JSON Lines, ORDER_CHANGE notifications and
confirmShipment bodies. The tests prove what a user relies on: each format is recognised and
announced, the same orders give the same findings whatever the format, statuses and channels are
canonical, headers are matched by name, encodings and gzip are read transparently, multi-row
orders are one order, datasets of one kind combine, bad input stops the gate (exit 3) with an
error naming file and line, and buyer data stays out of the output unless asked for.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import AS_OF, write_tsv

# --- Headers (DOMAIN.md 3.3) ------------------------------------------------------------------

ALL_ORDERS_HEADER = [
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku",
    "asin", "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price",
    "shipping-tax", "gift-wrap-price", "gift-wrap-tax", "item-promotion-discount",
    "ship-promotion-discount", "ship-city", "ship-state", "ship-postal-code", "ship-country",
    "promotion-ids", "is-business-order", "purchase-order-number", "price-designation",
]
ORDER_REPORT_HEADER = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
    "buyer-phone-number", "sku", "product-name", "quantity-purchased", "currency", "item-price",
    "item-tax", "shipping-price", "shipping-tax", "ship-service-level", "recipient-name",
    "ship-address-1", "ship-address-2", "ship-address-3", "ship-city", "ship-state", "ship-postal-code",
    "ship-country", "ship-phone-number", "delivery-start-date", "delivery-end-date",
    "delivery-time-zone", "delivery-Instructions",
]
UNSHIPPED_HEADER = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "reporting-date", "promise-date",
    "days-past-promise", "buyer-email", "buyer-phone-number", "sku", "product-name",
    "quantity-purchased", "quantity-shipped", "quantity-to-ship", "ship-service-level",
    "recipient-name", "ship-address-1", "ship-address-2", "ship-address-3", "ship-city", "ship-state",
    "ship-postal-code", "ship-country", "is-business-order", "purchase-order-number",
    "price-designation", "is-prime",
]
SHIP_CONFIRM_HEADER = ["order-id", "order-item-id", "quantity", "ship-date", "carrier-code", "carrier-name",
                       "tracking-number", "ship-method"]
LISTINGS_HEADER = [
    "item-name", "item-description", "listing-id", "seller-sku", "price", "quantity", "open-date",
    "image-url", "item-is-marketplace", "product-id-type", "zshop-shipping-fee", "item-note",
    "item-condition", "zshop-category1", "zshop-browse-path", "zshop-storefront-feature", "asin1",
    "asin2", "asin3", "will-ship-internationally", "expedited-shipping", "zshop-boldface", "product-id",
    "bid-for-featured-placement", "add-delete", "pending-quantity", "fulfillment-channel",
    "merchant-shipping-group", "status",
]
STOCK_HEADER = ["sku", "quantity", "on-hand"]
CANONICAL_HEADER = ["order_id", "status", "fulfillment_channel", "purchase_date", "sku", "quantity"]

TITLES = {"MUG-RED": "Tazza in ceramica rossa 350 ml", "TEA-GREEN": "Tè verde sencha 100 g",
          "MUG-BLUE": "Tazza in ceramica blu 350 ml"}
ASINS = {"MUG-RED": "B0TESTMUG1", "TEA-GREEN": "B0TESTTEA1", "MUG-BLUE": "B0TESTMUG2"}
MARKETPLACE_IDS = {"Amazon.it": "APJ6JRA9NG5V4", "Amazon.de": "A1PA6795UKMFR9", "Amazon.co.jp": "A1VC38T7YXB528"}


# --- Orders and shipments, written in any format ---------------------------------------------

@dataclass(frozen=True)
class Order:
    """One order; ``status`` and ``channel`` are written verbatim (see :func:`spelled`)."""

    order_id: str
    status: str
    channel: str = "MFN"
    purchased: str = "2026-11-25T10:00:00+00:00"
    items: tuple[tuple[str, int], ...] = (("MUG-RED", 1),)
    marketplace: str = "Amazon.it"
    price: str = ""  # item price per row in flat files (blank while Pending, as Amazon does)


@dataclass(frozen=True)
class Shipment:
    order_id: str
    tracking: str = "BRT0000000001"


#: How each family of formats spells the canonical statuses and channels (DOMAIN.md 1.2, 2.8, 3.4).
SPELLINGS = {
    "v0": ({}, {}),
    "v2026": ({"Pending": "PENDING", "Unshipped": "UNSHIPPED", "Canceled": "CANCELLED", "Shipped": "SHIPPED"},
              {"MFN": "MERCHANT", "AFN": "AMAZON"}),
    "flat": ({"Canceled": "Cancelled"}, {"MFN": "Merchant", "AFN": "Amazon"}),
}


def spelled(orders: list[Order], family: str) -> list[Order]:
    statuses, channels = SPELLINGS[family]
    return [dataclasses.replace(o, status=statuses.get(o.status, o.status), channel=channels.get(o.channel, o.channel))
            for o in orders]


def _rows(header: list[str], records: list[dict]) -> list[list[object]]:
    return [[record.get(column, "") for column in header] for record in records]


def all_orders_records(orders: list[Order], **extra: str) -> list[dict]:
    return [
        {"amazon-order-id": o.order_id, "purchase-date": o.purchased, "last-updated-date": o.purchased,
         "order-status": o.status, "fulfillment-channel": o.channel, "sales-channel": o.marketplace,
         "ship-service-level": "Standard", "product-name": TITLES.get(sku, sku), "sku": sku,
         "asin": ASINS.get(sku, ""), "item-status": "Unshipped", "quantity": qty, "currency": "EUR",
         "item-price": o.price, "ship-city": "MILANO", "ship-state": "MI", "ship-postal-code": "20121",
         "ship-country": "IT", "is-business-order": "false", **extra}
        for o in orders for sku, qty in o.items
    ]


def write_all_orders(path: Path, orders: list[Order], header: list[str] = ALL_ORDERS_HEADER,
                     encoding: str = "utf-8", **extra: str) -> Path:
    return write_tsv(path, header, _rows(header, all_orders_records(orders, **extra)), encoding=encoding)


def write_canonical_csv(path: Path, orders: list[Order]) -> Path:
    records = [{"order_id": o.order_id, "status": o.status, "fulfillment_channel": o.channel,
                "purchase_date": o.purchased, "sku": sku, "quantity": qty}
               for o in orders for sku, qty in o.items]
    return write_tsv(path, CANONICAL_HEADER, _rows(CANONICAL_HEADER, records), delimiter=",", newline="\n")


def _z(timestamp: str) -> str:
    return timestamp.replace("+00:00", "Z")


def v0_order(o: Order, **extra: object) -> dict:
    return {
        "AmazonOrderId": o.order_id, "PurchaseDate": _z(o.purchased), "LastUpdateDate": _z(o.purchased),
        "OrderStatus": o.status, "FulfillmentChannel": o.channel, "SalesChannel": o.marketplace,
        "MarketplaceId": MARKETPLACE_IDS[o.marketplace], "OrderType": "StandardOrder", "PaymentMethod": "Other",
        "NumberOfItemsShipped": 0, "NumberOfItemsUnshipped": sum(qty for _, qty in o.items),
        "IsBusinessOrder": False, "IsPrime": False,
        "OrderItems": [{"ASIN": ASINS.get(sku, "B0TEST0000"), "SellerSKU": sku, "OrderItemId": f"6301{n:010d}",
                        "QuantityOrdered": qty, "QuantityShipped": 0} for n, (sku, qty) in enumerate(o.items)],
        **extra,
    }


def v2026_order(o: Order, **extra: object) -> dict:
    return {
        "orderId": o.order_id, "createdTime": _z(o.purchased), "lastUpdatedTime": _z(o.purchased),
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": MARKETPLACE_IDS[o.marketplace],
                         "marketplaceName": o.marketplace},
        "fulfillment": {"fulfillmentStatus": o.status, "fulfilledBy": o.channel, "fulfillmentServiceLevel": "STANDARD"},
        "orderItems": [{"orderItemId": f"6301{n:010d}", "quantityOrdered": qty,
                        "product": {"asin": ASINS.get(sku, "B0TEST0000"), "sellerSku": sku},
                        "fulfillment": {"quantityFulfilled": 0}} for n, (sku, qty) in enumerate(o.items)],
        **extra,
    }


def order_change(o: Order) -> dict:
    return {
        "NotificationVersion": "1.0", "NotificationType": "ORDER_CHANGE", "PayloadVersion": "1.0",
        "EventTime": _z(o.purchased),
        "Payload": {"OrderChangeNotification": {
            "NotificationLevel": "OrderLevel", "SellerId": "A2SELLERTEST01", "AmazonOrderId": o.order_id,
            "OrderChangeType": "OrderStatusChange",
            "OrderChangeTrigger": {"TimeOfOrderChange": _z(o.purchased), "ChangeReason": "Order status changed"},
            "Summary": {
                "MarketplaceId": MARKETPLACE_IDS[o.marketplace], "OrderStatus": o.status,
                "PurchaseDate": _z(o.purchased), "FulfillmentType": o.channel, "OrderType": "StandardOrder",
                "NumberOfItemsShipped": 0, "NumberOfItemsUnshipped": sum(qty for _, qty in o.items),
                "OrderItems": [{"OrderItemId": f"6301{n:010d}", "SellerSKU": sku, "OrderItemStatus": "Unshipped",
                                "Quantity": qty, "QuantityShipped": 0} for n, (sku, qty) in enumerate(o.items)],
            },
        }},
    }


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_jsonl(path: Path, documents: list[object]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    return path


def write_each(directory: Path, orders: list[Order], document) -> Path:
    """One JSON file per order (getOrder responses, notifications as they arrive)."""
    directory.mkdir()
    for o in orders:
        write_json(directory / f"{o.order_id}.json", document(o))
    return directory


@dataclass(frozen=True)
class OrderFormat:
    """How to write orders in one format, and what the CLI must call it."""

    family: str  # spelling of statuses and channels (SPELLINGS)
    write: object  # (directory, orders) -> the path to give the CLI
    announced: str  # format name printed on stderr and in the report's inputs


def _v0_page(d: Path, orders: list[Order]) -> Path:
    page = {"payload": {"Orders": [v0_order(o) for o in orders], "CreatedBefore": "2026-11-26T11:58:00Z"}}
    return write_json(d / "orders.json", page)


def _v2026_page(d: Path, orders: list[Order]) -> Path:
    page = {"orders": [v2026_order(o) for o in orders], "pagination": {}, "createdBefore": "2026-11-26T11:58:00Z"}
    return write_json(d / "orders.json", page)


ORDER_FORMATS = {
    "all-orders-tsv": OrderFormat("flat", lambda d, orders: write_all_orders(d / "all-orders.txt", orders),
                                  "all-orders-report"),
    "canonical-csv": OrderFormat("v0", lambda d, orders: write_canonical_csv(d / "orders.csv", orders),
                                 "canonical-orders"),
    "v0-getOrders-page": OrderFormat("v0", _v0_page, "sp-api-v0"),
    "v0-getOrder-responses": OrderFormat(
        "v0", lambda d, orders: write_each(d / "getOrder", orders, lambda o: {"payload": v0_order(o)}), "sp-api-v0"),
    "v0-bare-list": OrderFormat(
        "v0", lambda d, orders: write_json(d / "orders.json", [v0_order(o) for o in orders]), "sp-api-v0"),
    "v0-json-lines": OrderFormat(
        "v0", lambda d, orders: write_jsonl(d / "orders.jsonl", [v0_order(o) for o in orders]), "sp-api-v0"),
    "v2026-searchOrders-page": OrderFormat("v2026", _v2026_page, "sp-api-v2026"),
    "v2026-getOrder-responses": OrderFormat(
        "v2026", lambda d, orders: write_each(d / "getOrder", orders, lambda o: {"order": v2026_order(o)}),
        "sp-api-v2026"),
    "v2026-bare-list": OrderFormat(
        "v2026", lambda d, orders: write_json(d / "orders.json", [v2026_order(o) for o in orders]), "sp-api-v2026"),
    "v2026-json-lines": OrderFormat(
        "v2026", lambda d, orders: write_jsonl(d / "orders.jsonl", [v2026_order(o) for o in orders]), "sp-api-v2026"),
    "order-change-notifications": OrderFormat(
        "v0", lambda d, orders: write_each(d / "notifications", orders, order_change), "sp-api-order-change"),
    "order-change-list": OrderFormat(
        "v0", lambda d, orders: write_json(d / "notifications.json", [order_change(o) for o in orders]),
        "sp-api-order-change"),
}


def write_orders(tmp_path: Path, name: str, orders: list[Order]) -> Path:
    fmt = ORDER_FORMATS[name]
    return fmt.write(tmp_path, spelled(orders, fmt.family))


def write_ship_confirmation(path: Path, shipments: list[Shipment], header: list[str] = SHIP_CONFIRM_HEADER,
                            preamble: str | None = None) -> Path:
    records = [{"order-id": s.order_id, "order-item-id": f"6301{n:010d}", "quantity": 1, "ship-date": "2026-11-26",
                "carrier-code": "BRT", "tracking-number": s.tracking, "ship-method": "Standard"}
               for n, s in enumerate(shipments)]
    write_tsv(path, header, _rows(header, records))
    if preamble is not None:
        path.write_bytes(preamble.encode() + b"\r\n" + path.read_bytes())
    return path


def confirm_shipment(s: Shipment) -> dict:
    return {"orderId": s.order_id, "marketplaceId": "APJ6JRA9NG5V4",
            "packageDetail": {"packageReferenceId": "1", "carrierCode": "BRT", "shippingMethod": "Standard",
                              "trackingNumber": s.tracking, "shipDate": "2026-11-26T08:00:00Z",
                              "orderItems": [{"orderItemId": "63010000000000", "quantity": 1}]}}


# --- Running the CLI and reading its report --------------------------------------------------

def check(run_cli, *args: object):
    return run_cli("check", *args, "--as-of", AS_OF, "--format", "json")


def findings(report: dict) -> set[tuple[str, str]]:
    return {(f["rule_id"], f.get("order_id") or f.get("sku")) for f in report["findings"]}


def assert_counts_add_up(report: dict) -> None:
    summary = report["summary"]
    assert summary["records_read"] == summary["records_checked"] + summary["records_unreadable"]


def announcement(result, path: Path) -> str:
    """What the CLI printed on stderr about ``path``: ``KIND (FORMAT, ...)``."""
    prefix = f"order-guard: {path}: "
    lines = [line[len(prefix):] for line in result.stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, result.stderr
    return lines[0]


def only_input(report: dict, path: Path) -> dict:
    (entry,) = [entry for entry in report["inputs"] if entry["path"] == str(path)]
    return entry


def finding(report: dict, rule_id: str, subject: str) -> dict:
    (found,) = [f for f in report["findings"]
                if f["rule_id"] == rule_id and (f.get("order_id") or f.get("sku")) == subject]
    return found


# --- The common scenario: the same orders in every format ------------------------------------

PENDING_SHIPPED = "405-1111111-0000001"
UNSHIPPED_SHIPPED = "405-1111111-0000002"
CANCELED_SHIPPED = "405-1111111-0000003"
FBA_SHIPPED = "405-1111111-0000004"
PENDING_OLD = "405-1111111-0000005"
UNSHIPPED_OLD = "405-1111111-0000006"
NOWHERE = "405-9999999-9999999"

SCENARIO = [
    Order(PENDING_SHIPPED, "Pending", items=(("MUG-RED", 2),)),
    Order(UNSHIPPED_SHIPPED, "Unshipped", items=(("MUG-RED", 1), ("TEA-GREEN", 2)), price="12.90"),
    Order(CANCELED_SHIPPED, "Canceled", price="12.90"),
    Order(FBA_SHIPPED, "Unshipped", channel="AFN", price="12.90"),
    Order(PENDING_OLD, "Pending", purchased="2026-10-20T08:00:00+00:00", items=(("TEA-GREEN", 1),)),
    Order(UNSHIPPED_OLD, "Unshipped", purchased="2026-10-27T08:00:00+00:00", price="12.90"),
]
SCENARIO_SHIPMENTS = [Shipment(PENDING_SHIPPED), Shipment(UNSHIPPED_SHIPPED), Shipment(CANCELED_SHIPPED),
                      Shipment(FBA_SHIPPED), Shipment(NOWHERE)]
SCENARIO_FINDINGS = {
    ("AMZ-PEND-001", PENDING_SHIPPED),   # a Pending order has a shipment
    ("AMZ-PEND-004", PENDING_SHIPPED),   # ... and Amazon did not list it as actionable
    ("AMZ-PEND-004", CANCELED_SHIPPED),  # a canceled order shipped
    ("AMZ-PEND-005", FBA_SHIPPED),       # the seller shipped an FBA order
    ("AMZ-PEND-008", PENDING_OLD),       # Pending for 37 days
    ("AMZ-PEND-009", UNSHIPPED_OLD),     # Unshipped for 30 days, no shipment
    ("AMZ-PEND-007", NOWHERE),           # a shipment names an order no dataset has
}


# === 1 + 2. Detection and the same findings in every format ===================================

@pytest.mark.parametrize("fmt", list(ORDER_FORMATS))
def test_every_order_format_is_detected_and_gives_the_same_findings(run_cli, tmp_path, fmt):
    orders = write_orders(tmp_path, fmt, SCENARIO)
    shipments = write_ship_confirmation(tmp_path / "ship-confirm.txt", SCENARIO_SHIPMENTS)

    result = check(run_cli, orders, shipments)
    report = result.json()

    assert findings(report) == SCENARIO_FINDINGS
    assert result.exit_code == 1
    order_inputs = [entry for entry in report["inputs"] if entry["kind"] == "orders"]
    announced = ORDER_FORMATS[fmt].announced
    assert {entry["format"] for entry in order_inputs} == {announced}
    for entry in order_inputs:
        assert announcement(result, Path(entry["path"])).startswith(f"orders ({announced}, ")
    assert report["summary"]["complete"] is True
    assert report["summary"]["records_unreadable"] == 0
    assert_counts_add_up(report)


def _write_stock(path: Path, rows: list[list[object]]) -> Path:
    return write_tsv(path, STOCK_HEADER, rows, delimiter=",", newline="\n")


def _write_listings(path: Path, rows: list[dict]) -> Path:
    return write_tsv(path, LISTINGS_HEADER, _rows(LISTINGS_HEADER, rows))


LISTING_ROWS = [
    {"item-name": "Tazza in ceramica rossa 350 ml", "listing-id": "1125X0000001", "seller-sku": "MUG-RED",
     "price": "12.90", "quantity": "4", "open-date": "2026-03-02 10:15:20 GMT", "item-is-marketplace": "y",
     "product-id-type": "1", "item-condition": "11", "asin1": "B0TESTMUG1", "will-ship-internationally": "1",
     "product-id": "B0TESTMUG1", "pending-quantity": "2", "fulfillment-channel": "DEFAULT", "status": "Active"},
    {"item-name": "Tè verde sencha 100 g", "listing-id": "1125X0000002", "seller-sku": "TEA-GREEN",
     "price": "8.50", "quantity": "0", "open-date": "2026-03-02 10:15:20 GMT", "product-id-type": "1",
     "asin1": "B0TESTTEA1", "product-id": "B0TESTTEA1", "pending-quantity": "0", "fulfillment-channel": "DEFAULT",
     "status": "Inactive"},
]


def _detect_order_report(tmp_path):
    return write_tsv(tmp_path / "order-report.txt", ORDER_REPORT_HEADER, _rows(ORDER_REPORT_HEADER, [
        {"order-id": UNSHIPPED_SHIPPED, "order-item-id": "63010000000000", "purchase-date": "2026-11-25T10:00:00+00:00",
         "payments-date": "2026-11-25T10:31:00+00:00", "sku": "MUG-RED", "quantity-purchased": "1", "currency": "EUR",
         "item-price": "12.90", "ship-city": "Milano", "ship-country": "IT"}]))


def _detect_unshipped(tmp_path):
    return write_tsv(tmp_path / "unshipped.txt", UNSHIPPED_HEADER, _rows(UNSHIPPED_HEADER, [
        {"order-id": UNSHIPPED_SHIPPED, "order-item-id": "63010000000000", "purchase-date": "2026-11-25T10:00:00+00:00",
         "payments-date": "2026-11-25T10:31:00+00:00", "days-past-promise": "0", "sku": "MUG-RED",
         "quantity-purchased": "1", "quantity-shipped": "0", "quantity-to-ship": "1", "ship-country": "IT"}]))


DETECTION_CASES = {
    "all-orders-report": (lambda p: write_orders(p, "all-orders-tsv", SCENARIO), "orders", "all-orders-report"),
    "order-report": (_detect_order_report, "order-report", "order-report"),
    "unshipped-report": (_detect_unshipped, "unshipped-report", "unshipped-report"),
    "shipping-confirmation": (lambda p: write_ship_confirmation(p / "confirm.txt", SCENARIO_SHIPMENTS),
                              "shipments", "shipping-confirmation"),
    "listings-report": (lambda p: _write_listings(p / "listings.txt", LISTING_ROWS), "inventory", "listings-report"),
    "stock-file": (lambda p: _write_stock(p / "stock.csv", [["MUG-RED", 4, 6]]), "inventory", "stock-file"),
    "canonical-orders": (lambda p: write_orders(p, "canonical-csv", SCENARIO), "orders", "canonical-orders"),
    "v0-getOrders-page": (lambda p: write_orders(p, "v0-getOrders-page", SCENARIO), "orders", "sp-api-v0"),
    "v0-getOrder": (lambda p: write_json(p / "o.json", {"payload": v0_order(SCENARIO[0])}), "orders", "sp-api-v0"),
    "v0-bare-list": (lambda p: write_orders(p, "v0-bare-list", SCENARIO), "orders", "sp-api-v0"),
    "v0-json-lines": (lambda p: write_orders(p, "v0-json-lines", SCENARIO), "orders", "sp-api-v0"),
    "v2026-searchOrders-page": (lambda p: write_orders(p, "v2026-searchOrders-page", SCENARIO), "orders",
                                "sp-api-v2026"),
    "v2026-getOrder": (lambda p: write_json(p / "o.json", {"order": v2026_order(spelled(SCENARIO, "v2026")[0])}),
                       "orders", "sp-api-v2026"),
    "v2026-json-lines": (lambda p: write_orders(p, "v2026-json-lines", SCENARIO), "orders", "sp-api-v2026"),
    "order-change": (lambda p: write_json(p / "n.json", order_change(SCENARIO[0])), "orders", "sp-api-order-change"),
    "confirm-shipment-body": (lambda p: write_json(p / "c.json", confirm_shipment(SCENARIO_SHIPMENTS[0])),
                              "shipments", "sp-api-confirm-shipment"),
    "confirm-shipment-list": (lambda p: write_json(p / "c.json", [confirm_shipment(s) for s in SCENARIO_SHIPMENTS]),
                              "shipments", "sp-api-confirm-shipment"),
}


@pytest.mark.parametrize("case", list(DETECTION_CASES))
def test_each_format_is_detected_and_announced(run_cli, tmp_path, case):
    write, kind, fmt = DETECTION_CASES[case]
    path = write(tmp_path)

    result = check(run_cli, path)
    report = result.json()

    assert re.fullmatch(rf"{kind} \({fmt}, .*\)", announcement(result, path))
    entry = only_input(report, path)
    assert (entry["kind"], entry["format"]) == (kind, fmt)
    assert entry["records"] >= 1 and entry["unreadable"] == 0
    assert report["errors"] == []


@pytest.mark.parametrize("shipments_format", ["tsv", "confirm-shipment-list", "confirm-shipment-json-lines",
                                              "confirm-shipment-bodies"])
def test_every_shipment_format_gives_the_same_findings(run_cli, tmp_path, shipments_format):
    orders = write_orders(tmp_path, "all-orders-tsv", SCENARIO)
    if shipments_format == "tsv":
        shipments = write_ship_confirmation(tmp_path / "confirm.txt", SCENARIO_SHIPMENTS)
    elif shipments_format == "confirm-shipment-list":
        shipments = write_json(tmp_path / "confirm.json", [confirm_shipment(s) for s in SCENARIO_SHIPMENTS])
    elif shipments_format == "confirm-shipment-json-lines":
        shipments = write_jsonl(tmp_path / "confirm.jsonl", [confirm_shipment(s) for s in SCENARIO_SHIPMENTS])
    else:
        shipments = tmp_path / "confirm"
        shipments.mkdir()
        for n, s in enumerate(SCENARIO_SHIPMENTS):
            write_json(shipments / f"body-{n}.json", confirm_shipment(s))

    report = check(run_cli, orders, shipments).json()

    assert findings(report) == SCENARIO_FINDINGS
    assert report["summary"]["complete"] is True


def test_order_report_listing_a_pending_order_fires_pend_003(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv", [Order(PENDING_SHIPPED, "Pending"),
                                                        Order(UNSHIPPED_SHIPPED, "Unshipped", price="12.90")])
    report_rows = [{"order-id": oid, "order-item-id": "63010000000000", "purchase-date": "2026-11-25T10:00:00+00:00",
                    "payments-date": "2026-11-25T10:31:00+00:00", "sku": "MUG-RED", "quantity-purchased": "1",
                    "currency": "EUR", "item-price": "12.90"} for oid in (PENDING_SHIPPED, UNSHIPPED_SHIPPED)]
    order_report = write_tsv(tmp_path / "order-report.txt", ORDER_REPORT_HEADER,
                             _rows(ORDER_REPORT_HEADER, report_rows))

    report = check(run_cli, orders, order_report).json()

    assert findings(report) == {("AMZ-PEND-003", PENDING_SHIPPED)}
    pend_003 = finding(report, "AMZ-PEND-003", PENDING_SHIPPED)
    assert pend_003["evidence"]["order-report"] == [{"path": str(order_report), "line": 2}]


def test_unshipped_report_moves_the_risk_to_amazon_but_contradicts_pending(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv", [Order(PENDING_SHIPPED, "Pending"),
                                                        Order(UNSHIPPED_SHIPPED, "Unshipped", price="12.90")])
    unshipped_rows = [{"order-id": oid, "order-item-id": "63010000000000", "purchase-date": "2026-11-25T10:00:00+00:00",
                       "payments-date": "2026-11-25T10:31:00+00:00", "sku": "MUG-RED", "quantity-purchased": "1",
                       "quantity-shipped": "0", "quantity-to-ship": "1"}
                      for oid in (PENDING_SHIPPED, UNSHIPPED_SHIPPED)]
    unshipped = write_tsv(tmp_path / "unshipped.txt", UNSHIPPED_HEADER, _rows(UNSHIPPED_HEADER, unshipped_rows))
    shipments = write_ship_confirmation(tmp_path / "confirm.txt",
                                        [Shipment(PENDING_SHIPPED), Shipment(UNSHIPPED_SHIPPED)])

    report = check(run_cli, orders, unshipped, shipments).json()

    # 004 does not fire: an order in the Unshipped Orders report is Amazon's non-payment risk.
    assert findings(report) == {("AMZ-PEND-001", PENDING_SHIPPED), ("AMZ-PEND-003", PENDING_SHIPPED)}


def test_stock_file_offering_units_held_by_pending_orders_fires_pend_006(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv", [
        Order("405-2222222-0000001", "Pending", items=(("MUG-RED", 2),)),
        Order("405-2222222-0000002", "Pending", channel="AFN", items=(("TEA-GREEN", 2),)),  # Amazon's stock
        Order("405-2222222-0000003", "Unshipped", items=(("MUG-BLUE", 3),), price="30.00"),  # not held by Pending
    ])
    stock = _write_stock(tmp_path / "stock.csv", [["MUG-RED", 5, 5], ["TEA-GREEN", 5, 5], ["MUG-BLUE", 5, 5]])

    report = check(run_cli, orders, stock).json()

    assert findings(report) == {("AMZ-PEND-006", "MUG-RED")}
    assert finding(report, "AMZ-PEND-006", "MUG-RED")["evidence"]["pending_units"] == 2


def test_listings_report_is_read_as_inventory_without_on_hand_findings(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv",
                          [Order("405-2222222-0000001", "Pending", items=(("MUG-RED", 2),))])
    listings = _write_listings(tmp_path / "listings.txt", LISTING_ROWS)

    report = check(run_cli, orders, listings).json()

    assert findings(report) == set()  # a listings report has no on-hand column: AMZ-PEND-006 needs one
    assert only_input(report, listings)["records"] == 2
    assert report["summary"]["complete"] is True


def test_dataset_flag_forces_the_kind_of_a_file_that_fits_two(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv", [Order(PENDING_SHIPPED, "Pending")])
    # A warehouse hand-over sheet: its header fits canonical orders (order_id, status)
    # and shipments (order_id, ship_date).
    handover = tmp_path / "handover.csv"
    handover.write_text(f"order_id,status,ship_date,tracking_number\n{PENDING_SHIPPED},packed,2026-11-26,BRT01\n",
                        encoding="utf-8")

    detected = check(run_cli, orders, handover)
    forced = check(run_cli, orders, "--dataset", f"shipments={handover}")

    # Read as orders, its "packed" row would hide the shipment of a Pending order: refuse to guess.
    assert detected.exit_code == 3
    assert "fits several kinds of data" in announcement(detected, handover)
    assert announcement(forced, handover).startswith("shipments (shipping-confirmation")
    assert findings(forced.json()) == {("AMZ-PEND-001", PENDING_SHIPPED), ("AMZ-PEND-004", PENDING_SHIPPED)}


def test_dataset_flag_with_a_kind_the_file_does_not_fit_is_an_error(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv", [Order(PENDING_SHIPPED, "Pending")])

    result = check(run_cli, "--dataset", f"shipments={orders}")  # an All Orders report has no ship-date

    assert result.exit_code == 3
    (error,) = result.json()["errors"]
    assert error["path"] == str(orders) and "kind shipments" in error["message"]


# === 3. Canonical statuses and channels =======================================================

WRITE_ONE = {
    "flat": lambda p, o: write_all_orders(p / "all-orders.txt", [o]),
    "v0": lambda p, o: write_json(p / "orders.json", {"payload": {"Orders": [v0_order(o)]}}),
    "v2026": lambda p, o: write_json(p / "orders.json", {"orders": [v2026_order(o)]}),
    "canonical": lambda p, o: write_canonical_csv(p / "orders.csv", [o]),
}
OID = "405-3333333-0000001"


def _one_order_shipped(run_cli, tmp_path, family, order, shipped=True):
    orders = WRITE_ONE[family](tmp_path, order)
    args = [orders]
    if shipped:
        args.append(write_ship_confirmation(tmp_path / "confirm.txt", [Shipment(order.order_id)]))
    return check(run_cli, *args).json()


@pytest.mark.parametrize("family, raw", [("v0", "Pending"), ("v2026", "PENDING"), ("flat", "Pending"),
                                         ("flat", "Pending - Waiting for Pick Up"), ("canonical", "pending")])
def test_pending_spellings_are_all_pending(run_cli, tmp_path, family, raw):
    report = _one_order_shipped(run_cli, tmp_path, family, Order(OID, raw))

    assert findings(report) == {("AMZ-PEND-001", OID), ("AMZ-PEND-004", OID)}
    pend_001 = finding(report, "AMZ-PEND-001", OID)
    assert pend_001["evidence"]["status"] == "Pending"
    assert f"Order {OID} is Pending" in pend_001["message"]


@pytest.mark.parametrize("family, raw", [("v0", "Canceled"), ("v2026", "CANCELLED"), ("flat", "Cancelled")])
def test_canceled_spellings_are_all_canceled(run_cli, tmp_path, family, raw):
    report = _one_order_shipped(run_cli, tmp_path, family, Order(OID, raw, price="12.90"))

    assert findings(report) == {("AMZ-PEND-004", OID)}  # not 007: the status is known
    assert f"Order {OID} (Canceled) was shipped" in finding(report, "AMZ-PEND-004", OID)["message"]


@pytest.mark.parametrize("family, unshipped, raw_channel", [
    ("v0", "Unshipped", "AFN"), ("v2026", "UNSHIPPED", "AMAZON"), ("flat", "Unshipped", "Amazon")])
def test_amazon_fulfilled_spellings_are_all_afn(run_cli, tmp_path, family, unshipped, raw_channel):
    report = _one_order_shipped(run_cli, tmp_path, family, Order(OID, unshipped, channel=raw_channel, price="12.90"))

    assert findings(report) == {("AMZ-PEND-005", OID)}
    assert finding(report, "AMZ-PEND-005", OID)["evidence"]["fulfillment_channel"] == "AFN"


@pytest.mark.parametrize("family, raw_channel", [("v0", "MFN"), ("v2026", "MERCHANT"), ("flat", "Merchant")])
def test_merchant_fulfilled_spellings_are_not_afn(run_cli, tmp_path, family, raw_channel):
    unshipped = "UNSHIPPED" if family == "v2026" else "Unshipped"
    report = _one_order_shipped(run_cli, tmp_path, family, Order(OID, unshipped, channel=raw_channel, price="12.90"))

    assert findings(report) == set()


@pytest.mark.parametrize("family, raw", [("flat", "Shipped - Delivered to Buyer"), ("flat", "Shipping"),
                                         ("v2026", "SHIPPED"), ("v0", "Shipped")])
def test_shipped_and_in_fulfilment_spellings_are_actionable(run_cli, tmp_path, family, raw):
    report = _one_order_shipped(run_cli, tmp_path, family, Order(OID, raw, price="12.90"))

    assert findings(report) == set()


@pytest.mark.parametrize("family, raw", [("flat", "On Hold"), ("v0", "OnHold"), ("v2026", "ON_HOLD"),
                                         ("flat", "Zahlung ausstehend")])
def test_an_unrecognised_status_stays_visible(run_cli, tmp_path, family, raw):
    report = _one_order_shipped(run_cli, tmp_path, family, Order(OID, raw), shipped=False)

    assert findings(report) == {("AMZ-PEND-007", OID)}
    pend_007 = finding(report, "AMZ-PEND-007", OID)
    assert raw in pend_007["message"]
    assert pend_007["evidence"]["status"] == "Unknown"


def test_an_unrecognised_status_on_a_shipped_order_is_also_outside_payment_protection(run_cli, tmp_path):
    report = _one_order_shipped(run_cli, tmp_path, "flat", Order(OID, "On Hold"))

    assert findings(report) == {("AMZ-PEND-007", OID), ("AMZ-PEND-004", OID)}


def test_a_missing_status_stays_visible(run_cli, tmp_path):
    report = _one_order_shipped(run_cli, tmp_path, "flat", Order(OID, ""), shipped=False)

    assert findings(report) == {("AMZ-PEND-007", OID)}
    assert "has status (none)" in finding(report, "AMZ-PEND-007", OID)["message"]


# === 4. Headers by name, not position =========================================================

def _shuffled(header: list[str]) -> list[str]:
    shuffled = list(header)
    random.Random(20261126).shuffle(shuffled)
    assert shuffled[0] != header[0]
    return shuffled


HEADER_VARIANTS = {
    "shuffled": _shuffled,
    "underscores": lambda header: [name.replace("-", "_") for name in header],
    "upper-case": lambda header: [name.upper() for name in header],
    "title-case-with-spaces": lambda header: [name.replace("-", " ").title() for name in header],
    "extra-unknown-columns": lambda header: ["warehouse-bin", *header[:5], "picker note", *header[5:], "x-col"],
}


def _renamed_rows(original: list[str], renamed: list[str], records: list[dict]) -> list[list[object]]:
    """Rows for a header whose names were changed/moved: each value goes under its column's new name."""
    by_new = {}
    for name in original:
        variants = [new for new in renamed if re.sub(r"[\s_]+", "-", new.lower()) == name.lower()]
        by_new.update({new: name for new in variants})
    return [[record.get(by_new.get(new, ""), "") for new in renamed] for record in records]


@pytest.mark.parametrize("variant", list(HEADER_VARIANTS))
def test_headers_are_matched_by_name_not_position(run_cli, tmp_path, variant):
    change = HEADER_VARIANTS[variant]
    orders_header, confirm_header = change(ALL_ORDERS_HEADER), change(SHIP_CONFIRM_HEADER)
    orders = write_tsv(tmp_path / "all-orders.txt", orders_header,
                       _renamed_rows(ALL_ORDERS_HEADER, orders_header, all_orders_records(spelled(SCENARIO, "flat"))))
    confirm_records = [{"order-id": s.order_id, "ship-date": "2026-11-26", "tracking-number": s.tracking,
                        "quantity": 1, "carrier-code": "BRT"} for s in SCENARIO_SHIPMENTS]
    shipments = write_tsv(tmp_path / "confirm.txt", confirm_header,
                          _renamed_rows(SHIP_CONFIRM_HEADER, confirm_header, confirm_records))

    result = check(run_cli, orders, shipments)
    report = result.json()

    assert announcement(result, orders).startswith("orders (all-orders-report")
    assert announcement(result, shipments).startswith("shipments (shipping-confirmation")
    assert findings(report) == SCENARIO_FINDINGS
    assert report["summary"]["complete"] is True


def test_a_template_type_line_before_the_header_is_skipped_and_lines_still_count(run_cli, tmp_path):
    orders = write_orders(tmp_path, "all-orders-tsv", [Order(PENDING_SHIPPED, "Pending")])
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", [Shipment(PENDING_SHIPPED), Shipment(NOWHERE)],
                                        preamble="TemplateType=OrderFulfillment\tVersion=2011.1102")

    result = check(run_cli, orders, shipments)
    report = result.json()

    assert announcement(result, shipments).startswith("shipments (shipping-confirmation")
    assert findings(report) == {("AMZ-PEND-001", PENDING_SHIPPED), ("AMZ-PEND-004", PENDING_SHIPPED),
                                ("AMZ-PEND-007", NOWHERE)}
    # line 1 is the template line, line 2 the header: the second shipment is on line 4
    assert finding(report, "AMZ-PEND-007", NOWHERE)["location"] == {"path": str(shipments), "line": 4}


# === 5. Encodings and compression =============================================================

ENCODED_HEADER = [*ALL_ORDERS_HEADER, "recipient-name", "ship-address-1"]


def _write_localised_orders(path: Path, encoding: str, recipient: str, street: str, product: str,
                            city: str) -> Path:
    """An All Orders file carrying (stale) buyer columns, so the decoded text surfaces as evidence."""
    pending = Order(OID, "Pending", marketplace="Amazon.co.jp" if encoding in ("cp932", "shift_jis") else "Amazon.it")
    records = all_orders_records([pending], **{"recipient-name": recipient, "ship-address-1": street,
                                               "product-name": product, "ship-city": city})
    return write_tsv(path, ENCODED_HEADER, _rows(ENCODED_HEADER, records), encoding=encoding)


ENCODING_CASES = [  # encoding written, recipient, street, product name, city, encodings acceptable as detected
    pytest.param("utf-8", "Giulia Esempio", "Via dell'Università 3", "Caffè in grani 1 kg", "Forlì", {"utf-8"},
                 id="utf-8"),
    pytest.param("utf-8-sig", "Hélène Lefèvre", "12 Rue de l'Église", "Crème de marrons", "Orléans", {"utf-8-sig"},
                 id="utf-8-with-bom"),
    pytest.param("cp1252", "Niccolò Esempio", "Via dell'Università 3", "Caffè in grani – buono 5 €", "Forlì",
                 {"cp1252"}, id="cp1252-italian-euro"),
    pytest.param("iso-8859-1", "Niccolò Esempio", "Piazza Città 1", "Tè verde sencha", "Forlì",
                 {"cp1252", "latin-1", "iso-8859-1"}, id="iso-8859-1-italian"),
    pytest.param("shift_jis", "山田 太郎", "千代田区丸の内1-1", "抹茶 パウダー 100g", "東京都", {"cp932", "shift_jis"},
                 id="shift_jis-japanese"),
    pytest.param("cp932", "髙橋 花子", "港区六本木６－１０－１", "緑茶 ティーバッグ ①", "東京都", {"cp932"},
                 id="cp932-japanese"),
    pytest.param("utf-16", "Jürgen Weiß", "Königstraße 5", "Teekanne aus Glas", "München", {"utf-16"},
                 id="utf-16-with-bom"),
    pytest.param("cp1252", "Hélène Lefèvre", "12 Rue de l'Église", "Crème de marrons", "Orléans", {"cp1252"},
                 id="cp1252-french"),
    pytest.param("cp1252", "Hans Weiß", "Hauptstraße 5", "Teekanne aus Glas", "Gießen", {"cp1252"},
                 id="cp1252-german-eszett"),
]


@pytest.mark.parametrize("encoding, recipient, street, product, city, detected", ENCODING_CASES)
def test_encodings_are_detected_and_values_decode(run_cli, tmp_path, encoding, recipient, street, product, city,
                                                  detected):
    path = _write_localised_orders(tmp_path / "all-orders.txt", encoding, recipient, street, product, city)

    result = check(run_cli, path, "--show-buyer-data")
    report = result.json()

    entry = only_input(report, path)
    assert entry["encoding"] in detected
    assert announcement(result, path) == f"orders (all-orders-report, {entry['encoding']}, tab)"
    evidence = finding(report, "AMZ-PEND-002", OID)["evidence"]
    assert (evidence["recipient_name"], evidence["ship_address_1"]) == (recipient, street)
    assert findings(report) == {("AMZ-PEND-002", OID)}
    assert report["summary"]["complete"] is True


def test_encoding_flag_overrides_detection(run_cli, tmp_path):
    # German cp1252 text whose only non-ASCII letter is 'ß': --encoding makes the reading certain.
    path = _write_localised_orders(tmp_path / "all-orders.txt", "cp1252", "Hans Weiß", "Hauptstraße 5",
                                   "Teekanne aus Glas", "Gießen")

    result = check(run_cli, path, "--show-buyer-data", "--encoding", "cp1252")
    report = result.json()

    assert only_input(report, path)["encoding"] == "cp1252"
    assert announcement(result, path) == "orders (all-orders-report, cp1252, tab)"
    evidence = finding(report, "AMZ-PEND-002", OID)["evidence"]
    assert (evidence["recipient_name"], evidence["ship_address_1"]) == ("Hans Weiß", "Hauptstraße 5")


def test_wrong_encoding_flag_is_an_error_not_garbage(run_cli, tmp_path):
    path = _write_localised_orders(tmp_path / "all-orders.txt", "cp1252", "Niccolò Esempio", "Via Città 3",
                                   "Caffè", "Forlì")

    result = check(run_cli, path, "--encoding", "utf-8")
    report = result.json()

    assert result.exit_code == 3
    assert any("utf-8" in error["message"] and "--encoding" in error["message"] for error in report["errors"])
    assert_counts_add_up(report)


def _gzip(path: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    return target


@pytest.mark.parametrize("fmt", ["all-orders-tsv", "v0-getOrders-page", "v2026-json-lines"])
def test_gzip_is_detected_by_magic_bytes_not_by_name(run_cli, tmp_path, fmt):
    written = write_orders(tmp_path, fmt, SCENARIO)
    compressed = _gzip(written, tmp_path / ("download-" + written.name))  # no .gz in the name
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", SCENARIO_SHIPMENTS)

    result = check(run_cli, compressed, shipments)
    report = result.json()

    assert only_input(report, compressed)["compressed"] == "gzip"
    assert "gzip" in announcement(result, compressed)
    assert findings(report) == SCENARIO_FINDINGS
    assert report["summary"]["complete"] is True


def test_gzipped_shift_jis_report_is_decompressed_then_decoded(run_cli, tmp_path):
    written = _write_localised_orders(tmp_path / "jp.txt", "cp932", "山田 太郎", "千代田区丸の内1-1", "抹茶", "東京都")
    compressed = _gzip(written, tmp_path / "jp-orders.txt.gz")

    report = check(run_cli, compressed, "--show-buyer-data").json()

    entry = only_input(report, compressed)
    assert (entry["compressed"], entry["encoding"]) == ("gzip", "cp932")
    assert finding(report, "AMZ-PEND-002", OID)["evidence"]["recipient_name"] == "山田 太郎"


def test_a_gz_name_on_a_plain_file_does_not_matter(run_cli, tmp_path):
    written = write_orders(tmp_path, "all-orders-tsv", SCENARIO)
    plain = written.rename(tmp_path / "all-orders.txt.gz")
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", SCENARIO_SHIPMENTS)

    report = check(run_cli, plain, shipments).json()

    assert "compressed" not in only_input(report, plain)
    assert findings(report) == SCENARIO_FINDINGS


# === 6. Multi-row orders ======================================================================

def test_an_order_over_several_item_rows_is_one_order(run_cli, tmp_path):
    three_items = Order(PENDING_SHIPPED, "Pending", items=(("MUG-RED", 1), ("MUG-BLUE", 1), ("TEA-GREEN", 2)))
    canceled = Order(CANCELED_SHIPPED, "Cancelled", items=(("MUG-RED", 1), ("TEA-GREEN", 1)), price="10.00")
    orders = write_all_orders(tmp_path / "all-orders.txt", [three_items, canceled])
    shipments = write_ship_confirmation(tmp_path / "confirm.txt",
                                        [Shipment(PENDING_SHIPPED), Shipment(CANCELED_SHIPPED)])

    report = check(run_cli, orders, shipments).json()

    assert report["summary"]["by_rule"] == {"AMZ-PEND-001": 1, "AMZ-PEND-004": 2}
    assert finding(report, "AMZ-PEND-001", PENDING_SHIPPED)["location"] == {"path": str(orders), "line": 2}
    # the value at risk of the canceled order adds up its two item rows
    assert finding(report, "AMZ-PEND-004", CANCELED_SHIPPED)["value_at_risk"] == {"amount": "20.00", "currency": "EUR"}
    assert only_input(report, orders)["records"] == 5  # rows, not orders
    assert report["summary"]["records_read"] == 5 + 2
    assert report["summary"]["records_checked"] == 5 + 2
    assert_counts_add_up(report)


def test_pending_units_count_every_item_row_of_the_order(run_cli, tmp_path):
    orders = write_all_orders(tmp_path / "all-orders.txt", [
        Order("405-2222222-0000001", "Pending", items=(("MUG-RED", 1), ("MUG-BLUE", 1), ("MUG-RED", 2)))])
    stock = _write_stock(tmp_path / "stock.csv", [["MUG-RED", 3, 5], ["MUG-BLUE", 4, 5]])

    report = check(run_cli, orders, stock).json()

    assert findings(report) == {("AMZ-PEND-006", "MUG-RED")}  # 5 on hand - 3 held < 3 offered
    assert finding(report, "AMZ-PEND-006", "MUG-RED")["evidence"]["pending_units"] == 3


def test_rows_of_one_order_need_not_be_adjacent(run_cli, tmp_path):
    canceled_1, other, canceled_2 = all_orders_records([
        Order(CANCELED_SHIPPED, "Cancelled", items=(("MUG-RED", 1),), price="10.00"),
        Order(UNSHIPPED_SHIPPED, "Unshipped", price="5.00"),
        Order(CANCELED_SHIPPED, "Cancelled", items=(("TEA-GREEN", 1),), price="7.00"),
    ])  # e.g. a report re-sorted by SKU in a spreadsheet
    orders = write_tsv(tmp_path / "all-orders.txt", ALL_ORDERS_HEADER,
                       _rows(ALL_ORDERS_HEADER, [canceled_1, other, canceled_2]))
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", [Shipment(CANCELED_SHIPPED)])

    report = check(run_cli, orders, shipments).json()

    assert report["summary"]["by_rule"] == {"AMZ-PEND-004": 1}
    assert report["summary"]["value_at_risk"] == {"EUR": "17.00"}


# === 7. Several datasets of one kind ==========================================================

IT_PENDING, IT_UNSHIPPED = "405-5555555-0000001", "405-5555555-0000002"
DE_PENDING, DE_UNSHIPPED = "028-5555555-0000001", "028-5555555-0000002"


def _two_marketplaces(directory: Path) -> tuple[Path, Path, Path]:
    directory.mkdir(exist_ok=True)
    it = write_all_orders(directory / "all-orders-it.txt", spelled(
        [Order(IT_PENDING, "Pending"), Order(IT_UNSHIPPED, "Unshipped", price="12.90")], "flat"))
    de = write_json(directory / "orders-de.json", {"payload": {"Orders": [
        v0_order(Order(DE_PENDING, "Pending", marketplace="Amazon.de")),
        v0_order(Order(DE_UNSHIPPED, "Unshipped", marketplace="Amazon.de")),
    ]}})
    shipments = write_ship_confirmation(directory / "confirm.txt", [Shipment(o) for o in (
        IT_PENDING, IT_UNSHIPPED, DE_PENDING, DE_UNSHIPPED)])
    return it, de, shipments


TWO_MARKETPLACE_FINDINGS = {("AMZ-PEND-001", IT_PENDING), ("AMZ-PEND-004", IT_PENDING),
                            ("AMZ-PEND-001", DE_PENDING), ("AMZ-PEND-004", DE_PENDING)}


def test_orders_from_two_marketplaces_and_formats_combine(run_cli, tmp_path):
    it, de, shipments = _two_marketplaces(tmp_path)

    report = check(run_cli, it, de, shipments).json()

    # every shipment finds its order in one of the two orders datasets: no AMZ-PEND-007
    assert findings(report) == TWO_MARKETPLACE_FINDINGS
    assert finding(report, "AMZ-PEND-001", IT_PENDING)["location"]["path"] == str(it)
    assert finding(report, "AMZ-PEND-001", DE_PENDING)["location"] == {
        "path": str(de), "line": None, "pointer": "/payload/Orders/0"}
    assert [(e["kind"], e["format"]) for e in report["inputs"]] == [
        ("orders", "all-orders-report"), ("orders", "sp-api-v0"), ("shipments", "shipping-confirmation")]


def test_without_the_second_marketplace_its_shipments_name_unknown_orders(run_cli, tmp_path):
    it, _de, shipments = _two_marketplaces(tmp_path)

    report = check(run_cli, it, shipments).json()

    assert findings(report) == {("AMZ-PEND-001", IT_PENDING), ("AMZ-PEND-004", IT_PENDING),
                                ("AMZ-PEND-007", DE_PENDING), ("AMZ-PEND-007", DE_UNSHIPPED)}


def test_a_directory_argument_reads_every_data_file_in_it(run_cli, tmp_path):
    data = tmp_path / "exports"
    it, de, shipments = _two_marketplaces(data)
    (data / "README.md").write_text("notes: not data\n", encoding="utf-8")
    (data / "._all-orders-it.txt").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")  # AppleDouble
    nested = data / "2026-11"
    nested.mkdir()
    gz = nested / "stock.csv.gz"
    gz.write_bytes(gzip.compress(b"sku,quantity,on-hand\nMUG-RED,5,5\n"))
    _write_stock(nested / "stock-blue.csv", [["MUG-BLUE", 1, 1]])

    result = check(run_cli, data)
    report = result.json()

    assert {entry["path"] for entry in report["inputs"]} == {
        str(it), str(de), str(shipments), str(gz), str(nested / "stock-blue.csv")}
    assert findings(report) == TWO_MARKETPLACE_FINDINGS | {("AMZ-PEND-006", "MUG-RED")}
    assert report["summary"]["complete"] is True
    for entry in report["inputs"]:
        assert announcement(result, Path(entry["path"]))


def test_an_empty_directory_is_an_error(run_cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()

    result = check(run_cli, empty)

    assert result.exit_code == 3
    (error,) = result.json()["errors"]
    assert error["path"] == str(empty) and "no data files" in error["message"]


# === 8. Bad input: exit 3, an error naming file and line, counts that add up ==================

def _all_orders_with(tmp_path: Path, bad_row: list[object]) -> Path:
    """Line 2 a Pending order shipped, line 3 ``bad_row``, line 4 an Unshipped order."""
    good = all_orders_records([Order(PENDING_SHIPPED, "Pending"), Order(UNSHIPPED_SHIPPED, "Unshipped", price="1.00")])
    rows = _rows(ALL_ORDERS_HEADER, good)
    return write_tsv(tmp_path / "all-orders.txt", ALL_ORDERS_HEADER, [rows[0], bad_row, rows[1]])


def _good_row(**changes: str) -> list[object]:
    (record,) = all_orders_records([Order("405-6666666-0000001", "Unshipped", price="5.00")])
    record.update(changes)
    return [record.get(column, "") for column in ALL_ORDERS_HEADER]


BAD_ROWS = {
    "no-order-id": (_good_row(**{"amazon-order-id": ""}), "no order_id"),
    "more-fields-than-header": (_good_row() + ["surplus"], "row has 32 fields, the header has 31"),
    "fewer-fields-than-header": (_good_row()[:-3], "row has 28 fields, the header has 31"),
    "purchase-date-not-a-date": (_good_row(**{"purchase-date": "yesterday"}), "purchase_date"),
    "quantity-not-a-number": (_good_row(quantity="two"), "quantity"),
}


def assert_one_error(result, path: Path, line: int | None, fragment: str) -> dict:
    """Exit 3 and exactly one error, on one line, naming the file (and line) in JSON."""
    report = result.json()
    assert result.exit_code == 3
    (error,) = report["errors"]
    assert error["path"] == str(path)
    assert error["line"] == line
    assert fragment in error["message"]
    assert "\n" not in error["message"]
    assert report["summary"]["complete"] is False
    assert_counts_add_up(report)
    return report


def assert_table_names_the_error(run_cli, args: list[object], where: str, fragment: str) -> None:
    table = run_cli("check", *args, "--as-of", AS_OF)
    assert table.exit_code == 3
    lines = [line for line in table.stdout.splitlines() if line.strip().startswith(f"{where}: ") and fragment in line]
    assert len(lines) == 1, table.stdout
    assert "INCOMPLETE" in table.stdout


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_report_row_is_unreadable_and_the_rest_is_checked(run_cli, tmp_path, case):
    bad_row, fragment = BAD_ROWS[case]
    orders = _all_orders_with(tmp_path, bad_row)
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", [Shipment(PENDING_SHIPPED)])

    report = assert_one_error(check(run_cli, orders, shipments), orders, 3, fragment)

    assert report["summary"]["records_unreadable"] == 1
    assert report["summary"]["records_checked"] == 2 + 1  # the two good rows and the shipment
    assert findings(report) == {("AMZ-PEND-001", PENDING_SHIPPED), ("AMZ-PEND-004", PENDING_SHIPPED)}
    assert_table_names_the_error(run_cli, [orders, shipments], f"{orders}:3", fragment)


@pytest.mark.parametrize(("written", "described"), [
    ("2026-13-45", "not a date: '2026-13-45'"),  # dates and numbers are quoted
    ("yesterday", "not a date: a 9-character text"),  # text is not: a shifted column may hold a name
])
def test_a_not_a_date_error_describes_the_value(run_cli, tmp_path, written, described):
    orders = _all_orders_with(tmp_path, _good_row(**{"purchase-date": written}))

    (error,) = check(run_cli, orders).json()["errors"]

    assert described in error["message"]


@pytest.mark.parametrize("written", ["2026-10-20T08:00:00-08:00", "2026-10-20 08:00:00 GMT", "2026-10-20",
                                     "20-10-2026", "10-20-2026"])
def test_dates_as_amazon_writes_them_are_read(run_cli, tmp_path, written):
    orders = write_all_orders(tmp_path / "all-orders.txt", [Order(PENDING_OLD, "Pending", purchased=written)])

    report = check(run_cli, orders).json()

    assert findings(report) == {("AMZ-PEND-008", PENDING_OLD)}  # Pending since 20 October: 37 days
    assert report["errors"] == []


def test_an_ambiguous_date_is_unreadable_not_guessed(run_cli, tmp_path):
    orders = write_all_orders(tmp_path / "all-orders.txt", [Order(PENDING_OLD, "Pending", purchased="05-06-2026")])

    report = assert_one_error(check(run_cli, orders), orders, 2, "ambiguous")

    assert findings(report) == set()


@pytest.mark.parametrize("cut_inside", ["between-values", "a-string"])
def test_a_truncated_json_document_is_unreadable(run_cli, tmp_path, cut_inside):
    whole = json.dumps({"payload": {"Orders": [v0_order(o) for o in SCENARIO]}}, indent=2)
    middle = len(whole) // 2
    if cut_inside == "between-values":
        cut = whole[: whole.index(",\n", middle) + 1]
    else:
        cut = whole[: whole.index('": "', middle) + 6]
    path = tmp_path / "orders.json"
    path.write_text(cut, encoding="utf-8")
    last_line = cut.count("\n") + 1

    report = assert_one_error(check(run_cli, path), path, last_line, "JSON")

    assert report["summary"]["records_checked"] == 0
    assert report["summary"]["records_unreadable"] == 1
    if cut_inside == "between-values":
        assert "truncated" in report["errors"][0]["message"]
    assert_table_names_the_error(run_cli, [path], f"{path}:{last_line}", "JSON")


@pytest.mark.parametrize("broken_line", [
    1,
    2,
    3,
])
def test_one_broken_json_lines_line_leaves_the_others_checked(run_cli, tmp_path, broken_line):
    lines = [json.dumps(v0_order(Order(f"405-7777777-000000{n}", "Pending"))) for n in (1, 2, 3)]
    lines[broken_line - 1] = lines[broken_line - 1][:40]  # cut mid-object, as an interrupted download would
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", [Shipment(f"405-7777777-000000{n}") for n in (1, 2, 3)
                                                                   if n != broken_line])

    report = assert_one_error(check(run_cli, path, shipments), path, broken_line, "JSON")

    assert report["summary"]["records_unreadable"] == 1
    assert only_input(report, path)["records"] == 3
    assert {order_id for rule, order_id in findings(report) if rule == "AMZ-PEND-001"} == {
        f"405-7777777-000000{n}" for n in (1, 2, 3) if n != broken_line}


def test_a_confirm_shipment_body_without_order_id_is_unreadable(run_cli, tmp_path):
    body = confirm_shipment(Shipment(PENDING_SHIPPED))
    del body["orderId"]
    path = write_json(tmp_path / "confirm.json", [confirm_shipment(Shipment(UNSHIPPED_SHIPPED)), body])

    report = assert_one_error(check(run_cli, path), path, None, "orderId")

    assert report["errors"][0]["pointer"] == "/1"
    assert report["summary"]["records_unreadable"] == 1
    assert report["summary"]["records_checked"] == 1


@pytest.mark.parametrize("content, fragment", [
    ("order number\tstate\n405-1\tPending\n", "no known flat-file format"),
    ('{"hello": "world"}\n', "not a known JSON format"),
    ('{"errors": [{"code": "InvalidInput", "message": "Invalid Input"}]}', "InvalidInput"),
    ('{"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource.",'
     ' "details": ""}]}', "QuotaExceeded"),
], ids=["unknown-header", "unknown-json", "sp-api-error-400", "sp-api-error-429"])
def test_an_unrecognised_file_or_error_body_stops_the_gate(run_cli, tmp_path, content, fragment):
    path = tmp_path / "download.txt"
    path.write_text(content, encoding="utf-8")
    good = write_orders(tmp_path, "all-orders-tsv", [Order(UNSHIPPED_SHIPPED, "Unshipped", price="1.00")])

    result = check(run_cli, good, path)
    report = result.json()

    assert result.exit_code == 3
    (error,) = report["errors"]
    assert error["path"] == str(path) and fragment in error["message"] and "\n" not in error["message"]
    assert "NOT READ" in announcement(result, path)
    assert report["summary"]["records_unreadable"] == 1
    assert only_input(report, good)["records"] == 1
    assert_counts_add_up(report)
    where = f"{path}:1" if error["line"] else str(path)
    assert_table_names_the_error(run_cli, [good, path], where, fragment)


def test_an_unrecognised_header_error_names_line_1(run_cli, tmp_path):
    path = tmp_path / "download.txt"
    path.write_text("order number\tstate\n405-1\tPending\n", encoding="utf-8")

    assert_one_error(check(run_cli, path), path, 1, "no known flat-file format")


def test_a_missing_file_stops_the_gate(run_cli, tmp_path):
    missing = tmp_path / "not-downloaded.txt"
    good = write_orders(tmp_path, "all-orders-tsv", [Order(UNSHIPPED_SHIPPED, "Unshipped", price="1.00")])

    report = assert_one_error(check(run_cli, good, missing), missing, None, "cannot open")

    assert report["summary"]["records_unreadable"] == 1
    assert_table_names_the_error(run_cli, [good, missing], str(missing), "cannot open")


def test_double_quotes_in_a_tab_separated_value_are_literal(run_cli, tmp_path):
    orders = write_all_orders(tmp_path / "all-orders.txt", [Order(PENDING_SHIPPED, "Pending"),
                                                            Order(UNSHIPPED_SHIPPED, "Unshipped", price="9.90")],
                              **{"product-name": '"Buongiorno" tazza 12" alta'})
    shipments = write_ship_confirmation(tmp_path / "confirm.txt", [Shipment(PENDING_SHIPPED)])

    report = check(run_cli, orders, shipments).json()

    assert report["errors"] == []
    assert findings(report) == {("AMZ-PEND-001", PENDING_SHIPPED), ("AMZ-PEND-004", PENDING_SHIPPED)}


# === 9. Buyer data stays out of the output ====================================================

PII = {"name": "Giulia Esempio", "street": "Via Esempio 12", "email": "5k3qv8zq9x1m2n3@marketplace.amazon.it",
       "phone": "+39 011 5550123", "buyer": "Giulia E."}


def _pending_v0_with_pii(tmp_path: Path) -> Path:
    order = v0_order(Order(OID, "Pending"),
                     ShippingAddress={"Name": PII["name"], "AddressLine1": PII["street"], "City": "Torino",
                                      "PostalCode": "10121", "CountryCode": "IT", "Phone": PII["phone"]},
                     BuyerInfo={"BuyerEmail": PII["email"], "BuyerName": PII["buyer"]})
    return write_json(tmp_path / "orders.json", {"payload": {"Orders": [order]}})


def _pending_v2026_with_pii(tmp_path: Path) -> Path:
    order = v2026_order(Order(OID, "PENDING"),
                        buyer={"buyerEmail": PII["email"], "buyerName": PII["buyer"]},
                        recipient={"deliveryAddress": {"name": PII["name"], "addressLine1": PII["street"],
                                                       "city": "Torino", "postalCode": "10121", "countryCode": "IT",
                                                       "phone": PII["phone"]}})
    return write_json(tmp_path / "orders.json", {"orders": [order]})


def _unshipped_report_with_pii(tmp_path: Path) -> Path:
    orders = write_all_orders(tmp_path / "all-orders.txt", [Order(OID, "Pending")])
    record = {"order-id": OID, "order-item-id": "63010000000000", "purchase-date": "2026-11-25T10:00:00+00:00",
              "payments-date": "2026-11-25T10:31:00+00:00", "buyer-email": PII["email"],
              "buyer-phone-number": PII["phone"], "sku": "MUG-RED", "quantity-purchased": "1", "quantity-shipped": "0",
              "quantity-to-ship": "1", "recipient-name": PII["name"], "ship-address-1": PII["street"],
              "ship-city": "Torino", "ship-postal-code": "10121", "ship-country": "IT"}
    write_tsv(tmp_path / "unshipped.txt", UNSHIPPED_HEADER, _rows(UNSHIPPED_HEADER, [record]))
    return orders.parent  # the directory: orders + unshipped report


PII_SOURCES = {"v0-shipping-address": _pending_v0_with_pii, "v2026-recipient": _pending_v2026_with_pii,
               "unshipped-report": _unshipped_report_with_pii}


@pytest.mark.parametrize("source", list(PII_SOURCES))
def test_buyer_data_never_reaches_the_output_by_default(run_cli, tmp_path, source):
    data = PII_SOURCES[source](tmp_path)

    as_json = check(run_cli, data)
    as_table = run_cli("check", data, "--as-of", AS_OF)

    assert as_json.json()["findings"], "the order must be flagged, or there is nothing to redact"
    for output in (as_json.stdout, as_table.stdout, as_json.stderr, as_table.stderr):
        for value in PII.values():
            assert value not in output


@pytest.mark.parametrize("source", ["v0-shipping-address", "v2026-recipient"])
def test_buyer_data_is_shown_as_redacted_evidence_unless_asked(run_cli, tmp_path, source):
    data = PII_SOURCES[source](tmp_path)

    hidden = finding(check(run_cli, data).json(), "AMZ-PEND-002", OID)["evidence"]
    shown_result = check(run_cli, data, "--show-buyer-data")
    shown = finding(shown_result.json(), "AMZ-PEND-002", OID)["evidence"]

    assert {hidden[f] for f in ("recipient_name", "ship_address_1", "ship_phone", "buyer_email", "buyer_name")} == {
        "[redacted]"}
    assert (shown["recipient_name"], shown["ship_address_1"], shown["ship_phone"], shown["buyer_email"],
            shown["buyer_name"]) == (PII["name"], PII["street"], PII["phone"], PII["email"], PII["buyer"])
    for value in PII.values():
        assert value in shown_result.stdout
