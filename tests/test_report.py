"""The JSON report contract, the exit codes and the table output, on the bundled example."""

from __future__ import annotations

import json

import jsonschema
import pytest
from tests.conftest import AS_OF, EXAMPLES

from order_guard.schemas import report_schema

ALL_RULES = {f"AMZ-PEND-00{n}" for n in range(1, 10)}


@pytest.fixture
def example_report(run_cli):
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "json")
    return result


def test_json_report_validates_against_the_shipped_schema(example_report):
    jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker()).validate(
        example_report.json())


def test_the_bundled_example_fires_every_rule_of_the_pack(example_report):
    report = example_report.json()
    assert set(report["summary"]["by_rule"]) == ALL_RULES
    assert example_report.exit_code == 1


def test_every_record_read_is_counted_as_checked_or_unreadable(example_report):
    summary = example_report.json()["summary"]
    assert summary["records_read"] == summary["records_checked"] + summary["records_unreadable"]
    assert summary["records_read"] == 27  # 11 All Orders rows, 3 JSON orders, 6 shipments, 3 stock, 4 unshipped
    assert summary["complete"] is True


def test_inputs_carry_kind_format_digest_and_counts(example_report):
    inputs = {entry["path"].rsplit("/", 1)[-1]: entry for entry in example_report.json()["inputs"]}
    assert inputs["all-orders.txt"]["kind"] == "orders"
    assert inputs["all-orders.txt"]["format"] == "all-orders-report"
    assert inputs["all-orders.txt"]["records"] == 11
    assert inputs["unshipped-orders.txt"]["kind"] == "unshipped-report"
    assert inputs["ship-confirm.txt"]["kind"] == "shipments"
    assert inputs["stock.csv"]["kind"] == "inventory"
    assert inputs["sp-api-orders-de.json"]["format"] == "sp-api-v0"
    for entry in inputs.values():
        assert len(entry["sha256"]) == 64


def test_same_inputs_and_as_of_give_byte_identical_json(run_cli):
    first = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "json", "-q").stdout
    second = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "json", "-q").stdout
    assert first == second


def test_findings_carry_evidence_location_and_value_at_risk(example_report):
    findings = {(f["rule_id"], f.get("order_id") or f.get("sku")): f for f in example_report.json()["findings"]}
    pending_shipped = findings[("AMZ-PEND-001", "405-1000001-0000001")]
    assert pending_shipped["severity"] == "critical"
    assert pending_shipped["rule"] == "pending-not-shipped"
    assert pending_shipped["evidence"]["status"] == "Pending"
    assert pending_shipped["evidence"]["shipments"][0]["line"] == 2
    assert pending_shipped["location"]["line"] == 2
    canceled = findings[("AMZ-PEND-004", "405-1000008-0000008")]
    assert canceled["value_at_risk"] == {"amount": "30.70", "currency": "EUR"}
    stock = findings[("AMZ-PEND-006", "MUG-RED")]
    assert stock["evidence"]["pending_units"] == 1


def test_buyer_data_is_redacted_unless_asked(run_cli):
    hidden = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "json")
    shown = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "json", "--show-buyer-data")
    for secret in ("Musterstraße 5", "q9w8e7r6t5y4u3i@marketplace.amazon.de"):
        assert secret not in hidden.stdout + hidden.stderr
        assert secret in shown.stdout
    assert "[redacted]" in hidden.stdout


@pytest.mark.parametrize(("fail_on", "expected"), [
    ("critical", 1), ("high", 1), ("low", 1), ("none", 0),
])
def test_fail_on_sets_the_exit_code(run_cli, fail_on, expected):
    assert run_cli("check", EXAMPLES, "--as-of", AS_OF, "--fail-on", fail_on).exit_code == expected


def test_only_low_findings_pass_at_the_default_threshold(run_cli, tmp_path):
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([{"AmazonOrderId": "1-1-1", "OrderStatus": "Pending",
                                   "PurchaseDate": "2026-10-01T00:00:00Z"}]))
    result = run_cli("check", orders, "--as-of", AS_OF, "--format", "json")
    assert result.json()["summary"]["by_rule"] == {"AMZ-PEND-008": 1}
    assert result.exit_code == 0
    assert run_cli("check", orders, "--as-of", AS_OF, "--fail-on", "low").exit_code == 1


def test_table_lists_findings_then_counts_and_the_verdict(run_cli):
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF)
    lines = result.stdout.splitlines()
    assert any(line.startswith("CRITICAL") and "AMZ-PEND-001" in line and "405-1000001-0000001" in line
               for line in lines)
    assert any(line.startswith("AMZ-PEND-004") and line.split()[3] == "2" for line in lines)
    assert "records: 27 read, 27 checked, 0 unreadable" in result.stdout
    assert result.stdout.rstrip().endswith("result: FAIL - 7 open finding(s) at or above high (exit 1)")
    assert "examples/amazon-it/all-orders.txt: orders (all-orders-report, utf-8, tab)" in result.stderr


def test_output_writes_several_formats_in_one_run(run_cli, tmp_path):
    result = run_cli("check", EXAMPLES, "--as-of", AS_OF, "--output", f"json={tmp_path / 'r.json'}",
                     "--output", tmp_path / "r.txt", "-q")
    assert result.exit_code == 1
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["findings"] == 10
    assert "result: FAIL" in (tmp_path / "r.txt").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.txt"]  # no temporary files left


def test_unknown_format_and_bad_as_of_are_usage_errors(run_cli):
    assert run_cli("check", EXAMPLES, "--format", "pdf").exit_code == 2
    result = run_cli("check", EXAMPLES, "--as-of", "tomorrow")
    assert result.exit_code == 2
    assert "--as-of" in result.stderr


def test_no_data_is_a_usage_error(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("check")
    assert result.exit_code == 2
    assert "no data to check" in result.stderr


def test_unwritable_output_is_a_clear_error(run_cli, tmp_path):
    result = run_cli("check", EXAMPLES, "--output", f"json={tmp_path / 'missing-dir' / 'r.json'}", "-q")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_hostile_values_are_neutralised_in_table_and_json(run_cli, tmp_path, fmt):
    header = ["amazon-order-id", "order-status", "fulfillment-channel", "currency", "item-price", "product-name"]
    rows = ["\t".join(["=HYPERLINK(\"http://evil\")", "On \x1b[31mHold", "MFN", "EUR", "1.00", "@SUM(A1)"])]
    path = tmp_path / "orders.txt"
    path.write_text("\t".join(header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli("check", path, "--as-of", AS_OF, "--format", fmt, "-q")
    assert result.exit_code == 1  # AMZ-PEND-007: an unknown status
    assert "\x1b" not in result.stdout
    text = json.loads(result.stdout)["findings"][0]["order_id"] if fmt == "json" else result.stdout
    assert "'=HYPERLINK" in text
    assert not any(line.lstrip().startswith("=HYPERLINK") for line in result.stdout.splitlines())
