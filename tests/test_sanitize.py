"""Values from input are neutralised for every output; secrets never reach one."""

from __future__ import annotations

import json
import textwrap

import pytest
from tests.conftest import AS_OF

from order_guard.sanitize import safe_text

FORMATS = ["table", "json", "junit", "sarif", "github", "markdown", "html"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("-5.00", "-5.00"),
    ("+39 011 5550123", "+39 011 5550123"),
    ("\x1b[31mred", "?[31mred"),
    ("a\u202egnp.exe", "a?gnp.exe"),
    ("405-1-1\ud800\ufffe", "405-1-1??"),
    ("zero\u200bwidth", "zero?width"),
])
def test_safe_text(raw, expected):
    assert safe_text(raw) == expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_lone_surrogates_and_bidi_controls_never_break_an_output(run_cli, tmp_path, fmt):
    path = tmp_path / "orders.json"
    path.write_text('[{"AmazonOrderId": "405-1-1\\ud800\\ufffe", "OrderStatus": "On\\u202eHold"}]', encoding="utf-8")
    result = run_cli("check", path, "--as-of", AS_OF, "--format", fmt, "-q")
    assert result.exit_code == 1, result.stderr  # AMZ-PEND-007: an unknown status
    for bad in ("\ud800", "\ufffe", "\u202e"):
        assert bad not in result.stdout


def test_hostile_file_names_are_neutralised(run_cli, tmp_path):
    path = tmp_path / "=cmd|x\x1b[31mred.json"
    path.write_text(json.dumps([{"AmazonOrderId": "1-1-1", "OrderStatus": "Odd"}]))
    result = run_cli("check", path, "--as-of", AS_OF, "--format", "json")
    assert "\x1b" not in result.stdout + result.stderr
    report = result.json()
    assert "\x1b" not in report["inputs"][0]["path"] and "\x1b" not in report["findings"][0]["location"]["path"]


DEMO_SOURCE = '''
import order_guard
from order_guard.datasets import memory_dataset
from order_guard.secrets import register_secret
from order_guard.types import Source


def _open(request, registry):
    register_secret(request.location.split(":")[2].split("@")[0])
    dataset = memory_dataset("orders", [{"order_id": "1-1-1", "status": "Odd"}], request.location)
    return [dataset]


@order_guard.hookimpl
def order_guard_sources():
    yield Source(name="demo", claims=lambda location: location.startswith("demo://"), open=_open, priority=10)
'''


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_registered_secret_reaches_no_output(run_cli, tmp_path, monkeypatch, fmt):
    monkeypatch.syspath_prepend(tmp_path)
    (tmp_path / "og_demo_source.py").write_text(textwrap.dedent(DEMO_SOURCE))
    secret = "hunter2-secret-value"
    evidence = tmp_path / "evidence"
    result = run_cli("check", "-p", "og_demo_source", "--dataset", f"orders=demo://shop:{secret}@db/orders",
                     "--as-of", AS_OF, "--format", fmt, "--evidence", evidence)
    assert result.exit_code == 1
    assert secret not in result.stdout + result.stderr
    for written in evidence.rglob("*"):
        if written.is_file():
            assert secret not in written.read_text(encoding="utf-8")
