"""The plugin reaches order-guard through its entry point, like a third party's, and stays quiet at import."""

from __future__ import annotations

import io
import subprocess
import sys
from importlib.metadata import entry_points

from order_guard.checking import load_registry
from order_guard.datasets import DatasetRequest

from order_guard_sp_api.progress import Progress
from order_guard_sp_api.source import open_sp_api
from sp_api_data import ORDERS, orders_url
from sp_api_fake import QUOTA


def test_the_entry_point_is_installed_and_loads():
    [entry_point] = [ep for ep in entry_points(group="order_guard") if ep.name == "sp_api"]
    assert entry_point.value == "order_guard_sp_api.plugin"
    assert entry_point.dist.name == "order-guard-sp-api"
    assert hasattr(entry_point.load(), "order_guard_sources")


def test_order_guard_plugins_lists_it(sp_env, run_cli):
    result = run_cli("plugins")
    assert result.exit_code == 0
    line = next(line for line in result.stdout.splitlines() if line.startswith("sp_api "))
    assert "order-guard-sp-api 0.1.0" in line and "sources: sp-api" in line


def test_the_source_claims_only_its_scheme(sp_env):
    source = load_registry().sources["sp-api"]
    assert source.claims("sp-api://orders?marketplace=X") and not source.claims("orders.json")
    assert source.priority > load_registry().sources["file"].priority


def test_importing_the_plugin_opens_no_connection():
    code = ("import socket\n"
            "def refuse(*a, **k): raise AssertionError('network at import')\n"
            "socket.socket.connect = refuse; socket.create_connection = refuse\n"
            "import order_guard_sp_api.plugin, sys\n"
            "assert 'order_guard_sp_api.client' not in sys.modules, 'network code imported by the plugin module'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_opening_a_dataset_calls_nothing_until_its_records_are_read(sp_env):
    [dataset] = open_sp_api(DatasetRequest(orders_url()), load_registry())
    assert sp_env.seen == []
    assert len(list(dataset.records())) == len(ORDERS) and sp_env.seen


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_on_a_terminal_shows_pages_orders_and_throttling(sp_env, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    sp_env.fault("searchOrders", 429, QUOTA)
    [dataset] = open_sp_api(DatasetRequest(orders_url("2026-01-01")), load_registry())
    list(dataset.records())
    text = terminal.getvalue()
    assert "sp-api orders: 4 page(s), 7 record(s)" in text
    assert "waiting" in text and "searchOrders answered 429" in text
    assert text.endswith("\n")


def test_no_progress_line_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    progress = Progress("sp-api orders", stream=stream)
    progress.page(100)
    progress.waiting(5, "getOrders answered 429")
    progress.done()
    assert stream.getvalue() == ""
