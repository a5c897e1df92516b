"""``--jobs N`` reads a big orders file in N processes and gives the report one process gives.

The parts hold whole orders and carry their line numbers (``files/parts.py``); an order kept in
one part and seen in another makes the run stream the file again in one process
(``parallel.py``). Each test compares the whole JSON report with a one-process run; only the
input's "processes" note may differ.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
from pathlib import Path

import pytest
from tests.conftest import AS_OF, write_tsv
from tests.test_formats import ALL_ORDERS_HEADER, STOCK_HEADER
from tests.test_relevance import write_inputs

from order_guard.builtin.json_reporter import render_json
from order_guard.canonical import parse_datetime
from order_guard.checking import CheckRequest, run_check
from order_guard.cli import main
from order_guard.datasets import DatasetRequest
from order_guard.report import RenderOptions

STATUSES = ["Shipped", "Shipped", "Shipped", "Unshipped", "Pending", "Canceled", "Shiped", "PendingAvailability"]


def _orders(seed: int, count: int, repeat_every: int = 0) -> list[list[str]]:
    """Orders of one to three rows (items), some with bad cells; every ``repeat_every``-th order
    appears again at the end of the file (a second snapshot, newer and Shipped)."""
    rng = random.Random(seed)
    rows, again = [], []
    for number in range(count):
        order = f"405-{seed:07d}-{number:07d}"
        status = rng.choice(STATUSES)
        for _item in range(rng.randint(1, 3)):
            cells = {"amazon-order-id": order, "order-status": status,
                     "fulfillment-channel": rng.choice(["Amazon", "Merchant"]),
                     "purchase-date": rng.choice(["2026-11-20T10:00:00+00:00", "2026-09-01T10:00:00+00:00"]),
                     "last-updated-date": "2026-11-20T10:00:00+00:00",
                     "sku": f"SKU-{rng.randint(1, 5)}", "quantity": rng.choice(["1", "2", "1", "two"]),
                     "item-price": "9.50", "ship-address-1": rng.choice(["", "", "", "1 Via Roma"])}
            rows.append([cells.get(column, "") for column in ALL_ORDERS_HEADER])
        if repeat_every and number % repeat_every == 0:
            again.append([{"amazon-order-id": order, "order-status": "Shipped",
                           "last-updated-date": "2026-11-25T10:00:00+00:00"}.get(column, "")
                          for column in ALL_ORDERS_HEADER])
    return rows + again


def _report(paths: list[Path], jobs: int) -> dict:
    request = CheckRequest(datasets=[DatasetRequest(str(path)) for path in paths], as_of=parse_datetime(AS_OF),
                           jobs=jobs)
    report, _ = run_check(request)
    out = io.StringIO()
    render_json(report, out, RenderOptions())
    return json.loads(out.getvalue())


def _same_as_one_process(paths: list[Path], jobs: int) -> str | None:
    """The note on the orders input in the parallel run ("N processes", or None if it streamed)."""
    alone, together = _report(paths, 1), _report(paths, jobs)
    note = together["inputs"][0].pop("processes", None)
    assert together == alone
    return note


def _inputs(tmp_path: Path, rows: list[list[str]], seed: int) -> list[Path]:
    rng = random.Random(seed)
    ids = sorted({row[0] for row in rows})
    paths = write_inputs(tmp_path, rows, set(rng.sample(ids, 30)), set(rng.sample(ids, 30)))
    stock = write_tsv(tmp_path / "stock.txt", STOCK_HEADER, [[f"SKU-{n}", "10", "3"] for n in range(1, 6)])
    return paths + [stock]


@pytest.mark.parametrize("jobs", [2, 3])
def test_parts_give_the_report_of_one_process(tmp_path, jobs):
    paths = _inputs(tmp_path, _orders(seed=jobs, count=600), seed=jobs)

    assert _same_as_one_process(paths, jobs) == f"{jobs} processes"


def test_an_order_kept_in_one_part_and_seen_in_another_is_streamed_in_one_process(tmp_path):
    # Every 7th order comes back at the end as a newer Shipped snapshot: it retracts the
    # older snapshot's findings, across parts; the run must notice and stream the file whole.
    paths = _inputs(tmp_path, _orders(seed=5, count=600, repeat_every=7), seed=5)

    assert _same_as_one_process(paths, 2) is None


def test_a_file_that_cannot_be_cut_is_streamed_in_one_process(tmp_path):
    paths = _inputs(tmp_path, _orders(seed=9, count=300), seed=9)
    packed = paths[0].with_suffix(".txt.gz")
    packed.write_bytes(gzip.compress(paths[0].read_bytes()))
    paths[0].unlink()

    assert _same_as_one_process([packed, *paths[1:]], 2) is None


@pytest.mark.parametrize("where", [0.1, 0.9])
def test_a_lone_carriage_return_is_counted_as_the_reader_counts_it(tmp_path, where):
    # Python's reader ends a line at a lone CR; a count of newline bytes would not. Each part's
    # reader numbers its own lines, and the next part's follow them: the same line numbers.
    rows = _orders(seed=13, count=600)
    rows[int(len(rows) * where)][ALL_ORDERS_HEADER.index("sku")] = "SKU\r1"
    paths = _inputs(tmp_path, rows, seed=13)

    assert b"U\r1" in paths[0].read_bytes()
    assert _same_as_one_process(paths, 2) == "2 processes"


def test_a_lone_carriage_return_beside_the_cut_is_not_cut_at(tmp_path):
    # The rows beside a cut must be the lines compared there. Here the line before the cut hides,
    # behind a lone CR, a row of the order after it: Python's reader sees that order's two rows
    # side by side, so cutting between the two lines would split them.
    from order_guard.files.parts import cut

    paths = _inputs(tmp_path, _orders(seed=17, count=600), seed=17)
    data = paths[0].read_bytes()
    first = cut(paths[0], 1, 0, 2).parts[1].start
    before = data.rindex(b"\n", 0, first - 1) + 1
    after = data[first:data.index(b"\n", first) + 1]
    paths[0].write_bytes(data[:before] + data[before:first - 2] + b"\r" + after + data[first:])

    assert cut(paths[0], 1, 0, 2) is None
    assert _same_as_one_process(paths, 2) is None


class _StopsReading:
    """A part's text that cannot be decoded past its 50th line (as if the file changed under it)."""

    def __init__(self, text):
        self.text = text

    def readline(self) -> str:
        return self.text.readline()

    def __iter__(self):
        for number, line in enumerate(self.text):
            if number == 50:
                raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
            yield line

    def close(self) -> None:
        self.text.close()


