"""order-guard rules test, the pytest plugin (case files, the guard fixture) and the rule docs."""

from __future__ import annotations

import textwrap

import pytest
from tests.conftest import REPO

from order_guard.builtin.amazon_pack import bundled_rules_dir
from order_guard.checking import load_registry
from order_guard.errors import RuleFileError
from order_guard.ruledocs import rules_markdown
from order_guard.rulelang.loader import load_packs

PACK = bundled_rules_dir() / "amazon" / "pending.yaml"


def _mutated_pack(tmp_path):
    """The Amazon pack with AMZ-PEND-001 no longer firing on its bad examples."""
    folder = tmp_path / "rules"
    folder.mkdir()
    text = PACK.read_text().replace("    when: {field: status, in: [Pending, PendingAvailability]}\n    fail_if:\n      any:\n"
                                    "        - exists_in: {dataset: shipments}",
                                    "    when: {field: status, in: [Shipped]}\n    fail_if:\n      any:\n"
                                    "        - exists_in: {dataset: shipments}", 1)
    assert text != PACK.read_text()
    (folder / "pending.yaml").write_text(text)
    return folder / "pending.yaml"


def test_rules_test_passes_on_the_bundled_pack_with_full_coverage(run_cli):
    result = run_cli("rules", "test")
    assert result.exit_code == 0
    assert "coverage: 9 of 9 rules have a failing example" in result.stdout
    assert "all examples and cases pass" in result.stdout


def test_a_rule_whose_bad_example_no_longer_fires_fails_rules_test(run_cli, tmp_path):
    result = run_cli("rules", "test", _mutated_pack(tmp_path))
    assert result.exit_code == 1
    assert "AMZ-PEND-001 bad example #1 (a shipping-confirmation row for a Pending order): expected a finding" \
        in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("AMZ-PEND-001"))
    assert row.endswith("FAIL")


def test_case_files_in_subfolders_and_odd_capitals_are_found(run_cli, tmp_path):
    shop = tmp_path / "rules" / "shop"
    shop.mkdir(parents=True)
    (shop / "pending.yaml").write_text(PACK.read_text())
    (shop / "shop.Cases.yaml").write_text(textwrap.dedent("""\
        cases:
          - name: a wrong expectation
            orders: [{order_id: B-1, status: Unshipped}]
            expect: [{rule: AMZ-PEND-001, order_id: B-1}]
    """))
    result = run_cli("rules", "test", tmp_path / "rules")
    assert result.exit_code == 1 and "case 'a wrong expectation'" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("AMZ-PEND-001"))
    assert row.endswith("FAIL")


def test_a_case_without_as_of_is_refused_when_its_rules_depend_on_the_day(run_cli, tmp_path):
    (tmp_path / "pending.yaml").write_text(PACK.read_text())
    (tmp_path / "shop.cases.yaml").write_text(textwrap.dedent("""\
        cases:
          - name: old pending order
            orders: [{order_id: B-1, status: Pending, purchase_date: "2026-01-01T00:00:00Z"}]
            expect: [{rule: AMZ-PEND-008, order_id: B-1}]
    """))
    result = run_cli("rules", "test", tmp_path / "pending.yaml")
    assert result.exit_code == 1 and "the case has no as_of" in result.stdout


def test_case_files_beside_a_pack_run_and_report_missing_and_unexpected(run_cli, tmp_path):
    pack = tmp_path / "pending.yaml"
    pack.write_text(PACK.read_text())
    (tmp_path / "shop.cases.yaml").write_text(textwrap.dedent("""\
        rules: [pending.yaml]
        cases:
          - name: expects the wrong rule
            orders: [{order_id: A-1, status: Pending}]
            shipments: [{order_id: A-1}]
            expect:
              - {rule: AMZ-PEND-001, order_id: A-1}
              - {rule: AMZ-PEND-005, order_id: A-1}
    """))
    result = run_cli("rules", "test", pack)
    assert result.exit_code == 1
    assert "case 'expects the wrong rule'" in result.stdout
    assert "missing:    AMZ-PEND-005 for A-1" in result.stdout
    assert "unexpected: AMZ-PEND-004 for A-1" in result.stdout


