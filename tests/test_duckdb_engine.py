"""The bulk engine (--engine duckdb) against the streaming engine: the same report, to the byte.

Every comparison runs one check twice, ``--engine streaming`` and ``--engine
duckdb``, over the same files and compares the JSON reports without their
``engine`` field: findings with evidence, messages and locations, counts,
errors, inputs. The data: every example of every rule of the Amazon pack and
every case of its case file, written as the flat files Amazon sends; the
bundled example; bench-like reports with unreadable rows, duplicate snapshots
and split orders; and, through ``tests/duckdb_differential.py``, every dataset
the other test modules build.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml
from tests.conftest import AS_OF, EXAMPLES, REPO

pytest.importorskip("duckdb", reason="DuckDB is not installed: pip install 'order-guard[duckdb]' to test the bulk engine")

from order_guard.builtin.amazon_pack import bundled_rules_dir  # noqa: E402
from order_guard.builtin.flat_formats import (  # noqa: E402
    CANONICAL_ORDERS,
    ORDER_REPORT,
    SHIPPING_CONFIRMATION,
    STOCK_FILE,
    UNSHIPPED_REPORT,
)
from order_guard.bulk import choice  # noqa: E402
from order_guard.canonical import parse_datetime  # noqa: E402
from order_guard.checking import CheckRequest, load_registry, run_check  # noqa: E402
from order_guard.datasets import DatasetRequest  # noqa: E402
from order_guard.rulelang.loader import load_packs  # noqa: E402
from order_guard.rulelang.validation import example_datasets  # noqa: E402

PACK = bundled_rules_dir() / "amazon" / "pending.yaml"
CASES = bundled_rules_dir() / "amazon" / "pending.cases.yaml"
FORMATS = {"orders": CANONICAL_ORDERS, "shipments": SHIPPING_CONFIRMATION, "order-report": ORDER_REPORT,
           "unshipped-report": UNSHIPPED_REPORT, "inventory": STOCK_FILE}
sys.path.insert(0, str(REPO / "bench"))
from generate import generate  # noqa: E402


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def check(registry, inputs: list[tuple[str | None, Path]], engine: str, as_of: str = AS_OF) -> dict:
    """The JSON report of one run over ``(kind, path)`` inputs (a kind of None is detected)."""
    request = CheckRequest(datasets=[DatasetRequest(str(path), kind) for kind, path in inputs],
                           as_of=parse_datetime(as_of), engine=engine)
    report, _ = run_check(request, registry)
    return report.data


def same_either_way(registry, inputs, as_of: str = AS_OF, duckdb_runs: bool = True) -> dict:
    """Both engines' reports, proven equal but for the engine; the DuckDB run's report."""
    streamed = check(registry, inputs, "streaming", as_of)
    bulk = check(registry, inputs, "duckdb", as_of)
    assert streamed.pop("engine")["used"] == "streaming"
    engine = bulk.pop("engine")
    assert bulk == streamed
    if duckdb_runs:
        assert engine["used"] == "duckdb", engine["reason"]
    bulk["engine"] = engine
    return bulk


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def write_flat(path: Path, kind: str, records: list[dict]) -> Path:
    """Records of canonical field names as the flat file Amazon's format for ``kind`` has:
    every column of the format, one row per order item for orders."""
    fmt = FORMATS[kind]
    columns = [(field, aliases[0]) for field, aliases in fmt.columns.items()]
    lines = ["\t".join(header for _, header in columns)]
    for record in records:
        items = record.get("items") or [{}] if kind == "orders" else [{}]
        for item in items:
            cells = [_cell(item.get(field[6:]) if field.startswith("items.") else record.get(field))
                     for field, _ in columns]
            lines.append("\t".join(cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_case(folder: Path, case: dict) -> list[tuple[str, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    return [(kind, write_flat(folder / f"{kind}.txt", kind, records))
            for kind, records in example_datasets(case).items()]


def _examples():
    packs = load_packs([PACK], load_registry().operators)
    for rule in packs[0].rules:
        for verdict in ("bad", "good"):
            for number, case in enumerate(rule.examples[verdict], start=1):
                yield pytest.param(case, id=f"{rule.id}-{verdict}-{number}")


@pytest.mark.parametrize("case", list(_examples()))
def test_every_rule_example_gives_the_same_report(registry, tmp_path, case):
    inputs = write_case(tmp_path, case)
    same_either_way(registry, inputs, case.get("as_of", AS_OF))


def _pack_cases():
    for case in yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]:
        yield pytest.param(case, id=case["name"][:60])


@pytest.mark.parametrize("case", list(_pack_cases()))
def test_every_case_of_the_pack_gives_the_same_report(registry, tmp_path, case):
    inputs = write_case(tmp_path, case)
    report = same_either_way(registry, inputs, case.get("as_of", AS_OF))
    expected = {(entry["rule"], entry.get("order_id") or entry.get("sku")) for entry in case["expect"]}
    found = {(finding["rule_id"], finding.get("order_id") or finding.get("sku")) for finding in report["findings"]}
    found |= {(finding["rule"], subject) for finding in report["findings"]
              for subject in [finding.get("order_id") or finding.get("sku")]}
    assert expected <= found


@pytest.mark.parametrize("names", [
    ["all-orders.txt", "ship-confirm.txt", "unshipped-orders.txt", "stock.csv"],
    ["all-orders.txt", "ship-confirm.txt"],
    ["all-orders.txt"],
])
def test_the_bundled_example_gives_the_same_report(registry, names):
    same_either_way(registry, [(None, EXAMPLES / name) for name in names])


def test_the_whole_example_folder_is_streamed_and_says_why(registry):
    report = same_either_way(registry, [(None, EXAMPLES)], duckdb_runs=False)
    assert report["engine"]["used"] == "streaming"
    assert "several orders datasets" in report["engine"]["reason"]


def _rows(path: Path) -> tuple[bytes, list[list[bytes]]]:
    header, *rows = path.read_bytes().split(b"\r\n")
    return header, [row.split(b"\t") for row in rows if row]


def _write_rows(path: Path, header: bytes, rows: list[list[bytes]], newline: bytes = b"\r\n") -> None:
    path.write_bytes(newline.join([header, *[b"\t".join(row) for row in rows]]) + newline)


def _set(row: list[bytes], header: bytes, column: str, value: str) -> list[bytes]:
    row = list(row)
    row[header.split(b"\t").index(column.encode())] = value.encode("utf-8")
    return row


@pytest.fixture(scope="module")
def bench_files(tmp_path_factory):
    """A day's bench files (5,000 orders) and an All Orders report full of trouble."""
    folder = tmp_path_factory.mktemp("bench")
    paths = generate(5_000, folder)
    header, rows = _rows(paths["orders"])
    column = header.split(b"\t").index
    trouble = list(rows)
    trouble[10] = _set(rows[10], header, "purchase-date", "31/31/2026")  # unreadable date
    trouble[11] = _set(rows[11], header, "amazon-order-id", "")  # no order id
    trouble[12] = rows[12][:-3]  # fewer cells than the header
    trouble[13] = rows[13] + [b"extra"]  # more cells than the header
    trouble[14] = _set(rows[14], header, "purchase-date", "2026-11-10 09:00:00 GMT")  # Python reads it, DuckDB not
    trouble[15] = _set(rows[15], header, "item-price", "9,50")  # the EU decimal comma
    trouble[16] = _set(rows[16], header, "item-price", "1e2")  # a number Python reads and DuckDB leaves to it
    trouble[17] = _set(rows[17], header, "quantity", " 2")
    trouble[18] = _set(rows[18], header, "order-status", "\u00a0Pending")  # odd whitespace before a status
    trouble[19] = _set(rows[19], header, "amazon-order-id", "\u00a0")  # blank to Python, not to trim()
    trouble[31] = _set(rows[31], header, "amazon-order-id", rows[30][column(b"amazon-order-id")].decode())
    trouble[50] = _set(rows[50], header, "order-status", "OnHold")  # unknown status
    trouble[70] = _set(_set(rows[70], header, "order-status", "Pending"), header, "purchase-date",
                       "2026-10-01T10:00:00+00:00")  # pending too long
    trouble[71] = _set(_set(_set(rows[71], header, "order-status", "Unshipped"), header, "purchase-date",
                            "2026-10-20T10:00:00+02:00"), header, "fulfillment-channel", "Merchant")  # about to cancel
    trouble[91] = _set(rows[90], header, "purchase-date", "yesterday")  # a bad row of an order beside its good row
    trouble[120] = _set(rows[120], header, "order-status", "Pending")  # has a shipment (n % 10 == 0)
    # One order's rows two lines apart, a clean order between them: two records, the second failing.
    clean = [_set(_set(rows[n], header, "order-status", "Shipped"), header, "fulfillment-channel", "Merchant")
             for n in (2001, 2002)]
    trouble[2001:2004] = [clean[0], clean[1], _set(clean[0], header, "order-status", "OnHold")]
    # Snapshots of one order in several places: a newer clean one after a failing one, an older failing
    # one after a newer clean one, and a second row of an order far from its first (same snapshot).
    newer = _set(_set(trouble[120], header, "order-status", "Shipped"), header, "last-updated-date",
                 "2026-11-26T08:00:00+00:00")
    older = _set(_set(rows[130], header, "order-status", "Pending"), header, "last-updated-date",
                 "2026-11-01T08:00:00+00:00")
    far = _set(rows[140], header, "sku", "SKU-FAR")
    trouble[400:400] = [newer, older, far]
    trouble.insert(200, _set(rows[200], header, "order-status", "Canceled"))  # a Canceled item beside its order
    _write_rows(folder / "trouble.txt", header, trouble)
    return {**paths, "trouble": folder / "trouble.txt", "header": header, "rows": rows}


