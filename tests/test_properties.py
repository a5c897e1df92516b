"""Properties of the engine and the rule compiler, over order snapshots hypothesis draws (issue 7).

Each test states what must hold for *every* set of orders, and hypothesis looks for one where it
does not: through the Python API (canonical records), and through real files (an All Orders
flat-file report, an SP-API v0 JSON document, a shipping-confirmation file) read by the CLI.
The examples are the same on every run (the profile in ``conftest.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import operator
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.conftest import AS_OF, REPO

from order_guard.canonical import normalize
from order_guard.checking import load_registry
from order_guard.cli import main
from order_guard.guard import Guard
from order_guard.rulelang.compiler import CompileContext

AS_OF_TIME = datetime(2026, 11, 26, 12, tzinfo=UTC)
PENDING_PACK = REPO / "rules" / "amazon" / "pending.yaml"

# --- order snapshots -------------------------------------------------------------------------

#: Status spellings as Amazon writes them (canonicalised by the reader), a word nobody knows, none.
STATUS_WORDS = ["Pending", "PENDING", "Pending - Waiting for Pick Up", "PendingAvailability", "Unshipped",
                "PartiallyShipped", "Shipped", "Shipped - Delivered to Buyer", "Canceled", "CANCELLED",
                "InvoiceUnconfirmed", "Unfulfillable", "OnHoldSomewhere", None]
CHANNEL_WORDS = ["MFN", "AFN", "Amazon", "Merchant", None]
SKUS = ["MUG", "TEA", "MOKA-3"]


@dataclass
class Snapshot:
    """One order as some source saw it at ``updated``."""

    order_id: str
    status: str | None
    channel: str | None
    purchased: datetime
    updated: datetime | None
    items: list[tuple[str, int]] = field(default_factory=list)
    tracking: str | None = None
    shipped: int | None = None
    total: Decimal | None = None
    buyer: dict[str, str] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """As a warehouse script hands it to the Python API: canonical names, raw values."""
        out: dict[str, Any] = {
            "order_id": self.order_id, "status": self.status, "fulfillment_channel": self.channel,
            "purchase_date": iso(self.purchased), "last_update_date": iso(self.updated) if self.updated else None,
            "tracking_number": self.tracking, "items_shipped": self.shipped,
            "order_total": str(self.total) if self.total is not None else None, "currency": "EUR",
            "items": [{"sku": sku, "quantity": quantity} for sku, quantity in self.items],
        }
        return out | self.buyer


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


#: Buyer data: distinctive (a search of the outputs cannot match it by chance) and plain (every
#: output format shows it as it is, so the test can see it when --show-buyer-data asks for it).
BUYER_VALUES = {
    "buyer_name": st.from_regex(r"Zq[A-Za-z]{3,9} [A-Za-z]{3,9}", fullmatch=True),
    "buyer_email": st.from_regex(r"zq[a-z0-9]{3,8}@[a-z]{3,8}\.example", fullmatch=True),
    "buyer_phone": st.from_regex(r"\+39 [0-9]{3} [0-9]{6,7}", fullmatch=True),
    "recipient_name": st.from_regex(r"Zq[A-Za-z]{3,9} [A-Za-z]{3,9}", fullmatch=True),
    "ship_address_1": st.from_regex(r"ZqVia [A-Za-z]{3,9} [0-9]{1,3}", fullmatch=True),
    "ship_phone": st.from_regex(r"\+39 [0-9]{3} [0-9]{6,7}", fullmatch=True),
    "ship_city": st.from_regex(r"Zq[A-Za-z]{3,9}", fullmatch=True),
    "ship_postal_code": st.from_regex(r"Zq[0-9]{5}", fullmatch=True),
}


@st.composite
def snapshots(draw, order_id: str, buyer: bool = False) -> Snapshot:
    purchased = AS_OF_TIME - timedelta(days=draw(st.integers(0, 40)), hours=draw(st.integers(0, 23)))
    updated = draw(st.one_of(st.none(), st.integers(0, 600).map(lambda hours: purchased + timedelta(hours=hours))))
    fields = list(BUYER_VALUES) if buyer else draw(st.lists(st.sampled_from(list(BUYER_VALUES)), max_size=2))
    return Snapshot(
        order_id=order_id,
        status=draw(st.sampled_from(STATUS_WORDS)),
        channel=draw(st.sampled_from(CHANNEL_WORDS)),
        purchased=purchased,
        updated=updated,
        items=draw(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), max_size=3)),
        tracking=draw(st.one_of(st.none(), st.just("1Z999AA10123456784"))),
        shipped=draw(st.one_of(st.none(), st.integers(0, 2))),
        total=draw(st.one_of(st.none(), st.decimals("0.01", "500", places=2))),
        buyer={name: draw(BUYER_VALUES[name]) for name in fields},
    )


def order_id(number: int) -> str:
    return f"405-{number:07d}-0000001"


@st.composite
def order_sets(draw, min_size: int = 1, max_size: int = 8, buyer: bool = False) -> list[Snapshot]:
    """Orders with distinct ids (the newest-snapshot rule is exercised separately)."""
    count = draw(st.integers(min_size, max_size))
    return [draw(snapshots(order_id(number), buyer)) for number in range(count)]


@st.composite
def shipment_ids(draw, orders: list[Snapshot]) -> list[str]:
    """Order ids of a shipping-confirmation file: some of the orders', some no dataset holds."""
    known = [order.order_id for order in orders]
    chosen = draw(st.lists(st.sampled_from(known), max_size=len(known), unique=True)) if known else []
    return chosen + [order_id(9_000_000 + n) for n in range(draw(st.integers(0, 2)))]


