"""The fail-closed audit (issue 7): every way a run can fail to check something, in one list.

A gate treats anything but 0 as "do not ship" (DESIGN.md, exit codes): so each way below must end
in the code DESIGN.md gives it (1 findings, 2 usage/configuration/plugin/rule error, 3 data not
read or checked completely, 130/143 stopped) and say why in one line. Add a row here when a new
way appears; the focused tests elsewhere (test_fail_closed.py, test_faults.py, test_formats.py)
look at each in depth.

Not on the list, on purpose: a rule whose look-up dataset is absent (no Unshipped Orders report)
runs and is listed under ``rules[].missing_datasets``; the contract makes the absence part of
what it tests ("not in the Unshipped Orders report"), so it is a finding, not a failure. A page
that says more pages exist is a warning: the file given was read whole.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import AS_OF, EXAMPLES, write_tsv

from order_guard import __version__, checking
from order_guard.cli import main

HEADER = ["amazon-order-id", "order-status", "purchase-date", "last-updated-date", "fulfillment-channel"]
SHIPPED = ["405-0000001-0000001", "Shipped", "2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z", "MFN"]
SHIP_HEADER = ["order-id", "ship-date"]


@dataclass(frozen=True)
class Way:
    """How to cause it (the CLI arguments, given a folder and monkeypatch), the exit code, what it says."""

    cause: Callable[[Path, pytest.MonkeyPatch], list]
    code: int
    says: str
    #: Runs once every input was opened and detected, before any record is read.
    after_open: Callable[[Path], None] | None = None
    #: Where the report goes (default: a buffer), given the folder.
    stdout: Callable[[Path], io.StringIO] | None = None


def _orders(folder: Path, *rows: list[str], header: list[str] = HEADER) -> Path:
    return write_tsv(folder / "all-orders.txt", header, [SHIPPED, *rows])


def _plugin(folder: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> str:
    """A plugin module ``name`` written into ``folder``, importable for ``-p name``."""
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    return name


def _source_failing(how: str) -> Callable[[Path, pytest.MonkeyPatch], list]:
    """A source plugin that reads three orders, then fails ``how``: the way a network or database source can."""
    name = f"og_audit_source_{how}"
    code = f'''
import signal
from order_guard import hookimpl
from order_guard.datasets import Dataset
from order_guard.errors import SourceError
from order_guard.types import Source


def _open(request, registry):
    def read(dataset):
        for number in range(3):
            dataset.records_read += 1
            yield {{"order_id": f"405-000000{{number}}-0000001", "status": "Shipped", "items": []}}
        how = {how!r}
        if how == "reports":
            dataset.error("connection reset by peer; stopped after 3 records, the rest were not read")
        elif how == "raises":
            raise SourceError(dataset.location, "connection reset by peer")
        elif how == "crashes":
            raise RuntimeError("a bug in the plugin")
        elif how == "ctrl-c":
            raise KeyboardInterrupt
        elif how == "sigterm":
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.SIG_IGN, None):
                raise RuntimeError("order-guard installed no SIGTERM handler: refusing to kill the test run")
            signal.raise_signal(signal.SIGTERM)
    return [Dataset(location=request.location, kind="orders", format="api", read_records=read)]


@hookimpl
def order_guard_sources():
    yield Source(name="flaky", claims=lambda location: location.startswith("flaky://"), open=_open, priority=10)
'''
    return lambda folder, monkeypatch: ["--dataset", "orders=flaky://shop", "-p",
                                        _plugin(folder, monkeypatch, name, code)]


RAISING_RULE = """\
pack: {name: audit, version: "1"}
rules:
  - id: AUDIT-001
    name: heavy-parcel
    severity: high
    summary: s
    fail_if: {field: x_weight, gt: 5}
    message: "Order {order_id} is heavy"
    rationale: r
    remediation: r
    references: [r]
    examples:
      bad: [{order: {order_id: "1", x_weight: 9}}]
      good: [{order: {order_id: "2", x_weight: 1}}]
"""


def _rule_raises(folder: Path, monkeypatch) -> list:
    (folder / "orders.csv").write_text("order_id,status,x_weight\n405-1-1,Shipped,heavy\n", encoding="utf-8")
    (folder / "rules.yaml").write_text(RAISING_RULE, encoding="utf-8")
    return [folder / "orders.csv", "--rules", folder / "rules.yaml"]


def _full_disk(folder: Path, monkeypatch) -> list:
    """Writes to the report's file fail with ENOSPC."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell the report's file from others")
    out = folder / "out"
    out.mkdir()
    real = os.fdopen

    class Full(io.StringIO):
        def write(self, text):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd, *args, **kwargs):
        if Path(os.readlink(f"/proc/self/fd/{fd}")).parent == out:
            real(fd).close()
            return Full()
        return real(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)
    return [EXAMPLES, "--output", f"json={out / 'report.json'}"]