def _explained(registry, inputs, engine="duckdb") -> list[str]:
    lines: list[str] = []
    request = CheckRequest(datasets=[DatasetRequest(str(path), kind) for kind, path in inputs],
                           as_of=parse_datetime(AS_OF), engine=engine,
                           on_explain=lambda explain: lines.extend(line.detail for line in explain))
    run_check(request, registry)
    return lines


def test_bench_files_give_the_same_report_and_duckdb_reads_back_few_rows(registry, bench_files):
    inputs = [(None, bench_files[name]) for name in ("orders", "unshipped", "shipments")]
    report = same_either_way(registry, inputs)
    assert report["summary"]["findings"] > 100 and report["summary"]["complete"]
    statement = next(line for line in _explained(registry, inputs) if line.startswith("DuckDB read"))
    read, back = (int(number.replace(",", "")) for number in
                  re.match(r"DuckDB read ([\d,]+) rows .*; ([\d,]+) of them", statement).groups())
    assert read == 5_000 and back < 500, statement


def test_unreadable_rows_snapshots_and_split_orders_give_the_same_report(registry, bench_files):
    inputs = [(None, bench_files["trouble"]), (None, bench_files["unshipped"]), (None, bench_files["shipments"])]
    report = same_either_way(registry, inputs)
    summary = report["summary"]
    assert summary["records_unreadable"] == 6, report["errors"]  # date, id, short, long, bad row, blank id
    assert summary["records_read"] == summary["records_checked"] + summary["records_unreadable"]
    rules = set(summary["by_rule"])
    assert {"AMZ-PEND-001", "AMZ-PEND-004", "AMZ-PEND-005", "AMZ-PEND-007", "AMZ-PEND-008",
            "AMZ-PEND-009"} <= rules
    lines = {error["line"] for error in report["errors"]}
    assert {12, 13, 14, 15} <= lines  # the file's own line numbers (row 10 is line 12)