def finding_keys(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(finding["rule_id"], finding.get("order_id") or finding.get("sku")) for finding in findings}


_GUARD: list[Guard] = []


def guard() -> Guard:
    """The installed Amazon pack, loaded once for the module (a Guard holds no run state)."""
    if not _GUARD:
        _GUARD.append(Guard(as_of=AS_OF_TIME))
    return _GUARD[0]


def api_report(orders: list[dict], shipments: list[str] = (), inventory: list[dict] = ()) -> dict:
    datasets: dict[str, list] = {"shipments": [{"order_id": oid, "ship_date": "2026-11-26"} for oid in shipments]}
    if inventory:
        datasets["inventory"] = list(inventory)
    return guard().report(orders, datasets=datasets).data


# --- the same orders as files -----------------------------------------------------------------

ALL_ORDERS_HEADER = ["amazon-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel",
                     "sku", "quantity", "item-price", "currency", "buyer-email", "buyer-name", "buyer-phone-number",
                     "recipient-name", "ship-address-1", "ship-phone-number", "ship-city", "ship-postal-code"]
_BUYER_COLUMNS = {"buyer-email": "buyer_email", "buyer-name": "buyer_name", "buyer-phone-number": "buyer_phone",
                  "recipient-name": "recipient_name", "ship-address-1": "ship_address_1",
                  "ship-phone-number": "ship_phone", "ship-city": "ship_city", "ship-postal-code": "ship_postal_code"}
SHIP_HEADER = ["order-id", "order-item-id", "quantity", "ship-date", "carrier-code", "tracking-number"]


def all_orders_rows(order: Snapshot) -> list[list[str]]:
    """One row per item, as the All Orders report lists an order (one row without items)."""
    base = {"amazon-order-id": order.order_id, "purchase-date": iso(order.purchased),
            "last-updated-date": iso(order.updated) if order.updated else "", "order-status": order.status or "",
            "fulfillment-channel": order.channel or "", "currency": "EUR"}
    base |= {column: order.buyer.get(name, "") for column, name in _BUYER_COLUMNS.items()}
    items = order.items or [("", "")]
    price = str(order.total) if order.total is not None else ""
    return [[str({**base, "sku": sku, "quantity": quantity, "item-price": price if n == 0 else ""}.get(column, ""))
             for column in ALL_ORDERS_HEADER] for n, (sku, quantity) in enumerate(items)]


def v0_order(order: Snapshot) -> dict[str, Any]:
    """The order as Orders API v0 ``getOrders`` returns it (items merged in, as the SP-API plugin does)."""
    out: dict[str, Any] = {"AmazonOrderId": order.order_id, "OrderStatus": order.status,
                           "PurchaseDate": iso(order.purchased), "FulfillmentChannel": order.channel,
                           "NumberOfItemsShipped": order.shipped,
                           "OrderItems": [{"SellerSKU": sku, "QuantityOrdered": qty} for sku, qty in order.items]}
    if order.updated:
        out["LastUpdateDate"] = iso(order.updated)
    if order.total is not None:
        out["OrderTotal"] = {"Amount": str(order.total), "CurrencyCode": "EUR"}
    buyer = {"BuyerEmail": order.buyer.get("buyer_email"), "BuyerName": order.buyer.get("buyer_name")}
    if any(buyer.values()):
        out["BuyerInfo"] = buyer
    address = {"Name": order.buyer.get("recipient_name"), "AddressLine1": order.buyer.get("ship_address_1"),
               "Phone": order.buyer.get("ship_phone"), "City": order.buyer.get("ship_city"),
               "PostalCode": order.buyer.get("ship_postal_code")}
    if any(address.values()):
        out["ShippingAddress"] = {key: value for key, value in address.items() if value}
    return out


