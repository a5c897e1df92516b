"""The canonical record model every source maps into, and its value normalisers.

Formats map Amazon's many spellings onto canonical field names; this module
turns the raw values into canonical ones: statuses (``PENDING``,
``Pending - Waiting for Pick Up`` -> ``Pending``), channels (``Amazon`` ->
``AFN``), dates, integers, money. A value that cannot be read makes the
whole record unreadable (raised as :class:`UnreadableRecord`): a record with
an unreadable date could not be checked by the date rules, so it must not
count as checked.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from order_guard.errors import UnreadableRecord

#: Canonical order statuses (Orders API v0 spelling).
STATUSES = (
    "Pending",
    "PendingAvailability",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "InvoiceUnconfirmed",
    "Canceled",
    "Unfulfillable",
)
#: A status present but not recognised: kept visible, never dropped.
UNKNOWN_STATUS = "Unknown"

_STATUS_BY_KEY = {status.lower(): status for status in STATUSES} | {
    "cancelled": "Canceled",  # v2026 CANCELLED, British spelling in EU flat files
    # All Orders flat-file values (open vocabulary, see DOMAIN.md 3.4):
    "shipping": "Unshipped",  # in fulfilment, not yet shipped
    "complete": "Shipped",  # Seller Central help example value
}
_CHANNELS = {"afn": "AFN", "amazon": "AFN", "mfn": "MFN", "merchant": "MFN", "seller": "MFN"}


@functools.lru_cache(maxsize=4096)
def canonical_status(raw: str) -> str:
    """``Pending``, ``PENDING``, ``Pending - Waiting for Pick Up`` -> ``Pending``; unknown -> ``Unknown``."""
    key = re.sub(r"[^a-z]", "", raw.lower())
    status = _STATUS_BY_KEY.get(key)
    if status is not None:
        return status
    # Flat files qualify statuses: "Shipped - Delivered to Buyer", "Pending - Waiting for Pick Up".
    head = re.sub(r"[^a-z]", "", raw.split(" - ", 1)[0].lower())
    return _STATUS_BY_KEY.get(head, UNKNOWN_STATUS)


@functools.lru_cache(maxsize=1024)
def canonical_channel(raw: str) -> str:
    """``AFN``/``Amazon``/``AMAZON`` -> ``AFN``; ``MFN``/``Merchant``/``MERCHANT`` -> ``MFN``."""
    return _CHANNELS.get(raw.strip().lower(), raw.strip())


# These two patterns are compiled (by re, once) when first used, not at import: a gate
# with readable ISO dates needs neither (~0.2 ms of its start-up).
_QUOTABLE = r"^[0-9\s:+\-./,TZtz]{0,40}$"


def shown(raw: str) -> str:
    """A bad value as an error message may show it: dates and numbers are quoted, anything
    with letters is not (a shifted column can put a buyer's name under purchase-date)."""
    return repr(raw) if re.match(_QUOTABLE, raw) else f"a {len(raw)}-character text"


_TZ_NAMES = {"UTC": 0, "GMT": 0, "Z": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
             "EST": -5, "EDT": -4, "BST": 1, "CET": 1, "CEST": 2, "JST": 9, "IST": 5.5, "AEST": 10, "AEDT": 11}
_DAY_FIRST = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(.*)$"


def parse_datetime(raw: str) -> datetime:
    """ISO 8601 (with offset, ``Z``, or none: UTC), ``2008-02-27 20:15:20 GMT``,
    or an unambiguous ``DD-MM-YYYY``/``MM-DD-YYYY``; always timezone-aware."""
    try:
        value = datetime.fromisoformat(raw)  # the common case, in C (3.11 reads a trailing "Z")
    except ValueError:
        text = raw.strip()
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            value = _parse_lenient(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse_lenient(text: str) -> datetime:
    head, _, zone = text.rpartition(" ")
    if zone.upper() in _TZ_NAMES and head:
        offset = timezone(timedelta(hours=_TZ_NAMES[zone.upper()]))
        return parse_datetime(head).replace(tzinfo=offset)
    match = re.match(_DAY_FIRST, text)
    if match:
        first, second, year, rest = int(match[1]), int(match[2]), match[3], match[4]
        if first > 12 and second > 12:
            raise ValueError(f"not a date: {shown(text)}")
        if first > 12:
            day, month = first, second
        elif second > 12:
            month, day = first, second
        else:
            raise ValueError(f"ambiguous date {shown(text)} (day and month both <= 12); use ISO 8601")
        return parse_datetime(f"{year}-{month:02d}-{day:02d}{rest}")
    raise ValueError(f"not a date: {shown(text)}")


def parse_decimal(raw: str) -> Decimal:
    text = raw.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # EU decimal comma: "11,01"
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {shown(raw)}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite number: {shown(raw)}")
    return value


def parse_int(raw: str) -> int:
    text = raw.strip()
    try:
        return int(text)
    except ValueError:
        value = parse_decimal(text)
        if value != value.to_integral_value():
            raise ValueError(f"not a whole number: {shown(raw)}") from None
        return int(value)


#: The words read as true and false (the SQL compiler reads the same ones).
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


def parse_bool(raw: str) -> bool:
    key = raw.strip().lower()
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise ValueError(f"not true/false: {shown(raw)}")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):  # the usual case first: dates are read as text
        return parse_datetime(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"expected a date, got {type(value).__name__}")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {type(value).__name__}")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, got true/false")
    if isinstance(value, int):
        return value
    return parse_int(value if isinstance(value, str) else str(value))


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("expected a number, got true/false")
    if isinstance(value, Decimal):
        return value
    return parse_decimal(value if isinstance(value, str) else str(value))


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else parse_bool(_as_text(value))


