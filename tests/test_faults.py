"""Faults (issue 7): a source that fails half-way exits 3 and says how many records it read; an
output that cannot be written is a clear error and never leaves a partial report.

Files fail after detection, while their records are read: ``CheckRequest.on_dataset`` is called
once every input was opened and detected and before any record is read, so it is where the file
vanishes, shrinks or its disk goes away. The SP-API and SQL faults use the plugins' own local
fake and databases. SIGTERM and SIGINT are in ``test_signals.py``.
"""

from __future__ import annotations

import errno
import io
import json
import os
import resource
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.conftest import AS_OF, EXAMPLES, REPO, write_tsv

from order_guard.checking import CheckRequest, load_registry, run_check
from order_guard.datasets import DatasetRequest
from order_guard.errors import ExitCode
from order_guard.files import opening
from order_guard.report import RenderOptions

ORDERS_HEADER = ["amazon-order-id", "order-status", "purchase-date", "last-updated-date", "fulfillment-channel"]
ROWS = 3000


def _orders(tmp_path: Path) -> tuple[Path, list[int]]:
    """A report of ROWS shipped orders; and where each line starts (line 1 is the header)."""
    rows = [[f"405-{n:07d}-0000001", "Shipped", "2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z", "MFN"]
            for n in range(ROWS)]
    path = write_tsv(tmp_path / "all-orders.txt", ORDERS_HEADER, rows)
    data = path.read_bytes()
    starts = [0] + [index + 1 for index, byte in enumerate(data) if byte == 0x0A][:-1]
    return path, starts


def _check(path: Path, when_detected) -> tuple[dict, str, int]:
    """``order-guard check PATH`` through the library: the JSON report, the table, the exit code."""
    registry = load_registry()
    report, _ = run_check(CheckRequest(datasets=[DatasetRequest(str(path))],
                                       as_of=datetime.fromisoformat(AS_OF), on_dataset=when_detected), registry)
    table = io.StringIO()
    registry.reporters["table"].render(report, table, RenderOptions())
    return report.data, table.getvalue(), int(report.verdict(RenderOptions()))


def _counted(summary: dict) -> None:
    assert summary["records_read"] == summary["records_checked"] + summary["records_unreadable"]
    assert summary["complete"] is False


class _FailingDisk:
    """A raw file that reads ``good`` bytes, then fails with EIO at every read, as a file on a
    disk or network share that went away does."""

    def __init__(self, raw, good: int):
        self._raw, self._left = raw, good

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        data = self._raw.read(min(size, self._left) if size >= 0 else self._left)
        self._left -= len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._raw.close()


def test_a_disk_that_fails_half_way_through_a_file_exits_3_with_the_count(tmp_path, monkeypatch):
    path, starts = _orders(tmp_path)
    good = starts[1001] + 30  # the header, 1000 rows, and part of the next one

    def disk_goes_away(dataset):
        real_open = open
        monkeypatch.setattr(opening, "open", lambda file, mode="r", *args, **kwargs: _FailingDisk(
            real_open(file, mode, *args, **kwargs), good), raising=False)

    report, table, code = _check(path, disk_goes_away)
    assert code == ExitCode.INCOMPLETE
    _counted(report["summary"])
    # The rows that arrived before the failure (the read-ahead block decides exactly how many of
    # the first 1000) are checked; the rest counts as one unreadable record, at the line where
    # reading stopped.
    checked = report["summary"]["records_checked"]
    assert 500 < checked <= 1000 and report["summary"]["records_unreadable"] == 1
    assert [(error["line"], error["message"]) for error in report["errors"]] == [
        (checked + 2, "cannot read further: [Errno 5] Input/output error")]
    assert f"records: {checked + 1} read, {checked} checked, 1 unreadable" in table
    assert "result: INCOMPLETE" in table


def test_a_file_that_vanishes_before_its_records_are_read_exits_3(tmp_path):
    path, _ = _orders(tmp_path)
    shipments = write_tsv(tmp_path / "ship.txt", ["order-id", "ship-date"], [["405-0000001-0000001", "2026-11-26"]])

    report, table, code = _check(tmp_path, lambda dataset: path.unlink(missing_ok=True))
    assert code == ExitCode.INCOMPLETE
    _counted(report["summary"])
    assert [(error["path"], error["message"]) for error in report["errors"]] == [
        (str(path), "cannot open: No such file or directory (it was there when the run began); "
                    "none of its records were checked")]
    # The rest of the run is still reported: the shipment names an order no dataset holds now.
    assert {(f["rule_id"], f["order_id"]) for f in report["findings"]} == {("AMZ-PEND-007", "405-0000001-0000001")}
    assert str(shipments) in table and "result: INCOMPLETE" in table


