"""Rows that cannot matter are skipped without being read, and the report is exactly the same.

The streaming engine skips an All Orders row when no check can fail on it (``relevance.py``,
``skimming.py``). These tests hold a skipping run to a run that reads every row
(``ORDER_GUARD_READ_EVERY_ROW=1``) on messy generated reports: the JSON reports must be
identical, byte for byte, including what is unreadable and where.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import AS_OF, write_tsv
from tests.test_formats import ALL_ORDERS_HEADER, SHIP_CONFIRM_HEADER, UNSHIPPED_HEADER

from order_guard.builtin.json_reporter import render_json
from order_guard.canonical import parse_datetime
from order_guard.checking import CheckRequest, run_check
from order_guard.datasets import DatasetRequest
from order_guard.report import RenderOptions

IDS = [f"405-0000000-00000{n:02d}" for n in range(8)]
#: Cells a real report holds, and cells that should make a record unreadable or doubtful.
CELLS = {
    "amazon-order-id": st.sampled_from(IDS + ["", " ", "\ufeff" + IDS[0], IDS[1] + "\x00"]),
    "order-status": st.sampled_from(["Shipped", "Shipped - Delivered to Buyer", "Unshipped", "Pending",
                                     "PendingAvailability", "Pending - Waiting for Pick Up", "Canceled",
                                     "Shipping", "Shiped", "", "Shipped\x00", "\ufeffShipped"]),
    "fulfillment-channel": st.sampled_from(["Amazon", "Merchant", "AFN", "MFN", "", "Elsewhere"]),
    # ISO 8601 look-alikes of days that do not exist: unreadable, not skipped (the skimmer reads
    # ISO dates in C and numbers it saw parse before without a parser).
    "purchase-date": st.sampled_from(["2026-11-20T10:00:00+00:00", "2026-10-01T08:00:00Z", "2026-09-01",
                                      "2026-10-20 08:00:00 GMT", "yesterday", "", "13/13/2026",
                                      "2026-02-29T10:00:00+00:00", "2026-04-31", " "]),
    "last-updated-date": st.sampled_from(["2026-11-20T10:00:00+00:00", "2026-11-21T10:00:00+00:00", "",
                                          "2026-11-31T10:00:00+00:00"]),
    "quantity": st.sampled_from(["1", "2", "two", "", "1.0", " ", "1.5"]),
    "item-price": st.sampled_from(["9.50", "", "abc", "4,90", " ", "9.50.1"]),
    "sku": st.sampled_from(["SKU-1", "SKU-2", ""]),
    "ship-address-1": st.sampled_from(["", "", "1 Via Roma"]),
    "currency": st.sampled_from(["EUR", ""]),
}


@st.composite
def all_orders_rows(draw) -> list[list[str]]:
    rows = []
    for _ in range(draw(st.integers(1, 30))):
        row = {column: draw(strategy) for column, strategy in CELLS.items()}
        cells = [row.get(column, "") for column in ALL_ORDERS_HEADER]
        rows.append(cells)
        if draw(st.integers(0, 3)) == 0:  # another item of the same order, on the next row
            rows.append([draw(CELLS[c]) if c in ("quantity", "sku", "item-price") else v
                         for c, v in zip(ALL_ORDERS_HEADER, cells, strict=True)])
        if draw(st.integers(0, 15)) == 0:
            rows.append(cells[:-2])  # a ragged row
        if draw(st.integers(0, 15)) == 0:
            rows.append(draw(st.sampled_from([[], ["  "]])))  # a blank line: no record, but a line
    return rows


def report_json(paths: list[Path], monkeypatch, read_every_row: bool) -> tuple[str, list]:
    if read_every_row:
        monkeypatch.setenv("ORDER_GUARD_READ_EVERY_ROW", "1")
    else:
        monkeypatch.delenv("ORDER_GUARD_READ_EVERY_ROW", raising=False)
    seen = []
    request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths],
                           as_of=parse_datetime(AS_OF), on_dataset=seen.append)
    report, _ = run_check(request)
    out = io.StringIO()
    render_json(report, out, RenderOptions())
    return out.getvalue(), seen


def write_inputs(directory: Path, rows: list[list[str]], shipped: set[str], unshipped: set[str]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    orders = write_tsv(directory / "all-orders.txt", ALL_ORDERS_HEADER, rows)
    ship = write_tsv(directory / "confirm.txt", SHIP_CONFIRM_HEADER,
                     [[order, "1", "1", "2026-11-21", "BRT", "", "1Z", "Standard"][:len(SHIP_CONFIRM_HEADER)]
                      for order in sorted(shipped)])
    open_orders = write_tsv(directory / "unshipped.txt", UNSHIPPED_HEADER,
                            [[{"order-id": order, "order-item-id": "1", "quantity-purchased": "1",
                               "quantity-to-ship": "1"}.get(column, "") for column in UNSHIPPED_HEADER]
                             for order in sorted(unshipped)])
    return [orders, ship, open_orders]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=all_orders_rows(), shipped=st.sets(st.sampled_from(IDS)), unshipped=st.sets(st.sampled_from(IDS)))
def test_skipping_rows_changes_nothing_in_the_report(tmp_path_factory, monkeypatch, rows, shipped, unshipped):
    paths = write_inputs(tmp_path_factory.mktemp("inputs"), rows, shipped, unshipped)

    skipping, _ = report_json(paths, monkeypatch, read_every_row=False)
    reading, _ = report_json(paths, monkeypatch, read_every_row=True)

    assert skipping == reading


def test_rows_no_check_needs_are_skipped_and_counted_as_checked(tmp_path, monkeypatch):
    # Shipped orders nobody shipped again: no Pending check can fail on them.
    rows = [[{"amazon-order-id": order, "order-status": "Shipped", "fulfillment-channel": "Merchant",
              "purchase-date": "2026-11-20T10:00:00+00:00", "quantity": "1", "item-price": "9.50"}.get(column, "")
             for column in ALL_ORDERS_HEADER] for order in IDS]
    rows.append([{"amazon-order-id": "405-9999999-0000001", "order-status": "Pending",
                  "purchase-date": "2026-11-20T10:00:00+00:00", "quantity": "1"}.get(column, "")
                 for column in ALL_ORDERS_HEADER])
    paths = write_inputs(tmp_path, rows, shipped={"405-9999999-0000001"}, unshipped=set())

    text, datasets = report_json(paths, monkeypatch, read_every_row=False)

    (orders,) = [dataset for dataset in datasets if dataset.kind == "orders"]
    assert orders.records_skipped == len(IDS)  # every Shipped row, and not the Pending one
    assert '"records_checked": 10' in text  # 9 order rows and the one shipment
    assert "AMZ-PEND-001" in text


@pytest.mark.parametrize("bad", [{"purchase-date": "yesterday"}, {"quantity": "two"}, {"item-price": "abc"}])
def test_a_row_that_would_be_skipped_is_still_unreadable_when_a_cell_is_bad(tmp_path, monkeypatch, bad):
    row = {"amazon-order-id": IDS[0], "order-status": "Shipped", "purchase-date": "2026-11-20T10:00:00+00:00",
           "quantity": "1", "item-price": "9.50", **bad}
    paths = write_inputs(tmp_path, [[row.get(column, "") for column in ALL_ORDERS_HEADER]], set(), set())

    text, datasets = report_json(paths, monkeypatch, read_every_row=False)

    (orders,) = [dataset for dataset in datasets if dataset.kind == "orders"]
    assert orders.records_unreadable == 1 and orders.records_skipped == 0
    assert '"complete": false' in text


def test_a_bad_date_among_skipped_rows_is_unreadable_on_its_own_line(tmp_path, monkeypatch):
    def shipped(order: str, date: str) -> list[str]:
        row = {"amazon-order-id": order, "order-status": "Shipped", "purchase-date": date, "quantity": "1",
               "item-price": "9.50"}
        return [row.get(column, "") for column in ALL_ORDERS_HEADER]

    rows = [[], shipped(IDS[0], "2026-11-20T10:00:00+00:00"), ["  "], shipped(IDS[1], "2026-02-30T10:00:00+00:00"),
            shipped(IDS[2], "2026-11-20T10:00:00+00:00")]
    paths = write_inputs(tmp_path, rows, set(), set())

    _, datasets = report_json(paths, monkeypatch, read_every_row=False)

    (orders,) = [dataset for dataset in datasets if dataset.kind == "orders"]
    assert (orders.records_read, orders.records_skipped, orders.records_unreadable) == (3, 2, 1)
    assert [error.line for error in orders.errors] == [5]  # header, blank, row, blank, this row


def test_thousands_of_distinct_dates_are_still_each_read(tmp_path, monkeypatch):
    # Past a few thousand distinct dates the skimmer stops remembering them: each is read again.
    def shipped(number: int) -> list[str]:
        date = f"2026-11-{1 + number // 1440:02d}T{number // 60 % 24:02d}:{number % 60:02d}:00Z"
        row = {"amazon-order-id": f"405-0000001-{number:07d}", "order-status": "Shipped", "purchase-date": date,
               "last-updated-date": date, "quantity": "1", "item-price": "9.50"}
        return [row.get(column, "") for column in ALL_ORDERS_HEADER]

    rows = [shipped(number) for number in range(5000)]
    rows[-1][ALL_ORDERS_HEADER.index("last-updated-date")] = "2026-11-31T10:00:00Z"
    paths = write_inputs(tmp_path, rows, set(), set())

    skipping, datasets = report_json(paths, monkeypatch, read_every_row=False)
    reading, _ = report_json(paths, monkeypatch, read_every_row=True)

    (orders,) = [dataset for dataset in datasets if dataset.kind == "orders"]
    assert (orders.records_skipped, orders.records_unreadable) == (4999, 1)
    assert [error.line for error in orders.errors] == [5001]
    assert skipping == reading


def test_a_rule_the_derivation_cannot_read_makes_every_row_matter(tmp_path, monkeypatch):
    rules = tmp_path / "rules.yaml"
    rules.write_text("""