def test_a_stock_file_makes_duckdb_read_back_the_orders_it_sums(registry, bench_files, tmp_path):
    header, rows = bench_files["header"], bench_files["rows"]
    sku = rows[120][header.split(b"\t").index(b"sku")].decode()
    stock = write_flat(tmp_path / "stock.txt", "inventory", [{"sku": sku, "quantity": 5000, "on_hand": 5000},
                                                              {"sku": "SKU-NONE", "quantity": 1, "on_hand": 1}])
    orders = tmp_path / "orders.txt"
    _write_rows(orders, header, [_set(row, header, "order-status", "Pending") if row[10].decode() == sku else row
                                 for row in rows])
    report = same_either_way(registry, [("orders", orders), ("inventory", stock)])
    assert "AMZ-PEND-006" in report["summary"]["by_rule"]


@pytest.mark.parametrize(("change", "reason"), [
    (lambda data: data.replace(b"\r\n", b"\r\n\r\n", 3), "blank lines"),
    (lambda data: data.replace(b"\tMILANO\t", b"\tMI\rLANO\t", 1), "carriage return"),
    (lambda data: data.replace(b"\tMILANO\t", b"\tMI\x00LANO\t", 1), "NUL byte"),
    (lambda data: data.replace(b"\tMILANO\t", b"\t\xef\xbb\xbfMILANO\t", 1), "byte-order mark"),
])
def test_a_file_duckdb_cannot_number_is_streamed_and_the_report_says_why(registry, bench_files, tmp_path,
                                                                          change, reason):
    odd = tmp_path / "odd.txt"
    odd.write_bytes(change(bench_files["orders"].read_bytes()))
    report = same_either_way(registry, [(None, odd), (None, bench_files["shipments"])], duckdb_runs=False)
    assert report["engine"]["used"] == "streaming"
    assert reason in report["engine"]["reason"] and "streamed instead" in report["engine"]["reason"]