@pytest.mark.parametrize("cut", ["between rows", "inside a row"])
def test_a_file_truncated_while_it_is_read_exits_3(tmp_path, cut):
    """A writer rewriting the report in place: cut between two rows, nothing in what is left looks broken."""
    path, starts = _orders(tmp_path)
    size_before = path.stat().st_size
    size = starts[1001] + (0 if cut == "between rows" else 7)

    report, table, code = _check(path, lambda dataset: os.truncate(path, size))
    assert code == ExitCode.INCOMPLETE
    _counted(report["summary"])
    assert report["summary"]["records_checked"] == 1000
    assert f"the file changed while it was read ({size_before} bytes when it was opened, {size} read): " \
           "check it again once it is written completely" in [error["message"] for error in report["errors"]]
    assert "result: INCOMPLETE" in table


# --- the SP-API: the network drops while pages are followed -------------------------------------------

SP_API_TESTS = REPO / "plugins" / "sp-api" / "tests"


@pytest.fixture
def amazon(monkeypatch, tmp_path):
    """The SP-API plugin's local Amazon (its tests' helpers), and the environment that points at it."""
    pytest.importorskip("order_guard_sp_api", reason="the SP-API plugin is not installed (pip install ./plugins/sp-api)")
    monkeypatch.syspath_prepend(str(SP_API_TESTS))
    import sp_api_data
    from sp_api_fake import FakeAmazon

    fake = FakeAmazon().start()
    sp_api_data.load(fake)
    monkeypatch.delenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD")  # the plugin loads as users get it
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # never a real credentials file
    monkeypatch.delenv("SP_API_CREDENTIALS_FILE", raising=False)
    for name, value in (("SP_API_REFRESH_TOKEN", fake.refresh_token), ("LWA_APP_ID", fake.client_id),
                        ("LWA_CLIENT_SECRET", fake.client_secret), ("SP_API_ENDPOINT", fake.url),
                        ("LWA_TOKEN_URL", fake.token_url), ("ORDER_GUARD_SP_API_MAX_WAIT", "0.05"),
                        ("ORDER_GUARD_SP_API_RETRIES", "2")):
        monkeypatch.setenv(name, value)
    yield fake
    fake.stop()


def _drop_connections(fake, operation: str, how: str) -> None:
    """After the first page of ``operation``, the network drops every call of it: the connection
    is reset before an answer, or the answer is cut off half-way through its body."""
    from sp_api_fake import _operation

    answer = fake._handle

    def handle(handler) -> None:
        if _operation(handler.command, urlsplit(handler.path).path) != operation or not fake.calls(operation):
            return answer(handler)
        handler.close_connection = True
        if how == "cut":
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", "4096")
            handler.end_headers()
            handler.wfile.write(b'{"payload": {"Orders": [{"AmazonOrderId": "171-')
            handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)

    fake._handle = handle


@pytest.mark.parametrize("how", ["reset", "cut"])
@pytest.mark.parametrize(("api", "operation"), [(None, "getOrders"), ("2026-01-01", "searchOrders")])
def test_a_network_drop_while_paging_exits_3_with_the_orders_read(amazon, order_guard_cli, tmp_path, api,
                                                                   operation, how):
    import sp_api_data

    _drop_connections(amazon, operation, how)
    report_file = tmp_path / "report.json"
    result = order_guard_cli("check", "--dataset", f"orders={sp_api_data.orders_url(api)}",
                             "--dataset", f"shipments={sp_api_data.shipments_file(tmp_path / 'confirm.txt')}",
                             "--as-of", AS_OF, "--output", f"json={report_file}")
    assert result.exit_code == 3, result.stderr
    report = json.loads(report_file.read_text(encoding="utf-8"))
    _counted(report["summary"])
    orders = next(entry for entry in report["inputs"] if entry["kind"] == "orders")
    assert orders["records"] == 2  # the first page (two orders) arrived
    [error] = [error["message"] for error in report["errors"]]
    assert error.startswith(f"{operation}: network error: GET 127.0.0.1/orders/")
    assert ("Remote end closed connection" if how == "reset" else "IncompleteRead") in error
    assert "gave up after" in error
    assert error.endswith("stopped after 2 record(s) from 1 page(s): the rest were not read, so the data "
                          "cannot be proved clean")
    assert "result: INCOMPLETE" in result.stdout
    # What did arrive is still checked: the first order is Pending and in the shipping file.
    assert ("AMZ-PEND-001", "171-4410001-1000001") in sp_api_data.findings(report)


