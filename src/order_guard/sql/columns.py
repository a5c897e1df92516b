"""Raw SQL columns as canonical values: what ``canonical.normalize`` does, in SQL, where SQL can vouch for it.

For each raw column this module gives the SQL expression of the canonical
value Python would read (:class:`~order_guard.sql.compiler.SqlColumn`), and
two SQL conditions: ``readable`` (the value certainly converts, so the row is
not unreadable) and ``exact`` (the SQL value certainly is the Python value).
Where a dialect cannot vouch (dates stored as text outside the plain ISO
forms, floating-point money, text that is blank only by Unicode's measure),
the condition says so and those rows are left to Python. Each dialect's
comparisons are made in code-point order, as Python compares strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from order_guard.canonical import BOOL, DATETIME, DECIMAL, FALSE_WORDS, INT, TEXT, TRUE_WORDS
from order_guard.sql import CannotPush
from order_guard.sql.compiler import ABSENT, NUMBER, OTHER, SqlColumn
from order_guard.sql.compiler import DATETIME as SQL_DATETIME
from order_guard.sql.compiler import TEXT as SQL_TEXT
from order_guard.sql.dialects import Dialect

#: Characters Python's str.strip() removes besides the space; SQL's TRIM keeps them.
WHITESPACE = ("\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680",
              *map(chr, range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000")
_TRUE, _FALSE = tuple(sorted(TRUE_WORDS)), tuple(sorted(FALSE_WORDS))  # as canonical.parse_bool reads them


@dataclass
class Canon:
    """A raw column read as a canonical field: ``column`` and where it is ``readable`` (None: everywhere)."""

    column: SqlColumn
    readable: Any = None


def _text_column(dialect: Dialect, expr: Any, exact: Any = None) -> SqlColumn:
    def bind(value: Any) -> Any:
        if not isinstance(value, str):
            raise CannotPush(f"text compared with {type(value).__name__} {value!r}")
        return dialect.text_literal(value)

    return SqlColumn(dialect.text(expr), SQL_TEXT, bind, exact, lambda value: dialect.prefix(dialect.text(expr), value))


def _number_column(dialect: Dialect, expr: Any, exact: Any = None) -> SqlColumn:
    return SqlColumn(expr, NUMBER, dialect.number_literal, exact)


def _datetime_column(dialect: Dialect, expr: Any) -> SqlColumn:
    def bind(value: Any) -> Any:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise CannotPush(f"a date compared with {value!r}")
        return dialect.datetime_literal(value)

    return SqlColumn(expr, SQL_DATETIME, bind)


def absent() -> SqlColumn:
    """A field the table does not have: always None."""
    return SqlColumn(sa.null(), ABSENT)


def _whitespace_edge(dialect: Dialect, raw: Any) -> Any:
    """Text whose first non-space character is other whitespace: Python may read it as blank."""
    code = dialect.first_code(sa.func.ltrim(raw))
    if code is not None:
        return sa.and_(raw.is_not(None), sa.func.coalesce(code, 0).in_([ord(c) for c in WHITESPACE]))
    first = sa.func.substr(sa.func.ltrim(raw), 1, 1)
    return sa.and_(raw.is_not(None), dialect.text(first).in_([dialect.text_literal(c) for c in WHITESPACE]))


def _blank_to_null(raw: Any) -> Any:
    return sa.case((sa.func.trim(raw) == "", sa.null()), else_=raw)


def canonical(dialect: Dialect, raw: Any, kind_class: str, convert: Callable[[Any], Any] | None) -> Canon:
    """The canonical value of raw column ``raw`` (of type class ``kind_class``) under converter ``convert``
    (``canonical.TEXT``, ``INT``, ... or None for fields kept as read, such as ``x_`` columns)."""
    if convert is TEXT:
        return _as_text(dialect, raw, kind_class)
    if convert is INT:
        return _as_int(dialect, raw, kind_class)
    if convert is DECIMAL:
        return _as_decimal(dialect, raw, kind_class)
    if convert is DATETIME:
        return _as_datetime(dialect, raw, kind_class)
    if convert is BOOL:
        return _as_bool(dialect, raw, kind_class)
    return _as_read(dialect, raw, kind_class)


def _unreadable_unless_null(raw: Any) -> Canon:
    return Canon(SqlColumn(sa.null(), OTHER), raw.is_(None))


def _as_text(dialect: Dialect, raw: Any, kind_class: str) -> Canon:
    """Any value reads as text (its text form, as the reader hands it over): only exactness varies."""
    storage = dialect.storage(raw)
    edge = sa.not_(_whitespace_edge(dialect, raw))
    if storage is not None:  # SQLite: text as stored, integers as digits; other storage: Python decides
        expr = sa.case((storage == "integer", sa.cast(raw, sa.String())), else_=_blank_to_null(raw))
        return Canon(_text_column(dialect, expr, sa.and_(storage.in_(["null", "text", "integer"]), edge)))
    if kind_class == "text":
        return Canon(_text_column(dialect, _blank_to_null(raw), edge))
    if kind_class == "integer":
        return Canon(_text_column(dialect, dialect.as_text(raw)))
    # numbers, dates, flags: SQL may spell them otherwise than Python's text form
    return Canon(_text_column(dialect, dialect.as_text(raw), raw.is_(None)))


def _digits(dialect: Dialect, raw: Any) -> Any:
    """Text that is a plain run of 1-18 ASCII digits: int() and CAST read it alike."""
    if dialect.name == "sqlite":
        return sa.and_(raw.op("GLOB")("[0-9]*"), sa.not_(raw.op("GLOB")("*[^0-9]*")), sa.func.length(raw) <= 18)
    return sa.false()


def _as_int(dialect: Dialect, raw: Any, kind_class: str) -> Canon:
    storage = dialect.storage(raw)
    if storage is not None:
        expr = sa.case((storage == "integer", raw),
                       (sa.and_(storage == "text", _digits(dialect, raw)), sa.cast(raw, sa.Integer())))
        readable = sa.or_(storage.in_(["null", "integer"]),
                          sa.and_(storage == "text", sa.or_(sa.func.trim(raw) == "", _digits(dialect, raw))))
        return Canon(_number_column(dialect, expr), readable)
    if kind_class == "integer":
        return Canon(_number_column(dialect, raw))
    if kind_class == "text":
        return Canon(_number_column(dialect, sa.null()), sa.or_(raw.is_(None), sa.func.trim(raw) == ""))
    return _unreadable_unless_null(raw)


def _as_decimal(dialect: Dialect, raw: Any, kind_class: str) -> Canon:
    storage = dialect.storage(raw)
    if storage is not None:
        finite = sa.and_(raw < sa.literal(1e308) * 10, raw > sa.literal(-1e308) * 10)
        expr = sa.case((storage.in_(["integer", "real"]), raw))
        readable = sa.or_(storage.in_(["null", "integer"]), sa.and_(storage == "real", finite),
                          sa.and_(storage == "text", sa.func.trim(raw) == ""))
        return Canon(_number_column(dialect, expr, storage != "real"), readable)
    if kind_class == "integer":
        return Canon(_number_column(dialect, raw))
    if kind_class == "decimal":
        readable = None
        if dialect.name == "postgresql":  # NaN reads, but no Python comparison or sum accepts it
            readable = sa.or_(raw.is_(None), raw != sa.cast(sa.literal("NaN"), sa.Numeric()))
        return Canon(_number_column(dialect, raw), readable)
    if kind_class == "float":
        readable = None
        if dialect.name == "postgresql":
            readable = sa.or_(raw.is_(None), sa.not_(raw.in_([sa.cast(sa.literal(v), sa.Float())
                                                               for v in ("NaN", "Infinity", "-Infinity")])))
        return Canon(_number_column(dialect, raw, sa.false()), readable)
    if kind_class == "text":
        return Canon(_number_column(dialect, sa.null()), sa.or_(raw.is_(None), sa.func.trim(raw) == ""))
    return _unreadable_unless_null(raw)


#: ISO forms both Python and SQLite read alike: date, minutes, seconds, milli- or microseconds (ending 000).
_D = "[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]"
_ISO = [_D] + [_D + "[T ][0-2][0-9]:[0-5][0-9]" + rest + zone
               for rest in ("", ":[0-5][0-9]", ":[0-5][0-9].[0-9][0-9][0-9]", ":[0-5][0-9].[0-9][0-9][0-9]000")
               for zone in ("", "Z", "+00:00")]


def _sqlite_iso(raw: Any) -> Any:
    day = sa.func.substr(raw, 1, 10)
    return sa.and_(sa.or_(*[raw.op("GLOB")(pattern) for pattern in _ISO]),
                   sa.func.date(day, "+0 days") == day, day >= "1970",
                   sa.or_(sa.func.length(raw) == 10, sa.func.substr(raw, 12, 2) < "24"))


def _as_datetime(dialect: Dialect, raw: Any, kind_class: str) -> Canon:
    storage = dialect.storage(raw)
    if storage is not None:  # SQLite: ISO text, as microseconds since 1970
        micros = sa.cast(sa.func.strftime("%s", raw), sa.BigInteger()) * 1_000_000 + sa.case(
            (sa.func.substr(raw, 20, 1) == ".", sa.cast(sa.func.substr(raw, 21, 3), sa.Integer()) * 1000), else_=0)
        iso = sa.and_(storage == "text", _sqlite_iso(raw))
        readable = sa.or_(storage == "null", iso, sa.and_(storage == "text", sa.func.trim(raw) == ""))
        return Canon(_datetime_column(dialect, sa.case((iso, micros))), readable)
    if kind_class in ("datetime", "date"):
        readable = sa.or_(raw.is_(None), sa.func.isfinite(raw)) if dialect.name == "postgresql" else None
        return Canon(_datetime_column(dialect, raw), readable)
    if kind_class == "text":
        return Canon(_datetime_column(dialect, sa.null()), sa.or_(raw.is_(None), sa.func.trim(raw) == ""))
    return _unreadable_unless_null(raw)


def _as_bool(dialect: Dialect, raw: Any, kind_class: str) -> Canon:
    storage = dialect.storage(raw)
    words = sa.func.lower(raw)
    if storage is not None:
        expr = sa.case((storage == "integer", raw), (words.in_(_TRUE), 1), (words.in_(_FALSE), 0))
        readable = sa.or_(storage == "null", sa.and_(storage == "integer", raw.in_([0, 1])),
                          sa.and_(storage == "text", sa.or_(sa.func.trim(raw) == "", words.in_(_TRUE + _FALSE))))
        return Canon(_number_column(dialect, expr), readable)
    if kind_class == "boolean":
        return Canon(_number_column(dialect, sa.case((raw.is_(True), 1), (raw.is_(False), 0))))
    if kind_class == "integer":
        return Canon(_number_column(dialect, raw), sa.or_(raw.is_(None), raw.in_([0, 1])))
    if kind_class == "text":
        return Canon(_number_column(dialect, sa.null()), sa.or_(raw.is_(None), sa.func.trim(raw) == ""))
    return _unreadable_unless_null(raw)


def _as_read(dialect: Dialect, raw: Any, kind_class: str) -> Canon:
    """A field kept as read (``x_`` columns): its text, as a flat file's cell would be."""
    return _as_text(dialect, raw, kind_class)


