"""The plugin module order-guard loads (entry point ``sql`` of group ``order_guard``).

It only declares the source: SQLAlchemy and the database drivers are imported
when a SQL dataset is opened, never when order-guard starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from order_guard import hookimpl
from order_guard.types import Source

if TYPE_CHECKING:
    from order_guard.datasets import Dataset, DatasetRequest
    from order_guard.registry import Registry

#: SQLAlchemy dialect names claimed with or without a driver (``postgresql+psycopg://``).
DIALECTS = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle", "trino", "snowflake",
            "bigquery", "redshift", "databricks", "duckdb", "cockroachdb", "clickhouse", "hive", "presto")
_SCHEME = re.compile(r"^(?P<dialect>[a-z][a-z0-9_]*)(?:\+[a-z0-9_]+)?://", re.IGNORECASE)


def claims(location: str) -> bool:
    match = _SCHEME.match(location)
    return bool(match) and match["dialect"].lower() in DIALECTS


def open_dataset(request: DatasetRequest, registry: Registry) -> list[Dataset]:
    from order_guard_sql.source import open_sql

    return open_sql(request, registry)


@hookimpl
def order_guard_sources() -> Iterator[Source]:
    yield Source(name="sql", claims=claims, open=open_dataset, priority=50,
                 description="relational databases through SQLAlchemy URLs: sqlite:///orders.db?table=orders, "
                             "postgresql+psycopg://user@host/db?table=orders, mysql+pymysql://...?query=NAME")
