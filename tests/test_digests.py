"""order_guard.digests: hashlib's SHA-256, whichever implementation computes it."""

from __future__ import annotations

import hashlib
import os

import pytest

from order_guard import digests
from order_guard.files.opening import open_data_file


@pytest.mark.parametrize("size", [0, 1, 1000, digests.BIG - 1, digests.BIG, digests.BIG + 1])
def test_a_digest_is_hashlib_s_at_every_size(size):
    data = os.urandom(size)
    assert digests.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    fed = digests.sha256(size=size)
    fed.update(data[: size // 2])
    fed.update(data[size // 2:])
    assert fed.hexdigest() == hashlib.sha256(data).hexdigest()


def _digest_of_a_whole_read(path) -> str:
    """The digest a reader of the whole file gives, as a data file is read."""
    opened = open_data_file(path)
    try:
        opened.text.read()
        return opened.sha256()
    finally:
        opened.close()


@pytest.mark.parametrize("size", [10, digests.BIG + 10])
def test_a_data_file_s_digest_is_hashlib_s(tmp_path, size):
    path = tmp_path / "orders.txt"
    path.write_bytes(b"order-id\tstatus\r\n" + b"x" * size)

    assert _digest_of_a_whole_read(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_gate_does_not_load_openssl_for_its_small_digests():
    import subprocess
    import sys

    code = "import sys, order_guard.digests as d; d.sha256(b'x').hexdigest(); print('hashlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == ("True" if digests._BUILTIN is None else "False")


def _big_file(tmp_path, monkeypatch, size: int = 3 << 20):
    """A file the reader digests in a second process (the thresholds lowered to a few MB)."""
    import order_guard.files.opening as opening

    monkeypatch.setattr(opening, "DIGEST_ASIDE", 1 << 20)
    monkeypatch.setattr(opening, "_cores", lambda: 2)
    path = tmp_path / "orders.txt"
    path.write_bytes(b"order-id\tstatus\r\n" + b"405-1234567-1234567\tShipped\r\n" * (size // 30))
    return path


def _counted_processes(monkeypatch) -> list:
    import subprocess

    started = []
    real = subprocess.Popen

    def counted(*args, **kwargs):
        started.append(args[0][-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counted)
    return started


def test_a_big_file_is_digested_beside_the_read_to_the_same_digest(tmp_path, monkeypatch):
    path = _big_file(tmp_path, monkeypatch)
    started = _counted_processes(monkeypatch)

    assert _digest_of_a_whole_read(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert started == [str(path)]


def _no_process(monkeypatch):
    import subprocess

    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: pytest.fail("a process was started"))


def test_a_big_file_opened_only_for_its_sample_starts_no_digest_process(tmp_path, monkeypatch):
    path = _big_file(tmp_path, monkeypatch)
    _no_process(monkeypatch)
    opened = open_data_file(path)
    opened.text.readline()
    opened.close()


def test_on_one_core_a_big_file_is_digested_as_it_is_read(tmp_path, monkeypatch):
    import order_guard.files.opening as opening

    path = _big_file(tmp_path, monkeypatch)
    monkeypatch.setattr(opening, "_cores", lambda: 1)
    _no_process(monkeypatch)

    assert _digest_of_a_whole_read(path) == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("executable", ["/nonexistent/python", "python-that-fails"])
def test_where_the_digest_process_fails_the_file_is_digested_here(tmp_path, monkeypatch, executable):
    import sys

    path = _big_file(tmp_path, monkeypatch)
    if executable == "python-that-fails":  # an interpreter by its name that ends at once, saying nothing
        failing = tmp_path / "python3"
        failing.write_text("#!/bin/sh\nexit 1\n")
        failing.chmod(0o755)
        executable = str(failing)
    monkeypatch.setattr(sys, "executable", executable)
    opened = open_data_file(path)
    try:
        opened.text.read(2 << 20)  # past the point where the digest goes aside; then the run stops early
        assert opened.sha256() == hashlib.sha256(path.read_bytes()).hexdigest()
        assert opened.bytes_read == path.stat().st_size
    finally:
        opened.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_big_report_s_digest_starts_when_it_is_detected_and_is_its_sha256(tmp_path, monkeypatch, jobs):
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    path = _big_file(tmp_path, monkeypatch)
    started = _counted_processes(monkeypatch)
    seen: list = []
    request = CheckRequest(datasets=[DatasetRequest(str(path), kind="orders")], jobs=jobs,
                           as_of=parse_datetime("2026-11-26T12:00:00Z"), on_dataset=seen.append)
    run_check(request)

    assert started == [str(path)]  # one process, from detection on: the read and the parts use it
    assert [dataset.sha256 for dataset in seen] == [hashlib.sha256(path.read_bytes()).hexdigest()]


def test_a_big_json_document_s_early_digest_is_stopped_and_the_read_digests_it(tmp_path, monkeypatch):
    import json

    import order_guard.files.opening as opening
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    monkeypatch.setattr(opening, "DIGEST_ASIDE", 1 << 20)
    monkeypatch.setattr(opening, "_cores", lambda: 2)
    path = tmp_path / "orders.json"
    orders = [{"AmazonOrderId": f"405-0000000-{n:07d}", "OrderStatus": "Shipped",
               "PurchaseDate": "2026-11-20T10:00:00Z", "LastUpdateDate": "2026-11-20T10:00:00Z"}
              for n in range(12_000)]
    path.write_text(json.dumps({"payload": {"Orders": orders}}), encoding="utf-8")
    assert path.stat().st_size > 1 << 20
    stopped = []
    real_close = opening.DigestAside.close

    def close(self):
        stopped.append(self)
        real_close(self)

    monkeypatch.setattr(opening.DigestAside, "close", close)

    seen: list = []
    run_check(CheckRequest(datasets=[DatasetRequest(str(path))], as_of=parse_datetime("2026-11-26T12:00:00Z"),
                           on_dataset=seen.append))

    assert [aside._path for aside in stopped][:1] == [path]  # the one started when it was detected
    assert [dataset.sha256 for dataset in seen] == [hashlib.sha256(path.read_bytes()).hexdigest()]


@pytest.mark.parametrize("engine", ["streaming", "duckdb"])
def test_a_big_report_appended_to_after_its_digest_began_is_not_clean(tmp_path, monkeypatch, engine):
    # The digest's process reads the file from its detection on; a writer appending in between
    # would leave a digest of other bytes than the engine checked. The run must say so.
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    from tests.conftest import write_tsv
    from tests.test_formats import ALL_ORDERS_HEADER

    import order_guard.files.opening as opening
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    monkeypatch.setattr(opening, "DIGEST_ASIDE", 1 << 20)
    monkeypatch.setattr(opening, "_cores", lambda: 2)
    row = {"amazon-order-id": "405-0000004-0000001", "order-status": "Shipped", "quantity": "1",
           "purchase-date": "2026-11-20T10:00:00+00:00", "item-price": "9.50"}
    rows = [[row.get(column, "") if column != "amazon-order-id" else f"405-0000004-{n:07d}"
             for column in ALL_ORDERS_HEADER] for n in range(20_000)]
    path = write_tsv(tmp_path / "all-orders.txt", ALL_ORDERS_HEADER, rows)
    assert path.stat().st_size > 1 << 20
    real_init = opening.DigestAside.__init__

    def begin_then_append(self, begun):
        real_init(self, begun)
        with open(begun, "a", encoding="utf-8") as out:
            out.write("\t".join(rows[0]).replace("0000000", "9999999") + "\r\n")

    monkeypatch.setattr(opening.DigestAside, "__init__", begin_then_append)
    report, _ = run_check(CheckRequest(datasets=[DatasetRequest(str(path))], engine=engine,
                                       as_of=parse_datetime("2026-11-26T12:00:00Z")))

    assert report.summary["complete"] is False
    assert "the file changed while it was" in str(report.data)  # read (streaming), checked (DuckDB)
    # Both engines say why in the same words, once: the digest was begun on the file as it was before.
    why = [error["message"] for error in report.data["errors"] if "digest was begun" in error["message"]]
    assert why == ["the file changed while it was read (its digest was begun on the file as it was before): "
                   "check it again once it is written completely"]


def test_a_directory_of_big_reports_runs_no_more_digest_processes_than_spare_cores(tmp_path, monkeypatch):
    import subprocess

    from tests.conftest import write_tsv
    from tests.test_formats import ALL_ORDERS_HEADER

    import order_guard.files.opening as opening
    from order_guard.canonical import parse_datetime
    from order_guard.checking import CheckRequest, run_check
    from order_guard.datasets import DatasetRequest

    monkeypatch.setattr(opening, "DIGEST_ASIDE", 1 << 20)
    monkeypatch.setattr(opening, "_cores", lambda: 2)  # one core beside this process's
    monkeypatch.setattr(opening.DigestAside, "_started", [])
    folder = tmp_path / "reports"
    folder.mkdir()
    for number in range(3):
        write_tsv(folder / f"all-orders-{number}.txt", ALL_ORDERS_HEADER,
                  [[f"405-000000{number}-{n:07d}" if column == "amazon-order-id" else
                    {"order-status": "Shipped", "quantity": "1", "item-price": "9.50"}.get(column, "")
                    for column in ALL_ORDERS_HEADER] for n in range(20_000)])
        assert (folder / f"all-orders-{number}.txt").stat().st_size > 1 << 20
    processes: list = []
    most = [0]
    real = subprocess.Popen

    def counted(*args, **kwargs):
        most[0] = max(most[0], 1 + sum(1 for process in processes if process.poll() is None))
        processes.append(real(*args, **kwargs))
        return processes[-1]

    monkeypatch.setattr(subprocess, "Popen", counted)
    seen: list = []
    run_check(CheckRequest(datasets=[DatasetRequest(str(folder))], as_of=parse_datetime("2026-11-26T12:00:00Z"),
                           on_dataset=seen.append))

    assert most[0] == 1 and len(processes) == 3  # the first at detection, the others as they are read
    assert {dataset.sha256 for dataset in seen} == {hashlib.sha256(path.read_bytes()).hexdigest()
                                                    for path in folder.iterdir()}


@pytest.mark.parametrize("executable", ["/usr/bin/uwsgi", ""])
def test_no_digest_process_where_the_executable_is_no_python(tmp_path, monkeypatch, executable):
    # An embedding host's executable (uWSGI's) is the host program, not an interpreter to give code.
    import sys

    path = _big_file(tmp_path, monkeypatch)
    monkeypatch.setattr(sys, "executable", executable)
    _no_process(monkeypatch)

    assert _digest_of_a_whole_read(path) == hashlib.sha256(path.read_bytes()).hexdigest()
