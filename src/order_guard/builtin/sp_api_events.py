"""Selling Partner API JSON about orders that is not an order list: ORDER_CHANGE
notifications (the order summary they carry) and confirmShipment request bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from order_guard import hookimpl
from order_guard.builtin.sp_api_formats import get_path, looks_like, orders_in, sum_ints
from order_guard.errors import UnreadableRecord
from order_guard.types import JsonFormat

# --- ORDER_CHANGE notifications -------------------------------------------------

def _is_order_change(data: dict) -> bool:
    return isinstance(get_path(data, "Payload", "OrderChangeNotification"), dict) or (
        "AmazonOrderId" in data and isinstance(data.get("Summary"), dict)
    )


def _extract_order_change(document: Any) -> Iterator[tuple[str, Any]]:
    documents = document if isinstance(document, list) else [document]
    for index, item in enumerate(documents):
        prefix = f"/{index}" if isinstance(document, list) else ""
        change = get_path(item, "Payload", "OrderChangeNotification")
        yield (f"{prefix}/Payload/OrderChangeNotification", change) if change else (prefix, item)


def _map_order_change(change: dict) -> dict[str, Any]:
    summary = change.get("Summary") or {}
    return {
        "order_id": change.get("AmazonOrderId"),
        "status": summary.get("OrderStatus"),
        "fulfillment_channel": summary.get("FulfillmentType"),
        "order_type": summary.get("OrderType"),
        "marketplace_id": summary.get("MarketplaceId"),
        "purchase_date": summary.get("PurchaseDate"),
        "last_update_date": get_path(change, "OrderChangeTrigger", "TimeOfOrderChange"),
        "latest_ship_date": summary.get("LatestShipDate"),
        "items_shipped": summary.get("NumberOfItemsShipped"),
        "items_unshipped": summary.get("NumberOfItemsUnshipped"),
        "is_business_order": "Business" in (summary.get("OrderPrograms") or []),
        "is_prime": "Prime" in (summary.get("OrderPrograms") or []),
        "items": [
            {"order_item_id": item.get("OrderItemId"), "sku": item.get("SellerSKU"),
             "quantity": item.get("Quantity"), "quantity_shipped": item.get("QuantityShipped"),
             "item_status": item.get("OrderItemStatus")}
            for item in summary.get("OrderItems") or ()
        ],
    }


ORDER_CHANGE = JsonFormat(
    name="sp-api-order-change",
    kind="orders",
    description="ORDER_CHANGE notifications (the order summary they carry)",
    detect=lambda document: _is_order_change(document) if isinstance(document, dict) else (
        isinstance(document, list) and bool(document) and all(isinstance(d, dict) and _is_order_change(d)
                                                              for d in document[:3])),
    extract=_extract_order_change,
    map=_map_order_change,
    streams=("",),
)


# --- confirmShipment request bodies ---------------------------------------------

def _is_confirm_shipment(data: dict) -> bool:
    return isinstance(data.get("packageDetail"), dict)


def _map_confirm_shipment(body: dict) -> dict[str, Any]:
    order_id = body.get("orderId") or body.get("amazonOrderId") or body.get("AmazonOrderId")
    if not order_id:
        raise UnreadableRecord('confirmShipment body has no "orderId"; add the {orderId} of its request path')
    package = body["packageDetail"]
    items = package.get("orderItems") or []
    return {
        "order_id": order_id,
        "marketplace_id": body.get("marketplaceId"),
        "carrier_code": package.get("carrierCode"),
        "carrier_name": package.get("carrierName"),
        "ship_method": package.get("shippingMethod"),
        "tracking_number": package.get("trackingNumber"),
        "ship_date": package.get("shipDate"),
        "quantity": sum_ints(item.get("quantity") for item in items),
    }


CONFIRM_SHIPMENT = JsonFormat(
    name="sp-api-confirm-shipment",
    kind="shipments",
    description='confirmShipment request bodies, each with the "orderId" of its request path',
    detect=lambda document: looks_like(document, _is_confirm_shipment),
    extract=lambda document: orders_in(document, _is_confirm_shipment),
    map=_map_confirm_shipment,
    streams=("",),
)


@hookimpl
def order_guard_formats() -> Iterator[JsonFormat]:
    yield from (ORDER_CHANGE, CONFIRM_SHIPMENT)
