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
import os
from datetime import datetime
from pathlib import Path

import pytest
from tests.conftest import AS_OF, write_tsv

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
    # The rows that arrived before the failure (buffering decides exactly how many of the first
    # 1000) are checked; the rest counts as one unreadable record, at the line where reading stopped.
    checked = report["summary"]["records_checked"]
    assert 900 < checked <= 1000 and report["summary"]["records_unreadable"] == 1
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