# --- SQL: the database restarts under the run -------------------------------------------------------

SQL_TESTS = REPO / "plugins" / "sql" / "tests"


@pytest.fixture
def sql_helpers(monkeypatch, tmp_path):
    """The SQL plugin's test helpers (tables of canonical orders), the plugin loaded as users get it."""
    pytest.importorskip("order_guard_sql", reason="the SQL plugin is not installed (pip install ./plugins/sql)")
    monkeypatch.syspath_prepend(str(SQL_TESTS))
    for name in ("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "ORDER_GUARD_SQL_PUSHDOWN", "PGPASSWORD", "PGPASSFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no .pgpass of this machine
    import sql_db

    return sql_db


#: Every order Pending with a tracking number: every one is a candidate the database returns.
SQL_ORDERS = [{"order_id": f"1-{n:05d}", "status": "Pending", "fulfillment_channel": "MFN",
               "purchase_date": "2026-11-20T10:00:00Z", "tracking_number": f"BRT{n:05d}",
               "items": [{"sku": "MUG", "quantity": 1}]} for n in range(400)]


def _break_after(monkeypatch, rows: int, lose) -> None:
    """Once ``rows`` rows of the run's queries arrived, the connection goes (from outside)."""
    import order_guard_sql.reading as reading

    real, seen = reading.SqlRows.rows, {"rows": 0}

    def rows_then_break(self):
        for cells in real(self):
            seen["rows"] += 1
            if seen["rows"] == rows:
                lose()
            yield cells

    monkeypatch.setattr(reading.SqlRows, "rows", rows_then_break)


def _sessions(monkeypatch) -> list:
    """The plugin's sessions as the run opens them (to reach its own connection, and no other)."""
    import order_guard_sql.session as session

    opened, real = [], session.Session.__init__

    def init(self, *args, **kwargs):
        real(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(session.Session, "__init__", init)
    return opened


def test_a_sqlite_database_gone_between_two_queries_exits_3(sql_helpers, order_guard_cli, tmp_path, monkeypatch):
    """The shipments are read, then the connection is lost before the orders' query starts: the
    error says so in words a user can act on (not SQLAlchemy's, nor a link to its documentation)."""
    db = sql_helpers.Db("sqlite", f"sqlite:///{tmp_path / 'shop.db'}")
    orders = sql_helpers.load_orders(db, SQL_ORDERS[:50])
    shipments = sql_helpers.load_kind(db, "shipments", [{"order_id": "1-00001", "ship_date": "2026-11-26"}])
    sessions = _sessions(monkeypatch)
    import order_guard_sql.reading as reading

    real = reading.SqlRows.rows

    def rows_then_gone(self):
        yield from real(self)
        sessions[-1].connection.connection.dbapi_connection.close()  # after the shipments' last row

    monkeypatch.setattr(reading.SqlRows, "rows", rows_then_gone)
    try:
        code, report, stderr = sql_helpers.run_check(order_guard_cli, monkeypatch,
                                                     "--dataset", f"shipments={db.url(shipments)}",
                                                     "--dataset", f"orders={db.url(orders)}", "--as-of", AS_OF)
    finally:
        db.close()
    assert code == 3, stderr
    _counted(report["summary"])
    assert {entry["kind"]: entry["records"] for entry in report["inputs"]} == {"shipments": 1, "orders": 0}
    assert [(error["path"], error["message"]) for error in report["errors"]] == [
        (db.url(orders), "cannot read: the connection to the database was lost earlier in the run "
                         "(did the server restart?)")]


def test_a_postgres_restart_mid_stream_exits_3_with_the_rows_read(sql_helpers, order_guard_cli, monkeypatch):
    """Pushed down (the default): the database returns the orders that fail, and its server
    ends the run's connection (as a restart does) while they arrive."""
    import sqlalchemy as sa

    db = sql_helpers.Db("postgresql", sql_helpers.server_url("postgresql"))
    try:
        orders = sql_helpers.load_orders(db, SQL_ORDERS)
        monkeypatch.setattr("order_guard_sql.session.BATCH", 50)
        sessions = _sessions(monkeypatch)

        def restart():
            pid = sessions[-1].connection.connection.dbapi_connection.info.backend_pid
            with db.engine.connect() as other:  # only this run's backend: other runs share the server
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        _break_after(monkeypatch, 120, restart)
        code, report, stderr = sql_helpers.run_check(order_guard_cli, monkeypatch, "--dataset",
                                                     f"orders={db.url(orders)}", "--as-of", AS_OF, "--explain")
    finally:
        db.close()
    assert code == 3, stderr
    assert "pushed down" in stderr
    _counted(report["summary"])
    [lost] = [error["message"] for error in report["errors"] if "connection lost" in error["message"]]
    read = int(lost.split("after ")[1].split(" rows")[0])
    assert 120 <= read < 400 and "the rest was not read or checked" in lost
    assert 120 <= len(report["findings"]) < 800  # what arrived is still checked


# --- outputs: an unwritable path, a full disk ---------------------------------------------------------

def _read_only_directory(tmp_path: Path) -> Path:
    """A directory this user may not create files in (root may write anywhere but in sysfs)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    try:
        os.close(os.open("/sys/og-probe", os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        return Path("/sys")
    os.unlink("/sys/og-probe")
    pytest.skip("running as root on a system where even /sys is writable: no directory refuses a report here")


@pytest.mark.parametrize("where", [
    "a read-only directory",
    "a path under a regular file",
    "an existing directory",
])
def test_an_unwritable_output_is_one_line_and_exit_2(run_cli, tmp_path, where):
    if where == "a read-only directory":
        target, reason = _read_only_directory(tmp_path) / "report.json", "Permission denied"
    elif where == "a path under a regular file":
        (tmp_path / "a-file").write_text("x")
        target, reason = tmp_path / "a-file" / "report.json", "Not a directory"
    else:
        target, reason = tmp_path / "reports", "Is a directory"
        target.mkdir()
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "-q", "--output", f"json={target}")
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == f"order-guard: error: --output {target}: cannot write: {reason}\n"
    assert result.stdout == ""  # no report on stdout either: the run did not deliver what was asked
    assert [path.name for path in tmp_path.rglob("*") if path.name.startswith(".report")] == []


def _full_at(limit: int):
    """For a child process: files larger than ``limit`` bytes cannot be written (EFBIG), as on a full disk."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk_leaves_no_partial_report_or_cache_entry(tmp_path):
    """The kernel refuses the bytes past 4 KiB: the run does not end clean, and neither the
    report nor the rule-pack cache leaves a partial file behind."""
    report, cache = tmp_path / "out" / "report.json", tmp_path / "cache"
    report.parent.mkdir()
    env = {**os.environ, "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1", "ORDER_GUARD_CACHE_DIR": str(cache)}
    # (In an empty folder: a pyproject.toml in the working directory would have its small,
    # whole cache entry written, which this test does not ask about.)
    done = subprocess.run([sys.executable, "-m", "order_guard", "check", str(EXAMPLES), "--as-of", AS_OF, "-q",
                           "--output", f"json={report}"], capture_output=True, env=env, timeout=120,
                          preexec_fn=_full_at(4096), cwd=report.parent)
    assert done.returncode != 0
    assert list(report.parent.iterdir()) == []
    assert [path.name for path in cache.rglob("*") if path.is_file()] == []


class _FullDisk:
    """A text file whose writes fail with ENOSPC once ``room`` characters were written."""

    def __init__(self, out, room: int):
        self._out, self._room = out, room

    def write(self, text: str) -> int:
        if len(text) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(text)
        return self._out.write(text)

    def __getattr__(self, name):
        return getattr(self._out, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._out.close()


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Files opened by the report writer in ``tmp_path / "out"`` fill up after 2,000 characters."""
    folder = tmp_path / "out"
    folder.mkdir()
    real = os.fdopen

    def fdopen(fd, *args, **kwargs):
        out = real(fd, *args, **kwargs)
        return _FullDisk(out, 2000) if Path(os.readlink(f"/proc/self/fd/{fd}")).parent == folder else out

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell the report's file from others")
    monkeypatch.setattr(os, "fdopen", fdopen)
    return folder


def test_no_space_left_while_writing_a_report_leaves_no_partial_file(run_cli, full_disk):
    # What the user is told (one line, exit 2) is in test_fail_closed_audit.py.
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "-q", "--output", f"json={full_disk / 'report.json'}")
    assert result.exit_code != ExitCode.CLEAN
    assert list(full_disk.iterdir()) == []
