"""Conformance: Amazon's published example payloads (../shared/fixtures) are read as Amazon means them.

The fixtures live beside the repository, never in it: a plain clone skips this module.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import AS_OF, SHARED_FIXTURES

pytestmark = pytest.mark.conformance

SP_API = SHARED_FIXTURES / "sp-api"
REPORTS = SHARED_FIXTURES / "reports"

if not SP_API.is_dir():
    pytest.skip(f"Amazon example payloads not found: expected the folder {SP_API}", allow_module_level=True)

#: Fixtures of per-order sub-resources (items, address, buyer info): not orders.
NOT_ORDERS = ("getOrderItems", "getOrderAddress", "getOrderBuyerInfo", "getOrderItemsBuyerInfo")
#: File-name prefix -> the format that must read it.
ORDER_FORMATS = {
    "getOrders": "sp-api-v0",
    "getOrder": "sp-api-v0",
    "v2026-searchOrders": "sp-api-v2026",
    "v2026-getOrder": "sp-api-v2026",
    "notification-ORDER_CHANGE": "sp-api-order-change",
}


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _is_error_response(document) -> bool:
    return isinstance(document, dict) and "errors" in document


def _expected_format(path: Path) -> str | None:
    name = path.name
    if name.startswith(NOT_ORDERS):
        return None
    # Longest prefix first: "getOrders" before "getOrder".
    for prefix in sorted(ORDER_FORMATS, key=len, reverse=True):
        if name.startswith(prefix):
            return ORDER_FORMATS[prefix]
    return None


def _count_orders(document) -> int:
    """Orders in a response, counted from Amazon's documented envelopes (independently of order-guard)."""
    if "payload" in document:  # Orders v0
        payload = document["payload"]
        return len(payload["Orders"]) if "Orders" in payload else 1
    if "orders" in document:  # v2026 searchOrders
        return len(document["orders"])
    if "order" in document:  # v2026 getOrder
        return 1
    if document.get("NotificationType") == "ORDER_CHANGE":
        return 1
    raise AssertionError(f"unexpected order document: {sorted(document)}")


ORDER_FILES = sorted(path for path in SP_API.glob("*.json")
                     if _expected_format(path) and not _is_error_response(_load(path)))
ERROR_RESPONSES = sorted(path for path in SP_API.glob("*-400.json") if _is_error_response(_load(path)))


def _check(run_cli, *args):
    result = run_cli("check", "--as-of", AS_OF, "--format", "json", *args)
    return result, result.json()


def test_the_fixture_folder_holds_what_this_module_expects():
    # Guards against a silently empty parametrisation (a renamed or emptied folder).
    assert len(ORDER_FILES) >= 15
    assert {_expected_format(path) for path in ORDER_FILES} == set(ORDER_FORMATS.values())
    assert len(ERROR_RESPONSES) >= 10


@pytest.mark.parametrize("path", ORDER_FILES, ids=lambda path: path.name)
def test_every_order_document_is_read_completely(run_cli, path):
    result, report = _check(run_cli, path)

    assert result.exit_code in (0, 1), result.stderr  # findings are fine; 3 (incomplete) is not
    (source,) = report["inputs"]
    assert (source["kind"], source["format"]) == ("orders", _expected_format(path))
    summary = report["summary"]
    assert summary["records_unreadable"] == 0, report["errors"]
    assert summary["records_read"] == _count_orders(_load(path))
    assert summary["complete"] is True
    assert report["errors"] == []


@pytest.mark.parametrize("name", ["getOrders-example-200.json", "getOrder-example-200.json"])
def test_documented_pending_order_with_buyer_data_is_flagged(run_cli, name):
    # Amazon's documentation example shows a Pending order WITH ShippingAddress and BuyerInfo, which the
    # same model says Pending orders never carry (see the fixtures' README): exactly what AMZ-PEND-002 is for.
    document = _load(SP_API / name)
    raw = document["payload"]["Orders"][0] if "Orders" in document["payload"] else document["payload"]
    assert raw["OrderStatus"] == "Pending" and raw["ShippingAddress"] and raw["BuyerInfo"]

    result, report = _check(run_cli, SP_API / name)

    flagged = [f for f in report["findings"] if f["rule_id"] == "AMZ-PEND-002"]
    assert [f["order_id"] for f in flagged] == [raw["AmazonOrderId"]]
    assert flagged[0]["severity"] == "high"
    assert result.exit_code == 1
    # Buyer data is evidence, but redacted by default.
    assert raw["BuyerInfo"]["BuyerEmail"] not in result.stdout
    assert raw["ShippingAddress"]["AddressLine1"] not in result.stdout


