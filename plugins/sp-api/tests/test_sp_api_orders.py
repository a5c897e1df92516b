"""Orders API datasets against the local SP-API: paging, throttling, token expiry, errors, buyer data."""

from __future__ import annotations

import json

import pytest
from order_guard.checking import load_registry
from order_guard.datasets import DatasetRequest

from order_guard_sp_api.source import open_sp_api
from sp_api_data import AS_OF, ORDERS, findings, orders_url, shipments_file
from sp_api_fake import DENIED, QUOTA, UNAVAILABLE


def read(url: str) -> tuple[list[dict], object]:
    """The records of one sp-api:// dataset, read through the plugin as the engine reads them."""
    dataset = open_sp_api(DatasetRequest(url, "orders"), load_registry())[0]
    return list(dataset.records()), dataset


@pytest.mark.parametrize("api, operation, token_param", [
    (None, "getOrders", "NextToken"), ("2026-01-01", "searchOrders", "paginationToken")])
def test_paging_follows_the_token_to_the_last_page(sp_env, api, operation, token_param):
    sp_env.page_size = 3
    records, dataset = read(orders_url(api))
    assert [r["order_id"] for r in records] == [order.order_id for order in ORDERS]
    calls = sp_env.calls(operation)
    assert len(calls) == 3 and token_param not in calls[0].query
    # Each follow-up passes the previous page's token back, with the same filters.
    assert all(call.query.get(token_param) for call in calls[1:])
    assert {call.query.get("MarketplaceIds") or call.query.get("marketplaceIds") for call in calls} == {"APJ6JRA9NG5V4"}
    assert not dataset.errors and not dataset.warnings and dataset.records_read == len(ORDERS)


def test_items_of_pending_orders_are_read_to_the_end(sp_env):
    """v0 getOrders has no items: those of Pending orders (the units they hold) come from getOrderItems."""
    sp_env.page_size = 1  # getOrderItems pages too
    pending = [order for order in ORDERS if order.pending]
    records, _ = read(orders_url())
    with_items = {r["order_id"]: [i["sku"] for i in r["items"]] for r in records if r["items"]}
    assert with_items == {order.order_id: [i.sku for i in order.items] for order in pending}
    assert {call.path.split("/")[4] for call in sp_env.calls("getOrderItems")} == {o.order_id for o in pending}


def test_filters_reach_amazon_in_each_apis_own_words(sp_env):
    read(orders_url(statuses="pending,Unshipped", fulfillment_channels="MFN"))
    read(orders_url("2026-01-01", statuses="pending,Unshipped", fulfillment_channels="MFN"))
    v0, v2026 = sp_env.calls("getOrders")[0].query, sp_env.calls("searchOrders")[0].query
    assert (v0["OrderStatuses"], v0["FulfillmentChannels"]) == ("Pending,Unshipped", "MFN")
    assert (v2026["fulfillmentStatuses"], v2026["fulfilledBy"]) == ("PENDING,UNSHIPPED", "MERCHANT")


def test_a_429_then_success_reads_everything(sp_env, run_cli, tmp_path):
    sp_env.fault("getOrders", 429, QUOTA)
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["summary"]["records_read"] == len(ORDERS)
    assert len(sp_env.calls("getOrders")) == 5  # four pages, the first one twice


def test_a_503_storm_ends_incomplete_with_the_records_read_so_far(sp_env, run_cli, tmp_path):
    sp_env.storm("getOrders", 503, UNAVAILABLE, after=1)  # page 1 arrives, then nothing
    shipments = shipments_file(tmp_path / "confirm.txt")
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--dataset", f"shipments={shipments}",
                     "--as-of", AS_OF, "--output", f"json={tmp_path / 'report.json'}")
    assert result.exit_code == 3
    assert "HTTP 503 ServiceUnavailable" in result.stdout
    assert "stopped after 2 record(s) from 1 page(s)" in result.stdout
    assert "INCOMPLETE" in result.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["complete"] is False
    assert report["inputs"][0]["records"] == 2
    # What was read is still checked: order 1 is Pending and in the shipping file.
    assert ("AMZ-PEND-001", "171-4410001-1000001") in findings(report)