def test_pytest_collects_case_files_with_a_readable_failure(pytester):
    pytester.makefile(".cases.yaml", shop=textwrap.dedent(f"""\
        rules: ["{PACK}"]
        cases:
          - name: a Pending order is shipped
            orders: [{{order_id: A-1, status: Pending}}]
            shipments: [{{order_id: A-1}}]
            expect:
              - {{rule: AMZ-PEND-001, order_id: A-1}}
              - {{rule: shipped-outside-payment-protection, order_id: A-1}}
          - name: a wrong expectation
            orders: [{{order_id: B-1, status: Unshipped}}]
            expect:
              - {{rule: AMZ-PEND-001, order_id: B-1}}
    """))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1 + 9, failed=1)  # the cases, and each rule's examples once
    result.stdout.fnmatch_lines(["*rule case 'a wrong expectation'*failed:*", "*missing:    AMZ-PEND-001 for B-1*"])


def test_pytest_runs_the_examples_of_the_pack_beside_a_case_file(pytester, tmp_path):
    """A case file that names no pack tests the packs in its folder, and their examples run too."""
    mutated = _mutated_pack(tmp_path)
    pytester.makefile(".yaml", shop=mutated.read_text())
    pytester.makefile(".cases.yaml", shop=textwrap.dedent("""\
        cases:
          - name: nothing to see
            orders: [{order_id: C-1, status: Unshipped}]
            expect: []
    """))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1 + 8, failed=1)
    result.stdout.fnmatch_lines(["*examples of AMZ-PEND-001*failed:*",
                                 "*AMZ-PEND-001 bad example #1 (a shipping-confirmation row for a Pending order)*"])


def test_the_guard_fixture_checks_an_integrators_orders(pytester):
    pytester.makepyfile(textwrap.dedent("""\
        def test_sync_never_ships_pending(guard):
            orders = [{"order_id": "A-1", "status": "Pending"}, {"order_id": "A-2", "status": "Unshipped"}]
            guard.assert_clean(orders, datasets={"shipments": [{"order_id": "A-2"}]})

        def test_sync_that_ships_pending_is_caught(guard):
            orders = [{"order_id": "A-1", "status": "PENDING"}]
            findings = guard.check(orders, datasets={"shipments": [{"order_id": "A-1"}]})
            assert {(f["rule_id"], f["order_id"]) for f in findings} == {
                ("AMZ-PEND-001", "A-1"), ("AMZ-PEND-004", "A-1")}

        def test_a_failing_assertion_is_readable(guard):
            guard.assert_clean([{"order_id": "A-9", "status": "Pending"}], datasets={"shipments": [{"order_id": "A-9"}]})
    """))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*unexpected: AMZ-PEND-001 for A-9: Order A-9 is Pending*"])


def test_committed_rule_docs_are_fresh():
    registry = load_registry()
    expected = rules_markdown(load_packs([PACK], registry.operators))
    assert (REPO / "docs" / "rules.md").read_text() == expected, (
        "docs/rules.md is out of date: regenerate with `order-guard rules docs -o docs/rules.md`")


def test_rules_docs_covers_every_rule(run_cli):
    result = run_cli("rules", "docs")
    for number in range(1, 10):
        assert f"### AMZ-PEND-00{number}" in result.stdout
    assert "**Why.**" in result.stdout and "G40571" in result.stdout


def test_a_validated_pack_is_read_from_the_cache_until_its_bytes_change(tmp_path, monkeypatch):
    from order_guard.rulelang import validation

    monkeypatch.setenv("ORDER_GUARD_CACHE_DIR", str(tmp_path / "cache"))
    pack = tmp_path / "pending.yaml"
    pack.write_text(PACK.read_text())
    registry = load_registry()
    first = load_packs([pack], registry.operators)
    parsed = []
    real = validation.load_yaml_with_duplicates
    monkeypatch.setattr(validation, "load_yaml_with_duplicates", lambda *a: parsed.append(1) or real(*a))
    again = load_packs([pack], registry.operators)
    assert parsed == [] and [r.id for r in again[0].rules] == [r.id for r in first[0].rules]
    assert again[0].rules[0].line == first[0].rules[0].line  # lines survive the cache
    pack.write_text(PACK.read_text().replace("severity: critical", "severity: urgent", 1))
    with pytest.raises(RuleFileError, match="'urgent' is not one of"):  # parsed and validated again
        load_packs([pack], registry.operators)
    assert parsed == [1]