pack: {name: t, version: "1"}
rules:
  - id: T-001
    name: big-orders
    severity: low
    summary: An order total above 100.
    fail_if: {field: order_total, gt: 100}
    message: "Order {order_id} is large"
    rationale: r
    remediation: m
    references: [x]
    examples:
      bad: [{order: {order_id: "1", order_total: "150"}}]
      good: [{order: {order_id: "2", order_total: "5"}}]
""")
    row = {"amazon-order-id": IDS[0], "order-status": "Shipped", "item-price": "150.00"}
    paths = write_inputs(tmp_path, [[row.get(column, "") for column in ALL_ORDERS_HEADER]], set(), set())
    seen: list = []
    request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths], rules=[rules],
                           as_of=parse_datetime(AS_OF), on_dataset=seen.append)

    report, _ = run_check(request)

    assert [finding["rule_id"] for finding in report.findings] == ["T-001"]
    assert sum(dataset.records_skipped for dataset in seen) == 0


SELLER_RULE = """
pack: {{name: t, version: "1"}}
rules:
  - id: T-002
    name: seller-rule
    severity: low
    summary: A seller's own rule.
    when: {when}
    fail_if: {{field: purchase_date, age_days: {{gt: 3}}}}
    message: "Order {{order_id}} matched"
    rationale: r
    remediation: m
    references: [x]
    examples:
      bad: [{{as_of: "2026-11-26T12:00:00Z", order: {{order_id: "1", status: Unshipped, fulfillment_channel: MFN,
                                                     sales_channel: Amazon.de, purchase_date: "2026-11-01T10:00:00Z"}}}}]
      good: [{{as_of: "2026-11-26T12:00:00Z", order: {{order_id: "2", status: Shipped,
                                                      purchase_date: "2026-11-01T10:00:00Z"}}}}]
