"""Waivers (active, expired, stale) and baselines, end to end through the CLI."""

from __future__ import annotations

import json
import textwrap

import pytest
from tests.conftest import AS_OF, EXAMPLES

WAIVERS = """\
waivers:
  - rule: AMZ-PEND-009
    order_id: 405-1000006-0000006
    reason: Buyer asked to hold the parcel; Seller Support case 1234
    owner: ops@example.com
    expires: 2026-12-31
  - rule: pending-too-long
    pattern: "405-1000005-.*"
    reason: Payment verification escalated with Amazon
    owner: finance@example.com
    expires: 2026-11-01
  - rule: AMZ-PEND-005
    order_id: 405-0000000-0000000
    reason: An exception nobody removed after the order was refunded
    owner: ops@example.com
    expires: 2027-01-01
"""


@pytest.fixture
def waivers(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS)
    return path


def _check(run_cli, *args):
    return run_cli("check", EXAMPLES, "--as-of", AS_OF, "--format", "json", "-q", *args)


def test_a_waived_finding_stays_visible_with_its_reason(run_cli, waivers):
    report = _check(run_cli, "--waivers", waivers).json()
    waived = [f for f in report["findings"] if "suppression" in f]
    assert [(f["rule_id"], f["order_id"]) for f in waived] == [("AMZ-PEND-009", "405-1000006-0000006")]
    assert waived[0]["suppression"] == {"kind": "waiver", "reason": "Buyer asked to hold the parcel; Seller Support case 1234",
                                        "owner": "ops@example.com", "expires": "2026-12-31",
                                        "source": f"{waivers}:2"}
    assert report["summary"]["findings"] == 10 and report["summary"]["waived"] == 1 and report["summary"]["open"] == 9


def test_expired_and_stale_waivers_are_reported(run_cli, waivers):
    report = _check(run_cli, "--waivers", waivers).json()
    assert {w["source"].rsplit(":", 1)[1]: w["status"] for w in report["waivers"]} == {
        "2": "active", "7": "expired", "12": "stale"}
    assert report["summary"]["waivers"] == {"active": 1, "expired": 1, "stale": 1}
    old = next(f for f in report["findings"] if f["rule_id"] == "AMZ-PEND-008")
    assert "suppression" not in old and old["expired_waiver"]["owner"] == "finance@example.com"


