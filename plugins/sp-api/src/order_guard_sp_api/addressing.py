"""Dataset addresses: ``sp-api://orders?...`` and ``sp-api://reports/REPORT_TYPE?...``.

Parameters are closed: an unknown one is a usage error naming it (a typo such
as ``created_afer`` must not silently widen or empty the query). Values are
never echoed in errors: an address is not the place for a secret, but if one
is pasted there by mistake it must not be printed either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from order_guard.errors import UsageError

SCHEME = "sp-api://"
V0, V2026 = "v0", "2026-01-01"

#: marketplace id -> region (python-amazon-sp-api ``marketplaces.py``; DOMAIN.md 2.1).
MARKETPLACE_REGIONS = {
    "ATVPDKIKX0DER": "na", "A2EUQ1WTGCTBG2": "na", "A1AM78C64UM0Y8": "na", "A2Q3Y263D00KWC": "na",
    "A1PA6795UKMFR9": "eu", "A1RKKUPIHCS9HS": "eu", "A13V1IB3VIYZZH": "eu", "APJ6JRA9NG5V4": "eu",
    "A1F83G8C2ARO7P": "eu", "A1805IZSGTT6HS": "eu", "A2NODRKZP88ZB9": "eu", "A1C3SOZRARQ6R3": "eu",
    "AMEN7PMS3EDWL": "eu", "A28R8C7NBKEWEA": "eu", "A33AVAJ2PDY3EV": "eu", "ARBP9OOSHTCHU": "eu",
    "A17E79C6D8DWNP": "eu", "A2VIGQ35RCS4UG": "eu", "A21TJRUUN4KGV": "eu", "AE08WJ6YKNBMC": "eu",
    "A19VAU5U5O7RUS": "fe", "A39IBJ37TRP1C6": "fe", "A1VC38T7YXB528": "fe",
}
REGIONS = ("na", "eu", "fe")

#: Status spellings, keyed by letters only: v0 value, v2026 value (None: no counterpart).
STATUSES = {
    "pending": ("Pending", "PENDING"), "pendingavailability": ("PendingAvailability", "PENDING_AVAILABILITY"),
    "unshipped": ("Unshipped", "UNSHIPPED"), "partiallyshipped": ("PartiallyShipped", "PARTIALLY_SHIPPED"),
    "shipped": ("Shipped", "SHIPPED"), "canceled": ("Canceled", "CANCELLED"), "cancelled": ("Canceled", "CANCELLED"),
    "unfulfillable": ("Unfulfillable", "UNFULFILLABLE"), "invoiceunconfirmed": ("InvoiceUnconfirmed", None),
}
CHANNELS = {"mfn": ("MFN", "MERCHANT"), "merchant": ("MFN", "MERCHANT"),
            "afn": ("AFN", "AMAZON"), "amazon": ("AFN", "AMAZON")}
#: Restricted data elements of the Orders API (Tokens API ``dataElements``).
DATA_ELEMENTS = ("buyerInfo", "shippingAddress", "buyerTaxInformation")
ITEMS_POLICIES = ("pending", "all", "none")

#: Report type -> dataset kind, for the flat-file reports order-guard reads.
REPORT_KINDS = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": "orders",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": "orders",
    "GET_FLAT_FILE_ARCHIVED_ORDERS_DATA_BY_ORDER_DATE": "orders",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING": "order-report",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_INVOICING": "order-report",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_TAX": "order-report",
    "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING": "unshipped-report",
    "GET_MERCHANT_LISTINGS_ALL_DATA": "inventory",
    "GET_MERCHANT_LISTINGS_DATA": "inventory",
    "GET_MERCHANT_LISTINGS_DATA_LITE": "inventory",
    "GET_MERCHANT_LISTINGS_DATA_LITER": "inventory",
    "GET_FLAT_FILE_OPEN_LISTINGS_DATA": "inventory",
}
#: Report types that carry buyer data: Amazon hands their documents out only with an RDT.
RESTRICTED_REPORTS = frozenset({
    "GET_FLAT_FILE_ACTIONABLE_ORDER_DATA_SHIPPING", "GET_FLAT_FILE_ORDER_REPORT_DATA_SHIPPING",
    "GET_FLAT_FILE_ORDER_REPORT_DATA_INVOICING", "GET_FLAT_FILE_ORDER_REPORT_DATA_TAX",
})

_COMMON = ("marketplace", "region", "sandbox", "rdt", "restricted")
_ORDERS_PARAMS = _COMMON + ("api", "created_after", "created_before", "last_updated_after", "last_updated_before",
                            "statuses", "fulfillment_channels", "page_size", "items", "included_data")
_REPORT_PARAMS = _COMMON + ("data_start_time", "data_end_time", "report_id")
_MARKETPLACE = re.compile(r"^[A-Z0-9]{8,20}$")
_REPORT_TYPE = re.compile(r"^[A-Z0-9_]+$")
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


@dataclass(frozen=True)
class Address:
    """What an ``sp-api://`` location asks for."""

    what: str  # "orders" or "reports"
    marketplaces: tuple[str, ...]
    region: str | None = None
    sandbox: bool = False
    #: Restricted data elements asked for (empty: no buyer data, the default).
    restricted: tuple[str, ...] = ()
    api: str = V0
    created_after: str | None = None
    created_before: str | None = None
    last_updated_after: str | None = None
    last_updated_before: str | None = None
    statuses: tuple[str, ...] = ()
    fulfillment_channels: tuple[str, ...] = ()
    page_size: int | None = None
    items: str = "pending"
    included_data: tuple[str, ...] = ()
    report_type: str | None = None
    data_start_time: str | None = None
    data_end_time: str | None = None
    report_id: str | None = None
    report_options: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"sp-api://{self.what}" + (f"/{self.report_type}" if self.report_type else "")


