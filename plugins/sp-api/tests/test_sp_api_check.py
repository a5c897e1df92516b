"""Done when: the orders read from SP-API give the same findings as the same orders read from a file."""

from __future__ import annotations

import json

import pytest

from sp_api_data import (
    AS_OF,
    EXPECTED,
    ORDERS,
    V2026_DEFAULT_INCLUDED,
    findings,
    orders_url,
    shipments_file,
    stock_file,
    v0_order,
    v2026_order,
)


@pytest.mark.parametrize("api", [None, "2026-01-01"], ids=["v0", "v2026"])
def test_api_and_json_file_give_the_same_findings(sp_env, run_cli, tmp_path, api):
    shipments, stock = shipments_file(tmp_path / "confirm.txt"), stock_file(tmp_path / "stock.txt")
    if api is None:
        dump = {"payload": {"Orders": [v0_order(order, with_items=True) for order in ORDERS]}}
    else:
        dump = {"orders": [v2026_order(order, V2026_DEFAULT_INCLUDED) for order in ORDERS]}
    (tmp_path / "orders.json").write_text(json.dumps(dump), encoding="utf-8")
    common = ["--dataset", f"shipments={shipments}", "--dataset", f"inventory={stock}", "--as-of", AS_OF,
              "--format", "json"]

    live = run_cli("check", "--dataset", f"orders={orders_url(api)}", *common)
    offline = run_cli("check", "--dataset", f"orders={tmp_path / 'orders.json'}", *common)

    assert live.exit_code == offline.exit_code == 1, live.stderr + offline.stderr
    assert findings(live.json()) == findings(offline.json()) == EXPECTED
    summary = live.json()["summary"]
    assert summary["complete"] and summary["records_unreadable"] == 0
    source = live.json()["inputs"][0]
    assert source["kind"] == "orders" and source["records"] == len(ORDERS)
    assert source["format"] == ("sp-api-v0" if api is None else "sp-api-v2026")
    assert len(source["sha256"]) == 64
    # The page size is 2: seven orders took four pages, and no page was read twice.
    operation = "getOrders" if api is None else "searchOrders"
    assert len(sp_env.calls(operation)) == 4


def test_announces_the_dataset_and_a_followed_token_is_no_warning(sp_env, run_cli, tmp_path):
    """The detected-dataset line names the API and host; a followed NextToken is not a warning."""
    result = run_cli("check", "--dataset", f"orders={orders_url()}", "--dataset",
                     f"shipments={shipments_file(tmp_path / 'c.txt')}", "--as-of", AS_OF, "--format", "json")
    assert "orders (sp-api-v0, Orders API v0, 127.0.0.1" in result.stderr
    assert result.json()["warnings"] == []