def test_trailing_blank_lines_do_not_stop_duckdb(registry, bench_files, tmp_path):
    padded = tmp_path / "padded.txt"
    padded.write_bytes(bench_files["orders"].read_bytes() + b"\r\n\r\n")
    same_either_way(registry, [(None, padded), (None, bench_files["shipments"])])


@pytest.mark.parametrize(("write", "reason"), [
    (lambda path, data: path.write_bytes(__import__("gzip").compress(data)), "compressed"),
    (lambda path, data: path.write_bytes(data.replace(b"\t", b",")), "comma-separated"),
    (lambda path, data: path.write_bytes(data.replace(b"MILANO", "MIL\u00c0NO".encode("cp1252"))), "cp1252"),
])
def test_orders_duckdb_does_not_take_are_streamed_and_the_report_says_why(registry, bench_files, tmp_path,
                                                                           write, reason):
    path = tmp_path / "orders.txt"
    write(path, bench_files["orders"].read_bytes())
    report = same_either_way(registry, [(None, path)], duckdb_runs=False)
    assert report["engine"] == {"requested": "duckdb", "used": "streaming", "reason": report["engine"]["reason"]}
    assert reason in report["engine"]["reason"]


def test_auto_picks_duckdb_for_a_large_orders_file_and_says_so(registry, bench_files, monkeypatch):
    monkeypatch.setattr(choice, "AUTO_MIN_BYTES", bench_files["orders"].stat().st_size)
    report = check(registry, [(None, bench_files["orders"]), (None, bench_files["shipments"])], "auto")
    assert report["engine"]["requested"] == "auto" and report["engine"]["used"] == "duckdb"
    assert report["engine"]["reason"].startswith("auto: 1.1 MB of orders, at least 1.1 MB")


