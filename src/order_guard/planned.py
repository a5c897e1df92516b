"""Value readers for a format's planned mapping (``JsonFormat.canonical``): map and normalise in one step.

Each reader gives what :func:`order_guard.canonical.normalize` gives for a value of the
type the API sends (text as a string, a count as an integer, a flag as a boolean) and raises
:class:`NotPlanned` for any other type: that record is then mapped and normalised the general
way, which reads it or says exactly why it cannot. So a planned mapping decides only the
records whose every value is of the usual type; ``tests/test_planned.py`` holds it to the
general way.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from order_guard.canonical import parse_datetime, parse_decimal


class NotPlanned(Exception):
    """A value of a type the planned mapping leaves to ``normalize``."""


def text(value: Any) -> str | None:
    if value is None:
        return None
    if value.__class__ is not str:
        raise NotPlanned
    return None if not value or value.isspace() else value


def date(value: Any) -> datetime | None:
    if value is None:
        return None
    if value.__class__ is not str:
        raise NotPlanned
    return None if not value or value.isspace() else parse_datetime(value)


def decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if value.__class__ is not str:
        raise NotPlanned
    return None if not value or value.isspace() else parse_decimal(value)


def integer(value: Any) -> int | None:
    if value is None or value.__class__ is int:
        return value
    raise NotPlanned


def flag(value: Any) -> bool | None:
    if value is None or value.__class__ is bool:
        return value
    raise NotPlanned
