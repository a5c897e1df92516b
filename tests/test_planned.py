"""A format's planned mapping gives the very record the general way gives, or leaves the order to it."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from order_guard.builtin.sp_api_formats import SP_API_V0
from order_guard.canonical import normalize
from order_guard.errors import UnreadableRecord

#: Values of the types the API sends, of other types, blank, and ones that do not parse.
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "\t", "x", "Pending", "PENDING", "Shipped", "Canceled", "AFN", "Amazon", "MFN",
                     "2026-11-02T03:15:00Z", "2026-11-02", "02/11/2026", "31-12-2026 10:00 GMT", "not a date",
                     "9.50", "11,01", "NaN", "1e3", "3", "-1", "true", "no"]),
    st.lists(st.integers(0, 2), max_size=2), st.dictionaries(st.sampled_from(["Amount", "x"]), st.text(max_size=3)),
)
_ORDER_KEYS = ["SellerOrderId", "FulfillmentChannel", "OrderType", "MarketplaceId",
               "SalesChannel", "PurchaseDate", "LastUpdateDate", "LatestShipDate", "NumberOfItemsShipped",
               "NumberOfItemsUnshipped", "IsBusinessOrder", "IsPrime", "BuyerEmail", "BuyerName", "Unknown"]
_ITEM_KEYS = ["OrderItemId", "SellerSKU", "ASIN", "Title", "QuantityOrdered", "QuantityShipped", "Other"]
_ADDRESS_KEYS = ["Name", "AddressLine1", "AddressLine2", "AddressLine3", "Phone", "City", "StateOrRegion",
                 "PostalCode", "CountryCode"]
_MONEY = st.one_of(_VALUES, st.fixed_dictionaries({}, optional={"Amount": _VALUES, "CurrencyCode": _VALUES}))
_ITEMS = st.lists(st.one_of(
    st.fixed_dictionaries({}, optional={**dict.fromkeys(_ITEM_KEYS, _VALUES), "ItemPrice": _MONEY}), _VALUES),
    max_size=3)
_V0_ORDERS = st.one_of(_VALUES, st.fixed_dictionaries(
    {"AmazonOrderId": _VALUES, "OrderStatus": _VALUES},
    optional={**dict.fromkeys(_ORDER_KEYS, _VALUES), "OrderTotal": _MONEY, "OrderItems": st.one_of(_ITEMS, _VALUES),
              "BuyerInfo": st.one_of(_VALUES, st.fixed_dictionaries({}, optional=dict.fromkeys(
                  ["BuyerEmail", "BuyerName"], _VALUES))),
              "ShippingAddress": st.one_of(_VALUES, st.fixed_dictionaries({}, optional=dict.fromkeys(
                  _ADDRESS_KEYS, _VALUES)))}))


def _general(order: object) -> list | str:
    """The record the general way reads, as (field, value) pairs in order, or its error."""
    try:
        return list(normalize("orders", SP_API_V0.map(order)).items())
    except (UnreadableRecord, ValueError, TypeError, AttributeError, KeyError, IndexError) as err:
        return f"unreadable: {err}"


@settings(max_examples=500, deadline=None)
@given(_V0_ORDERS)
def test_the_v0_planned_mapping_reads_an_order_as_the_general_way_does_or_not_at_all(order):
    planned = SP_API_V0.canonical(order)
    if planned is not None:
        assert list(planned.items()) == _general(order)


_TEXT = st.one_of(st.none(), st.sampled_from(["", " ", "x", "Pending", "Shipped", "Amazon", "MFN"]), st.text(max_size=5))
_DATE = st.one_of(st.none(), st.just(""), st.datetimes().map(lambda moment: moment.isoformat() + "Z"))
_COUNT = st.one_of(st.none(), st.integers(0, 5))
_FLAG = st.one_of(st.none(), st.booleans())
_AMOUNT = st.one_of(st.none(), st.decimals(-1000, 1000, places=2).map(str))
_WELL_TYPED = st.fixed_dictionaries(
    {"AmazonOrderId": st.text(min_size=1, max_size=5).filter(lambda text: not text.isspace()), "OrderStatus": _TEXT},
    optional={"SellerOrderId": _TEXT, "FulfillmentChannel": _TEXT, "SalesChannel": _TEXT, "PurchaseDate": _DATE,
              "LastUpdateDate": _DATE, "NumberOfItemsShipped": _COUNT, "IsPrime": _FLAG, "BuyerEmail": _TEXT,
              "OrderTotal": st.fixed_dictionaries({}, optional={"Amount": _AMOUNT, "CurrencyCode": _TEXT}),
              "ShippingAddress": st.fixed_dictionaries({}, optional=dict.fromkeys(_ADDRESS_KEYS, _TEXT)),
              "OrderItems": st.lists(st.fixed_dictionaries({"OrderItemId": _TEXT, "QuantityOrdered": _COUNT}, optional={
                  "SellerSKU": _TEXT, "ItemPrice": st.fixed_dictionaries({"Amount": _AMOUNT})}), max_size=3)})


@settings(max_examples=300, deadline=None)
@given(_WELL_TYPED)
def test_the_v0_planned_mapping_reads_every_order_of_the_types_the_api_sends(order):
    planned = SP_API_V0.canonical(order)
    assert planned is not None
    assert list(planned.items()) == _general(order)


def test_the_v0_planned_mapping_reads_the_example_orders():
    document = json.loads((Path(__file__).parents[1] / "examples" / "amazon-it" / "sp-api-orders-de.json").read_text())
    orders = [raw for _, raw in SP_API_V0.extract(document)]
    assert orders
    for order in orders:
        planned = SP_API_V0.canonical(order)
        assert planned is not None
        assert list(planned.items()) == _general(order)