def write_lines(path: Path, rows: list[list[str]], header: list[str]) -> Path:
    path.write_text("\r\n".join("\t".join(row) for row in [header, *rows]) + "\r\n", encoding="utf-8")
    return path


def ship_rows(ids: list[str]) -> list[list[str]]:
    return [[oid, f"{n + 1}", "1", "2026-11-26", "BRT", f"BRT{n:06d}"] for n, oid in enumerate(ids)]


# Ways to spoil a good row: each makes exactly one record unreadable, in a field the pack reads.
def _ragged_short(row: list[str]) -> list[str]:
    return row[:-1]


def _ragged_long(row: list[str]) -> list[str]:
    return [*row, "surplus"]


def _no_order_id(row: list[str]) -> list[str]:
    return ["", *row[1:]]


def _bad_purchase_date(row: list[str]) -> list[str]:
    return [row[0], "2026-02-30", *row[2:]]


def _bad_update_date(row: list[str]) -> list[str]:
    return [row[0], row[1], "31/31/2026", *row[3:]]


def _nul_in_order_id(row: list[str]) -> list[str]:
    return [row[0] + "\x00", *row[1:]]


SPOILERS = [_ragged_short, _ragged_long, _no_order_id, _bad_purchase_date, _bad_update_date, _nul_in_order_id]


