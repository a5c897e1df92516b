"""Amazon's flat-file reports and upload files, recognised by their header names.

Headers are matched after normalisation (``order_id`` = ``Order ID`` =
``order-id``); columns vary by marketplace and year, so every mapping is by
name and every column but the required ones is optional. Buyer columns are
mapped wherever they appear, so that stale buyer data is seen (AMZ-PEND-002).
"""

from __future__ import annotations

from collections.abc import Iterator

from order_guard import hookimpl
from order_guard.canonical import FIELDS
from order_guard.types import FlatFormat

#: Buyer and address columns as Amazon's order reports name them.
BUYER_COLUMNS = {
    "buyer_email": ["buyer-email"],
    "buyer_name": ["buyer-name"],
    "buyer_phone": ["buyer-phone-number", "buyer-phone"],
    "recipient_name": ["recipient-name"],
    "ship_address_1": ["ship-address-1"],
    "ship_address_2": ["ship-address-2"],
    "ship_address_3": ["ship-address-3"],
    "ship_phone": ["ship-phone-number"],
    "ship_city": ["ship-city"],
    "ship_state": ["ship-state"],
    "ship_postal_code": ["ship-postal-code"],
    "ship_country": ["ship-country"],
}

#: Inventory files never carry these: a file that does is about orders.
ORDER_ID_COLUMNS = ("order-id", "amazon-order-id")

ALL_ORDERS = FlatFormat(
    name="all-orders-report",
    kind="orders",
    description="All Orders report (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_*_GENERAL, archived orders): one row per item",
    requires=[["amazon-order-id"], ["order-status"]],
    group_rows=True,
    columns={
        "order_id": ["amazon-order-id"],
        "seller_order_id": ["merchant-order-id"],
        "purchase_date": ["purchase-date"],
        "last_update_date": ["last-updated-date"],
        "status": ["order-status"],
        "fulfillment_channel": ["fulfillment-channel"],
        "sales_channel": ["sales-channel"],
        "is_business_order": ["is-business-order"],
        "currency": ["currency"],
        "items.sku": ["sku"],
        "items.asin": ["asin"],
        "items.title": ["product-name"],
        "items.quantity": ["quantity"],
        "items.item_status": ["item-status"],
        "items.item_price": ["item-price"],
        **BUYER_COLUMNS,
    },
    # Value at risk: what the buyer pays, before promotions.
    sums={"order_total": ["item-price", "item-tax", "shipping-price", "shipping-tax",
                          "gift-wrap-price", "gift-wrap-tax"]},
)

_ORDER_REPORT_COLUMNS = {
    "order_id": ["order-id"],
    "order_item_id": ["order-item-id"],
    "purchase_date": ["purchase-date"],
    "payments_date": ["payments-date"],
    "sku": ["sku"],
    "quantity": ["quantity-purchased"],
    "quantity_shipped": ["quantity-shipped"],
    "quantity_to_ship": ["quantity-to-ship"],
    "sales_channel": ["sales-channel"],
    "currency": ["currency"],
    "item_price": ["item-price"],
    **BUYER_COLUMNS,
}

ORDER_REPORT = FlatFormat(
    name="order-report",
    kind="order-report",
    description="Order Report (GET_FLAT_FILE_ORDER_REPORT_DATA_*): orders that became fulfillable",
    requires=[["order-id"], ["order-item-id"], ["payments-date"], ["item-price"]],
    columns=_ORDER_REPORT_COLUMNS,
)

UNSHIPPED_REPORT = FlatFormat(
    name="unshipped-report",
    kind="unshipped-report",
    description="Unshipped Orders report (GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING)",
    requires=[["order-id"], ["order-item-id"], ["quantity-to-ship"]],
    columns=_ORDER_REPORT_COLUMNS,
)

SHIPPING_CONFIRMATION = FlatFormat(
    name="shipping-confirmation",
    kind="shipments",
    description="Shipping confirmation upload file (order-id, order-item-id, quantity, ship-date, carrier-code, ...)",
    requires=[["order-id"], ["ship-date"]],
    columns={
        "order_id": ["order-id"],
        "order_item_id": ["order-item-id"],
        "quantity": ["quantity"],
        "ship_date": ["ship-date"],
        "carrier_code": ["carrier-code"],
        "carrier_name": ["carrier-name"],
        "tracking_number": ["tracking-number"],
        "ship_method": ["ship-method"],
    },
)

LISTINGS_REPORT = FlatFormat(
    name="listings-report",
    kind="inventory",
    description="Listings reports (GET_MERCHANT_LISTINGS_ALL_DATA, _DATA, _LITE, _LITER, "
                "GET_FLAT_FILE_OPEN_LISTINGS_DATA)",
    requires=[["seller-sku", "sku"], ["quantity"]],
    excludes=ORDER_ID_COLUMNS,
    columns={
        "sku": ["seller-sku", "sku"],
        "asin": ["asin1", "asin"],
        "quantity": ["quantity"],
        "pending_quantity": ["pending-quantity"],
        "price": ["price"],
        "fulfillment_channel": ["fulfillment-channel"],
        "status": ["status"],
    },
)

STOCK_FILE = FlatFormat(
    name="stock-file",
    kind="inventory",
    description="A seller's stock file: sku, quantity offered on Amazon, on-hand units",
    requires=[["sku", "seller-sku"], ["quantity", "offered-quantity"], ["on-hand", "on-hand-quantity"]],
    excludes=ORDER_ID_COLUMNS,
    columns={
        "sku": ["sku", "seller-sku"],
        "asin": ["asin"],
        "quantity": ["quantity", "offered-quantity"],
        "on_hand": ["on-hand", "on-hand-quantity"],
        "fulfillment_channel": ["fulfillment-channel"],
    },
)


def _canonical_columns(kind: str) -> dict[str, list[str]]:
    return {name: [name.replace("_", "-")] for name in FIELDS[kind]}


CANONICAL_ORDERS = FlatFormat(
    name="canonical-orders",
    kind="orders",
    description="Orders with order-guard's canonical field names (order_id, status, purchase_date, ...)",
    requires=[["order-id"], ["status"]],
    group_rows=True,
    columns={**_canonical_columns("orders"), "items.sku": ["sku"], "items.quantity": ["quantity"],
             "items.order_item_id": ["order-item-id"]},
)


@hookimpl
def order_guard_formats() -> Iterator[FlatFormat]:
    yield from (ALL_ORDERS, ORDER_REPORT, UNSHIPPED_REPORT, SHIPPING_CONFIRMATION,
                LISTINGS_REPORT, STOCK_FILE, CANONICAL_ORDERS)
