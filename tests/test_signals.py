"""Stopped by SIGTERM or SIGINT: a clear exit code and never a report that looks complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def big_orders(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "orders.txt"
    with open(path, "w", encoding="utf-8") as out:
        out.write("amazon-order-id\torder-status\tpurchase-date\n")
        for n in range(400_000):
            out.write(f"405-{n:07d}-0000001\tShipped\t2026-11-20T10:00:00+00:00\n")
    return path


@pytest.mark.parametrize(("sent", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_exits_with_the_signal_code_and_writes_no_report(big_orders, tmp_path, sent, code):
    report = tmp_path / "report.json"
    # Every record built: Shipped rows no check needs are otherwise skipped, and the run would end
    # before the signal arrives.
    env = {**os.environ, "ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1", "ORDER_GUARD_READ_EVERY_ROW": "1"}
    with subprocess.Popen([sys.executable, "-m", "order_guard", "check", str(big_orders), "--as-of", AS_OF,
                           "--output", f"json={report}", "--format", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
        time.sleep(1.0)  # well inside the run: reading 400,000 rows takes seconds
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert stdout == b""  # no report at all, rather than one that looks complete
    assert not report.exists() and list(tmp_path.iterdir()) == []  # no half-written file either
    assert b"no report is complete" in stderr