def cli(*args: object) -> tuple[int, str, str]:
    """``order-guard ARGS`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in args])
    return code, out.getvalue(), err.getvalue()


def check_json(*args: object) -> tuple[int, dict]:
    code, out, err = cli("check", *args, "--as-of", AS_OF, "--format", "json", "-q")
    assert out.startswith("{"), err
    return code, json.loads(out)


# --- records_read == records_checked + records_unreadable ---------------------------------------

def assert_counted(summary: dict, read: int, unreadable: int) -> None:
    assert summary["records_read"] == summary["records_checked"] + summary["records_unreadable"]
    assert (summary["records_read"], summary["records_unreadable"]) == (read, unreadable)
    assert summary["complete"] is (unreadable == 0)


BAD_RECORDS = [
    {"order_id": None, "status": "Pending"},
    {"order_id": "405-9999999-0000001", "status": "Pending", "purchase_date": "2026-02-30"},
    {"order_id": "405-9999999-0000002", "status": "Shipped", "items_shipped": "many"},
    {"order_id": "405-9999999-0000003", "status": "Shipped", "order_total": "NaN"},
    {"order_id": "405-9999999-0000004", "status": "Shipped", "items": ["not an item"]},
]


@given(orders=order_sets(min_size=0), bad=st.lists(st.sampled_from(BAD_RECORDS), max_size=4), data=st.data())
def test_every_record_handed_to_the_api_is_checked_or_unreadable(orders, bad, data):
    records = [order.record() for order in orders] + [dict(record) for record in bad]
    records = data.draw(st.permutations(records))
    shipments = data.draw(shipment_ids(orders))
    summary = api_report(records, shipments)["summary"]
    assert_counted(summary, len(records) + len(shipments), len(bad))


@settings(max_examples=25)  # each example runs the CLI over files
@given(orders=order_sets(), data=st.data())
def test_every_row_of_a_report_is_checked_or_unreadable(orders, data):
    rows = [row for order in orders for row in all_orders_rows(order)]
    # Spoil some rows; where they sit among the good ones is hypothesis's choice.
    spoiled = data.draw(st.lists(st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(SPOILERS)), max_size=4))
    bad_rows = [spoil(rows[index]) for index, spoil in spoiled]
    rows = data.draw(st.permutations(rows + bad_rows))
    ships = ship_rows(data.draw(shipment_ids(orders)))
    ship_bad = data.draw(st.lists(st.sampled_from([_ragged_short, _no_order_id]), max_size=2))
    ships += [spoil(["405-0000000-0000001", "9", "1", "2026-11-26", "BRT", "X"]) for spoil in ship_bad]
    with tempfile.TemporaryDirectory() as folder:
        orders_file = write_lines(Path(folder) / "all-orders.txt", rows, ALL_ORDERS_HEADER)
        ship_file = write_lines(Path(folder) / "ship-confirm.txt", ships, SHIP_HEADER)
        code, report = check_json(orders_file, ship_file)
    assert_counted(report["summary"], len(rows) + len(ships), len(bad_rows) + len(ship_bad))
    assert (code == 3) if bad_rows or ship_bad else (code in (0, 1))
    assert sum(entry["records"] for entry in report["inputs"]) == len(rows) + len(ships)


def _broken_v0(kind: str) -> Any:
    return {"no-id": {"OrderStatus": "Shipped"}, "bad-date": {"AmazonOrderId": "405-9999999-0000001",
                                                             "OrderStatus": "Pending", "PurchaseDate": "soon"},
            "not-an-object": 42, "bad-count": {"AmazonOrderId": "405-9999999-0000002", "OrderStatus": "Shipped",
                                               "NumberOfItemsShipped": "two"}}[kind]


@settings(max_examples=25)  # each example runs the CLI over files
@given(orders=order_sets(), broken=st.lists(st.sampled_from(["no-id", "bad-date", "not-an-object", "bad-count"]),
                                            max_size=3), data=st.data())
def test_every_order_of_a_json_document_is_checked_or_unreadable(orders, broken, data):
    broken_documents = [_broken_v0(kind) for kind in broken]
    documents = data.draw(st.permutations([v0_order(order) for order in orders] + broken_documents))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.json"
        path.write_text(json.dumps({"payload": {"Orders": documents}}), encoding="utf-8")
        code, report = check_json(path)
    assert_counted(report["summary"], len(documents), len(broken))
    assert len(report["errors"]) == len(broken)
    assert {error["pointer"] for error in report["errors"]} == {
        f"/payload/Orders/{index}" for index, document in enumerate(documents) if document in broken_documents}


# --- the same inputs and --as-of give byte-identical JSON -----------------------------------------

def _write_inputs(folder: Path, orders: list[Snapshot], shipments: list[str], as_json: bool) -> list[Path]:
    if as_json:
        orders_file = folder / "orders.json"
        orders_file.write_text(json.dumps({"payload": {"Orders": [v0_order(o) for o in orders]}}), encoding="utf-8")
    else:
        orders_file = write_lines(folder / "all-orders.txt", [r for o in orders for r in all_orders_rows(o)],
                                  ALL_ORDERS_HEADER)
    return [orders_file, write_lines(folder / "ship-confirm.txt", ship_rows(shipments), SHIP_HEADER)]


@settings(max_examples=25)  # each example runs the CLI over files
@given(orders=order_sets(), as_json=st.booleans(), data=st.data())
def test_the_same_files_and_as_of_give_byte_identical_json(orders, as_json, data):
    shipments = data.draw(shipment_ids(orders))
    with tempfile.TemporaryDirectory() as folder:
        inputs = _write_inputs(Path(folder), orders, shipments, as_json)
        first = cli("check", *inputs, "--as-of", AS_OF, "--format", "json")
        second = cli("check", *inputs, "--as-of", AS_OF, "--format", "json")
    assert first[1].startswith("{") and first == second


@given(orders=order_sets(), data=st.data())
def test_the_same_records_and_as_of_give_identical_reports_through_the_api(orders, data):
    records = [order.record() for order in orders]
    shipments = data.draw(shipment_ids(orders))
    first = json.dumps(api_report(records, shipments))
    assert json.dumps(api_report([order.record() for order in orders], shipments)) == first


@pytest.mark.slow
@settings(max_examples=6)
@given(orders=order_sets(), as_json=st.booleans(), data=st.data())
def test_a_fresh_process_with_another_hash_seed_writes_the_same_bytes(orders, as_json, data):
    """Set and dict order must not leak into the report: each process hashes strings differently."""
    shipments = data.draw(shipment_ids(orders))
    with tempfile.TemporaryDirectory() as folder:
        inputs = _write_inputs(Path(folder), orders, shipments, as_json)
        args = ["check", *map(str, inputs), "--as-of", AS_OF, "--format", "json"]
        in_process = cli(*args)[1]
        outputs = []
        for seed in ("1", "2"):
            env = {**os.environ, "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONHASHSEED": seed}
            done = subprocess.run([sys.executable, "-m", "order_guard", *args], capture_output=True, env=env,
                                  timeout=120)
            outputs.append(done.stdout.decode("utf-8"))
    assert outputs[0].startswith("{") and outputs == [in_process, in_process]


# --- shuffling rows never changes the set of findings -----------------------------------------------

@given(orders=order_sets(max_size=10), data=st.data())
def test_shuffled_records_give_the_same_findings_through_the_api(orders, data):
    records = [order.record() for order in orders]
    shipments = data.draw(shipment_ids(orders))
    inventory = [{"sku": sku, "quantity": data.draw(st.integers(0, 9)), "on_hand": data.draw(st.integers(0, 9))}
                 for sku in SKUS]
    before = finding_keys(api_report(records, shipments, inventory)["findings"])
    after = finding_keys(api_report(data.draw(st.permutations(records)), data.draw(st.permutations(shipments)),
                                    data.draw(st.permutations(inventory)))["findings"])
    assert after == before


@settings(max_examples=25)  # each example runs the CLI over files
@given(orders=order_sets(max_size=10), data=st.data())
def test_shuffled_report_rows_give_the_same_findings(orders, data):
    # An order's item rows share its snapshot (one last-updated-date): split up by the shuffle,
    # they are separate records of the same snapshot, and must say the same.
    rows = [row for order in orders for row in all_orders_rows(order)]
    ships = ship_rows(data.draw(shipment_ids(orders)))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        before = check_json(write_lines(folder / "a.txt", rows, ALL_ORDERS_HEADER),
                            write_lines(folder / "s.txt", ships, SHIP_HEADER))[1]
        after = check_json(write_lines(folder / "a.txt", data.draw(st.permutations(rows)), ALL_ORDERS_HEADER),
                           write_lines(folder / "s.txt", data.draw(st.permutations(ships)), SHIP_HEADER))[1]
    assert finding_keys(after["findings"]) == finding_keys(before["findings"])


@given(orders=order_sets(max_size=5), data=st.data())
def test_older_snapshots_in_any_order_never_hide_what_the_newest_says(orders, data):
    """Snapshots of one order with different update times: the newest decides, and an older one
    read later can add a stale finding (the safe mistake) but never remove the newest's."""
    snapshots_ = []
    for order in orders:
        newest = replace(order, updated=order.updated or order.purchased + timedelta(hours=1))
        older = [replace(data.draw(snapshots(order.order_id)), updated=newest.updated - timedelta(hours=hours))
                 for hours in data.draw(st.lists(st.integers(1, 48), max_size=2, unique=True))]
        snapshots_ += [newest, *older]
    shipments = data.draw(shipment_ids(orders))
    newest_only = finding_keys(api_report([replace(o, updated=o.updated or o.purchased + timedelta(hours=1)).record()
                                           for o in orders], shipments)["findings"])
    shuffled = data.draw(st.permutations([snapshot.record() for snapshot in snapshots_]))
    assert finding_keys(api_report(shuffled, shipments)["findings"]) >= newest_only


