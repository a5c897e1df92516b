"""Reports API datasets: the whole flow, compression, charsets, restricted reports, waiting bounds."""

from __future__ import annotations

import gzip

import pytest
from order_guard.checking import load_registry
from order_guard.datasets import DatasetRequest

from order_guard_sp_api.source import open_sp_api
from sp_api_data import AS_OF, ITALY
from sp_api_fake import Document

ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
UNSHIPPED = "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING"
LISTINGS = "GET_MERCHANT_LISTINGS_DATA_LITE"

ALL_ORDERS_HEADER = ("amazon-order-id merchant-order-id purchase-date last-updated-date order-status "
                     "fulfillment-channel sales-channel order-channel ship-service-level product-name sku asin "
                     "item-status quantity currency item-price item-tax shipping-price shipping-tax gift-wrap-price "
                     "gift-wrap-tax item-promotion-discount ship-promotion-discount ship-city ship-state "
                     "ship-postal-code ship-country promotion-ids is-business-order purchase-order-number "
                     "price-designation").split()


def all_orders_rows() -> list[list[str]]:
    def row(order, status, title, sku, quantity, price, city):
        return [order, "", "2026-11-20T09:15:00+00:00", "2026-11-20T09:16:00+00:00", status, "Merchant",
                "Amazon.it", "", "Standard", title, sku, "B0TEST0001", "Unshipped", quantity, "EUR", price, "", "",
                "", "", "", "", "", city, "FC", "47121", "IT", "", "false", "", ""]

    return [
        row("171-4410002-2000001", "Pending", "Tazzine da caffè in porcellana", "TAZZINE-6", "2", "", "Forlì"),
        row("171-4410002-2000001", "Pending", "Macinacaffè manuale", "MACINA-1", "1", "", "Forlì"),
        row("171-4410002-2000002", "Shipped", "Caffettiera moka \u00abclassica\u00bb", "MOKA-3", "1", "29.90",
            "Città di Castello"),
    ]


def tsv(header: list[str], rows: list[list[str]]) -> str:
    return "\r\n".join("\t".join(line) for line in [header, *rows]) + "\r\n"


def report_url(report_type: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"marketplace": ITALY, **params}.items())
    return f"sp-api://reports/{report_type}?{query}"


def read(url: str, kind: str | None = None):
    dataset = open_sp_api(DatasetRequest(url, kind), load_registry())[0]
    return list(dataset.records()), dataset


@pytest.mark.parametrize("content_type", ["text/plain;charset=ISO-8859-1", "text/plain"],
                         ids=["declared", "no-charset"])
def test_gzip_iso_8859_1_all_orders_report_is_read_right(sp_env, content_type):
    text = tsv(ALL_ORDERS_HEADER, all_orders_rows())
    sp_env.documents[ALL_ORDERS] = Document(gzip.compress(text.encode("iso-8859-1")), content_type, gzip=True)
    records, dataset = read(report_url(ALL_ORDERS, data_start_time="2026-11-01T00:00:00Z"))
    assert [r["order_id"] for r in records] == ["171-4410002-2000001", "171-4410002-2000002"]
    pending, shipped = records
    assert [item["title"] for item in pending["items"]] == ["Tazzine da caffè in porcellana", "Macinacaffè manuale"]
    assert shipped["items"][0]["title"] == "Caffettiera moka «classica»"
    assert (pending["ship_city"], shipped["ship_city"]) == ("Forlì", "Città di Castello")
    assert (dataset.kind, dataset.format, dataset.details["compressed"]) == ("orders", "all-orders-report", "gzip")
    assert not dataset.errors and dataset.records_unreadable == 0
    # The whole flow ran: createReport with the range, polls until DONE, the document, the download.
    [create] = sp_env.calls("createReport")
    assert b'"dataStartTime": "2026-11-01T00:00:00Z"' in create.body and ITALY.encode() in create.body
    assert len(sp_env.calls("getReport")) == sp_env.polls_until_done
    [download] = sp_env.calls("download")
    assert "x-amz-access-token" not in download.headers  # the presigned URL needs no token


def test_windows_31j_listings_report_is_read_as_cp932(sp_env):
    text = tsv(["seller-sku", "asin1", "price", "quantity"],
               [["MOKA-3", "B0TEST0003", "2980", "5"], ["急須-赤", "B0TEST0004", "1980", "2"]])
    sp_env.documents[LISTINGS] = Document(text.encode("cp932"), "text/plain; charset=Windows-31J")
    records, dataset = read(report_url(LISTINGS))
    assert [r["sku"] for r in records] == ["MOKA-3", "急須-赤"]
    assert dataset.kind == "inventory" and dataset.details["encoding"] == "cp932"


