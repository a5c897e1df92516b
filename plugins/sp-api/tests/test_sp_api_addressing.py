"""``sp-api://`` addresses: what they ask for, and usage errors (exit 2) before any call."""

from __future__ import annotations

import pytest
from order_guard.errors import UsageError

from order_guard_sp_api.addressing import V0, V2026, parse
from order_guard_sp_api.orders import v0_query, v2026_query
from sp_api_data import AS_OF


def test_orders_address_with_several_marketplaces_and_filters():
    address = parse("sp-api://orders?marketplace=APJ6JRA9NG5V4&marketplace=A1PA6795UKMFR9,A13V1IB3VIYZZH"
                    "&last_updated_after=2026-11-01T00:00:00Z&statuses=Pending,PendingAvailability"
                    "&fulfillment_channels=MFN&page_size=50")
    assert address.api == V0 and address.marketplaces == ("APJ6JRA9NG5V4", "A1PA6795UKMFR9", "A13V1IB3VIYZZH")
    assert v0_query(address) == {"MarketplaceIds": "APJ6JRA9NG5V4,A1PA6795UKMFR9,A13V1IB3VIYZZH",
                                 "LastUpdatedAfter": "2026-11-01T00:00:00Z",
                                 "OrderStatuses": "Pending,PendingAvailability", "FulfillmentChannels": "MFN",
                                 "MaxResultsPerPage": "50"}


def test_v2026_address_translates_statuses_and_channels():
    address = parse("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01T00:00:00Z"
                    "&created_before=2026-11-20T00:00:00Z&api=2026-01-01&statuses=Pending,Canceled"
                    "&fulfillment_channels=AFN")
    assert address.api == V2026
    assert v2026_query(address) == {"marketplaceIds": "APJ6JRA9NG5V4", "createdAfter": "2026-11-01T00:00:00Z",
                                    "createdBefore": "2026-11-20T00:00:00Z",
                                    "fulfillmentStatuses": "PENDING,CANCELLED", "fulfilledBy": "AMAZON",
                                    "includedData": "FULFILLMENT,PACKAGES,PROCEEDS"}


def test_report_address():
    address = parse("sp-api://reports/GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL?marketplace=APJ6JRA9NG5V4"
                    "&data_start_time=2026-11-01T00:00:00Z&option.ShowSalesChannel=true")
    assert (address.what, address.report_type) == ("reports", "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL")
    assert address.report_options == {"ShowSalesChannel": "true"} and address.restricted == ()


@pytest.mark.parametrize("location, says", [
    ("sp-api://orders?created_after=2026-11-01", "marketplace"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4", "created_after"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&last_updated_after=2026-11-01", "not both"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_afer=2026-11-01", "unknown parameter 'created_afer'"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=yesterday", "ISO 8601"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&statuses=Paid", "statuses"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&api=2026-01-01"
     "&statuses=InvoiceUnconfirmed", "statuses for Orders API 2026-01-01"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&api=v1", "api must be"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&page_size=500", "page_size"),
    ("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&restricted=everything", "restricted="),
    ("sp-api://shipments?marketplace=APJ6JRA9NG5V4", "expected sp-api://orders"),
    ("sp-api://reports/?marketplace=APJ6JRA9NG5V4", "expected sp-api://orders"),
])
def test_bad_addresses_are_usage_errors(location, says):
    with pytest.raises(UsageError, match=says.replace("(", r"\(")):
        parse(location)


def test_an_unknown_parameter_value_is_never_echoed():
    with pytest.raises(UsageError) as caught:
        parse("sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01&refresh_token=Atzr|oops-123")
    assert "Atzr" not in str(caught.value)


def test_address_errors_exit_2_before_any_call(sp_env, run_cli):
    bad = run_cli("check", "--dataset", "orders=sp-api://orders?marketplace=APJ6JRA9NG5V4", "--as-of", AS_OF)
    wrong_kind = run_cli("check", "--dataset",
                         "shipments=sp-api://orders?marketplace=APJ6JRA9NG5V4&created_after=2026-11-01",
                         "--as-of", AS_OF)
    unknown_report = run_cli("check", "sp-api://reports/GET_SOMETHING_NEW?marketplace=APJ6JRA9NG5V4", "--as-of", AS_OF)
    assert bad.exit_code == wrong_kind.exit_code == unknown_report.exit_code == 2
    assert "reads orders, not shipments" in wrong_kind.stderr
    assert "name its kind with --dataset KIND=" in unknown_report.stderr
    assert sp_env.seen == []