# --- adding a clean order never removes a finding ---------------------------------------------------

@given(orders=order_sets(), data=st.data())
def test_adding_a_clean_order_never_removes_a_finding(orders, data):
    shipments = data.draw(shipment_ids(orders))
    inventory = [{"sku": sku, "quantity": data.draw(st.integers(0, 9)), "on_hand": data.draw(st.integers(0, 9))}
                 for sku in SKUS]
    # A new order, no dataset names it, and checked against the same data it raises nothing.
    extra = data.draw(snapshots(order_id(8_000_000)))
    alone = api_report([extra.record()], shipments, inventory)
    assume(not [f for f in alone["findings"] if f.get("order_id") == extra.order_id])
    records = [order.record() for order in orders]
    before = finding_keys(api_report(records, shipments, inventory)["findings"])
    position = data.draw(st.integers(0, len(records)))
    after = finding_keys(api_report(records[:position] + [extra.record()] + records[position:], shipments,
                                    inventory)["findings"])
    assert after >= before


# --- a compiled condition agrees with a reference evaluation -----------------------------------------

#: The reference's own reading of literals (the canonical spellings the generator uses).
STATUS_SPELLING = {"PENDING": "Pending", "Pending - Waiting for Pick Up": "Pending", "CANCELLED": "Canceled"}
CHANNEL_SPELLING = {"Amazon": "AFN", "Merchant": "MFN"}
TYPES = {
    "orders": {"order_id": "text", "status": "text", "fulfillment_channel": "text", "tracking_number": "text",
               "purchase_date": "date", "last_update_date": "date", "items_shipped": "int", "items_unshipped": "int",
               "order_total": "decimal", "is_prime": "bool", "x_note": "any", "items": "list"},
    "items": {"sku": "text", "quantity": "int", "quantity_shipped": "int"},
}
COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge, "lt": operator.lt,
           "le": operator.le}