TEXT, INT, DECIMAL, DATETIME, BOOL = _as_text, _as_int, _as_decimal, _as_datetime, _as_bool

ITEM_FIELDS: Mapping[str, Callable[[Any], Any]] = {
    "order_item_id": TEXT,
    "sku": TEXT,
    "asin": TEXT,
    "title": TEXT,
    "quantity": INT,
    "quantity_shipped": INT,
    "item_status": TEXT,
    "item_price": DECIMAL,
}

#: Fields that carry buyer data: redacted in every output unless --show-buyer-data.
BUYER_FIELDS = frozenset({
    "buyer_email", "buyer_name", "buyer_phone", "recipient_name",
    "ship_address_1", "ship_address_2", "ship_address_3", "ship_phone",
    "ship_city", "ship_state", "ship_postal_code",
})

_BUYER_AND_ADDRESS = {name: TEXT for name in sorted(BUYER_FIELDS)} | {"ship_country": TEXT}

#: kind -> canonical field -> converter. Field names here are what rules may use.
FIELDS: Mapping[str, Mapping[str, Callable[[Any], Any]]] = {
    "orders": {
        "order_id": TEXT, "seller_order_id": TEXT, "status": TEXT, "status_raw": TEXT,
        "fulfillment_channel": TEXT, "order_type": TEXT, "marketplace_id": TEXT, "sales_channel": TEXT,
        "purchase_date": DATETIME, "last_update_date": DATETIME, "latest_ship_date": DATETIME,
        "order_total": DECIMAL, "currency": TEXT, "items_shipped": INT, "items_unshipped": INT,
        "tracking_number": TEXT, "ship_date": DATETIME, "is_business_order": BOOL, "is_prime": BOOL,
        **_BUYER_AND_ADDRESS,
    },
    "order-report": {
        "order_id": TEXT, "order_item_id": TEXT, "purchase_date": DATETIME, "payments_date": DATETIME,
        "sku": TEXT, "quantity": INT, "quantity_shipped": INT, "quantity_to_ship": INT,
        "sales_channel": TEXT, "currency": TEXT, "item_price": DECIMAL, **_BUYER_AND_ADDRESS,
    },
    "shipments": {
        "order_id": TEXT, "order_item_id": TEXT, "quantity": INT, "ship_date": DATETIME,
        "carrier_code": TEXT, "carrier_name": TEXT, "tracking_number": TEXT, "ship_method": TEXT,
        "marketplace_id": TEXT,
    },
    "inventory": {
        "sku": TEXT, "asin": TEXT, "quantity": INT, "pending_quantity": INT, "on_hand": INT,
        "price": DECIMAL, "fulfillment_channel": TEXT, "status": TEXT,
    },
}
FIELDS = {**FIELDS, "unshipped-report": FIELDS["order-report"]}

def has_dates(datasets: Mapping[str, list]) -> bool:
    """Whether any record of these datasets (canonical names) carries a date field."""
    for kind, records in datasets.items():
        dated = {name for name, convert in FIELDS[kind].items() if convert is DATETIME}
        if any(isinstance(record, Mapping) and dated & set(record) for record in records):
            return True
    return False


#: The field that identifies a record of each kind (records without it are unreadable).
KEY_FIELD = {"orders": "order_id", "order-report": "order_id", "unshipped-report": "order_id",
             "shipments": "order_id", "inventory": "sku"}


def normalize(kind: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical record of ``kind`` from a dict of canonical names with raw values.

    Empty values become ``None``; statuses and channels are canonicalised;
    fields the model does not know are kept as they are. Raises
    :class:`UnreadableRecord` naming the field when a value cannot be read,
    or when the record has no key (no order id, no SKU).
    """
    fields = FIELDS[kind]
    record: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            record[name] = None
            continue
        convert = fields.get(name)
        if isinstance(value, str):
            if not value or value.isspace():
                record[name] = None
                continue
            if convert is TEXT:  # text read as text, the most common case: no call
                record[name] = value
                continue
        if name == "items":
            record["items"] = [_normalize_item(item) for item in value]
            continue
        try:
            record[name] = convert(value) if convert else value
        except ValueError as err:
            raise UnreadableRecord(f"field {name}: {err}") from None
    key = KEY_FIELD[kind]
    if record.get(key) is None:
        raise UnreadableRecord(f"no {key}")
    if kind == "orders":
        canonicalise_order(record)
    elif kind == "inventory" and record.get("fulfillment_channel") is not None:
        record["fulfillment_channel"] = canonical_channel(record["fulfillment_channel"])
    return record


def canonicalise_order(record: dict[str, Any]) -> None:
    """Statuses and channels of an order record in their canonical spelling, in place."""
    raw_status = record.get("status")
    if raw_status is not None:
        record.setdefault("status_raw", raw_status)
        record["status"] = canonical_status(raw_status)
    channel = record.get("fulfillment_channel")
    if channel is not None:
        record["fulfillment_channel"] = canonical_channel(channel)
    record.setdefault("items", [])


def _normalize_item(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise UnreadableRecord(f"order item is {type(raw).__name__}, not an object")
    item: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or (isinstance(value, str) and (not value or value.isspace())):
            item[name] = None
            continue
        convert = ITEM_FIELDS.get(name)
        try:
            item[name] = convert(value) if convert else value
        except ValueError as err:
            raise UnreadableRecord(f"item field {name}: {err}") from None
    return item
