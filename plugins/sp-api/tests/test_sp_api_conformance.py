"""Conformance: Amazon's own sandbox pages (``../shared/fixtures/sp-api``), served as they are, read to the end.

Skips where the shared fixtures are absent (a plain clone of the repository).
"""

from __future__ import annotations

import json

import pytest
from order_guard.checking import load_registry
from order_guard.datasets import DatasetRequest

from order_guard_sp_api.source import open_sp_api
from sp_api_data import SHARED_FIXTURES

FIXTURES = SHARED_FIXTURES / "sp-api"
pytestmark = [pytest.mark.conformance,
              pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"{FIXTURES} is absent (Amazon's example payloads)")]


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("api, operation, first, second", [
    ("v0", "getOrders", "getOrders-sandbox-200-page1-with-nexttoken.json",
     "getOrders-sandbox-200-page2-by-nexttoken.json"),
    ("2026-01-01", "searchOrders", "v2026-searchOrders-sandbox-200-page1-jp-all-data.json",
     "v2026-searchOrders-sandbox-200-page2-uk-by-paginationtoken.json"),
])
def test_amazons_sandbox_pages_are_followed_and_read(sp_env, api, operation, first, second):
    page1, page2 = fixture(first), fixture(second)
    token = (page1.get("payload") or {}).get("NextToken") or page1["pagination"]["nextToken"]
    sp_env.canned[operation] = {None: page1, token: page2}
    sp_env.canned["getOrderItems"] = {None: fixture("getOrderItems-sandbox-200.json")}
    url = f"sp-api://orders?marketplace=ATVPDKIKX0DER&created_after=TEST_CASE_200_NEXT_TOKEN&api={api}"
    [dataset] = open_sp_api(DatasetRequest(url, "orders"), load_registry())
    records = list(dataset.records())
    expected = [o.get("AmazonOrderId") or o.get("orderId")
                for page in (page1, page2) for o in (page.get("payload") or page)["Orders" if api == "v0" else "orders"]]
    assert [r["order_id"] for r in records] == expected
    assert dataset.records_unreadable == 0 and not dataset.errors and not dataset.warnings
    assert all(r["status"] not in (None, "Unknown") for r in records)
    assert sp_env.calls(operation)[1].query.get("NextToken" if api == "v0" else "paginationToken") == token