def ref_literal(kind: str, name: str, literal: Any) -> Any:
    kind_of = TYPES[kind][name]
    if kind == "orders" and name == "status":
        return STATUS_SPELLING.get(literal, literal)
    if kind == "orders" and name == "fulfillment_channel":
        return CHANNEL_SPELLING.get(literal, literal)
    if kind_of == "date":
        return datetime.fromisoformat(literal.replace("Z", "+00:00"))
    if kind_of == "decimal":
        return Decimal(str(literal))
    if kind_of == "text":
        return str(literal)
    return literal


def ref_value(kind: str, name: str, spec: Any, record: dict) -> Any:
    if isinstance(spec, dict) and "field" in spec:
        return record.get(spec["field"])
    if isinstance(spec, dict):
        (how, parts), = spec.items()
        values = [ref_value(kind, name, part, record) for part in parts]
        if None in values:
            return None
        total = values[0]
        for value in values[1:]:
            total = total + value if how == "add" else total - value
        return total
    return ref_literal(kind, name, spec)


def reference(node: dict, record: dict, shipments: list[dict], kind: str = "orders") -> bool:
    """What a condition means, written as plainly as the README states it."""
    if "all" in node:
        return all(reference(child, record, shipments, kind) for child in node["all"])
    if "any" in node:
        return any(reference(child, record, shipments, kind) for child in node["any"])
    if "not" in node:
        return not reference(node["not"], record, shipments, kind)
    if "exists_in" in node:
        spec = node["exists_in"]
        value = record.get(spec.get("on", spec.get("key", "order_id")))
        return value is not None and any(row.get(spec.get("key", "order_id")) == value for row in shipments)
    name = node["field"]
    (how, argument), = ((key, value) for key, value in node.items() if key != "field")
    value = record.get(name)
    if how in COMPARE:
        other = ref_value(kind, name, argument, record)
        return value is not None and other is not None and COMPARE[how](value, other)
    if how in ("in", "not_in"):
        wanted = [ref_literal(kind, name, item) for item in argument]
        return value is not None and (value in wanted) is (how == "in")
    if how == "matches":
        return isinstance(value, str) and re.search(argument, value) is not None
    if how == "starts_with":
        return isinstance(value, str) and value.startswith(argument)
    if how == "present":
        return (value not in (None, "", [], {})) is argument
    if how == "missing":
        return (value is None) is argument
    if how == "empty":
        return (value in ("", [], {})) is argument
    if how == "age_days":
        if not isinstance(value, datetime):
            return False
        age = (AS_OF_TIME - value).total_seconds() / 86400
        return all(COMPARE[bound](age, limit) for bound, limit in argument.items())
    if how == "some":
        return any(reference(argument, item, shipments, "items") for item in value or ())
    raise AssertionError(f"the reference does not know {how}")


LITERALS = {
    ("orders", "order_id"): st.sampled_from(["405-0000001-0000001", "405-0000002-0000001", "1"]),
    ("orders", "status"): st.sampled_from(["Pending", "PENDING", "Pending - Waiting for Pick Up", "Unshipped",
                                           "Shipped", "Canceled", "CANCELLED", "Unknown"]),
    ("orders", "fulfillment_channel"): st.sampled_from(["AFN", "MFN", "Amazon", "Merchant"]),
    ("orders", "tracking_number"): st.sampled_from(["1Z999", "BRT1", "2"]),
    ("orders", "purchase_date"): st.sampled_from(["2026-10-01T00:00:00Z", "2026-11-20T12:00:00Z",
                                                  "2026-11-26T12:00:00+01:00"]),
    ("orders", "last_update_date"): st.sampled_from(["2026-10-01T00:00:00Z", "2026-11-25T00:00:00Z"]),
    ("orders", "items_shipped"): st.integers(-1, 3),
    ("orders", "items_unshipped"): st.integers(-1, 3),
    ("orders", "order_total"): st.sampled_from([0, 10, "10.50", 99.99]),
    ("orders", "is_prime"): st.booleans(),
    ("orders", "x_note"): st.sampled_from(["rush", "Rush", "", 3, "3"]),
    ("items", "sku"): st.sampled_from(SKUS + ["mug"]),
    ("items", "quantity"): st.integers(0, 3),
    ("items", "quantity_shipped"): st.integers(0, 2),
}
#: Fields of one kind that can stand on the right of a comparison with each other.
SAME_TYPE = {"date": ["purchase_date", "last_update_date"], "int": ["items_shipped", "items_unshipped"],
             "text": ["order_id", "tracking_number", "status"]}


