"""Orders API pages, followed to the end, turned into canonical records by the core's formats.

v0 ``getOrders`` pages carry ``payload.NextToken``; v2026-01-01 ``searchOrders``
pages carry ``pagination.nextToken``, passed back as ``paginationToken``. Each
page goes through ``json_records`` with the registered ``sp-api-v0`` /
``sp-api-v2026`` format, so an order read from the API and the same order read
from a JSON file are the same record. The page number is the records' ``line``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from order_guard.datasets import Dataset, json_records
from order_guard.registry import Registry

from order_guard_sp_api.addressing import V0, Address
from order_guard_sp_api.client import GET_ORDER_ITEMS, GET_ORDERS, SEARCH_ORDERS, SpApiClient
from order_guard_sp_api.errors import SpApiError
from order_guard_sp_api.restricted import RestrictedToken

V0_PATH = "/orders/v0/orders"
V2026_PATH = "/orders/2026-01-01/orders"
#: What the checker reads from a v2026 order, none of it buyer data.
V2026_INCLUDED = ("FULFILLMENT", "PACKAGES", "PROCEEDS")
#: Restricted data element -> the v2026 dataset that carries it (v2026 needs roles, not an RDT).
V2026_PII = {"buyerInfo": "BUYER", "shippingAddress": "RECIPIENT", "buyerTaxInformation": "TAX"}
PENDING = ("Pending", "PendingAvailability")
_ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def read_orders(dataset: Dataset, client: SpApiClient, address: Address, registry: Registry,
                digest: Any = None) -> Iterator[dict[str, Any]]:
    digest = digest or hashlib.sha256()
    if address.api == V0:
        yield from _read_v0(dataset, client, address, registry, digest)
    else:
        yield from _read_v2026(dataset, client, address, registry, digest)


def v0_query(address: Address) -> dict[str, str]:
    query = {"MarketplaceIds": ",".join(address.marketplaces)}
    for name, key in (("created_after", "CreatedAfter"), ("created_before", "CreatedBefore"),
                      ("last_updated_after", "LastUpdatedAfter"), ("last_updated_before", "LastUpdatedBefore")):
        if getattr(address, name):
            query[key] = getattr(address, name)
    if address.statuses:
        query["OrderStatuses"] = ",".join(address.statuses)
    if address.fulfillment_channels:
        query["FulfillmentChannels"] = ",".join(address.fulfillment_channels)
    if address.page_size:
        query["MaxResultsPerPage"] = str(address.page_size)
    return query


def v2026_query(address: Address) -> dict[str, str]:
    query = {"marketplaceIds": ",".join(address.marketplaces)}
    for name, key in (("created_after", "createdAfter"), ("created_before", "createdBefore"),
                      ("last_updated_after", "lastUpdatedAfter"), ("last_updated_before", "lastUpdatedBefore")):
        if getattr(address, name):
            query[key] = getattr(address, name)
    if address.statuses:
        query["fulfillmentStatuses"] = ",".join(address.statuses)
    if address.fulfillment_channels:
        query["fulfilledBy"] = ",".join(address.fulfillment_channels)
    if address.page_size:
        query["maxResultsPerPage"] = str(address.page_size)
    included = address.included_data or V2026_INCLUDED + tuple(V2026_PII[e] for e in address.restricted)
    query["includedData"] = ",".join(dict.fromkeys(included))
    return query


def _read_v0(dataset: Dataset, client: SpApiClient, address: Address, registry: Registry,
             digest: Any) -> Iterator[dict[str, Any]]:
    fmt = registry.formats["sp-api-v0"]
    query = v0_query(address)
    token = RestrictedToken(client, "GET", V0_PATH, address.restricted) if address.restricted else None
    next_token = None
    while True:
        page_query = {**query, "NextToken": next_token} if next_token else query
        reply = client.call(GET_ORDERS, V0_PATH, page_query, token=token)
        digest.update(reply.body)
        payload = reply.data.get("payload") if isinstance(reply.data, dict) else None
        if not isinstance(payload, dict) or not isinstance(payload.get("Orders"), list):
            raise SpApiError(GET_ORDERS.name, 200, "InvalidResponse", "the answer has no payload.Orders list")
        # Followed here, so the page must not warn that more pages exist.
        next_token = payload.pop("NextToken", None)
        for order in payload["Orders"]:
            if isinstance(order, dict) and "OrderItems" not in order and _wants_items(order, address.items):
                items = _order_items(client, order.get("AmazonOrderId"), digest)
                if items is not None:
                    order["OrderItems"] = items
        yield from json_records(dataset, [(client.progress.pages + 1, reply.data)], fmt)
        client.progress.page(dataset.records_read)
        if not next_token:
            return


def _wants_items(order: dict, policy: str) -> bool:
    """Items of Pending orders: the units they hold (AMZ-PEND-006) and the items they shipped."""
    return policy == "all" or (policy == "pending" and order.get("OrderStatus") in PENDING)


def _order_items(client: SpApiClient, order_id: Any, digest: Any) -> list | None:
    """Every item of one order (getOrderItems pages too, with the plain access token: item
    buyer data is never asked for); None when the order id is unusable."""
    if not isinstance(order_id, str) or not _ORDER_ID.match(order_id):
        return None  # the order's own record says what is wrong with it
    path = f"{V0_PATH}/{quote(order_id, safe='')}/orderItems"
    items: list = []
    next_token = None
    while True:
        reply = client.call(GET_ORDER_ITEMS, path, {"NextToken": next_token} if next_token else None)
        digest.update(reply.body)
        payload = reply.data.get("payload") if isinstance(reply.data, dict) else None
        if not isinstance(payload, dict) or not isinstance(payload.get("OrderItems"), list):
            raise SpApiError(GET_ORDER_ITEMS.name, 200, "InvalidResponse",
                             f"the answer for order {order_id} has no payload.OrderItems list")
        items.extend(payload["OrderItems"])
        next_token = payload.get("NextToken")
        if not next_token:
            return items


def _read_v2026(dataset: Dataset, client: SpApiClient, address: Address, registry: Registry,
                digest: Any) -> Iterator[dict[str, Any]]:
    fmt = registry.formats["sp-api-v2026"]
    query = v2026_query(address)
    next_token = None
    while True:
        page_query = {**query, "paginationToken": next_token} if next_token else query
        reply = client.call(SEARCH_ORDERS, V2026_PATH, page_query)
        digest.update(reply.body)
        document = reply.data
        if not isinstance(document, dict) or not isinstance(document.get("orders"), list):
            raise SpApiError(SEARCH_ORDERS.name, 200, "InvalidResponse", "the answer has no orders list")
        pagination = document.pop("pagination", None)
        next_token = pagination.get("nextToken") if isinstance(pagination, dict) else None
        yield from json_records(dataset, [(client.progress.pages + 1, document)], fmt)
        client.progress.page(dataset.records_read)
        if not next_token:
            return