class _FullStdout(io.StringIO):
    """Standard output on a full disk (``order-guard check ... > /mnt/full/report.txt``)."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _ClosedPipe(io.StringIO):
    """Standard output whose reader went away (``order-guard check ... | head -1``)."""

    def __init__(self, folder: Path):
        super().__init__()
        self._fd = os.open(folder / "stdout", os.O_WRONLY | os.O_CREAT)  # the CLI points it at /dev/null

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        os.close(self._fd)
        super().close()


def _truncate_between_rows(folder: Path) -> None:
    """Keep the header and the first row: what is left is a well-formed report."""
    path = folder / "all-orders.txt"
    data = path.read_bytes()
    os.truncate(path, data.index(b"\r\n", data.index(b"\r\n") + 2) + 2)


WAYS = {
    # --- a record ---
    "a record with a date that is no date": Way(
        lambda d, m: [_orders(d, ["405-0000002-0000001", "Shipped", "2026-02-30", "", "MFN"])], 3,
        "all-orders.txt:3: field purchase_date: not a date: '2026-02-30'"),
    "a record without an order id": Way(
        lambda d, m: [_orders(d, ["", "Shipped", "2026-11-20", "", "MFN"])], 3, "all-orders.txt:3: no order_id"),
    "a row with fewer fields than the header": Way(
        lambda d, m: [_orders(d, ["405-0000002-0000001", "Shipped"])], 3,
        "all-orders.txt:3: row has 2 fields, the header has 5"),
    "a record with a NUL byte in its order id": Way(
        lambda d, m: [_orders(d, ["405-0000002\x00-0000001", "Shipped", "2026-11-20", "", "MFN"])], 3,
        "all-orders.txt:3: field order_id: contains a NUL byte"),
    "an order in a JSON document that is not an order": Way(
        lambda d, m: [_write(d / "orders.json", '[{"AmazonOrderId": "405-1-1", "OrderStatus": "Shipped"}, 42]')],
        3, "orders.json#/1: unexpected shape"),
    "an unreadable record in a report-only run (--fail-on none)": Way(
        lambda d, m: [_orders(d, ["", "Shipped", "2026-11-20", "", "MFN"]), "--fail-on", "none"], 3,
        "all-orders.txt:3: no order_id"),
    # --- a dataset ---
    "a file nobody recognises": Way(
        lambda d, m: [_write(d / "notes.csv", "what,ever\n1,2\n")], 3,
        "notes.csv:1: no known flat-file format fits this header"),
    "a file that does not exist": Way(lambda d, m: [d / "not-downloaded.txt"], 3, "cannot open"),
    "an empty file": Way(lambda d, m: [_write(d / "orders.txt", "")], 3, "orders.txt:1: the file is empty"),
    "a truncated JSON document": Way(
        lambda d, m: [_write(d / "orders.json", '{"payload": {"Orders": [{"AmazonOrderId": "405-1')], 3,
        "truncated JSON: the document ends before it is complete"),
    "a directory with no data file in it": Way(
        lambda d, m: [_folder(d / "empty")], 3, "directory holds no data files"),
    "a file in another encoding than the one given": Way(
        lambda d, m: [write_tsv(d / "o.txt", HEADER, [[*SHIPPED[:4], "Mèrchant"]], encoding="cp1252"),
                      "--encoding", "utf-8"], 3, "not valid utf-8 text"),
    "a header naming a column the format reads twice": Way(
        lambda d, m: [_orders(d, header=[*HEADER[:4], "order-status"])], 3,
        "the header names column 'order-status' twice"),
    "a header that fits two kinds of data": Way(
        lambda d, m: [write_tsv(d / "both.txt", ["order-id", "ship-date", "status"], [["405-1-1", "2026-11-26",
                                                                                      "Shipped"]])], 3,
        "header fits several kinds of data"),
    "a file that vanishes once opened": Way(
        lambda d, m: [_orders(d)], 3, "cannot open: No such file or directory (it was there when the run began)",
        after_open=lambda d: (d / "all-orders.txt").unlink()),
    "a file cut between two rows while it is read": Way(
        lambda d, m: [_orders(d, SHIPPED)], 3, "the file changed while it was read", after_open=_truncate_between_rows),
    # --- a source, half-way ---
    "a source that loses its connection half-way": Way(
        _source_failing("reports"), 3, "flaky://shop: connection reset by peer; stopped after 3 records"),
    "a source that raises half-way": Way(
        _source_failing("raises"), 3, "order-guard: error: flaky://shop: connection reset by peer"),
    "a source plugin that crashes half-way (a bug)": Way(
        _source_failing("crashes"), 3,
        "order-guard: internal error (a bug; please report it): nothing was proved clean"),
    "Ctrl-C half-way": Way(_source_failing("ctrl-c"), 130, "order-guard: interrupted; no report is complete"),
    "SIGTERM half-way": Way(_source_failing("sigterm"), 143, "order-guard: terminated; no report is complete"),
    # --- rules ---
    "a rule that raises on a record": Way(_rule_raises, 3, "orders.csv:2: rule AUDIT-001 failed: TypeError"),
    "no rules at all": Way(lambda d, m: [EXAMPLES, "--rules", _folder(d / "rules")], 2, "no rules to run"),
    "the rule pack disabled": Way(lambda d, m: [EXAMPLES, "-p", "no:amazon_pack"], 2, "no rules to run"),
    "a rule file with an error": Way(
        lambda d, m: [EXAMPLES, "--rules", _write(d / "r.yaml", RAISING_RULE.replace("x_weight, gt", "x_weight, gtt"))],
        2, "r.yaml:7: rule AUDIT-001:"),
    "an aggregate that cannot see every unit (Pending orders without items beside a stock file)": Way(
        lambda d, m: [_write(d / "orders.json", '[{"AmazonOrderId": "405-1-1", "OrderStatus": "Pending"}]'),
                      _write(d / "stock.csv", "sku,quantity,on_hand\nTEA,14,20\n")], 3,
        "order 405-1-1 has no items, so its units are missing from pending_units"),
    # --- what the data cannot prove (findings, critical) ---
    "a shipment for an order no dataset holds": Way(
        lambda d, m: [write_tsv(d / "ship.txt", SHIP_HEADER, [["405-0000009-0000001", "2026-11-26"]])], 1,
        "A shipment names order 405-0000009-0000001, which no orders dataset contains"),
    "an order whose status nobody recognises": Way(
        lambda d, m: [_orders(d, ["405-0000002-0000001", "Parked", "2026-11-20", "", "MFN"])], 1,
        "Order 405-0000002-0000001 has status Parked, missing or not recognised"),
    # --- plugins and usage ---
    "a plugin that is not there": Way(
        lambda d, m: [EXAMPLES, "-p", "og_audit_no_such_plugin"], 2,
        "could not load order-guard plugin og_audit_no_such_plugin"),
    "a plugin that fails on import": Way(
        lambda d, m: [EXAMPLES, "-p", _plugin(d, m, "og_audit_broken", "raise ImportError('needs libfoo')")], 2,
        f"could not load order-guard plugin og_audit_broken (order-guard {__version__}): ImportError('needs libfoo')"),
    "a plugin implementing a hook order-guard does not have": Way(
        lambda d, m: [EXAMPLES, "-p", _plugin(d, m, "og_audit_typo", "from order_guard import hookimpl\n\n"
                                                 "@hookimpl\ndef order_guard_source():\n    return []\n")], 2,
        "implements a hook order-guard does not have"),
    "an unknown dataset kind": Way(
        lambda d, m: ["--dataset", f"parcels={EXAMPLES / 'ship-confirm.txt'}"], 2, "unknown dataset kind 'parcels'"),
    "a location no source reads": Way(
        lambda d, m: ["--dataset", "orders=ftp://example.com/orders.txt"], 2, "no source plugin reads"),
    # --- the report ---
    "an output that cannot be written": Way(
        lambda d, m: [EXAMPLES, "--output", f"json={d / 'no-such-dir' / 'r.json'}"], 2,
        "cannot write: No such file or directory"),
    "a full disk under the report": Way(_full_disk, 2, "cannot write: No space left on device"),
    "a full disk under standard output": Way(
        lambda d, m: [EXAMPLES], 3, "order-guard: error: cannot write the report to standard output: No space left",
        stdout=lambda folder: _FullStdout()),
    "a reader of standard output that goes away": Way(
        lambda d, m: [EXAMPLES], 3, "no report is complete", stdout=_ClosedPipe),
}

XFAIL: dict[str, str] = {}  # ways whose message is not right yet (none today)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("way", [
    pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else [])
    for name in WAYS])
def test_no_way_of_failing_to_check_exits_0(way, monkeypatch):
    case = WAYS[way]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        args = case.cause(folder, monkeypatch)
        if case.after_open is not None:
            opened = checking.open_datasets

            def open_then(requests, registry):
                datasets = opened(requests, registry)
                case.after_open(folder)
                return datasets

            monkeypatch.setattr(checking, "open_datasets", open_then)
        out, err = case.stdout(folder) if case.stdout else io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["check", *map(str, args), "--as-of", AS_OF, "-q"])
            said = out.getvalue() + err.getvalue()
        finally:
            out.close()
            for module in [module for module in sys.modules if module.startswith("og_audit_")]:
                del sys.modules[module]
    assert code != 0
    lines = [line for line in said.splitlines() if case.says in line]
    assert (code, len(lines)) == (case.code, 1), said