@st.composite
def field_tests(draw, kind: str, name: str) -> dict:
    kind_of = TYPES[kind][name]
    literal = LITERALS.get((kind, name))
    choices = ["present", "missing", "empty"]
    if kind_of == "list":
        choices.append("some")
    else:
        choices += ["eq", "ne", "in", "not_in"]
        if kind_of in ("text", "date", "int", "decimal", "any"):
            choices += ["gt", "ge", "lt", "le"]
        if kind_of in ("text", "any"):
            choices += ["matches", "starts_with"]
        if kind_of == "date":
            choices.append("age_days")
    how = draw(st.sampled_from(choices))
    if how in ("present", "missing", "empty"):
        argument: Any = draw(st.booleans())
    elif how == "some":
        argument = draw(conditions("items"))
    elif how in ("in", "not_in"):
        argument = draw(st.lists(literal, min_size=1, max_size=3))
    elif how == "matches":
        argument = draw(st.sampled_from(["^Pend", "ship", "[0-9]+", "^$", "Z|1", "(?i)rush"]))
    elif how == "starts_with":
        argument = draw(st.sampled_from(["Pend", "405-", "", "r"]))
    elif how == "age_days":
        bounds = draw(st.lists(st.sampled_from(list(COMPARE)[2:]), min_size=1, max_size=2, unique=True))
        argument = {bound: draw(st.sampled_from([0, 1.5, 21, 28, 60])) for bound in bounds}
    else:
        peers = [peer for peer in SAME_TYPE.get(kind_of, []) if kind == "orders"]
        right = [literal]
        if peers:
            right.append(st.sampled_from(peers).map(lambda peer: {"field": peer}))
        if kind == "orders" and kind_of == "int":
            part = st.one_of(st.integers(0, 2), st.sampled_from(peers).map(lambda peer: {"field": peer}))
            right.append(st.builds(lambda how, parts: {how: parts}, st.sampled_from(["add", "sub"]),
                                   st.lists(part, min_size=2, max_size=3)))
        argument = draw(st.one_of(right))
    return {"field": name, how: argument}


def conditions(kind: str = "orders") -> st.SearchStrategy[dict]:
    # Each field as likely as the next, and look-ups as likely as one field.
    leaves = [field_tests(kind, name) for name in TYPES[kind]]
    if kind == "orders":
        leaves.append(st.sampled_from([
            {"exists_in": {"dataset": "shipments"}},
            {"exists_in": {"dataset": "shipments", "key": "tracking_number", "on": "tracking_number"}}]))
    return st.recursive(st.one_of(leaves), lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4).map(lambda parts: {"all": parts}),
        st.lists(inner, min_size=1, max_size=4).map(lambda parts: {"any": parts}),
        inner.map(lambda part: {"not": part})), max_leaves=8)


def raw_records() -> st.SearchStrategy[dict]:
    """Orders as a source hands them over (canonical names, raw values, some fields absent)."""
    values = {
        "order_id": st.sampled_from(["405-0000001-0000001", "405-0000002-0000001", "1"]),
        "status": st.sampled_from([word for word in STATUS_WORDS if word] + ["Unknown"]),
        "fulfillment_channel": st.sampled_from([word for word in CHANNEL_WORDS if word]),
        "tracking_number": st.sampled_from(["1Z999", "BRT1", "2", ""]),
        "purchase_date": st.sampled_from(["2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-11-04T12:00:00Z",
                                          "2026-11-20T12:00:00Z", "2026-11-26T11:00:00Z"]),
        "last_update_date": st.sampled_from(["2026-10-01T00:00:00Z", "2026-11-25T00:00:00Z"]),
        "items_shipped": st.integers(-1, 3), "items_unshipped": st.integers(0, 3),
        "order_total": st.sampled_from(["0", "10", "10.5", "99.99"]),
        "is_prime": st.booleans(),
        "x_note": st.sampled_from(["rush", "Rush", "3", 3, "  "]),
        "items": st.lists(st.fixed_dictionaries({}, optional={
            "sku": st.sampled_from(SKUS), "quantity": st.integers(0, 3), "quantity_shipped": st.integers(0, 2)}),
            max_size=3),
    }
    return st.fixed_dictionaries({"order_id": values.pop("order_id")},
                                 optional={name: st.one_of(st.none(), strategy) for name, strategy in values.items()})


