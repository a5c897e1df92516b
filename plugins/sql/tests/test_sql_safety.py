"""Safety: read-only, identifiers quoted, passwords never shown, a lost connection exits 3 with the count."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from sql_db import load_orders, run_check

AS_OF = "2026-11-26T12:00:00Z"
ORDERS = [{"order_id": f"1-{n:05d}", "status": "Pending" if n % 7 == 0 else "Unshipped", "fulfillment_channel": "MFN",
           "purchase_date": "2026-11-20T10:00:00Z", "items": [{"sku": "MUG", "quantity": 1}]} for n in range(400)]


def count(db, table: str) -> int:
    with db.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar()


def test_a_named_query_cannot_write_through_the_source(any_db, order_guard_cli, monkeypatch, tmp_path):
    table = load_orders(any_db, ORDERS[:5])
    quoted = any_db.engine.dialect.identifier_preparer.quote(table)
    config = tmp_path / "order-guard.yaml"
    config.write_text(f"sql:\n  queries:\n    wipe: \"DELETE FROM {quoted}\"\n    "
                      f"drop: \"SELECT 1 AS order_id; DROP TABLE {quoted}\"\n", encoding="utf-8")
    for name in ("wipe", "drop"):
        url = f"{any_db.base_url}?query={name}"
        code, report, stderr = run_check(order_guard_cli, monkeypatch, "--config", config,
                                         "--dataset", f"orders={url}", "--as-of", AS_OF)
        assert code == 3, stderr
    assert count(any_db, table) == 5  # nothing deleted, nothing dropped


def test_the_transaction_is_read_only(any_db):
    """Below the CLI: the session's own connection refuses a write."""
    from order_guard.registry import Registry

    from order_guard_sql.address import parse
    from order_guard_sql.session import session_for

    table = load_orders(any_db, ORDERS[:3])
    registry = Registry()
    session = session_for(parse(any_db.url(table)), registry)
    with pytest.raises(sa.exc.DBAPIError):
        session.connection.execute(sa.table(table, sa.column("order_id")).delete())
    del registry
    assert count(any_db, table) == 3


@pytest.mark.parametrize("name", ['orders"; DROP TABLE x; --', "o'rders;--", "orders` ; drop"])
def test_a_table_name_with_quotes_or_a_semicolon_is_a_name_not_sql(sqlite_db, order_guard_cli, monkeypatch, name):
    real = load_orders(sqlite_db, ORDERS[:7], stem="orders")
    odd = load_orders(sqlite_db, ORDERS[:7], stem="odd")  # a table literally named with quotes and semicolons
    with sqlite_db.engine.begin() as connection:
        connection.exec_driver_sql(f'ALTER TABLE "{odd}" RENAME TO "{name.replace(chr(34), chr(34) * 2)}"')
    from urllib.parse import quote

    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset",
                                     f"orders={sqlite_db.base_url}?table={quote(name)}", "--as-of", AS_OF)
    assert code == 0 and report["summary"]["records_read"] == 7, stderr
    hostile = f"{real}; DROP TABLE {real}"
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset",
                                     f"orders={sqlite_db.base_url}?table={quote(hostile)}", "--as-of", AS_OF)
    assert code == 3 and "no table" in report["errors"][0]["message"]
    assert count(sqlite_db, real) == 7


SECRET = "s3cret-Passw0rd-xyz"


@pytest.mark.parametrize("how", ["environment", "url-variable", "pgpass"])
def test_a_password_never_appears_in_any_output(postgres_db, order_guard_cli, monkeypatch, tmp_path, how):
    table = load_orders(postgres_db, ORDERS[:20])
    url = sa.engine.make_url(postgres_db.url(table))
    if how == "environment":
        monkeypatch.setenv("PGPASSWORD", SECRET)
        location = url.render_as_string(hide_password=False)
    elif how == "url-variable":
        monkeypatch.setenv("OG_DB_PASSWORD", SECRET)
        location = url.render_as_string(hide_password=False).replace("@", ":${OG_DB_PASSWORD}@", 1)
    else:
        passfile = tmp_path / "pgpass"
        passfile.write_text(f"*:*:*:*:{SECRET}\n", encoding="utf-8")
        passfile.chmod(0o600)
        monkeypatch.setenv("ORDER_GUARD_SQL_PASSFILE", str(passfile))
        location = url.render_as_string(hide_password=False)
    broken = location.replace(f":{url.port or 5432}/", ":1/")  # a port nobody listens on: the error path too
    outputs = []
    for where in (location, broken):
        for fmt in ("json", "table", "sarif"):
            monkeypatch.setenv("ORDER_GUARD_SQL_PUSHDOWN", "on")
            result = order_guard_cli("check", "--dataset", f"orders={where}", "--as-of", AS_OF, "--format", fmt,
                                     "--explain", "--output", f"junit={tmp_path / 'out.xml'}")
            outputs += [result.stdout, result.stderr, (tmp_path / "out.xml").read_text(encoding="utf-8")]
            assert result.exit_code in (0, 3)
    assert any("pushed down" in output for output in outputs)
    assert not [output for output in outputs if SECRET in output]