def test_report_through_the_cli_is_checked_like_the_file(sp_env, run_cli, tmp_path):
    text = tsv(ALL_ORDERS_HEADER, all_orders_rows())
    sp_env.documents[ALL_ORDERS] = Document(gzip.compress(text.encode("iso-8859-1")),
                                            "text/plain;charset=ISO-8859-1", gzip=True)
    (tmp_path / "all-orders.txt").write_bytes(text.encode("iso-8859-1"))
    common = ["--as-of", AS_OF, "--format", "json"]
    live = run_cli("check", "--dataset", f"orders={report_url(ALL_ORDERS)}", *common)
    offline = run_cli("check", str(tmp_path / "all-orders.txt"), *common)
    assert live.exit_code == offline.exit_code == 0, live.stdout
    assert live.json()["inputs"][0]["records"] == offline.json()["inputs"][0]["records"] == 3
    assert live.json()["inputs"][0]["format"] == "all-orders-report"
    assert live.json()["inputs"][0]["sha256"] == __import__("hashlib").sha256(
        sp_env.documents[ALL_ORDERS].content).hexdigest()


def test_a_restricted_report_needs_rdt_1_and_nothing_is_asked_without_it(sp_env, run_cli):
    result = run_cli("check", "--dataset", f"unshipped-report={report_url(UNSHIPPED)}", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "Restricted Data Token" in result.stderr and "rdt=1" in result.stderr
    assert sp_env.seen == []  # refused before any call


def test_a_restricted_report_with_rdt_1_uses_the_token_for_its_document_only(sp_env):
    header = ["order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "sku",
              "product-name", "quantity-purchased", "quantity-shipped", "quantity-to-ship", "ship-service-level",
              "recipient-name", "ship-address-1", "ship-city", "ship-postal-code", "ship-country"]
    row = ["171-4410001-1000002", "40110000000021", "2026-11-21T10:00:00+00:00", "2026-11-21T10:05:00+00:00",
           "x7k2m9q1w3e5r7t9@marketplace.amazon.it", "TAZZINE-6", "Tazzine da caffè", "1", "0", "1", "Standard",
           "Giulia Verdi", "Via dell'Indipendenza 12", "Bologna", "40121", "IT"]
    sp_env.documents[UNSHIPPED] = Document(tsv(header, [row]).encode("utf-8"), "text/plain; charset=UTF-8")
    records, dataset = read(report_url(UNSHIPPED, rdt="1"))
    assert [r["order_id"] for r in records] == ["171-4410001-1000002"]
    assert dataset.kind == "unshipped-report" and not dataset.errors
    [rdt_call] = sp_env.calls("createRestrictedDataToken")
    [document_call] = sp_env.calls("getReportDocument")
    assert document_call.path.encode() in rdt_call.body  # the RDT names exactly the document
    assert document_call.headers["x-amz-access-token"] in sp_env.rdts
    assert sp_env.calls("createReport")[0].headers["x-amz-access-token"] not in sp_env.rdts


def test_a_report_that_never_gets_ready_ends_incomplete_naming_it(sp_env, run_cli, monkeypatch):
    monkeypatch.setenv("ORDER_GUARD_SP_API_REPORT_WAIT", "0.1")
    sp_env.documents[ALL_ORDERS] = Document(b"", "text/plain")
    sp_env.report_outcome = "NEVER"
    result = run_cli("check", "--dataset", f"orders={report_url(ALL_ORDERS)}", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "is still IN_PROGRESS after" in result.stdout and "report_id=50000" in result.stdout
    assert 2 <= len(sp_env.calls("getReport")) < 50  # it polled, with pauses, and then stopped


def test_an_existing_report_is_read_by_its_id(sp_env):
    text = tsv(ALL_ORDERS_HEADER, all_orders_rows())
    sp_env.documents[ALL_ORDERS] = Document(text.encode("utf-8"), "text/plain; charset=UTF-8")
    read(report_url(ALL_ORDERS))  # report 50000 exists now
    records, _ = read(report_url(ALL_ORDERS, report_id="50000"))
    assert len(records) == 2 and len(sp_env.calls("createReport")) == 1


def test_a_cancelled_report_is_empty_not_an_error(sp_env):
    """Amazon cancels a report when no data matches: zero records, said as a warning."""
    sp_env.documents[ALL_ORDERS] = Document(b"", "text/plain")
    sp_env.report_outcome = "CANCELLED"
    records, dataset = read(report_url(ALL_ORDERS))
    assert records == [] and not dataset.errors
    assert "cancelled" in dataset.warnings[0].message


def test_a_fatal_report_ends_incomplete(sp_env):
    sp_env.documents[ALL_ORDERS] = Document(b"", "text/plain")
    sp_env.report_outcome = "FATAL"
    _, dataset = read(report_url(ALL_ORDERS))
    assert dataset.errors and "could not produce report 50000" in dataset.errors[0].message
