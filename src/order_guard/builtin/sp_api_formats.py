"""Selling Partner API orders JSON: Orders v0 and Orders v2026-01-01 (``sp_api_events`` has the rest).

Each format accepts every shape the API returns for orders: a response page
(``getOrders``/``searchOrders``), a single ``getOrder`` response, a bare list
of orders, or one order per JSON Lines line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from order_guard import hookimpl
from order_guard.canonical import canonicalise_order
from order_guard.planned import NotPlanned, date, decimal, flag, integer, text
from order_guard.types import JsonFormat


def get_path(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]...``, or None where a step is missing."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def orders_in(document: Any, is_order, *envelopes: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """Orders found in one of the ``envelopes`` paths, a bare list, or a bare order."""
    for envelope in envelopes:
        found = get_path(document, *envelope)
        if isinstance(found, list):
            pointer = "/" + "/".join(envelope)
            for index, order in enumerate(found):
                yield f"{pointer}/{index}", order
            return
        if isinstance(found, dict) and is_order(found):
            yield "/" + "/".join(envelope), found
            return
    if isinstance(document, list):
        for index, order in enumerate(document):
            yield f"/{index}", order
    elif isinstance(document, dict):
        yield "", document


def looks_like(document: Any, is_order, *envelopes: tuple[str, ...]) -> bool:
    """The shape of this API's documents: one bad order among many is that order's
    error (an unreadable record), not a reason to reject the whole file."""
    for envelope in envelopes:
        found = get_path(document, *envelope)
        if isinstance(found, list) and (not found or _any_order(found, is_order)):
            return True
        if isinstance(found, dict) and is_order(found):
            return True
    if isinstance(document, list):
        return _any_order(document, is_order)
    return isinstance(document, dict) and is_order(document)


def _any_order(items: list, is_order) -> bool:
    return any(isinstance(item, dict) and is_order(item) for item in items[:100])


_ADDRESS_FIELDS = ("recipient_name", "ship_address_1", "ship_address_2", "ship_address_3", "ship_phone",
                   "ship_city", "ship_state", "ship_postal_code", "ship_country")
_V0_ADDRESS = dict(zip(_ADDRESS_FIELDS, ("Name", "AddressLine1", "AddressLine2", "AddressLine3", "Phone", "City",
                                         "StateOrRegion", "PostalCode", "CountryCode"), strict=True))
_V2026_ADDRESS = dict(zip(_ADDRESS_FIELDS, ("name", "addressLine1", "addressLine2", "addressLine3", "phone", "city",
                                            "stateOrRegion", "postalCode", "countryCode"), strict=True))


def _address(address: dict, keys: dict[str, str]) -> dict[str, Any]:
    """The canonical shipping-address fields from an API address object."""
    return {field: address.get(key) for field, key in keys.items()}


# --- Orders API v0 ---------------------------------------------------------

def _is_v0_order(data: dict) -> bool:
    return "AmazonOrderId" in data and "OrderStatus" in data


_V0_ENVELOPES = (("payload", "Orders"), ("payload",))


def _map_v0(order: dict) -> dict[str, Any]:
    address = order.get("ShippingAddress") or {}
    buyer = order.get("BuyerInfo") or {}
    total = order.get("OrderTotal") or {}
    return {
        "order_id": order.get("AmazonOrderId"),
        "seller_order_id": order.get("SellerOrderId"),
        "status": order.get("OrderStatus"),
        "fulfillment_channel": order.get("FulfillmentChannel"),
        "order_type": order.get("OrderType"),
        "marketplace_id": order.get("MarketplaceId"),
        "sales_channel": order.get("SalesChannel"),
        "purchase_date": order.get("PurchaseDate"),
        "last_update_date": order.get("LastUpdateDate"),
        "latest_ship_date": order.get("LatestShipDate"),
        "order_total": total.get("Amount"),
        "currency": total.get("CurrencyCode"),
        "items_shipped": order.get("NumberOfItemsShipped"),
        "items_unshipped": order.get("NumberOfItemsUnshipped"),
        "is_business_order": order.get("IsBusinessOrder"),
        "is_prime": order.get("IsPrime"),
        "buyer_email": buyer.get("BuyerEmail") or order.get("BuyerEmail"),
        "buyer_name": buyer.get("BuyerName") or order.get("BuyerName"),
        **_address(address, _V0_ADDRESS),
        # getOrderItems results merged into the order by the caller, if present.
        "items": [_map_v0_item(item) for item in order.get("OrderItems") or ()],
    }


def _map_v0_item(item: dict) -> dict[str, Any]:
    return {
        "order_item_id": item.get("OrderItemId"),
        "sku": item.get("SellerSKU"),
        "asin": item.get("ASIN"),
        "title": item.get("Title"),
        "quantity": item.get("QuantityOrdered"),
        "quantity_shipped": item.get("QuantityShipped"),
        "item_price": get_path(item, "ItemPrice", "Amount"),
    }


_NO_ADDRESS = dict.fromkeys(_V0_ADDRESS)  # getOrders without the restricted data: every field None


def _canonical_v0(order: dict) -> dict[str, Any] | None:
    """``normalize("orders", _map_v0(order))`` in one step, for an order whose values are of the
    types the API sends; None for any other (see :mod:`order_guard.planned`)."""
    try:
        get = order.get
        shipping = get("ShippingAddress")
        buyer = get("BuyerInfo") or {}
        total = get("OrderTotal") or {}
        record = {
            "order_id": text(get("AmazonOrderId")),
            "seller_order_id": text(get("SellerOrderId")),
            "status": text(get("OrderStatus")),
            "fulfillment_channel": text(get("FulfillmentChannel")),
            "order_type": text(get("OrderType")),
            "marketplace_id": text(get("MarketplaceId")),
            "sales_channel": text(get("SalesChannel")),
            "purchase_date": date(get("PurchaseDate")),
            "last_update_date": date(get("LastUpdateDate")),
            "latest_ship_date": date(get("LatestShipDate")),
            "order_total": decimal(total.get("Amount")),
            "currency": text(total.get("CurrencyCode")),
            "items_shipped": integer(get("NumberOfItemsShipped")),
            "items_unshipped": integer(get("NumberOfItemsUnshipped")),
            "is_business_order": flag(get("IsBusinessOrder")),
            "is_prime": flag(get("IsPrime")),
            "buyer_email": text(buyer.get("BuyerEmail") or get("BuyerEmail")),
            "buyer_name": text(buyer.get("BuyerName") or get("BuyerName")),
            **({field: text(shipping.get(key)) for field, key in _V0_ADDRESS.items()} if shipping else _NO_ADDRESS),
            "items": [_canonical_v0_item(item) for item in get("OrderItems") or ()],
        }
    except (NotPlanned, ValueError, TypeError, AttributeError):
        return None  # mapped and normalised the general way, which says why if it is unreadable
    if record["order_id"] is None:
        return None
    canonicalise_order(record)
    return record


def _canonical_v0_item(item: dict) -> dict[str, Any]:
    get = item.get
    return {
        "order_item_id": text(get("OrderItemId")),
        "sku": text(get("SellerSKU")),
        "asin": text(get("ASIN")),
        "title": text(get("Title")),
        "quantity": integer(get("QuantityOrdered")),
        "quantity_shipped": integer(get("QuantityShipped")),
        "item_price": decimal(get_path(item, "ItemPrice", "Amount")),
    }


def _more_pages(token_path: tuple[str, ...], operation: str):
    def notes(document: Any) -> list[str]:
        if get_path(document, *token_path):
            return [f"this {operation} page says more pages exist ({'.'.join(token_path)}); "
                    "orders on the other pages are not in this file"]
        return []

    return notes


SP_API_V0 = JsonFormat(
    name="sp-api-v0",
    kind="orders",
    description="Orders API v0: getOrders pages, getOrder responses, bare lists of Order objects",
    detect=lambda document: looks_like(document, _is_v0_order, *_V0_ENVELOPES),
    extract=lambda document: orders_in(document, _is_v0_order, *_V0_ENVELOPES),
    map=_map_v0,
    notes=_more_pages(("payload", "NextToken"), "getOrders"),
    streams=("", "/payload/Orders"),
    canonical=_canonical_v0,
)


# --- Orders API v2026-01-01 ---------------------------------------------------

def _is_v2026_order(data: dict) -> bool:
    return "orderId" in data and ("fulfillment" in data or "createdTime" in data)


_V2026_ENVELOPES = (("orders",), ("order",))


def _map_v2026(order: dict) -> dict[str, Any]:
    fulfillment = order.get("fulfillment") or {}
    buyer = order.get("buyer") or {}
    address = get_path(order, "recipient", "deliveryAddress") or {}
    packages = order.get("packages") or []
    first_package = packages[0] if packages else {}
    programs = order.get("programs") or []
    aliases = order.get("orderAliases") or []
    channel = order.get("salesChannel") or {}
    items = order.get("orderItems") or ()
    return {
        "order_id": order.get("orderId"),
        "seller_order_id": next((a.get("aliasId") for a in aliases if a.get("aliasType") == "SELLER_ORDER_ID"), None),
        "status": fulfillment.get("fulfillmentStatus"),
        "fulfillment_channel": fulfillment.get("fulfilledBy"),
        "marketplace_id": get_path(order, "salesChannel", "marketplaceId"),
        "sales_channel": channel.get("marketplaceName") or channel.get("channelName"),
        "purchase_date": order.get("createdTime"),
        "last_update_date": order.get("lastUpdatedTime"),
        "latest_ship_date": get_path(fulfillment, "shipByWindow", "latestDateTime"),
        "order_total": get_path(order, "proceeds", "grandTotal", "amount"),
        "currency": get_path(order, "proceeds", "grandTotal", "currencyCode"),
        "is_business_order": "AMAZON_BUSINESS" in programs,
        "is_prime": "PRIME" in programs,
        "tracking_number": first_package.get("trackingNumber"),
        "ship_date": first_package.get("shipTime"),
        "buyer_email": buyer.get("buyerEmail"),
        "buyer_name": buyer.get("buyerName"),
        **_address(address, _V2026_ADDRESS),
        "items_shipped": sum_ints(get_path(item, "fulfillment", "quantityFulfilled") for item in items),
        "items": [_map_v2026_item(item) for item in items],
    }


def sum_ints(values) -> int | None:
    numbers = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
    return sum(numbers) if numbers else None


def _map_v2026_item(item: dict) -> dict[str, Any]:
    product = item.get("product") or {}
    return {
        "order_item_id": item.get("orderItemId"),
        "sku": product.get("sellerSku"),
        "asin": product.get("asin"),
        "title": product.get("title"),
        "quantity": item.get("quantityOrdered"),
        "quantity_shipped": get_path(item, "fulfillment", "quantityFulfilled"),
    }


SP_API_V2026 = JsonFormat(
    name="sp-api-v2026",
    kind="orders",
    description="Orders API v2026-01-01: searchOrders pages, getOrder responses, bare lists of Order objects",
    detect=lambda document: looks_like(document, _is_v2026_order, *_V2026_ENVELOPES),
    extract=lambda document: orders_in(document, _is_v2026_order, *_V2026_ENVELOPES),
    map=_map_v2026,
    notes=_more_pages(("pagination", "nextToken"), "searchOrders"),
    streams=("", "/orders"),
)


@hookimpl
def order_guard_formats() -> Iterator[JsonFormat]:
    yield from (SP_API_V0, SP_API_V2026)