def test_a_part_not_read_to_its_end_streams_the_file_whole(tmp_path, monkeypatch):
    # Where the first part stopped, the second part's lines would begin is not known: the file is
    # read in one process, as without --jobs (which reads it whole, undisturbed here).
    import order_guard.builtin.file_source as file_source

    paths = _inputs(tmp_path, _orders(seed=19, count=600), seed=19)
    real = file_source.open_data_part

    def first_part_stops(path, encoding, header, start, end):
        opened = real(path, encoding, header, start, end)
        if start < 1000:
            opened.text = _StopsReading(opened.text)
        return opened

    monkeypatch.setattr(file_source, "open_data_part", first_part_stops)

    assert _same_as_one_process(paths, 2) is None


def test_jobs_must_be_a_positive_number(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["check", str(tmp_path), "--jobs", "0"])

    assert stopped.value.code == 2
    assert "'0' is not a number of processes" in capsys.readouterr().err


def test_a_file_changed_while_its_parts_are_read_is_not_clean(tmp_path, monkeypatch):
    import order_guard.builtin.file_source as file_source

    paths = _inputs(tmp_path, _orders(seed=11, count=600), seed=11)
    real = file_source.open_data_part

    def append_then_open(path, *args):
        if args[2] < 1000:  # the first part (it starts after the header): a writer appends while it is read
            with open(path, "a", encoding="utf-8") as out:
                out.write("\t".join(["405-9999999-0000001", "", "", "", "Pending"] + [""] * 26) + "\n")
        return real(path, *args)

    monkeypatch.setattr(file_source, "open_data_part", append_then_open)
    report = _report(paths, 2)

    assert report["summary"]["complete"] is False
    assert any("the file changed while it was read" in error["message"] for error in report["errors"])


