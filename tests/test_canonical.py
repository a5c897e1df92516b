"""Canonical statuses, channels and values: every spelling Amazon uses maps to one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from order_guard.canonical import (
    canonical_channel,
    canonical_status,
    normalize,
    parse_datetime,
)
from order_guard.errors import UnreadableRecord


@pytest.mark.parametrize(("raw", "status"), [
    ("Pending", "Pending"), ("PENDING", "Pending"), ("Pending - Waiting for Pick Up", "Pending"),
    ("PendingAvailability", "PendingAvailability"), ("PENDING_AVAILABILITY", "PendingAvailability"),
    ("Canceled", "Canceled"), ("CANCELLED", "Canceled"), ("Cancelled", "Canceled"),
    ("PARTIALLY_SHIPPED", "PartiallyShipped"), ("Shipped - Delivered to Buyer", "Shipped"),
    ("InvoiceUnconfirmed", "InvoiceUnconfirmed"), ("UNFULFILLABLE", "Unfulfillable"),
    ("On Hold", "Unknown"), ("Pendingish", "Unknown"),
])
def test_statuses(raw, status):
    assert canonical_status(raw) == status


@pytest.mark.parametrize(("raw", "channel"), [
    ("AFN", "AFN"), ("AMAZON", "AFN"), ("Amazon", "AFN"), ("MFN", "MFN"), ("Merchant", "MFN"), ("MERCHANT", "MFN"),
])
def test_channels(raw, channel):
    assert canonical_channel(raw) == channel


@pytest.mark.parametrize(("raw", "expected"), [
    ("2017-06-17T08:04:21+00:00", datetime(2017, 6, 17, 8, 4, 21, tzinfo=UTC)),
    ("2024-12-25T10:30:00Z", datetime(2024, 12, 25, 10, 30, tzinfo=UTC)),
    ("2008-02-27 20:15:20 GMT", datetime(2008, 2, 27, 20, 15, 20, tzinfo=UTC)),
    ("2009-01-01T10:50:49-08:00", datetime(2009, 1, 1, 18, 50, 49, tzinfo=UTC)),
    ("05-17-2011", datetime(2011, 5, 17, tzinfo=UTC)),
    ("14-07-2010T18:53:56+00:00", datetime(2010, 7, 14, 18, 53, 56, tzinfo=UTC)),
    ("2024-12-25", datetime(2024, 12, 25, tzinfo=UTC)),
])
def test_dates_are_read_leniently_and_always_carry_a_zone(raw, expected):
    assert parse_datetime(raw) == expected


def test_an_ambiguous_date_is_refused():
    with pytest.raises(ValueError, match="ambiguous"):
        parse_datetime("05-06-2011")


def test_an_unknown_status_is_kept_visible():
    record = normalize("orders", {"order_id": "1", "status": "On Hold"})
    assert record["status"] == "Unknown" and record["status_raw"] == "On Hold"


def test_values_are_typed_and_empty_values_are_none():
    record = normalize("orders", {"order_id": "1", "order_total": "11,01", "items_shipped": "2", "is_prime": "true",
                                  "buyer_email": " ", "items": [{"sku": "S", "quantity": "3"}]})
    assert record["order_total"] == Decimal("11.01")
    assert record["items_shipped"] == 2 and record["is_prime"] is True
    assert record["buyer_email"] is None
    assert record["items"] == [{"sku": "S", "quantity": 3}]


@pytest.mark.parametrize(("raw", "message"), [
    ({"status": "Pending"}, "no order_id"),
    ({"order_id": "1", "purchase_date": "yesterday"}, "purchase_date"),
    ({"order_id": "1", "items_shipped": "two"}, "items_shipped"),
    ({"order_id": "1", "order_total": "NaN"}, "order_total"),
])
def test_an_unreadable_value_makes_the_record_unreadable(raw, message):
    with pytest.raises(UnreadableRecord, match=message):
        normalize("orders", raw)
