"""Databases for the SQL source's tests: SQLite always; PostgreSQL and MariaDB/MySQL where one answers.

Point the server tests at a server with ``ORDER_GUARD_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and
``ORDER_GUARD_TEST_MYSQL_URL`` (default ``mysql+pymysql://root@127.0.0.1:3306/test``);
each skips, saying so, where none answers. Every test uses tables of its own
(unique names) and drops them.
"""

from __future__ import annotations

import pytest

from sql_db import Db, server_url


@pytest.fixture(autouse=True)
def sql_environment(monkeypatch, tmp_path):
    """Plugins load as users get them; no real password or .pgpass of this machine is read."""
    for name in ("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "ORDER_GUARD_DISABLE_PLUGINS", "PGPASSWORD", "MYSQL_PWD",
                 "PGPASSFILE", "ORDER_GUARD_SQL_PASSFILE", "ORDER_GUARD_SQL_PUSHDOWN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _sqlite(tmp_path) -> Db:
    return Db("sqlite", f"sqlite:///{tmp_path / 'orders.db'}")


@pytest.fixture
def sqlite_db(tmp_path):
    db = _sqlite(tmp_path)
    yield db
    db.close()


@pytest.fixture
def postgres_db():
    db = Db("postgresql", server_url("postgresql"))
    yield db
    db.close()


@pytest.fixture
def mysql_db():
    db = Db("mysql", server_url("mysql"))
    yield db
    db.close()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def any_db(request, tmp_path):
    db = _sqlite(tmp_path) if request.param == "sqlite" else Db(request.param, server_url(request.param))
    yield db
    db.close()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def pushdown_db(request, tmp_path):
    """The databases the pushdown differential runs on (the issue asks for SQLite and PostgreSQL; MariaDB too)."""
    db = _sqlite(tmp_path) if request.param == "sqlite" else Db(request.param, server_url(request.param))
    yield db
    db.close()