def test_an_order_whose_rows_a_blank_line_at_the_cut_parts_is_read_whole(tmp_path):
    # One read merges an order's rows across a blank line (not a record); the cut, which compares
    # the lines beside it, falls at that line. Each half alone fails no rule and is not kept (the
    # first row has no address, the second is Shipped); the order whole, Pending as its first row
    # says, has the second row's address (AMZ-PEND-002).
    from order_guard.files.parts import cut

    header = [*ALL_ORDERS_HEADER, "ship-address-1"]

    def row(order: str, status: str, address: str = "") -> list[str]:
        cells = {"amazon-order-id": order, "order-status": status, "fulfillment-channel": "Merchant",
                 "purchase-date": "2026-11-20T10:00:00+00:00", "last-updated-date": "2026-11-20T10:00:00+00:00",
                 "sku": "SKU-1", "quantity": "1", "item-price": "9.50", "ship-address-1": address}
        return [cells.get(column, "") for column in header]

    count = 400  # lines of one length: the cut's search starts at the line after the middle one
    rows = [row(f"405-0000003-{number:07d}", "Shipped") for number in range(count)]
    rows[count // 2 + 1] = row("405-0000003-9999999", "Pending")
    rows[count // 2 + 3] = row("405-0000003-9999999", "Shipped", "1 Via Roma")
    width = max(len("\t".join(cells)) for cells in rows) + 2
    for cells in rows:
        cells[header.index("product-name")] = " " * (width - 2 - len("\t".join(cells)))
    rows[count // 2 + 2] = [" " * (width - 2)]  # a blank line, as long as the rest
    path = write_tsv(tmp_path / "all-orders.txt", header, rows)
    data_start = path.read_bytes().index(b"\n") + 1
    second = cut(path, 1, 0, 2).parts[1].start

    assert second == data_start + width * (count // 2 + 2)  # at the blank line, between the order's rows
    assert _same_as_one_process([path], 2) is None
    assert [finding["rule_id"] for finding in _report([path], 2)["findings"]] == ["AMZ-PEND-002"]


def test_a_part_s_process_that_dies_streams_the_file_whole(tmp_path, monkeypatch):
    import order_guard.parallel as parallel

    paths = _inputs(tmp_path, _orders(seed=23, count=600), seed=23)
    real = parallel._stream_part

    def dies(number):
        if number == 1:
            os._exit(9)  # as the out-of-memory killer would end it
        return real(number)

    monkeypatch.setattr(parallel, "_stream_part", dies)

    assert _same_as_one_process(paths, 2) is None


def test_an_error_in_a_part_is_the_run_s(tmp_path, monkeypatch):
    import order_guard.parallel as parallel

    paths = _inputs(tmp_path, _orders(seed=29, count=600), seed=29)

    def fails(number):
        raise ValueError(f"part {number} cannot go on")

    monkeypatch.setattr(parallel, "_stream_part", fails)

    with pytest.raises(ValueError, match="part 0 cannot go on"):
        _report(paths, 2)


def test_a_two_process_run_says_nothing_more_on_standard_error(tmp_path):
    import subprocess
    import sys

    paths = _inputs(tmp_path, _orders(seed=31, count=600), seed=31)
    command = [sys.executable, "-m", "order_guard", "check", *map(str, paths), "--as-of", AS_OF, "-q", "--jobs", "2"]
    for _ in range(5):  # the processes of a pool that replaced its workers were stopped noisily, most runs
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "ORDER_GUARD_CACHE_DIR": str(tmp_path / "cache")})
        assert (done.returncode, done.stderr) == (3, "")  # (bad cells in these orders: incomplete)