class ShipmentIndex:
    """The look-ups a compiled condition asks for, over a list of shipment records."""

    def __init__(self, shipments: list[dict]):
        self.shipments = shipments

    def index(self, dataset: str, key: str, on: str, requester: str) -> dict:
        table: dict = {}
        for row in self.shipments:
            if row.get(key) is not None:
                table.setdefault(row[key], []).append(row)
        return table

    def aggregate(self, spec, where, requester):  # pragma: no cover - the generator writes no aggregates
        raise AssertionError("no aggregates here")


def outcome(evaluate, *args: Any) -> Any:
    """The result, or the kind of error: a rule that cannot compare two values must fail the same way."""
    try:
        return evaluate(*args)
    except TypeError:
        return TypeError


_OPERATORS: list = []


@pytest.mark.slow  # 400 examples: fewer miss operators that only disagree on two bounds at once
@settings(max_examples=400)
@given(condition=conditions(), raws=st.lists(raw_records(), min_size=2, max_size=8),
       shipments=st.lists(st.fixed_dictionaries({"order_id": st.sampled_from(["405-0000001-0000001", "9"]),
                                                 "tracking_number": st.sampled_from(["1Z999", "X"])}), max_size=2))
def test_a_compiled_condition_agrees_with_the_reference(condition, raws, shipments):
    if not _OPERATORS:
        _OPERATORS.append(load_registry().operators)
    context = CompileContext("orders", _OPERATORS[0], AS_OF_TIME, ShipmentIndex(shipments))
    compiled = context.condition(condition)
    for raw in raws:
        record = normalize("orders", raw)
        assert outcome(compiled, record) == outcome(reference, condition, record, shipments), (condition, record)


# --- buyer data never reaches an output unless asked ------------------------------------------------

FORMATS = ["json", "junit", "sarif", "github", "markdown", "html"]
#: One rule per buyer field, naming it in its message (short: the table shortens long messages).
BUYER_RULE = """\
  - id: TEST-BUYER-{number:03d}
    name: echo-{number}
    severity: high
    summary: Every order, with one buyer field in the message.
    fail_if: {{field: order_id, starts_with: "405-"}}
    message: "Order {{order_id}}: {{{name}}}"
    rationale: r
    remediation: r
    references: [test]
    examples:
      bad: [{{order: {{order_id: "405-1"}}}}]
      good: [{{order: {{order_id: "2"}}}}]
"""
BUYER_PACK = 'pack: {name: buyer-echo, version: "1"}\nrules:\n' + "".join(
    BUYER_RULE.format(number=number, name=name) for number, name in enumerate(BUYER_VALUES, start=1))


def _all_outputs(folder: Path, inputs: list[Path], *flags: str) -> dict[str, str]:
    rules = folder / "buyer-echo.yaml"
    rules.write_text(BUYER_PACK, encoding="utf-8")
    outputs = {name: folder / f"out-{len(flags)}.{name}" for name in FORMATS}
    code, stdout, stderr = cli("check", *inputs, "--as-of", AS_OF, "--rules", PENDING_PACK, "--rules", rules,
                               *[f"--output={name}={path}" for name, path in outputs.items()], *flags)
    assert code in (1, 3), stderr
    texts = {name: path.read_text(encoding="utf-8") for name, path in outputs.items()}
    return {"table": stdout, "stderr": stderr, **texts}


@settings(max_examples=25)
@given(orders=order_sets(max_size=4, buyer=True), as_json=st.booleans(), data=st.data())
def test_buyer_data_reaches_no_output_unless_asked(orders, as_json, data):
    shipments = data.draw(shipment_ids(orders))
    with tempfile.TemporaryDirectory() as folder:
        inputs = _write_inputs(Path(folder), orders, shipments, as_json)
        hidden = _all_outputs(Path(folder), inputs)
        shown = _all_outputs(Path(folder), inputs, "--show-buyer-data")
    # v0 JSON has no buyer phone: only what the file carries can leak.
    carried = {name for name in BUYER_VALUES if not (as_json and name == "buyer_phone")}
    values = {order.buyer[name] for order in orders for name in carried}
    for output, text in hidden.items():
        leaked = [value for value in values if value in text]
        assert not leaked, f"{output} shows buyer data: {leaked}"
    for output in ("table", *FORMATS):
        missing = [value for value in values if value not in shown[output]]
        assert not missing, f"{output} does not show buyer data even with --show-buyer-data: {missing}"