def test_auto_streams_a_small_orders_file_and_says_so(registry, bench_files, monkeypatch):
    monkeypatch.setattr(choice, "AUTO_MIN_BYTES", bench_files["orders"].stat().st_size + 1)
    report = check(registry, [(None, bench_files["orders"])], "auto")
    assert report["engine"] == {"requested": "auto", "used": "streaming",
                                "reason": "auto: 1.1 MB of orders, below the 1.1 MB where DuckDB starts to pay off"}


def test_auto_streams_where_duckdb_is_not_installed_and_says_so(registry, bench_files, monkeypatch):
    monkeypatch.setattr(choice, "AUTO_MIN_BYTES", 0)
    monkeypatch.setattr(choice, "duckdb_installed", lambda: False)
    report = check(registry, [(None, bench_files["orders"])], "auto")
    assert report["engine"]["used"] == "streaming"
    assert "DuckDB is not installed (pip install 'order-guard[duckdb]')" in report["engine"]["reason"]


def test_engine_duckdb_without_duckdb_is_a_usage_error(run_cli, bench_files, monkeypatch):
    monkeypatch.setattr(choice, "duckdb_installed", lambda: False)
    result = run_cli("check", bench_files["orders"], "--engine", "duckdb", "-q")
    assert result.exit_code == 2
    assert "--engine duckdb: DuckDB is not installed" in result.stderr


