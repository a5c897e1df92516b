"""A small Italian seller's orders (made up), in the shapes of Orders API v0 and v2026-01-01.

Each order is written once and rendered into both API versions, so the same
orders can be served by the fake SP-API and written to a JSON file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ITALY = "APJ6JRA9NG5V4"
AS_OF = "2026-11-26T12:00:00Z"
V2026_STATUS = {"Pending": "PENDING", "PendingAvailability": "PENDING_AVAILABILITY", "Unshipped": "UNSHIPPED",
                "PartiallyShipped": "PARTIALLY_SHIPPED", "Shipped": "SHIPPED", "Canceled": "CANCELLED"}
V2026_CHANNEL = {"MFN": "MERCHANT", "AFN": "AMAZON"}
#: What the plugin asks v2026 for by default (no buyer data).
V2026_DEFAULT_INCLUDED = {"FULFILLMENT", "PACKAGES", "PROCEEDS"}


@dataclass
class Item:
    item_id: str
    sku: str
    title: str
    quantity: int
    shipped: int = 0


@dataclass
class Order:
    order_id: str
    status: str
    channel: str
    purchased: str
    total: str | None
    items: list[Item] = field(default_factory=list)
    tracking: str | None = None

    @property
    def pending(self) -> bool:
        return self.status in ("Pending", "PendingAvailability")


ORDERS = [
    Order("171-4410001-1000001", "Pending", "MFN", "2026-11-20T09:15:00Z", None,
          [Item("40110000000011", "MOKA-3", "Caffettiera moka 3 tazze", 2)]),
    Order("171-4410001-1000002", "Unshipped", "MFN", "2026-11-21T10:00:00Z", "24.90",
          [Item("40110000000021", "TAZZINE-6", "Tazzine da caffè (6 pezzi)", 1)]),
    Order("171-4410001-1000003", "Shipped", "MFN", "2026-11-18T16:40:00Z", "31.50",
          [Item("40110000000031", "MACINA-1", "Macinacaffè manuale", 1, 1)], tracking="BRT0123456789"),
    Order("171-4410001-1000004", "Pending", "AFN", "2026-11-24T07:05:00Z", None,
          [Item("40110000000041", "MOKA-6", "Caffettiera moka 6 tazze", 1)]),
    Order("171-4410001-1000005", "Canceled", "MFN", "2026-11-19T12:30:00Z", "18.00",
          [Item("40110000000051", "FILTRI-100", "Filtri di carta (100)", 1)]),
    Order("171-4410001-1000006", "PendingAvailability", "MFN", "2026-11-22T20:00:00Z", None,
          [Item("40110000000061", "MOKA-3", "Caffettiera moka 3 tazze", 1)]),
    Order("171-4410001-1000007", "Unshipped", "MFN", "2026-10-25T08:00:00Z", "42.00",
          [Item("40110000000071", "TAZZINE-6", "Tazzine da caffè (6 pezzi)", 2)]),
]
NOT_AN_ORDER = "171-4410009-9999999"


def _updated(order: Order) -> str:
    return order.purchased.replace(":00Z", ":30Z")


def v0_order(order: Order, with_items: bool = False) -> dict:
    data = {
        "AmazonOrderId": order.order_id, "PurchaseDate": order.purchased, "LastUpdateDate": _updated(order),
        "OrderStatus": order.status, "FulfillmentChannel": order.channel, "SalesChannel": "Amazon.it",
        "MarketplaceId": ITALY, "OrderType": "Preorder" if order.status == "PendingAvailability" else "StandardOrder",
        "NumberOfItemsShipped": sum(i.shipped for i in order.items),
        "NumberOfItemsUnshipped": sum(i.quantity - i.shipped for i in order.items),
        "IsBusinessOrder": False, "IsPrime": False, "PaymentMethodDetails": ["Standard"],
    }
    if order.total:
        data["OrderTotal"] = {"CurrencyCode": "EUR", "Amount": order.total}
    if not order.pending and order.status != "Canceled":
        data["ShippingAddress"] = {"Name": "Giulia Verdi", "AddressLine1": "Via dell'Indipendenza 12",
                                   "City": "Bologna", "StateOrRegion": "BO", "PostalCode": "40121",
                                   "CountryCode": "IT", "Phone": "+39 051 000000"}
        data["BuyerInfo"] = {"BuyerEmail": "x7k2m9q1w3e5r7t9@marketplace.amazon.it", "BuyerName": "Giulia Verdi"}
    if with_items:
        data["OrderItems"] = v0_items(order)
    return data


def v0_items(order: Order) -> list[dict]:
    items = []
    for item in order.items:
        entry = {"ASIN": "B0" + item.sku.replace("-", "")[:8].ljust(8, "X"), "SellerSKU": item.sku,
                 "OrderItemId": item.item_id, "Title": item.title, "QuantityOrdered": item.quantity,
                 "QuantityShipped": item.shipped}
        if not order.pending:
            entry["ItemPrice"] = {"CurrencyCode": "EUR", "Amount": order.total or "0.00"}
        items.append(entry)
    return items


def v2026_order(order: Order, included: set[str] | None = None) -> dict:
    """The full v2026 order; ``included`` keeps only those ``includedData`` sections (None: all)."""
    data: dict = {
        "orderId": order.order_id, "createdTime": order.purchased, "lastUpdatedTime": _updated(order),
        "programs": [], "associatedOrders": [],
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": ITALY, "marketplaceName": "Amazon.it"},
        "orderItems": [
            {"orderItemId": item.item_id, "quantityOrdered": item.quantity,
             "product": {"asin": "B0" + item.sku.replace("-", "")[:8].ljust(8, "X"), "sellerSku": item.sku,
                         "title": item.title},
             "fulfillment": {"quantityFulfilled": item.shipped, "quantityUnfulfilled": item.quantity - item.shipped}}
            for item in order.items
        ],
        "fulfillment": {"fulfillmentStatus": V2026_STATUS[order.status], "fulfilledBy": V2026_CHANNEL[order.channel],
                        "fulfillmentServiceLevel": "STANDARD"},
    }
    if order.total:
        data["proceeds"] = {"grandTotal": {"amount": order.total, "currencyCode": "EUR"}}
    if order.tracking:
        data["packages"] = [{"packageReferenceId": "1", "carrier": "BRT", "trackingNumber": order.tracking,
                             "shipTime": "2026-11-19T15:00:00Z"}]
    if not order.pending and order.status != "Canceled":
        data["buyer"] = {"buyerName": "Giulia Verdi", "buyerEmail": "x7k2m9q1w3e5r7t9@marketplace.amazon.it"}
        data["recipient"] = {"deliveryAddress": {"name": "Giulia Verdi", "addressLine1": "Via dell'Indipendenza 12",
                                                 "city": "Bologna", "postalCode": "40121", "countryCode": "IT",
                                                 "phone": "+39 051 000000"}}
    if included is not None:
        from sp_api_fake import _v2026_visible

        data = _v2026_visible(data, included)
    return data


def load(fake, orders: list[Order] = ORDERS) -> None:
    """Give the fake SP-API these orders (both API versions)."""
    fake.orders_v0 = [v0_order(order) for order in orders]
    fake.items_v0 = {order.order_id: v0_items(order) for order in orders}
    fake.orders_v2026 = [v2026_order(order) for order in orders]


def shipments_file(path: Path) -> Path:
    """A shipping-confirmation upload file: some of it ships what must not ship."""
    header = ["order-id", "order-item-id", "quantity", "ship-date", "carrier-code", "carrier-name",
              "tracking-number", "ship-method"]
    rows = [
        ["171-4410001-1000001", "40110000000011", "2", "2026-11-26", "BRT", "", "BRT9900000001", "Standard"],
        ["171-4410001-1000002", "40110000000021", "1", "2026-11-26", "BRT", "", "BRT9900000002", "Standard"],
        ["171-4410001-1000004", "40110000000041", "1", "2026-11-26", "BRT", "", "BRT9900000004", "Standard"],
        ["171-4410001-1000005", "40110000000051", "1", "2026-11-26", "BRT", "", "BRT9900000005", "Standard"],
        [NOT_AN_ORDER, "40110000000099", "1", "2026-11-26", "BRT", "", "BRT9900000009", "Standard"],
    ]
    path.write_text("\r\n".join("\t".join(row) for row in [header, *rows]) + "\r\n", encoding="utf-8")
    return path


def stock_file(path: Path) -> Path:
    """A seller's stock file that offers every unit on hand, ignoring the ones Pending orders hold."""
    path.write_text("sku\tquantity\ton-hand\r\nMOKA-3\t5\t5\r\nTAZZINE-6\t3\t10\r\n", encoding="utf-8")
    return path


#: What the Amazon Pending pack finds in these orders with those two files (rule id, order id or SKU).
EXPECTED = {
    ("AMZ-PEND-001", "171-4410001-1000001"), ("AMZ-PEND-004", "171-4410001-1000001"),
    ("AMZ-PEND-001", "171-4410001-1000004"), ("AMZ-PEND-004", "171-4410001-1000004"),
    ("AMZ-PEND-005", "171-4410001-1000004"), ("AMZ-PEND-004", "171-4410001-1000005"),
    ("AMZ-PEND-007", NOT_AN_ORDER), ("AMZ-PEND-006", "MOKA-3"), ("AMZ-PEND-009", "171-4410001-1000007"),
}


#: Amazon's published example payloads, beside the repository (absent in a plain clone).
SHARED_FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"


def orders_url(api: str | None = None, **params: str) -> str:
    query = {"marketplace": ITALY, "created_after": "2026-10-01T00:00:00Z", **params}
    if api:
        query["api"] = api
    return "sp-api://orders?" + "&".join(f"{key}={value}" for key, value in query.items())


def findings(report: dict) -> set[tuple[str, str]]:
    return {(f["rule_id"], f.get("order_id") or f.get("sku")) for f in report["findings"]}
