"""A pytest plugin that runs every in-process check twice, streaming and in DuckDB, and fails on any difference.

``python -m pytest -p tests.duckdb_differential tests/test_formats.py ...``
(``tests/test_duckdb_engine.py`` does it for the modules that build data
files): each ``order-guard check`` a test makes with the default engine runs
with ``--engine streaming`` and with ``--engine duckdb``; the JSON reports must
be equal but for their ``engine`` field, and the test goes on with the DuckDB
run's report, so its own expectations check the bulk engine too.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import order_guard.checking
import order_guard.commands.check

_original = order_guard.checking.run_check
#: checks compared, and how many of them DuckDB ran (the rest it streamed, saying why)
compared = {"checks": 0, "duckdb": 0}
#: why DuckDB streamed a check instead, and how often
streamed_because: dict[str, int] = {}


def run_check_both(request, registry=None):
    if request.engine != "auto":
        return _original(request, registry)
    as_of = request.as_of or datetime.now(UTC).replace(microsecond=0)
    quiet = dataclasses.replace(request, engine="streaming", as_of=as_of, on_dataset=lambda dataset: None,
                                on_explain=None)
    streamed, _ = _original(quiet, registry)
    report, packs = _original(dataclasses.replace(request, engine="duckdb", as_of=as_of), registry)
    expected = {key: value for key, value in streamed.data.items() if key != "engine"}
    found = {key: value for key, value in report.data.items() if key != "engine"}
    if found != expected:
        differing = sorted(key for key in expected if expected[key] != found.get(key))
        raise AssertionError(f"--engine duckdb and --engine streaming differ in {differing}: "
                             f"{ {key: (expected[key], found.get(key)) for key in differing} }")
    compared["checks"] += 1
    compared["duckdb"] += report.data["engine"]["used"] == "duckdb"
    if report.data["engine"]["used"] != "duckdb":
        reason = report.data["engine"]["reason"]
        streamed_because[reason] = streamed_because.get(reason, 0) + 1
    return report, packs


def pytest_configure(config):
    order_guard.checking.run_check = run_check_both
    order_guard.commands.check.run_check = run_check_both


def pytest_unconfigure(config):
    order_guard.checking.run_check = _original
    order_guard.commands.check.run_check = _original


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"duckdb differential: {compared['checks']} checks compared, "
                                f"{compared['duckdb']} of them run in DuckDB")
    if terminalreporter.config.getoption("verbose") > 0:
        for reason, count in sorted(streamed_because.items(), key=lambda pair: -pair[1]):
            terminalreporter.write_line(f"  streamed {count}x: {reason}")
