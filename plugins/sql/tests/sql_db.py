"""Helpers for the SQL source's tests: databases, tables of canonical orders, the CLI in-process."""

from __future__ import annotations

import gc
import os
import uuid
from datetime import UTC
from decimal import Decimal

import pytest
import sqlalchemy as sa

SERVERS = {
    "postgresql": ("ORDER_GUARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mysql": ("ORDER_GUARD_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
_DOWN: dict[str, str] = {}


def server_url(name: str) -> str:
    variable, default = SERVERS[name]
    url = os.environ.get(variable) or default
    if name in _DOWN:
        pytest.skip(_DOWN[name])
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool,
                              connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except Exception as err:  # noqa: BLE001
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        _DOWN[name] = (f"no {name} server answers at {shown} ({type(err).__name__}); set {variable}="
                       f"{default.split('://')[0]}://USER@HOST:PORT/DB to point this test at one")
        pytest.skip(_DOWN[name])
    finally:
        engine.dispose()
    return url


class Db:
    """One database for one test: ``load`` creates a table (a unique name), ``url`` addresses it."""

    def __init__(self, name: str, url: str):
        self.name = name
        self.base_url = url
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.tables: list[sa.Table] = []
        self.suffix = uuid.uuid4().hex[:8]

    def table_name(self, stem: str) -> str:
        return f"og_{stem}_{self.suffix}"

    def load(self, stem: str, columns: dict[str, sa.types.TypeEngine], rows: list[dict],
             primary_key: str | None = None, name: str | None = None) -> str:
        table = sa.Table(name or self.table_name(stem), sa.MetaData(),
                         *[sa.Column(column, kind, primary_key=column == primary_key) for column, kind in columns.items()])
        table.create(self.engine)
        self.tables.append(table)
        if rows:
            with self.engine.begin() as connection:
                connection.execute(table.insert(), [{column: row.get(column) for column in columns} for row in rows])
        return table.name

    def url(self, table: str, **params: str) -> str:
        query = "&".join(f"{key}={value}" for key, value in {"table": table, **params}.items())
        return f"{self.base_url}?{query}"

    def close(self) -> None:
        gc.collect()  # runs that ended close their sessions (and SQLite its locks) when collected
        for table in reversed(self.tables):
            table.drop(self.engine, checkfirst=True)
        self.engine.dispose()


# -- canonical tables ---------------------------------------------------------------------------

def column_types(db: Db, kind: str) -> dict[str, sa.types.TypeEngine]:
    """Typed columns for canonical fields: dates as ISO text on SQLite (as sellers' SQLite files hold them)."""
    from order_guard.canonical import BOOL, DATETIME, DECIMAL, FIELDS, INT

    types = {}
    for name, convert in FIELDS[kind].items():
        if name == "status_raw":
            continue  # what normalize derives from the status (a column of it would replace it)
        if convert is DATETIME:
            types[name] = sa.Text() if db.name == "sqlite" else sa.DateTime(timezone=True)
        elif convert is INT:
            types[name] = sa.Integer()
        elif convert is DECIMAL:
            types[name] = sa.Numeric(12, 2)
        elif convert is BOOL:
            types[name] = sa.Boolean()
        else:
            types[name] = sa.String(200)
    return types


def typed_value(db: Db, kind: str, name: str, value):
    """A test value as the column holds it."""
    from order_guard.canonical import DATETIME, DECIMAL, FIELDS, ITEM_FIELDS, parse_datetime

    convert = FIELDS[kind].get(name) or ITEM_FIELDS.get(name)
    if value is None:
        return None
    if convert is DATETIME and db.name != "sqlite" and isinstance(value, str):
        moment = parse_datetime(value)
        return moment.astimezone(UTC).replace(tzinfo=None) if db.name == "mysql" else moment
    if convert is DECIMAL and not isinstance(value, Decimal):
        return Decimal(str(value))
    return value


def load_orders(db: Db, orders: list[dict], stem: str = "orders") -> str:
    """Canonical orders, one row per item (sku, quantity, order_item_id), as a seller's table might."""
    types = column_types(db, "orders") | {"sku": sa.String(100), "quantity": sa.Integer(),
                                           "order_item_id": sa.String(100)}
    rows = []
    for order in orders:
        base = {name: typed_value(db, "orders", name, value) for name, value in order.items() if name != "items"}
        for item in order.get("items") or [{}]:
            row = {**base, **{name: item.get(name) for name in ("sku", "quantity", "order_item_id")}}
            # a row that disagrees with the order's other rows (a stale copy)
            row.update({name: typed_value(db, "orders", name, value) for name, value in item.get("_row", {}).items()})
            rows.append(row)
    return db.load(stem, types, rows)


def load_kind(db: Db, kind: str, records: list[dict], stem: str | None = None) -> str:
    types = column_types(db, kind)
    rows = [{name: typed_value(db, kind, name, value) for name, value in record.items()} for record in records]
    return db.load(stem or kind.replace("-", "_"), types, rows)


def run_check(cli, monkeypatch, *args: str, pushdown: bool = True):
    """``order-guard check --format json`` in-process, with or without pushdown; (exit code, report, stderr)."""
    monkeypatch.setenv("ORDER_GUARD_SQL_PUSHDOWN", "on" if pushdown else "off")
    result = cli("check", "--format", "json", *args)
    report = result.json() if result.stdout.strip() else None
    return result.exit_code, report, result.stderr