def test_a_password_typed_into_a_configuration_file_is_refused(order_guard_cli, tmp_path):
    config = tmp_path / "order-guard.yaml"
    config.write_text("datasets:\n  - kind: orders\n    source: postgresql+psycopg://og:hunter22@db/shop?table=orders\n",
                      encoding="utf-8")
    result = order_guard_cli("check", "--config", config)
    assert result.exit_code == 2
    assert f"{config}:3:" in result.stderr and "hunter22" not in result.stderr + result.stdout


def _lose_connection_after(monkeypatch, rows: int, lose) -> None:
    """After ``rows`` rows were turned into cells, break the connection (from outside)."""
    import order_guard_sql.reading as reading

    seen = {"rows": 0}
    real = reading.SqlRows.rows

    def rows_then_break(self):
        for cells in real(self):
            seen["rows"] += 1
            if seen["rows"] == rows:
                lose()
            yield cells

    monkeypatch.setattr(reading.SqlRows, "rows", rows_then_break)


def test_a_postgres_connection_terminated_mid_stream_exits_3_with_the_count(postgres_db, order_guard_cli,
                                                                            monkeypatch):
    table = load_orders(postgres_db, ORDERS)
    monkeypatch.setenv("ORDER_GUARD_SQL_BATCH", "50")
    import order_guard_sql.session as session

    monkeypatch.setattr(session, "BATCH", 50)

    def terminate():
        with postgres_db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = 'order-guard' AND pid <> pg_backend_pid()"))

    _lose_connection_after(monkeypatch, 120, terminate)
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset", f"orders={postgres_db.url(table)}",
                                     "--as-of", AS_OF, pushdown=False)
    assert code == 3
    lost = [error["message"] for error in report["errors"] if "connection lost" in error["message"]]
    assert lost and "rows were read" in lost[0]
    read = int(lost[0].split("after ")[1].split(" rows")[0])
    assert 120 <= read < 400
    summary = report["summary"]
    assert summary["records_read"] == summary["records_checked"] + summary["records_unreadable"]
    assert summary["complete"] is False


def test_a_sqlite_connection_closed_mid_stream_exits_3_with_the_count(sqlite_db, order_guard_cli, monkeypatch):
    table = load_orders(sqlite_db, ORDERS)
    import order_guard_sql.session as session

    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        opened.append(connection)
        return connection

    monkeypatch.setattr(session.sqlite3, "connect", connect)
    _lose_connection_after(monkeypatch, 90, lambda: opened[-1].close())
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset", f"orders={sqlite_db.url(table)}",
                                     "--as-of", AS_OF, pushdown=False)
    assert code == 3
    assert any("connection lost after 90 rows were read" in error["message"] for error in report["errors"]), stderr
    assert report["summary"]["records_read"] == 90


def test_a_server_that_does_not_answer_exits_3_naming_it(order_guard_cli, monkeypatch):
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--dataset",
                                     "orders=postgresql+psycopg://og@127.0.0.1:1/shop?table=orders&connect_timeout=2")
    assert code == 3
    assert "cannot connect" in report["errors"][0]["message"]


def test_reading_holds_one_batch_not_the_table(sqlite_db, monkeypatch):
    """Streaming: the rows of a large table are never all in memory at once."""
    import tracemalloc

    from order_guard.checking import load_registry
    from order_guard.datasets import DatasetRequest

    from order_guard_sql.source import open_sql

    def peak(orders: int) -> int:
        table = load_orders(sqlite_db, [{"order_id": f"9-{n:07d}", "status": "Unshipped", "items": [{"sku": "X"}]}
                                        for n in range(orders)], stem=f"big{orders}")
        registry = load_registry()
        dataset, = open_sql(DatasetRequest(sqlite_db.url(table), "orders"), registry)
        tracemalloc.start()
        for _ in dataset.records():
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert dataset.records_read == orders
        return peak

    small, large = peak(2_000), peak(20_000)
    assert large < small * 3  # ten times the rows, about the same memory


def test_threads_do_not_share_a_session(sqlite_db):
    """Sessions belong to one run (one registry): two runs never share a transaction."""
    from order_guard.registry import Registry

    from order_guard_sql.address import parse
    from order_guard_sql.session import session_for

    table = load_orders(sqlite_db, ORDERS[:2])
    sessions = []

    def run():
        sessions.append(session_for(parse(sqlite_db.url(table)), Registry()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sessions[0] is not sessions[1]


def test_a_broken_query_does_not_spoil_the_other_datasets_of_the_database(any_db, order_guard_cli, monkeypatch,
                                                                          tmp_path):
    table = load_orders(any_db, ORDERS[:14])
    config = tmp_path / "order-guard.yaml"
    config.write_text('sql:\n  queries:\n    broken: "SELEC order_id FROM nowhere"\n', encoding="utf-8")
    code, report, stderr = run_check(order_guard_cli, monkeypatch, "--config", config,
                                     "--dataset", f"shipments={any_db.base_url}?query=broken",
                                     "--dataset", f"orders={any_db.url(table)}", "--as-of", AS_OF)
    assert code == 3 and "cannot read query broken" in report["errors"][0]["message"]
    summary = report["summary"]  # the orders were still read, in the same transaction
    assert (summary["records_checked"], summary["records_unreadable"]) == (14, 1)