def test_a_small_gate_run_does_not_import_duckdb(tmp_path):
    script = ("import sys; from order_guard.cli import main; code = main(sys.argv[1:]); "
              "print('duckdb' in sys.modules, 'sqlalchemy' in sys.modules, code)")
    done = subprocess.run([sys.executable, "-c", script, "check", str(EXAMPLES / "all-orders.txt"),
                           str(EXAMPLES / "ship-confirm.txt"), "--as-of", AS_OF, "-q", "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.splitlines()[-1] == "False False 1", done.stderr


def test_the_table_and_json_reports_say_which_engine_ran(run_cli, bench_files):
    args = ("check", bench_files["orders"], bench_files["shipments"], "--as-of", AS_OF, "-q", "--engine", "duckdb")
    table = run_cli(*args)
    assert "engine: duckdb (--engine duckdb)" in table.stdout
    import jsonschema

    from order_guard.schemas import report_schema

    report = run_cli(*args, "--format", "json").json()
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert report["engine"] == {"requested": "duckdb", "used": "duckdb", "reason": "--engine duckdb"}


def test_a_duckdb_failure_streams_the_file_instead_and_the_report_says_so(registry, bench_files, monkeypatch):
    import duckdb

    def broken(*args, **kwargs):
        raise duckdb.IOException("IO Error: disk full")

    monkeypatch.setattr(duckdb, "connect", broken)
    inputs = [(None, bench_files["orders"]), (None, bench_files["shipments"])]
    report = same_either_way(registry, inputs, duckdb_runs=False)
    assert report["engine"]["used"] == "streaming"
    assert "DuckDB could not read it (IOException: IO Error: disk full); streamed instead" in report["engine"]["reason"]
    assert report["summary"]["complete"]


def test_a_line_that_is_not_the_row_duckdb_read_fails_the_run(registry, bench_files, monkeypatch):
    """The file changed between DuckDB's scan and the lines read back: exit 3, never a quiet pass."""
    from order_guard.bulk import filescan

    read = filescan.LineIndex.read

    def shifted(self, wanted):
        for number, key, text in read(self, wanted):
            yield number, key, text.replace(key.encode(), b"405-9999999-9999999") if key else text

    monkeypatch.setattr(filescan.LineIndex, "read", shifted)
    report = check(registry, [(None, bench_files["orders"]), (None, bench_files["shipments"])], "duckdb")
    assert report["engine"]["used"] == "duckdb"
    assert not report["summary"]["complete"]
    assert any("is not the row DuckDB read" in error["message"] for error in report["errors"])


def test_a_file_changed_after_the_scan_fails_the_run(registry, bench_files, tmp_path, monkeypatch):
    from order_guard.bulk import pushdown

    orders = tmp_path / "orders.txt"
    orders.write_bytes(bench_files["orders"].read_bytes())
    choose_rows = pushdown.FilePushdown._choose_rows

    def then_touch(self, *args):
        choose_rows(self, *args)
        orders.write_bytes(orders.read_bytes() + b"\r\n")

    monkeypatch.setattr(pushdown.FilePushdown, "_choose_rows", then_touch)
    report = check(registry, [(None, orders), (None, bench_files["shipments"])], "duckdb")
    assert not report["summary"]["complete"]
    assert any("the file changed while it was checked" in error["message"] for error in report["errors"])


def test_every_dataset_the_format_and_fail_closed_tests_build_gives_the_same_report(tmp_path):
    """Those modules' own tests, each check run by both engines (tests/duckdb_differential.py)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.duckdb_differential", "-p", "no:cacheprovider",
                           "tests/test_formats.py", "tests/test_fail_closed.py", "--basetemp", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-4000:]
    counts = re.search(r"duckdb differential: (\d+) checks compared, (\d+) of them run in DuckDB", done.stdout)
    assert counts and int(counts[2]) >= 50, done.stdout[-2000:]


def _forms():
    import random

    rng = random.Random(6)
    dates = [f"{y}-{m:02d}-{d:02d}" for y in (1999, 2024, 2026) for m in (1, 2, 4, 12) for d in (1, 28, 29, 30, 31)]
    times = ["", "T05:07", " 23:59", "T00:00:00", "T23:59:59", "T12:30:45.123", "T12:30:45.123456", "T24:00:00",
             "T23:59:60", "T12:30:45.1234", "T5:07"]
    zones = ["", "Z", "+00:00", "-00:00", "+02:00", "-08:00", "+23:59", "+24:00", "+0200", " GMT", "+05:30"]
    texts = {(convert, text) for convert in ("date",) for text in
             (rng.choice(dates) + rng.choice(times) + rng.choice(zones) for _ in range(600))}
    texts |= {("date", text) for text in ("2026-11-10", "20261110", "2026-11-10T", "10-11-2026", "2026/11/10",
                                          "2026-11-10Z", "  2026-11-10", "2026-1-10", "２０２６-11-10")}
    texts |= {("int", text) for text in ("0", "-0", "007", "+5", " 5", "5.0", "5.5", "1e3", "99999999999999999999",
                                         "123456789012345678", "١٢٣", "1_000", "", " ", "\u00a0")}
    texts |= {("dec", text) for text in ("9.50", "0.00", "-1.5", "1,5", "1.", ".5", "1e2", "0.1234567", "1.234,5",
                                         "123456789012.123456", "1234567890123", "NaN", "inf", "٣.٥", "1_0.5")}
    texts |= {("flag", text) for text in ("true", "TRUE", "True", "yes", "Y", "n", "0", "1", "no", " yes", "yeſ",
                                          "\u212arue", "ｙｅｓ", "t", "2")}
    return sorted(texts)


def test_every_form_duckdb_vouches_for_python_reads_to_the_same_value():
    """The heart of exactness: DuckDB keeps a value only in forms Python reads to the very same value."""
    import duckdb

    from order_guard.bulk import cells
    from order_guard.canonical import BOOL, DATETIME, DECIMAL, INT, parse_bool, parse_decimal, parse_int

    converts = {"date": (DATETIME, parse_datetime), "int": (INT, parse_int), "dec": (DECIMAL, parse_decimal),
                "flag": (BOOL, lambda text: int(parse_bool(text)))}
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    vouched_forms = 0
    for tag, text in _forms():
        convert, python = converts[tag]
        plan = cells.FilePlan("orders", 2, cells.Cell("order_id", False, [0], None),
                              [cells.Cell("x", False, [1], convert, "v0")], False)
        sure, value = connection.execute(f"SELECT {cells.vouched(plan)}, {cells._value(plan.cells[0], ())} "
                                         "FROM (SELECT 'id' AS c0, ? AS c1)", [text]).fetchone()
        if not sure:
            continue  # Python decides: read, or unreadable
        vouched_forms += 1
        expected = None if not text.strip() else python(text)
        assert value == expected, (tag, text, value, expected)
    assert vouched_forms > 150


@pytest.mark.parametrize("change", [
    lambda data: b"TemplateType=OrderReport\tVersion=2026\r\n" + data,  # a line above the header
    lambda data: data.replace(b"\r\n", b"\n"),  # LF line ends
    lambda data: data.rstrip(b"\r\n"),  # no line end after the last row
    lambda data: b"\xef\xbb\xbf" + data,  # a byte-order mark before the header
    lambda data: data.split(b"\r\n", 1)[0] + b"\r\n",  # a header and no rows
], ids=["preamble", "lf", "unterminated", "bom", "header-only"])
def test_file_layouts_duckdb_takes_give_the_same_report(registry, bench_files, tmp_path, change):
    path = tmp_path / "orders.txt"
    path.write_bytes(change(bench_files["orders"].read_bytes()))
    same_either_way(registry, [(None, path), (None, bench_files["shipments"])])


def test_a_duckdb_failure_while_reading_back_fails_the_run(registry, bench_files, monkeypatch):
    from order_guard.bulk import pushdown

    choose_rows = pushdown.FilePushdown._choose_rows

    def then_lose_the_rows(self, *args):
        choose_rows(self, *args)
        self.connection.execute("DROP TABLE og_subset")

    monkeypatch.setattr(pushdown.FilePushdown, "_choose_rows", then_lose_the_rows)
    report = check(registry, [(None, bench_files["orders"]), (None, bench_files["shipments"])], "duckdb")
    assert not report["summary"]["complete"]
    assert any("DuckDB failed" in error["message"] for error in report["errors"]), report["errors"]


@pytest.mark.parametrize("step", [16, 64, 1 << 16])
def test_lines_are_read_back_by_number_as_python_numbers_them(tmp_path, monkeypatch, step):
    import random

    from order_guard.bulk import filescan

    monkeypatch.setattr(filescan, "STEP", step)
    monkeypatch.setattr(filescan, "BLOCK", step * 4)
    rng = random.Random(step)
    for trial in range(20):
        lines = ["x" * rng.randint(0, 300) for _ in range(rng.randint(1, 300))]
        newline = rng.choice([b"\n", b"\r\n"])
        data = newline.join(line.encode() for line in lines) + rng.choice([b"", newline, newline * 3])
        path = tmp_path / f"{trial}.txt"
        path.write_bytes(data)
        facts = filescan.scan(path)
        python = data.decode().splitlines()
        assert facts.lines == len(python) and not facts.odd()
        wanted = sorted(rng.sample(range(1, len(lines) + 1), min(len(lines), 25)))
        read = {number: text.decode() for number, _tag, text in filescan.LineIndex(facts).read((n, n) for n in wanted)}
        assert read == {number: python[number - 1] for number in wanted}


def test_the_memory_limit_is_duckdb_s_and_running_out_streams_the_file(registry, bench_files, monkeypatch):
    inputs = [(None, bench_files["trouble"]), (None, bench_files["shipments"])]
    monkeypatch.setenv("ORDER_GUARD_DUCKDB_MEMORY", "200MB")
    same_either_way(registry, inputs)
    monkeypatch.setenv("ORDER_GUARD_DUCKDB_MEMORY", "10MB")  # too little even for DuckDB's read buffers
    report = same_either_way(registry, inputs, duckdb_runs=False)
    assert "Out of Memory" in report["engine"]["reason"] and report["engine"]["used"] == "streaming"
