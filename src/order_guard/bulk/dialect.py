"""DuckDB for the shared SQL compiler: its dialect profile, and SQLAlchemy statements as DuckDB SQL.

DuckDB compares VARCHAR byte by byte, which for UTF-8 is code-point order, as
Python compares strings; it holds instants as TIMESTAMPTZ. Statements are
rendered by SQLAlchemy's PostgreSQL compiler (DuckDB reads its SQL), which
writes each value in (quoting text as standard SQL does), so no value is ever
quoted by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from order_guard.sql import CannotPush
from order_guard.sql.dialects import Dialect

_RENDERER = postgresql.dialect(paramstyle="qmark")


class DuckDB(Dialect):
    name = "duckdb"

    def first_code(self, expr: Any) -> Any:
        return sa.func.unicode(expr)

    def number_literal(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
            raise CannotPush(f"{value} is beyond DuckDB's BIGINT")
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise CannotPush(f"{value!r} is not a finite number")
            _sign, digits, exponent = value.as_tuple()
            scale = max(-int(exponent), 0)
            if scale > 18 or max(len(digits) + int(exponent), 0) + scale > 38:
                raise CannotPush(f"{value} has more digits than DuckDB's DECIMAL holds")
            return sa.literal(value, sa.Numeric(38, scale))  # NUMERIC alone is DECIMAL(18,3): it rounds
        return super().number_literal(value)

    def datetime_literal(self, value: datetime) -> Any:
        return sa.literal(value.astimezone(UTC), sa.DateTime(timezone=True))


def render(statement: Any) -> tuple[str, list[Any]]:
    """``statement`` as DuckDB SQL and its positional parameters. Values are written into the SQL
    where they have a literal form: DuckDB takes ``GROUP BY f(x, '')`` to be the selected
    ``f(x, '')`` only when both spell the same constant, not two parameters."""
    try:
        return str(statement.compile(dialect=_RENDERER, compile_kwargs={"literal_binds": True})), []
    except Exception:  # noqa: BLE001 - a value without a literal form: pass it as a parameter
        compiled = statement.compile(dialect=_RENDERER, compile_kwargs={"render_postcompile": True})
        return compiled.string, [compiled.params[name] for name in compiled.positiontup or ()]


def expression(expr: Any) -> str:
    """A SQL expression with its values written in (constants only: text, numbers, dates)."""
    return str(expr.compile(dialect=_RENDERER, compile_kwargs={"literal_binds": True}))


def shown(statement: Any) -> str:
    """``statement`` for ``--explain``."""
    return render(statement)[0]
