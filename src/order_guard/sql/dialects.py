"""Dialect profiles: how each database compares text in code-point order, holds dates and types values.

A dialect without a profile gets no pushdown (its rows are streamed): SQLite,
PostgreSQL and MySQL/MariaDB have one; a bulk engine adds its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from order_guard.sql import CannotPush

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def type_class(sql_type: Any) -> str:
    if isinstance(sql_type, sa.Boolean):
        return "boolean"
    if isinstance(sql_type, sa.Integer):
        return "integer"
    if isinstance(sql_type, sa.Float):
        return "float"
    if isinstance(sql_type, sa.Numeric):
        return "decimal"
    if isinstance(sql_type, sa.DateTime):
        return "datetime"
    if isinstance(sql_type, sa.Date):
        return "date"
    if isinstance(sql_type, (sa.String, sa.Enum)):
        return "text"
    return "unknown"


class Dialect:
    """How one database compares text in code-point order and holds dates. ``supported`` dialects only."""

    name = "generic"

    def text(self, expr: Any) -> Any:
        """``expr`` as text that compares as Python compares strings."""
        return expr

    def text_literal(self, value: str) -> Any:
        return sa.literal(value, sa.String())

    def prefix(self, expr: Any, value: str) -> Any:
        return sa.func.substr(expr, 1, len(value)) == self.text_literal(value)

    def as_text(self, expr: Any) -> Any:
        return sa.cast(expr, sa.String())

    def number_literal(self, value: Any) -> Any:
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, int):
            return sa.literal(value, sa.BigInteger())
        if isinstance(value, Decimal):
            return sa.literal(value, sa.Numeric())
        raise CannotPush(f"{value!r} is not a whole or decimal number")

    def datetime_literal(self, value: datetime) -> Any:
        return sa.literal(value.astimezone(UTC), sa.DateTime(timezone=True))

    def storage(self, expr: Any) -> Any | None:
        """The storage class of each value, where the dialect types values, not columns (SQLite)."""
        return None

    def first_code(self, expr: Any) -> Any | None:
        """The code point of the first character of ``expr`` (NULL for empty text), where cheap."""
        return None


class SQLite(Dialect):
    name = "sqlite"

    def text(self, expr: Any) -> Any:
        return expr.collate("BINARY")

    def storage(self, expr: Any) -> Any:
        return sa.func.typeof(expr)

    def first_code(self, expr: Any) -> Any:
        return sa.func.unicode(expr)

    def number_literal(self, value: Any) -> Any:
        if isinstance(value, Decimal) and value != value.to_integral_value():
            return sa.literal(float(value), sa.Float())  # exact against the integers SQL vouches for
        if isinstance(value, Decimal):
            value = int(value)
        return super().number_literal(value)

    def datetime_literal(self, value: datetime) -> Any:
        return sa.literal((value - EPOCH) // _MICROSECOND, sa.BigInteger())


class PostgreSQL(Dialect):
    name = "postgresql"

    def text(self, expr: Any) -> Any:
        return expr.collate("C")

    def first_code(self, expr: Any) -> Any:
        return sa.func.ascii(expr)  # the code point in a UTF-8 database


class MySQL(Dialect):
    name = "mysql"

    def text(self, expr: Any) -> Any:
        from sqlalchemy.dialects import mysql

        return sa.func.binary(sa.cast(expr, mysql.CHAR(charset="utf8mb4")), type_=sa.LargeBinary())

    def text_literal(self, value: str) -> Any:
        return sa.literal(value.encode("utf-8"), sa.LargeBinary())

    def prefix(self, expr: Any, value: str) -> Any:
        return sa.func.substr(expr, 1, len(value.encode("utf-8"))) == self.text_literal(value)

    def datetime_literal(self, value: datetime) -> Any:
        return sa.literal(value.astimezone(UTC).replace(tzinfo=None), sa.DateTime())


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - EPOCH
DIALECTS: Mapping[str, type[Dialect]] = {"sqlite": SQLite, "postgresql": PostgreSQL, "mysql": MySQL,
                                         "mariadb": MySQL}


def dialect_for(name: str) -> Dialect | None:
    """The profile of a SQLAlchemy dialect name, or None where pushdown is not verified."""
    profile = DIALECTS.get(name)
    return profile() if profile else None