def parse(location: str) -> Address:
    """The :class:`Address` of ``location``; a :class:`UsageError` says what is wrong with it."""
    parts = urlsplit(location)
    what, path = parts.netloc, parts.path.strip("/")
    label = f"sp-api://{what}" + (f"/{path}" if path else "")
    if what not in ("orders", "reports") or (what == "orders" and path) or (what == "reports" and not path):
        raise UsageError(f"{label}: expected sp-api://orders?... or sp-api://reports/REPORT_TYPE?...")
    params: dict[str, list[str]] = {}
    options: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if what == "reports" and name.startswith("option."):
            options[name[len("option."):]] = value
            continue
        allowed = _ORDERS_PARAMS if what == "orders" else _REPORT_PARAMS
        if name not in allowed:
            raise UsageError(f"{label}: unknown parameter {name!r}; parameters: {', '.join(allowed)}")
        params.setdefault(name, []).extend(v.strip() for v in value.split(",") if v.strip())
    common = _common(label, params)
    if what == "orders":
        return _orders(label, params, common)
    if not _REPORT_TYPE.match(path):
        raise UsageError(f"{label}: a report type is upper case, like "
                         "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL")
    return Address(what="reports", report_type=path, report_options=options,
                   data_start_time=_date(label, params, "data_start_time"),
                   data_end_time=_date(label, params, "data_end_time"),
                   report_id=_one(label, params, "report_id"), **common)


def _common(label: str, params: dict[str, list[str]]) -> dict:
    marketplaces = tuple(dict.fromkeys(params.get("marketplace", ())))
    if not marketplaces:
        raise UsageError(f"{label}: give at least one marketplace=ID (e.g. APJ6JRA9NG5V4 for Italy)")
    bad = [m for m in marketplaces if not _MARKETPLACE.match(m)]
    if bad:
        raise UsageError(f"{label}: {len(bad)} marketplace value(s) are not marketplace ids (like APJ6JRA9NG5V4)")
    region = _one(label, params, "region")
    if region is not None and region not in REGIONS:
        raise UsageError(f"{label}: region must be one of {', '.join(REGIONS)}")
    restricted: list[str] = []
    if _flag(label, params, "rdt"):
        restricted = ["buyerInfo", "shippingAddress"]
    for element in params.get("restricted", ()):
        match = next((known for known in DATA_ELEMENTS if known.lower() == element.lower()), None)
        if match is None:
            raise UsageError(f"{label}: restricted= takes {', '.join(DATA_ELEMENTS)}")
        restricted.append(match)
    return {"marketplaces": marketplaces, "region": region, "sandbox": _flag(label, params, "sandbox"),
            "restricted": tuple(dict.fromkeys(restricted))}