def test_a_waiver_decides_the_exit_code_only_while_it_applies(run_cli, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(textwrap.dedent("""\
        waivers:
          - {rule: AMZ-PEND-008, order_id: 405-1000005-0000005, reason: escalated to Amazon, owner: me, expires: 2026-11-26}
    """))
    args = ("check", EXAMPLES, "--rules", _only_rule(tmp_path, "AMZ-PEND-008"), "--fail-on", "low", "-q", "--waivers", path)
    assert run_cli(*args, "--as-of", "2026-11-26T23:59:59Z").exit_code == 0  # the expiry day is covered
    assert run_cli(*args, "--as-of", "2026-11-27T00:00:00Z").exit_code == 1


def test_stale_waivers_fail_ci_only_when_asked(run_cli, waivers, tmp_path):
    rules = _only_rule(tmp_path, "AMZ-PEND-009")
    assert run_cli("check", EXAMPLES, "--rules", rules, "--as-of", AS_OF, "--waivers", waivers, "-q").exit_code == 0
    result = run_cli("check", EXAMPLES, "--rules", rules, "--as-of", AS_OF, "--waivers", waivers, "-q",
                     "--fail-on-stale-waivers")
    assert result.exit_code == 1
    assert "stale: " in result.stdout


@pytest.mark.parametrize(("entry", "message"), [
    ("{rule: AMZ-PEND-001, order_id: X, reason: because we said so, owner: me}", "'expires' is a required"),
    ("{rule: AMZ-PEND-001, order_id: X, sku: Y, reason: because we said so, owner: me, expires: 2027-01-01}",
     "exactly one of order_id, sku or pattern"),
    ("{rule: AMZ-PEND-001, order_id: X, reason: ok, owner: me, expires: 2027-01-01}", "at least 10 characters"),
    ("{rule: AMZ-PEND-001, order_id: X, reason: because we said so, owner: me, expires: soon}", "not a date"),
    ("{rule: AMZ-PEND-001, order_id: X, reason: because we said so, owner: me, expires: 2027-01-01, until: x}",
     "unknown key 'until'"),
])
def test_an_invalid_waiver_is_an_error_with_its_line(run_cli, tmp_path, entry, message):
    path = tmp_path / "w.yaml"
    path.write_text(f"waivers:\n  - {entry}\n")
    for args in (("waivers", "validate", path), ("check", EXAMPLES, "--waivers", path)):
        result = run_cli(*args)
        assert result.exit_code == 2
        assert f"{path}:2" in result.stderr and message in result.stderr


def test_waivers_validate_accepts_a_good_file(run_cli, waivers):
    result = run_cli("waivers", "validate", waivers)
    assert result.exit_code == 0 and "ok: 3 waivers" in result.stdout


def test_a_baseline_fails_only_on_new_findings_and_counts_the_gone(run_cli, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert _check(run_cli, "--write-baseline", baseline).exit_code == 1
    entries = json.loads(baseline.read_text())["entries"]
    # Critical findings are never baselined: the 2 critical of the example's 10 stay out.
    assert len(entries) == 8 and {"rule_id": "AMZ-PEND-006", "sku": "MUG-RED"} in entries
    assert not any(entry["rule_id"] in ("AMZ-PEND-001", "AMZ-PEND-007") for entry in entries)

    same = _check(run_cli, "--baseline", baseline)
    assert same.json()["summary"]["baseline"] == {"entries": 8, "matched": 8, "gone": 0, "not_checked": 0}
    assert {f["rule_id"] for f in same.json()["findings"] if "suppression" not in f} == {
        "AMZ-PEND-001", "AMZ-PEND-007"}
    assert same.exit_code == 1
    assert _check(run_cli, "--baseline", baseline, "--fail-on", "high", "--rules",
                  _only_rule(tmp_path, "AMZ-PEND-004")).exit_code == 0

    # A new Pending order shipped: only it fails. Without the stock file its rule did not run,
    # so its baseline entry is "not checked", not "gone" (the backlog did not shrink).
    data = tmp_path / "data"
    data.mkdir()
    for name in ("all-orders.txt", "ship-confirm.txt", "sp-api-orders-de.json", "unshipped-orders.txt"):
        (data / name).write_bytes((EXAMPLES / name).read_bytes())
    with open(data / "ship-confirm.txt", "a", encoding="utf-8") as ship:
        ship.write("405-1000009-0000009\t63012345670901\t2\t2026-11-26\tBRT\t\tBRT0000000009\tStandard\r\n")
    result = run_cli("check", data, "--as-of", AS_OF, "--format", "json", "-q", "--baseline", baseline)
    report = result.json()
    assert result.exit_code == 1
    assert {(f["rule_id"], f["order_id"]) for f in report["findings"]
            if "suppression" not in f and f["severity"] != "critical"} == {("AMZ-PEND-004", "405-1000009-0000009")}
    assert report["summary"]["baseline"]["gone"] == 0
    assert report["summary"]["baseline"]["not_checked"] == 1


def test_a_file_that_is_not_a_baseline_is_refused(run_cli, tmp_path):
    path = tmp_path / "b.json"
    path.write_text('{"entries": []}')
    result = _check(run_cli, "--baseline", path)
    assert result.exit_code == 2 and "not an order-guard baseline" in result.stderr


def _only_rule(tmp_path, rule_id):
    """A copy of the Amazon pack reduced to one rule, so a test isolates it."""
    import yaml

    from order_guard.builtin.amazon_pack import bundled_rules_dir

    pack = yaml.safe_load((bundled_rules_dir() / "amazon" / "pending.yaml").read_text())
    pack["rules"] = [rule for rule in pack["rules"] if rule["id"] == rule_id]
    path = tmp_path / f"{rule_id}.yaml"
    path.write_text(yaml.safe_dump(pack, sort_keys=False))
    return path


def test_a_waived_finding_is_not_baselined_so_it_fails_when_the_waiver_expires(run_cli, waivers, tmp_path):
    baseline = tmp_path / "baseline.json"
    _check(run_cli, "--waivers", waivers, "--write-baseline", baseline)
    entries = json.loads(baseline.read_text())["entries"]
    assert {"rule_id": "AMZ-PEND-009", "order_id": "405-1000006-0000006"} not in entries
    rules = _only_rule(tmp_path, "AMZ-PEND-009")
    later = run_cli("check", EXAMPLES, "--rules", rules, "--as-of", "2027-01-05T12:00:00Z", "--waivers", waivers, "--fail-on", "medium",
                    "--baseline", baseline, "--format", "json", "-q")
    assert later.exit_code == 1
    finding = next(f for f in later.json()["findings"] if f["order_id"] == "405-1000006-0000006")
    assert "suppression" not in finding and finding["expired_waiver"]["expires"] == "2026-12-31"


@pytest.mark.parametrize("expires", ["2026-11-26", "20261126", "2026-11-26 UTC"])
def test_a_date_without_a_time_covers_the_whole_day(run_cli, tmp_path, expires):
    path = tmp_path / "w.yaml"
    path.write_text(f"waivers:\n  - {{rule: AMZ-PEND-008, order_id: 405-1000005-0000005, "
                    f"reason: escalated to Amazon, owner: me, expires: '{expires}'}}\n")
    args = ("check", EXAMPLES, "--rules", _only_rule(tmp_path, "AMZ-PEND-008"), "--fail-on", "low", "-q",
            "--waivers", path)
    assert run_cli(*args, "--as-of", "2026-11-26T23:59:59Z").exit_code == 0
    assert run_cli(*args, "--as-of", "2026-11-27T00:00:00Z").exit_code == 1


def test_a_far_future_expiry_is_accepted(run_cli, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - {rule: AMZ-PEND-008, order_id: X, reason: kept for the record, owner: me, "
                    "expires: 9999-12-31}\n")
    assert run_cli("waivers", "validate", path).exit_code == 0


@pytest.mark.parametrize("field", ["reason: '            '", "owner: ' '"])
def test_blank_reasons_and_owners_are_refused(run_cli, tmp_path, field):
    entry = {"reason": "reason: because the buyer asked", "owner": "owner: me"}
    entry[field.split(":")[0]] = field
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - {rule: AMZ-PEND-008, order_id: X, " + ", ".join(entry.values())
                    + ", expires: 2027-01-01}\n")
    assert run_cli("waivers", "validate", path).exit_code == 2


def test_a_waiver_matches_the_value_as_read_not_as_displayed(run_cli, tmp_path):
    (tmp_path / "orders.csv").write_text("order_id,status,purchase_date,items\n")
    data = tmp_path / "data"
    data.mkdir()
    (data / "stock.csv").write_text("sku,quantity,on_hand\n-MUG,5,5\n")
    (data / "orders.json").write_text(json.dumps([{"AmazonOrderId": "1-1-1", "OrderStatus": "Pending",
        "OrderItems": [{"SellerSKU": "-MUG", "QuantityOrdered": 2, "ASIN": "B0", "OrderItemId": "1"}]}]))
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - {rule: AMZ-PEND-006, sku: '-MUG', reason: stock recount under way, "
                    "owner: me, expires: 2027-01-01}\n")
    result = run_cli("check", data, "--as-of", AS_OF, "--waivers", path, "--format", "json", "-q")
    (finding,) = result.json()["findings"]
    assert finding["sku"] == "'-MUG" and finding["suppression"]["kind"] == "waiver"
    assert result.exit_code == 0


@pytest.mark.parametrize("content", [
    '{"order_guard_baseline": 1, "entries": "abc"}',
    '{"order_guard_baseline": 1, "entries": [["AMZ-PEND-004", "x"]]}',
    '{"order_guard_baseline": true, "entries": []}',
])
def test_a_damaged_baseline_is_a_clear_error(run_cli, tmp_path, content):
    path = tmp_path / "b.json"
    path.write_text(content)
    result = _check(run_cli, "--baseline", path)
    assert result.exit_code == 2 and "internal error" not in result.stderr


def test_waivers_validate_catches_a_rule_id_typo(run_cli, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("waivers:\n  - {rule: AMZ-PEND-04, order_id: X, reason: because the buyer asked, owner: me, "
                    "expires: 2027-01-01}\n")
    result = run_cli("waivers", "validate", path)
    assert result.exit_code == 2 and f"{path}:2: waiver names rule 'AMZ-PEND-04'" in result.stderr