def enumerated(dialect: Dialect, raw_text: Any, values: Mapping[str, str | None], readable: Any) -> Canon:
    """A field whose every raw value (as text) was read from the table and mapped in Python
    (``canonical_status``, ``canonical_channel``, a seller's value mapping): exact by construction."""
    by_value: dict[str | None, list[str]] = {}
    for raw, value in values.items():
        if value != raw:  # values read as they are need no branch: the CASE keeps the raw text
            by_value.setdefault(value, []).append(raw)
    exact_raw = dialect.text(raw_text)
    branches = [(exact_raw.in_([dialect.text_literal(r) for r in sorted(raws)]),
                 dialect.text_literal(value) if value is not None else sa.null())
                for value, raws in sorted(by_value.items(), key=lambda pair: (pair[0] is None, pair[0] or ""))]
    if not values:
        expr = sa.null()
    elif branches:
        expr = dialect.text(sa.case(*branches, else_=raw_text))
    else:
        expr = exact_raw
    known = sa.or_(raw_text.is_(None), exact_raw.in_([dialect.text_literal(r) for r in sorted(values)])) \
        if values else raw_text.is_(None)

    def bind(value: Any) -> Any:
        if not isinstance(value, str):
            raise CannotPush(f"text compared with {type(value).__name__} {value!r}")
        return dialect.text_literal(value)

    column = SqlColumn(expr, SQL_TEXT, bind, known, lambda value: dialect.prefix(expr, value))
    return Canon(column, readable)