def _orders(label: str, params: dict[str, list[str]], common: dict) -> Address:
    api = _one(label, params, "api") or V0
    api = {"0": V0, "v0": V0, "2026-01-01": V2026, "v2026-01-01": V2026}.get(api)
    if api is None:
        raise UsageError(f"{label}: api must be v0 (the default) or 2026-01-01")
    dates = {name: _date(label, params, name) for name in
             ("created_after", "created_before", "last_updated_after", "last_updated_before")}
    created = dates["created_after"] or dates["created_before"]
    updated = dates["last_updated_after"] or dates["last_updated_before"]
    if bool(dates["created_after"]) == bool(dates["last_updated_after"]) or (created and updated):
        raise UsageError(f"{label}: give created_after (with an optional created_before) or last_updated_after "
                         "(with an optional last_updated_before), not both")
    column = 0 if api == V0 else 1
    statuses = []
    for value in params.get("statuses", ()):
        known = STATUSES.get(re.sub(r"[^a-z]", "", value.lower()))
        if known is None or known[column] is None:
            names = sorted({pair[column] for pair in STATUSES.values() if pair[column]})
            raise UsageError(f"{label}: statuses for Orders API {api} are {', '.join(names)}")
        statuses.append(known[column])
    channels = []
    for value in params.get("fulfillment_channels", ()):
        if value.lower() not in CHANNELS:
            raise UsageError(f"{label}: fulfillment_channels are MFN (MERCHANT) and AFN (AMAZON)")
        channels.append(CHANNELS[value.lower()][column])
    page_size = _one(label, params, "page_size")
    if page_size is not None and not (page_size.isdigit() and 1 <= int(page_size) <= 100):
        raise UsageError(f"{label}: page_size must be a whole number from 1 to 100")
    items = _one(label, params, "items") or "pending"
    if "items" in params and api != V0:
        raise UsageError(f"{label}: items is a parameter of Orders API v0 (2026-01-01 orders carry their items)")
    if items not in ITEMS_POLICIES:
        raise UsageError(f"{label}: items must be one of {', '.join(ITEMS_POLICIES)}")
    included = tuple(value.upper() for value in params.get("included_data", ()))
    if included and api != V2026:
        raise UsageError(f"{label}: included_data is a parameter of Orders API 2026-01-01 (add api=2026-01-01)")
    return Address(what="orders", api=api, statuses=tuple(dict.fromkeys(statuses)),
                   fulfillment_channels=tuple(dict.fromkeys(channels)),
                   page_size=int(page_size) if page_size else None, items=items, included_data=included,
                   **dates, **common)


def _one(label: str, params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise UsageError(f"{label}: {name} takes one value")
    return values[0] if values else None


def _flag(label: str, params: dict[str, list[str]], name: str) -> bool:
    """``name=1`` (or a bare ``name``) is on, ``name=0`` off."""
    if name not in params:
        return False
    value = _one(label, params, name)
    if value is None or value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise UsageError(f"{label}: {name} is 1 or 0")


def _date(label: str, params: dict[str, list[str]], name: str) -> str | None:
    """An ISO 8601 time, passed to Amazon as written; the sandbox's ``TEST_CASE_*`` values pass too."""
    value = _one(label, params, name)
    if value is None or value.startswith("TEST_CASE_"):
        return value
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{label}: {name} must be an ISO 8601 time such as 2026-11-01T00:00:00Z") from None
    return value