@pytest.mark.parametrize("name", ["getOrders-sandbox-200-page1-with-nexttoken.json",
                                  "getOrders-sandbox-200-page2-by-nexttoken.json"])
def test_sandbox_pending_orders_carry_no_buyer_data(run_cli, name):
    (raw,) = _load(SP_API / name)["payload"]["Orders"]
    assert raw["OrderStatus"] == "Pending"
    assert "ShippingAddress" not in raw and "BuyerInfo" not in raw

    result, report = _check(run_cli, SP_API / name)

    fired = {f["rule_id"] for f in report["findings"]}
    assert "AMZ-PEND-002" not in fired
    # The order was checked as Pending: Pending since 2017 is far past 21 days (a low-severity finding).
    assert "AMZ-PEND-008" in fired
    assert result.exit_code == 0  # low is below the default --fail-on high


@pytest.mark.parametrize("path", ERROR_RESPONSES, ids=lambda path: path.name)
def test_error_responses_are_rejected(run_cli, path):
    code = _load(path)["errors"][0]["code"]

    result, report = _check(run_cli, path)

    assert result.exit_code == 3
    assert report["summary"]["complete"] is False
    assert report["summary"]["records_checked"] == 0
    (error,) = report["errors"]
    assert "SP-API error response" in error["message"]
    assert code in error["message"]
    assert code in result.stderr  # named where a person running the gate sees it


def test_confirm_shipment_body_without_order_id_is_unreadable(run_cli):
    path = SP_API / "confirmShipment-sandbox-request-204.json"
    assert "orderId" not in _load(path)  # the order id lives in the request path, not the body

    result, report = _check(run_cli, path)

    assert result.exit_code == 3
    (source,) = report["inputs"]
    assert (source["kind"], source["format"]) == ("shipments", "sp-api-confirm-shipment")
    assert report["summary"]["records_read"] == 1
    assert report["summary"]["records_unreadable"] == 1
    (error,) = report["errors"]
    assert 'no "orderId"' in error["message"]


# --- Flat-file report headers -------------------------------------------------------
#
# Both mocks are a real header followed by the same header written twice more as "rows". The header must
# be recognised (the format and kind below), and the two fake rows must not pass as orders: their values
# are column names ("purchase-date" is not a date, "item-price" not a number), so each is one unreadable
# record, the run is incomplete and exits 3. Reading them as two real orders would be the bug.

UNSHIPPED = REPORTS / "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING.airbyte-mock.csv"
ARCHIVED = REPORTS / "GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE.airbyte-mock.csv"


@pytest.mark.parametrize(("path", "dataset_kind", "kind", "fmt", "reason"), [
    # Read as a look-up, the Unshipped report needs only its order ids: the mock's repeated
    # header rows read as two (odd) orders, and no column the rules use is wrong.
    (UNSHIPPED, "unshipped-report", "unshipped-report", "unshipped-report", None),
    # The orders need their dates: "purchase-date" is not one, so both rows are unreadable.
    (ARCHIVED, "orders", "orders", "all-orders-report", "field purchase_date: not a date"),
], ids=["unshipped-orders", "archived-all-orders"])
@pytest.mark.parametrize("how", ["plain", "dataset"])
def test_report_headers_are_recognised(run_cli, path, dataset_kind, kind, fmt, reason, how):
    if not path.is_file():
        pytest.skip(f"report mock not found: expected {path}")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert path.read_text(encoding="utf-8").splitlines()[1:] == [header, header]  # the mock's shape

    args = [path] if how == "plain" else ["--dataset", f"{dataset_kind}={path}"]
    result, report = _check(run_cli, *args)

    (source,) = report["inputs"]
    assert (source["kind"], source["format"]) == (kind, fmt)
    assert source["delimiter"] == "tab"
    summary = report["summary"]
    assert report["findings"] == []
    if reason is None:
        assert (summary["records_read"], summary["records_unreadable"], summary["records_checked"]) == (2, 0, 2)
        assert result.exit_code == 0
    else:
        assert (summary["records_read"], summary["records_unreadable"], summary["records_checked"]) == (2, 2, 0)
        assert [(error["line"], reason in error["message"]) for error in report["errors"]] == [(2, True), (3, True)]
        assert result.exit_code == 3


def test_archived_all_orders_is_not_an_order_report(run_cli):
    # Forced to the wrong kind, the header is refused rather than half-read.
    if not ARCHIVED.is_file():
        pytest.skip(f"report mock not found: expected {ARCHIVED}")
    result, report = _check(run_cli, "--dataset", f"order-report={ARCHIVED}")
    assert result.exit_code == 3
    assert report["inputs"][0]["format"] == "unknown"
    assert "no known flat-file format for kind order-report" in report["errors"][0]["message"]
