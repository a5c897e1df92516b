"""Pushed down and streamed give the same report: every rule example, and random data (fixed seed),
on SQLite and PostgreSQL. The report includes findings (ids, messages, evidence, locations, value at
risk), errors and the counts; a difference anywhere fails."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from order_guard.checking import load_registry
from order_guard.rulelang.loader import load_packs

from sql_db import load_kind, load_orders, run_check

PACK = Path(__file__).resolve().parents[3] / "rules" / "amazon" / "pending.yaml"
AS_OF = "2026-11-26T12:00:00Z"


def _examples():
    registry = load_registry()
    pack, = load_packs([PACK], registry.operators)
    for rule in pack.rules:
        for verdict in ("bad", "good"):
            for number, example in enumerate(rule.examples.get(verdict, [])):
                yield pytest.param(rule.id, verdict, example, id=f"{rule.id}-{verdict}-{number}")


def _datasets(db, world: dict) -> list[str]:
    args = ["--dataset", f"orders={db.url(load_orders(db, world['orders']))}"]
    for kind in ("shipments", "order-report", "unshipped-report", "inventory"):
        if world.get(kind):
            args += ["--dataset", f"{kind}={db.url(load_kind(db, kind, world[kind]))}"]
    return args


def _same_report(cli, monkeypatch, args):
    pushed = run_check(cli, monkeypatch, *args, "--explain", pushdown=True)
    streamed = run_check(cli, monkeypatch, *args, pushdown=False)
    assert pushed[1] is not None and streamed[1] is not None, (pushed[2] + streamed[2])[-3000:]
    for part in ("summary", "findings", "errors"):
        assert pushed[1][part] == streamed[1][part], part
    assert pushed[0] == streamed[0]
    return pushed


@pytest.mark.parametrize(("rule_id", "verdict", "example"), list(_examples()))
def test_every_rule_example_gives_the_same_findings_pushed_down_and_streamed(
        pushdown_db, order_guard_cli, monkeypatch, rule_id, verdict, example):
    world = {"orders": example["orders"] if "orders" in example else [example["order"]],
             **{kind: example.get(kind) for kind in ("shipments", "order-report", "unshipped-report", "inventory")}}
    args = [*_datasets(pushdown_db, world), "--as-of", example.get("as_of", AS_OF)]
    code, report, stderr = _same_report(order_guard_cli, monkeypatch, args)
    fired = {finding["rule_id"] for finding in report["findings"]}
    assert (rule_id in fired) == (verdict == "bad"), stderr[-2000:]


STATUSES = ["Pending", "PENDING", "PendingAvailability", "Unshipped", "Shipped", "Canceled", "CANCELLED",
            "Pending - Waiting for Pick Up", "shipping", "OnHold", "", None, " pending ", "P\u00e9nding",
            "Partially Shipped", "InvoiceUnconfirmed", "\tPending", "Unshipped"]
CHANNELS = ["AFN", "MFN", "Amazon", "Merchant", "", None, "afn ", "Other", "MFN"]
TEXT_DATES = ["2026-10-01T10:00:00Z", "2026-11-05 12:00:00", "2026-10-29", "2026-10-29T12:00:00.000+00:00",
              "2026-11-05T12:00:00Z", "2026-11-05T12:00:00.001Z", "2026-10-29T11:59:59", "29-10-2026",
              "2026-11-20T09:00:00+02:00", "2026-02-30", None, "", "2026-10-28T12:00:00.000000"]
SERVER_DATES = ["2026-10-01T10:00:00Z", "2026-11-05T12:00:00Z", "2026-11-05T12:00:00.000001Z", "2026-10-29T12:00:00Z",
                "2026-10-29T11:59:59.999999Z", "2026-11-20T09:00:00+02:00", "2026-11-25T00:00:00Z", None]
TRACKING = [None, "", "  ", "\t", "1Z999", "\u00a0", None, None]
EMAILS = [None, None, "", "a@example.com", " ", "\u3000"]


def random_world(seed: int, orders: int, sqlite: bool) -> dict:
    rng = random.Random(seed)
    dates = TEXT_DATES if sqlite else SERVER_DATES
    world: dict = {"orders": [], "shipments": [], "unshipped-report": [], "inventory": []}
    for number in range(orders):
        order_id = f"{100 + number}-{rng.randint(1000000, 9999999)}-0000001"
        if rng.random() < 0.02:
            order_id = rng.choice([None, "  "])
        items = [{"sku": rng.choice(["MUG", "CUP", "PEN", None]), "quantity": rng.randint(1, 3),
                  "order_item_id": f"{number}-{k}"} for k in range(rng.choice([1, 1, 1, 2, 3]))]
        if len(items) > 1 and rng.random() < 0.15:  # a stale row: another status or channel on one item row
            items[1]["_row"] = {rng.choice(["status", "fulfillment_channel"]): rng.choice(["Shipped", "AFN"])}
        shipped = rng.choice([None, 0, 0, 1, 2])
        if sqlite and rng.random() < 0.03:
            shipped = rng.choice(["1", "x", 1.5])
        order = {"order_id": order_id, "status": rng.choice(STATUSES), "fulfillment_channel": rng.choice(CHANNELS),
                 "purchase_date": rng.choice(dates), "tracking_number": rng.choice(TRACKING),
                 "items_shipped": shipped, "buyer_email": rng.choice(EMAILS),
                 "ship_address_1": rng.choice([None, None, "1 Example Street", ""]),
                 "order_total": rng.choice([None, "49.90", "10"]), "currency": "EUR", "items": items}
        world["orders"].append(order)
        if order_id and order_id.strip() and rng.random() < 0.3:
            world["shipments"].append({"order_id": order_id, "ship_date": rng.choice(dates[:5]),
                                       "tracking_number": "T" + str(number)})
        if order_id and order_id.strip() and rng.random() < 0.15:
            world["unshipped-report"].append({"order_id": order_id, "order_item_id": "1", "quantity_to_ship": 1})
    world["shipments"] += [{"order_id": "999-0000000-0000001", "ship_date": dates[0]}]
    world["inventory"] = [{"sku": sku, "quantity": rng.randint(0, 9), "on_hand": rng.randint(0, 9)}
                          for sku in ("MUG", "CUP", "PEN")]
    return world


@pytest.mark.parametrize("seed", [7, 2026])
@pytest.mark.parametrize("with_inventory", [False, True])
def test_random_orders_give_the_same_report_pushed_down_and_streamed(pushdown_db, order_guard_cli, monkeypatch,
                                                                   seed, with_inventory):
    world = random_world(seed, 160, sqlite=pushdown_db.name == "sqlite")
    if not with_inventory:
        world["inventory"] = []
    code, report, stderr = _same_report(order_guard_cli, monkeypatch, [*_datasets(pushdown_db, world),
                                                                      "--as-of", AS_OF])
    assert report["findings"], "the random data must make rules fire"
    assert "pushed down:" in stderr, stderr[-2000:]
    if with_inventory:  # the units Pending orders hold: summed over the orders the database returns
        assert "pushed down (the orders summed)" in stderr
        assert "AMZ-PEND-006" in report["summary"]["by_rule"]


def test_pushdown_returns_only_the_orders_that_fail(sqlite_db, order_guard_cli, monkeypatch):
    """On plain data the database returns exactly the failing orders: no candidate is re-checked in vain."""
    orders = [{"order_id": f"1-{n}", "status": "Pending" if n % 10 == 0 else "Unshipped", "fulfillment_channel": "MFN",
               "purchase_date": "2026-11-20T10:00:00Z", "items": [{"sku": "MUG", "quantity": 1}]} for n in range(200)]
    url = sqlite_db.url(load_orders(sqlite_db, orders))
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset", f"orders={url}", "--as-of", AS_OF,
                                     "--explain")
    assert report["summary"]["records_read"] == 200 == report["summary"]["records_checked"]
    assert "re-checked in Python" not in stderr
    assert "pushed down:" in stderr
