"""Buyer data never reaches an output unless the user asks (``--show-buyer-data``)."""

from __future__ import annotations

import functools
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
        return value if type(value) is str else json_value(value)  # text as it is, without a call

    def format(self, template: str, record: dict[str, Any], rule: Rule) -> str:
        """The rule's message with the record's values; buyer fields redacted."""
        parts = _parsed(template)
        if parts is None:
            return _Formatter(self, record, rule).vformat(template, (), {})
        out = []
        for literal, key, conversion, spec in parts:
            out.append(literal)
            if key is not None:
                value = self._placeholder(key, record, rule)
                if conversion:
                    value = _CONVERSIONS[conversion](value)
                out.append(format(value, spec))
        return "".join(out)

    def _placeholder(self, key: str, record: dict[str, Any], rule: Rule) -> Any:
        if key == "rule_id":
            return rule.id
        value = self.value(key, record.get(key))
        return "(none)" if value is None else value


_CONVERSIONS = {"s": str, "r": repr, "a": ascii}
_PLAIN = (None, *_CONVERSIONS)


@functools.lru_cache(maxsize=1024)
def _parsed(template: str) -> tuple[tuple[str, str | None, str | None, str], ...] | None:
    """A message template split once into its parts, or None when it needs the general formatter
    (an attribute or index in a placeholder, a nested format spec). Placeholders are names
    (the loader checks), so a rule's message is formatted without parsing it per finding."""
    parts = []
    for literal, key, spec, conversion in string.Formatter().parse(template):
        if key is not None and (not key.isidentifier() or "{" in (spec or "") or conversion not in _PLAIN):
            return None
        parts.append((literal, key, conversion, spec or ""))
    return tuple(parts)


class _Formatter(string.Formatter):
    def __init__(self, redactor: Redactor, record: dict[str, Any], rule: Rule):
        self.redactor, self.record, self.rule = redactor, record, rule

    def get_value(self, key, args, kwargs):  # type: ignore[no-untyped-def]
        return self.redactor._placeholder(key, self.record, self.rule)
