"""Buyer data never reaches an output unless the user asks (``--show-buyer-data``)."""

from __future__ import annotations

import string
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from order_guard.canonical import BUYER_FIELDS

if TYPE_CHECKING:
    from order_guard.rulelang.model import Rule

REDACTED = "[redacted]"


def json_value(value: Any) -> Any:
    """A value as it appears in reports: dates in ISO 8601, money as decimal text."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    return value


class Redactor:
    def __init__(self, show_buyer_data: bool = False):
        self.show_buyer_data = show_buyer_data

    def value(self, name: str, value: Any) -> Any:
        if value is not None and name in BUYER_FIELDS and not self.show_buyer_data:
            return REDACTED
        return json_value(value)

    def format(self, template: str, record: dict[str, Any], rule: Rule) -> str:
        """The rule's message with the record's values; buyer fields redacted."""
        return _Formatter(self, record, rule).vformat(template, (), {})


class _Formatter(string.Formatter):
    def __init__(self, redactor: Redactor, record: dict[str, Any], rule: Rule):
        self.redactor, self.record, self.rule = redactor, record, rule

    def get_value(self, key, args, kwargs):  # type: ignore[no-untyped-def]
        if key == "rule_id":
            return self.rule.id
        value = self.redactor.value(key, self.record.get(key))
        return "(none)" if value is None else value