"""


@pytest.mark.parametrize(("when", "expected"), [
    # one text cell decides (the gate looks the status up twice, as one cell)
    ("{field: status, eq: Unshipped}", 8),
    # three: status and channel are looked up, the sales channel stays in the residual test
    ("{all: [{field: status, eq: Unshipped}, {field: sales_channel, eq: Amazon.de}, "
     "{field: fulfillment_channel, eq: MFN}]}", 2),
])
def test_a_seller_rule_on_one_or_three_text_cells_skips_exactly(tmp_path, monkeypatch, when, expected):
    rules = tmp_path / "rules.yaml"
    rules.write_text(SELLER_RULE.format(when=when))
    rows = []
    for number, (status, channel, market, date) in enumerate(
            (status, channel, market, date) for status in ("Unshipped", "Shipped") for channel in ("MFN", "AFN")
            for market in ("Amazon.de", "Amazon.it") for date in ("2026-11-01T10:00:00Z", "2026-11-25T10:00:00Z",
                                                                  "2026-11-02T10:00:00Z")):
        cells = {"amazon-order-id": f"405-0000002-{number:07d}", "order-status": status,
                 "fulfillment-channel": channel, "sales-channel": market, "purchase-date": date, "quantity": "1"}
        rows.append([cells.get(column, "") for column in ALL_ORDERS_HEADER])
    paths = write_inputs(tmp_path, rows, set(), set())

    def findings(read_every_row: bool) -> list[str]:
        monkeypatch.setenv("ORDER_GUARD_READ_EVERY_ROW", "1") if read_every_row else \
            monkeypatch.delenv("ORDER_GUARD_READ_EVERY_ROW", raising=False)
        request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths], rules=[rules],
                               as_of=parse_datetime(AS_OF))
        report, _ = run_check(request)
        return sorted(finding["order_id"] for finding in report.findings if finding["rule_id"] == "T-002")

    skipping = findings(read_every_row=False)
    assert len(skipping) == expected
    assert skipping == findings(read_every_row=True)
