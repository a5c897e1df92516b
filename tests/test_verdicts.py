"""Every output format states the same verdict as the exit code, for the same reason."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from tests.conftest import AS_OF

FORMATS = ["table", "json", "junit", "sarif", "github", "markdown", "html"]


@pytest.fixture
def clean_run_with_a_stale_waiver(tmp_path):
    (tmp_path / "orders.json").write_text(json.dumps([{"AmazonOrderId": "1-1-1", "OrderStatus": "Shipped"}]))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: AMZ-PEND-004, order_id: 9-9-9, reason: left over from an old case, "
                       "owner: ops, expires: 2027-01-01}\n")
    return tmp_path / "orders.json", waivers


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stale_waiver_fails_every_format_only_when_asked(run_cli, clean_run_with_a_stale_waiver, fmt):
    orders, waivers = clean_run_with_a_stale_waiver
    args = ("check", orders, "--as-of", AS_OF, "--waivers", waivers, "--format", fmt, "-q")
    relaxed, strict = run_cli(*args), run_cli(*args, "--fail-on-stale-waivers")
    assert (relaxed.exit_code, strict.exit_code) == (0, 1)
    if fmt == "junit":
        assert ET.fromstring(relaxed.stdout).get("failures") == "0"
        assert ET.fromstring(strict.stdout).get("failures") == "1"
    elif fmt == "sarif":
        notes = json.loads(strict.stdout)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        assert any(n["level"] == "error" and "stale waiver" in n["message"]["text"] for n in notes)
        assert json.loads(strict.stdout)["runs"][0]["invocations"][0]["exitCode"] == 1
    elif fmt != "json":
        assert "stale waiver(s) and --fail-on-stale-waivers" in strict.stdout
        word = '<span class="word">FAIL<' if fmt == "html" else "FAIL"  # the page's CSS names every verdict
        assert word in strict.stdout and word not in relaxed.stdout


@pytest.mark.parametrize("fmt", ["table", "junit", "sarif", "github", "markdown", "html"])
def test_a_warning_about_missing_pages_shows_in_every_format(run_cli, tmp_path, fmt):
    page = tmp_path / "page1.json"
    page.write_text(json.dumps({"payload": {"Orders": [{"AmazonOrderId": "1-1-1", "OrderStatus": "Shipped"}],
                                            "NextToken": "abc"}}))
    result = run_cli("check", page, "--as-of", AS_OF, "--format", fmt, "-q")
    assert "more pages exist" in result.stdout