def test_an_expired_access_token_is_refreshed_and_the_run_goes_on(sp_env, run_cli):
    sp_env.expire_after = 1  # every token serves one call, then Amazon says it expired
    result = run_cli("check", "--dataset", f"orders={orders_url('2026-01-01')}", "--as-of", AS_OF,
                     "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert result.json()["summary"]["records_read"] == len(ORDERS)
    assert len(sp_env.calls("token")) == 4  # one per page


def test_one_token_serves_the_whole_run_while_it_is_valid(sp_env):
    read(orders_url())
    assert len(sp_env.calls("token")) == 1
    assert len(sp_env.calls("getOrders")) + len(sp_env.calls("getOrderItems")) > 4


@pytest.mark.parametrize("status, error", [
    (403, DENIED),
    (400, {"code": "InvalidInput", "message": "Invalid Input", "details": "CreatedAfter is in the future"}),
    (404, {"code": "NotFound", "message": "The requested resource was not found."}),
])
def test_amazons_error_body_is_shown_and_the_run_is_incomplete(sp_env, run_cli, status, error):
    sp_env.fault("getOrders", status, error)
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
    assert result.exit_code == 3
    line = next(line for line in result.stdout.splitlines() if "getOrders: HTTP" in line)
    assert f"HTTP {status} {error['code']}: {error['message']}" in line
    assert "x-amzn-RequestId" in line
    assert len(sp_env.calls("getOrders")) == 1  # not retried


def test_a_redirect_is_not_followed_with_the_token(sp_env, run_cli):
    sp_env.fault("getOrders", 307, headers={"location": f"{sp_env.url}/download/elsewhere"})
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--as-of", AS_OF)
    assert result.exit_code == 3 and "HTTP 307" in result.stdout
    assert sp_env.calls("download") == []


def test_no_buyer_data_is_asked_for_by_default(sp_env):
    v0, _ = read(orders_url())
    v2026, _ = read(orders_url("2026-01-01"))
    assert sp_env.calls("createRestrictedDataToken") == []
    included = set(sp_env.calls("searchOrders")[0].query["includedData"].split(","))
    assert included == {"FULFILLMENT", "PACKAGES", "PROCEEDS"}
    for record in v0 + v2026:
        assert record.get("recipient_name") is None and record.get("buyer_email") is None
        assert record.get("ship_address_1") is None


def test_restricted_data_is_asked_for_with_an_rdt_when_the_address_says_so(sp_env):
    records, dataset = read(orders_url(restricted="shippingAddress,buyerInfo"))
    [rdt_call] = sp_env.calls("createRestrictedDataToken")
    assert rdt_call.body and b'"dataElements": ["shippingAddress", "buyerInfo"]' in rdt_call.body
    rdt = next(iter(sp_env.rdts))
    assert {call.headers["x-amz-access-token"] for call in sp_env.calls("getOrders")} == {rdt}
    # getOrderItems keeps the plain access token: item buyer data is never asked for.
    assert rdt not in {call.headers["x-amz-access-token"] for call in sp_env.calls("getOrderItems")}
    shipped = next(r for r in records if r["order_id"] == "171-4410001-1000002")
    assert shipped["recipient_name"] == "Giulia Verdi"
    assert dataset.details["buyer_data"] == "requested: shippingAddress, buyerInfo"
    # v2026 needs roles, not an RDT: the buyer datasets are asked for by includedData.
    read(orders_url("2026-01-01", rdt="1"))
    included = set(sp_env.calls("searchOrders")[0].query["includedData"].split(","))
    assert {"BUYER", "RECIPIENT"} <= included
