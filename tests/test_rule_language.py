"""The rule language: the bundled pack and its examples, validation errors, the schema, operators, `rules`.

Self-contained: nothing here reads ../shared (see test_conformance.py for that).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from tests.conftest import AS_OF, REPO

from order_guard.checking import default_rule_paths, load_registry
from order_guard.errors import RuleFileError
from order_guard.rulelang.examples import example_failures, example_findings
from order_guard.rulelang.loader import load_packs
from order_guard.rulelang.model import Rule

BUNDLED_PACK = REPO / "rules" / "amazon" / "pending.yaml"

#: The contract: id -> (name, severity). Names are stable; ids and severities are documented.
CONTRACT = {
    "AMZ-PEND-001": ("pending-not-shipped", "critical"),
    "AMZ-PEND-002": ("pending-without-buyer-data", "high"),
    "AMZ-PEND-003": ("pending-not-in-reports", "high"),
    "AMZ-PEND-004": ("shipped-outside-payment-protection", "high"),
    "AMZ-PEND-005": ("fba-order-not-seller-shipped", "high"),
    "AMZ-PEND-006": ("pending-units-reserved", "medium"),
    "AMZ-PEND-007": ("status-unknown", "critical"),
    "AMZ-PEND-008": ("pending-too-long", "low"),
    "AMZ-PEND-009": ("confirm-before-auto-cancel", "medium"),
}


def _bundled():
    # Collection happens before any fixture: keep installed third-party plugins out by hand.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORDER_GUARD_DISABLE_PLUGIN_AUTOLOAD", "1")
        registry = load_registry()
    return registry, load_packs(default_rule_paths(registry), registry.operators)


REGISTRY, BUNDLED_PACKS = _bundled()
OPERATORS = REGISTRY.operators
BUNDLED_RULES = [rule for pack in BUNDLED_PACKS for rule in pack.rules]


# --- 1. The bundled pack ---------------------------------------------------------


def test_the_default_pack_is_the_amazon_pending_pack():
    # From a checkout it is rules/amazon/pending.yaml; from an installed wheel, order_guard/packs/amazon/.
    assert [pack.path.parts[-2:] for pack in BUNDLED_PACKS] == [("amazon", "pending.yaml")]
    assert BUNDLED_PACKS[0].path.read_bytes() == BUNDLED_PACK.read_bytes()
    assert BUNDLED_PACKS[0].name == "amazon-pending"


def test_bundled_rules_match_the_contract_table():
    found = {rule.id: (rule.name, rule.severity) for rule in BUNDLED_RULES}
    assert found == CONTRACT
    assert len(BUNDLED_RULES) == len(CONTRACT)  # no id twice


@pytest.mark.parametrize("rule", BUNDLED_RULES, ids=lambda rule: rule.id)
def test_bundled_rule_is_documented(rule: Rule):
    assert rule.rationale.strip()
    assert rule.remediation.strip()
    assert rule.references
    assert any("G40571" in ref or "SP-API" in ref for ref in rule.references), rule.references
    assert len(rule.examples["bad"]) >= 1
    assert len(rule.examples["good"]) >= 1


@pytest.mark.parametrize("rule", BUNDLED_RULES, ids=lambda rule: rule.id)
def test_bundled_rule_examples_behave(rule: Rule):
    assert example_failures(rule, OPERATORS) == []


# --- 2. Mutation: an example that stops firing is caught ---------------------------------


def test_a_rule_whose_bad_example_no_longer_fires_is_named(tmp_path):
    text = BUNDLED_PACK.read_text(encoding="utf-8")
    head, sep, tail = text.partition("  - id: AMZ-PEND-002")
    scope = "when: {field: status, in: [Pending, PendingAvailability]}"
    assert sep and head.count(scope) == 1  # the mutation touches AMZ-PEND-001 only
    mutated = tmp_path / "pending-mutated.yaml"
    mutated.write_text(head.replace(scope, "when: {field: status, in: [Shipped]}") + sep + tail, encoding="utf-8")

    rules = {rule.id: rule for pack in load_packs([mutated], OPERATORS) for rule in pack.rules}
    failures = example_failures(rules["AMZ-PEND-001"], OPERATORS)

    assert len(failures) == 3  # every bad example of 001 stopped firing; the good ones still pass
    assert failures[0].startswith("AMZ-PEND-001 bad example #1 (a shipping-confirmation row for a Pending order)")
    assert all("expected a finding, got none" in failure for failure in failures)
    # The other rules are untouched.
    assert all(example_failures(rule, OPERATORS) == [] for rule in rules.values() if rule.id != "AMZ-PEND-001")


def test_a_rule_whose_good_example_fires_is_named(tmp_path):
    text = BUNDLED_PACK.read_text(encoding="utf-8")
    old = "fail_if: {field: purchase_date, age_days: {gt: 21}}"
    assert text.count(old) == 1
    mutated = tmp_path / "pending-mutated.yaml"
    mutated.write_text(text.replace(old, "fail_if: {field: purchase_date, age_days: {gt: 1}}"), encoding="utf-8")

    rule = next(r for pack in load_packs([mutated], OPERATORS) for r in pack.rules if r.id == "AMZ-PEND-008")

    assert example_failures(rule, OPERATORS) == [
        "AMZ-PEND-008 good example #1: expected no finding, got: "
        "Order 111-0000008-0000002 has been Pending since 2026-11-20T09:00:00Z, more than 21 days"
    ]


# --- 3. Validation errors through `order-guard rules validate` ------------------------

#: A valid one-rule pack; the cases below break one thing each. Line numbers matter.
BASE = """\
pack:
  name: test-pack
  version: "1"
rules:
  - id: TST-001
    name: test-rule
    severity: high
    summary: A Pending order.
    fail_if: {field: status, eq: Pending}
    message: "Order {order_id} is {status}"
    rationale: Because the test says so.
    remediation: Nothing to do.
    references: ["a test"]
    examples:
      bad:
        - order: {order_id: "1", status: Pending}
      good:
        - order: {order_id: "2", status: Unshipped}
"""
RULE_LINE = 5


def _line(text: str, fragment: str) -> int:
    """1-based number of the first line of ``text`` containing ``fragment``."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if fragment in line)


def _broken(tmp_path: Path, name: str, old: str, new: str, base: str = BASE) -> tuple[Path, str]:
    assert base.count(old) == 1, f"the case must change BASE: {old!r}"
    text = base.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, text


def _problems(result, path: Path) -> list[tuple[int | None, str | None, str]]:
    """(line, rule id, message) of each stderr line about ``path``; every stderr line is one problem."""
    pattern = re.compile(rf"^order-guard: {re.escape(str(path))}(?::(\d+))?: (?:rule (\S+): )?(.*)$")
    found = []
    for line in result.stderr.splitlines():
        assert line.startswith("order-guard: "), f"not a one-line problem: {line!r}\n{result.stderr}"
        match = pattern.match(line)
        if match:
            found.append((int(match[1]) if match[1] else None, match[2], match[3]))
    return found


def _reported(result, path: Path, *fragments: str) -> tuple[int | None, str | None, str]:
    """The one problem about ``path`` whose message contains every fragment."""
    matches = [p for p in _problems(result, path) if all(f in p[2] for f in fragments)]
    assert matches, f"no problem with {fragments} for {path} in:\n{result.stderr}"
    return matches[0]


def test_the_base_rule_file_is_valid(tmp_path, run_cli):
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    result = run_cli("rules", "validate", path)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.strip() == "ok: 1 rules in 1 file(s)"


#: (case id, text replaced, replacement, fragments of the message, fragment of the line it must name;
#: a tuple when either line is right, e.g. the misspelt key or the start of the rule that has it)
RULE_ERRORS = [
    ("misspelt-key", "    fail_if:", "    fail_iff:",
     ["unknown key 'fail_iff'", "(did you mean 'fail_if'?)"], ("fail_iff", "- id: TST-001")),
    ("unknown-operator", "eq: Pending}", "equals: Pending}",
     ["'equals'"], "equals"),
    ("severity-not-in-enum", "severity: high", "severity: urgent",
     ["'urgent'", "critical"], "urgent"),
    ("references-not-a-list", 'references: ["a test"]', "references: a test",
     ["references", "not of type 'array'"], "references"),
    ("duplicate-yaml-key", "    summary: A Pending order.\n", "    summary: A Pending order.\n    summary: again\n",
     ["duplicate key 'summary'", "first on line 8"], "summary: again"),
    ("unknown-field", "field: status, eq", "field: statuss, eq",
     ["unknown field 'statuss'", "(did you mean 'status'?)"], "statuss"),
    ("bad-regex", "{field: status, eq: Pending}", '{field: status, matches: "([a-"}',
     ["fail_if", "unterminated character set"], "matches"),
    ("two-operators", "{field: status, eq: Pending}", "{field: status, eq: Pending, ne: Shipped}",
     ["a condition takes one operator", "eq", "ne", "all: [...]"], "ne: Shipped"),
    ("operator-without-field", "{field: status, eq: Pending}", "{eq: Pending}",
     ["add field: NAME"], "fail_if"),
    ("unknown-dataset", "{field: status, eq: Pending}", "{exists_in: {dataset: shipmentz}}",
     ["exists_in", "unknown dataset 'shipmentz'"], "shipmentz"),
    ("placeholder-not-a-field", "is {status}", "is {statuz}",
     ["message", "unknown placeholder {statuz}", "(did you mean 'status'?)"], "statuz"),
    ("bad-example-value", '{order_id: "1", status: Pending}', '{order_id: "1", status: Pending, purchase_date: notadate}',
     ["examples bad #1", "purchase_date", "not a date: a 8-character text"], "notadate"),
]


@pytest.mark.parametrize(("old", "new", "fragments", "line_fragment"),
                         [case[1:] for case in RULE_ERRORS], ids=[case[0] for case in RULE_ERRORS])
def test_rule_error_names_file_line_and_rule(tmp_path, run_cli, old, new, fragments, line_fragment):
    path, text = _broken(tmp_path, "broken.yaml", old, new)

    result = run_cli("rules", "validate", path)

    assert result.exit_code == 2
    assert result.stdout == ""
    line, rule_id, _ = _reported(result, path, *fragments)
    assert rule_id == "TST-001"
    accepted = line_fragment if isinstance(line_fragment, tuple) else (line_fragment,)
    assert line in {_line(text, fragment) for fragment in accepted}


def test_misspelt_key_also_reports_the_key_it_replaced_as_missing(tmp_path, run_cli):
    path, _ = _broken(tmp_path, "broken.yaml", "    fail_if:", "    fail_iff:")
    result = run_cli("rules", "validate", path)
    assert _reported(result, path, "missing 'fail_if'")[1] == "TST-001"


def test_wrong_type_of_a_literal_is_a_rule_error(tmp_path, run_cli):
    path, text = _broken(tmp_path, "broken.yaml", "{field: status, eq: Pending}", "{field: items_shipped, gt: 1.5}")
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    line, rule_id, _ = _reported(result, path, "items_shipped", "not a whole number")
    assert (line, rule_id) == (_line(text, "1.5"), "TST-001")


def test_unknown_operator_is_named_with_a_suggestion(tmp_path, run_cli):
    path, _ = _broken(tmp_path, "broken.yaml", "eq: Pending}", "equals: Pending}")
    result = run_cli("rules", "validate", path)
    _reported(result, path, "unknown operator 'equals'", "(did you mean 'eq'?)")


def test_duplicate_rule_ids_across_files(tmp_path, run_cli):
    first = tmp_path / "a.yaml"
    first.write_text(BASE, encoding="utf-8")
    second, _ = _broken(tmp_path, "b.yaml", "name: test-rule", "name: another-rule",
                        base=BASE.replace("name: test-pack", "name: another-pack"))

    result = run_cli("rules", "validate", first, second)

    assert result.exit_code == 2
    line, rule_id, message = _reported(result, second, "duplicate rule id 'TST-001'")
    assert (line, rule_id) == (RULE_LINE, "TST-001")
    assert f"first at {first}:{RULE_LINE}" in message


def test_duplicate_rule_names_across_files(tmp_path, run_cli):
    first = tmp_path / "a.yaml"
    first.write_text(BASE, encoding="utf-8")
    second, _ = _broken(tmp_path, "b.yaml", "id: TST-001", "id: TST-002")

    result = run_cli("rules", "validate", first, second)

    assert result.exit_code == 2
    assert _reported(result, second, "duplicate rule name 'test-rule'")[1] == "TST-002"


# Whole-file problems: the document never parses, so no rule exists yet to name; file and line must.

def test_tab_indented_yaml(tmp_path, run_cli):
    path = tmp_path / "tabs.yaml"
    path.write_text(BASE.replace("  name: test-pack", "\tname: test-pack"), encoding="utf-8")
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    line, _, message = _reported(result, path, "YAML:")
    assert line == 2
    assert "cannot start any token" in message


def test_python_object_tag_is_rejected_and_never_run(tmp_path, run_cli):
    marker = tmp_path / "MARKER"
    path, text = _broken(tmp_path, "evil.yaml", "summary: A Pending order.",
                         f'summary: !!python/object/apply:os.system ["touch {marker}"]')

    result = run_cli("rules", "validate", path)

    assert result.exit_code == 2
    line, _, message = _reported(result, path, "YAML:", "python/object/apply:os.system")
    assert line == _line(text, "!!python")
    assert not marker.exists()


def test_yaml_aliases_are_rejected(tmp_path, run_cli):
    path, text = _broken(tmp_path, "alias.yaml", "    remediation: Nothing to do.",
                         "    remediation: *why")
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    line, _, message = _reported(result, path, "aliases (*name) are not allowed")
    assert line == _line(text, "*why")


def test_an_anchor_is_rejected_before_any_alias_can_expand_it(tmp_path, run_cli):
    path, text = _broken(tmp_path, "alias.yaml", "    remediation: Nothing to do.",
                         "    remediation: *why")
    text = text.replace("rationale: Because", "rationale: &why Because")
    path.write_text(text, encoding="utf-8")
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    line, _, message = _reported(result, path, "anchors (&name) are not allowed")
    assert line == _line(text, "&why")


def test_yaml_anchors_are_rejected(tmp_path, run_cli):
    path, _ = _broken(tmp_path, "anchor.yaml", 'references: ["a test"]', 'references: &refs ["a test"]')
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    _reported(result, path, "anchors (&name) are not allowed")


def test_non_utf8_rule_file(tmp_path, run_cli):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("Because", "Perch\u00e9").encode("latin-1"))
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    line, _, message = _reported(result, path, "not UTF-8")
    assert line == _line(BASE, "Because")
    assert "0xe9" in message


def test_rules_written_as_a_mapping_is_a_rule_error(tmp_path, run_cli):
    path = tmp_path / "mapping.yaml"
    path.write_text('pack: {name: test-pack, version: "1"}\nrules: {TST-001: {}}\n', encoding="utf-8")
    result = run_cli("rules", "validate", path)
    assert result.exit_code == 2
    assert _reported(result, path, "not of type 'array'")[0] == 2


def test_every_problem_of_every_file_is_reported_in_one_run(tmp_path, run_cli):
    misspelt, _ = _broken(tmp_path, "1-misspelt.yaml", "    fail_if:", "    fail_iff:")
    unknown_field, _ = _broken(tmp_path, "2-field.yaml", "field: status, eq", "field: statuss, eq")
    latin1 = tmp_path / "3-latin1.yaml"
    latin1.write_bytes(BASE.replace("Because", "Perch\u00e9").encode("latin-1"))
    tabs = tmp_path / "4-tabs.yaml"
    tabs.write_text(BASE.replace("  name: test-pack", "\tname: test-pack"), encoding="utf-8")
    # One file, two rules, each broken differently: both must be reported.
    second_rule = BASE.split("rules:\n", 1)[1].replace("TST-001", "TST-002").replace("test-rule", "second-rule")
    two_rules = tmp_path / "5-two-rules.yaml"
    two_rules.write_text((BASE.replace("severity: high", "severity: urgent") + second_rule
                          .replace("is {status}", "is {statuz}")), encoding="utf-8")

    result = run_cli("rules", "validate", misspelt, unknown_field, latin1, tabs, two_rules)

    assert result.exit_code == 2
    _reported(result, misspelt, "unknown key 'fail_iff'")
    _reported(result, unknown_field, "unknown field 'statuss'")
    _reported(result, latin1, "not UTF-8")
    _reported(result, tabs, "YAML:")
    assert _reported(result, two_rules, "'urgent'")[1] == "TST-001"
    assert _reported(result, two_rules, "unknown placeholder {statuz}")[1] == "TST-002"


def test_every_problem_is_collected_by_the_loader(tmp_path):
    misspelt, _ = _broken(tmp_path, "1.yaml", "    fail_if:", "    fail_iff:")
    unknown_field, _ = _broken(tmp_path, "2.yaml", "field: status, eq", "field: statuss, eq")
    with pytest.raises(RuleFileError) as caught:
        load_packs([tmp_path], OPERATORS)  # a directory: both files
    assert {problem.path.name for problem in caught.value.problems} == {"1.yaml", "2.yaml"}
    assert all(problem.rule_id == "TST-001" and problem.line for problem in caught.value.problems)


def test_the_bundled_pack_validates(run_cli):
    result = run_cli("rules", "validate", BUNDLED_PACK)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.strip() == "ok: 9 rules in 1 file(s)"


def test_validating_a_missing_file_is_a_usage_error(tmp_path, run_cli):
    result = run_cli("rules", "validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


# --- 4. The generated schema ---------------------------------------------------


def _schema(run_cli, *plugin_args: str) -> dict:
    result = run_cli("rules", "schema", *plugin_args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_schema_is_valid_json_schema(run_cli):
    schema = _schema(run_cli)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_is_closed(run_cli):
    schema = _schema(run_cli)
    rule = schema["$defs"]["rule"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["pack"]["additionalProperties"] is False
    assert rule["additionalProperties"] is False
    assert rule["properties"]["checks"]["items"]["additionalProperties"] is False
    assert rule["properties"]["examples"]["additionalProperties"] is False
    # Closed in practice: a misspelt key is an error for an editor too.
    document = yaml.safe_load(BASE.replace("    fail_if:", "    fail_iff:"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert any(e.validator == "additionalProperties" and "fail_iff" in e.message for e in errors)


def test_schema_lists_every_registered_operator(run_cli):
    names = _schema(run_cli)["$defs"]["condition"]["propertyNames"]["enum"]
    assert sorted(names) == sorted({"all", "any", "not", "field", *OPERATORS})
    assert {"eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "matches", "starts_with", "present", "missing",
            "empty", "age_days", "some", "exists_in"} <= set(names)


def test_the_bundled_pack_fits_the_printed_schema(run_cli):
    schema = _schema(run_cli)
    document = yaml.safe_load(BUNDLED_PACK.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document)) == []


PLUGIN = '''\
import order_guard
from order_guard.types import Operator


def _compile(argument, field, ctx):
    get = ctx.getter(field)

    def test(record):
        value = get(record)
        return isinstance(value, int) and (value % 2 == 0) is argument

    return test


@order_guard.hookimpl
def order_guard_operators():
    yield Operator(name="is_even", schema={"type": "boolean"}, compile=_compile,
                   description="true: an even whole number; false: an odd one")
'''


@pytest.fixture
def even_plugin(tmp_path, monkeypatch):
    """A plugin module ``-p og_test_even_plugin`` registering the field operator ``is_even``."""
    name = "og_test_even_plugin"
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir()
    (plugin_dir / f"{name}.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(plugin_dir))
    yield name
    sys.modules.pop(name, None)


def test_a_plugin_operator_appears_in_the_schema(run_cli, even_plugin):
    assert "is_even" not in _schema(run_cli)["$defs"]["condition"]["propertyNames"]["enum"]
    schema = _schema(run_cli, "-p", even_plugin)
    assert "is_even" in schema["$defs"]["condition"]["propertyNames"]["enum"]
    # It is a field operator: its argument schema sits beside `field`.
    field_branch = next(branch["then"] for branch in schema["$defs"]["condition"]["allOf"]
                        if branch["if"] == {"required": ["field"]})
    assert field_branch["properties"]["is_even"] == {"type": "boolean"}


def test_a_rule_using_a_plugin_operator_validates_and_runs(tmp_path, run_cli, even_plugin):
    rules, _ = _broken(tmp_path, "even.yaml", "{field: status, eq: Pending}", "{field: items_shipped, is_even: true}")
    orders = tmp_path / "orders.txt"
    orders.write_text("order-id\tstatus\titems-shipped\r\nA-1\tShipped\t4\r\nA-2\tShipped\t3\r\n", encoding="utf-8")

    without = run_cli("rules", "validate", rules)
    assert without.exit_code == 2
    assert _reported(without, rules, "'is_even'")[1] == "TST-001"

    validated = run_cli("rules", "validate", "-p", even_plugin, rules)
    assert (validated.exit_code, validated.stderr) == (0, "")

    checked = run_cli("check", "-p", even_plugin, "--rules", rules, "--as-of", AS_OF, "--format", "json", "-q", orders)
    report = checked.json()
    assert report["summary"]["records_read"] == 2 and report["summary"]["complete"]
    assert [(f["rule_id"], f["order_id"]) for f in report["findings"]] == [("TST-001", "A-1")]
    assert checked.exit_code == 1  # severity high, default --fail-on high


# --- 5. Operator semantics, compiled from small rule files ------------------------------

_counter = itertools.count(1)


def make_rule(tmp_path: Path, fail_if: dict, *, kind: str = "orders", when: dict | None = None,
              message: str | None = None) -> Rule:
    """One validated rule (the file is JSON, which is YAML) whose own examples are placeholders."""
    number = next(_counter)
    rule = {
        "id": f"TST-{number:03d}", "name": f"test-{number}", "severity": "high", "summary": "test",
        "for": kind, "fail_if": fail_if,
        "message": message or ("{sku}" if kind == "inventory" else "{order_id}"),
        "rationale": "test", "remediation": "test", "references": ["test"],
        "examples": {"bad": [{"note": "unused"}], "good": [{"note": "unused"}]},
    }
    if when is not None:
        rule["when"] = when
    path = tmp_path / f"rule-{number}.yaml"
    path.write_text(json.dumps({"pack": {"name": f"test-{number}", "version": "1"}, "rules": [rule]}, indent=1))
    (pack,) = load_packs([path], OPERATORS)
    return pack.rules[0]


def fires(rule: Rule, case: dict) -> bool:
    return bool(example_findings(rule, case, OPERATORS))


def order(**fields) -> dict:
    """An example holding one order (canonical field names, raw values)."""
    return {"order": {"order_id": "111-1", **fields}}


@pytest.mark.parametrize(("op", "fires_on", "quiet_on"), [
    ("eq", 2, 3), ("ne", 3, 2), ("gt", 3, 2), ("ge", 2, 1), ("lt", 1, 2), ("le", 2, 3),
])
def test_comparisons_are_none_safe(tmp_path, op, fires_on, quiet_on):
    rule = make_rule(tmp_path, {"field": "items_shipped", op: 2})
    assert fires(rule, order(items_shipped=fires_on))
    assert not fires(rule, order(items_shipped=quiet_on))
    assert not fires(rule, order())  # missing never satisfies a comparison, not even `ne`
    assert not fires(rule, order(items_shipped=""))  # blank reads as missing
    # ... while `not` of it does: None-safety is the operator's, not the rule's.
    assert fires(make_rule(tmp_path, {"not": {"field": "items_shipped", op: 2}}), order())


def test_comparison_with_another_field_is_none_safe_on_both_sides(tmp_path):
    rule = make_rule(tmp_path, {"field": "ship_date", "gt": {"field": "latest_ship_date"}})
    assert fires(rule, order(ship_date="2026-11-20", latest_ship_date="2026-11-19T23:00:00Z"))
    assert not fires(rule, order(ship_date="2026-11-19", latest_ship_date="2026-11-19T23:00:00Z"))
    assert not fires(rule, order(ship_date="2026-11-20"))
    assert not fires(rule, order(latest_ship_date="2026-11-19T23:00:00Z"))


def test_in_and_not_in(tmp_path):
    member = make_rule(tmp_path, {"field": "status", "in": ["Pending", "PendingAvailability"]})
    non_member = make_rule(tmp_path, {"field": "status", "not_in": ["Pending", "PendingAvailability"]})
    assert fires(member, order(status="Pending"))
    assert fires(member, order(status="PENDING"))  # data statuses are canonicalised
    assert fires(member, order(status="Pending - Waiting for Pick Up"))
    assert not fires(member, order(status="Shipped"))
    assert fires(non_member, order(status="Shipped"))
    assert not fires(non_member, order(status="PendingAvailability"))
    assert not fires(member, order())
    assert not fires(non_member, order())  # "present and none of": a missing status is not "not Pending"


def test_a_non_canonical_status_literal_is_canonicalised_or_rejected(tmp_path):
    try:
        rule = make_rule(tmp_path, {"field": "status", "eq": "PENDING"})
    except RuleFileError:
        return  # rejected: fine
    assert fires(rule, order(status="PENDING"))


def test_matches_searches_text_anywhere(tmp_path):
    rule = make_rule(tmp_path, {"field": "tracking_number", "matches": "Z9+"})
    assert fires(rule, order(tracking_number="1Z999"))
    assert not fires(rule, order(tracking_number="1Z8"))
    assert not fires(rule, order())
    anchored = make_rule(tmp_path, {"field": "tracking_number", "matches": "^1Z"})
    assert not fires(anchored, order(tracking_number="X1Z"))
    # Only text matches: a number is not searched as its digits.
    assert not fires(make_rule(tmp_path, {"field": "items_shipped", "matches": "1"}), order(items_shipped=1))


def test_starts_with(tmp_path):
    rule = make_rule(tmp_path, {"field": "tracking_number", "starts_with": "1Z"})
    assert fires(rule, order(tracking_number="1Z999"))
    assert not fires(rule, order(tracking_number="X1Z999"))
    assert not fires(rule, order(tracking_number="1z999"))  # case-sensitive
    assert not fires(rule, order())


@pytest.mark.parametrize(("field", "value", "present", "missing", "empty"), [
    ("ship_address_1", "1 Example Street", True, False, False),
    ("ship_address_1", None, False, True, False),
    # A blank text is normalised to null when the record is read, so it counts as missing, not empty:
    # `present: true` is the test that catches it either way.
    ("ship_address_1", "   ", False, True, False),
    ("items", [], False, False, True),
    ("items", [{"sku": "MUG-RED"}], True, False, False),
], ids=["text", "absent", "blank-text", "empty-list", "list"])
def test_present_missing_empty(tmp_path, field, value, present, missing, empty):
    case = order(**({field: value} if value is not None else {}))
    for operator, expected in (("present", present), ("missing", missing), ("empty", empty)):
        assert fires(make_rule(tmp_path, {"field": field, operator: True}), case) is expected, operator
        assert fires(make_rule(tmp_path, {"field": field, operator: False}), case) is not expected, operator


@pytest.mark.parametrize(("purchase_date", "expected"), [
    ("2026-11-25T12:00:00Z", False),  # exactly 1 day: not > 1
    ("2026-11-25T11:59:00Z", True),
    ("2026-11-24T12:00:00Z", True),   # exactly 2 days: <= 2
    ("2026-11-24T11:00:00Z", False),
    ("2026-11-25T13:00:00+02:00", True),  # offsets count: 11:00 UTC
    (None, False),
])
def test_age_days_is_measured_against_as_of(tmp_path, purchase_date, expected):
    rule = make_rule(tmp_path, {"field": "purchase_date", "age_days": {"gt": 1, "le": 2}})
    case = {"as_of": AS_OF, **order(**({"purchase_date": purchase_date} if purchase_date else {}))}
    assert fires(rule, case) is expected


def test_age_days_moves_with_as_of(tmp_path):
    rule = make_rule(tmp_path, {"field": "purchase_date", "age_days": {"ge": 28}})
    placed = order(purchase_date="2026-10-29T12:00:00Z")
    assert fires(rule, {"as_of": "2026-11-26T12:00:00Z", **placed})
    assert not fires(rule, {"as_of": "2026-11-26T11:59:59Z", **placed})


def test_some_over_items(tmp_path):
    rule = make_rule(tmp_path, {"field": "items", "some": {"all": [
        {"field": "sku", "starts_with": "MUG-"}, {"field": "quantity", "gt": 1}]}})
    assert fires(rule, order(items=[{"sku": "CUP-1", "quantity": 5}, {"sku": "MUG-1", "quantity": 2}]))
    # Both conditions must hold for the same item.
    assert not fires(rule, order(items=[{"sku": "MUG-1", "quantity": 1}, {"sku": "CUP-1", "quantity": 5}]))
    assert not fires(rule, order(items=[]))
    assert not fires(rule, order())


def test_some_rejects_an_unknown_item_field(tmp_path):
    with pytest.raises(RuleFileError, match="unknown field 'skew' for items"):
        make_rule(tmp_path, {"field": "items", "some": {"field": "skew", "eq": "A"}})


def test_exists_in_default_key_is_order_id(tmp_path):
    rule = make_rule(tmp_path, {"exists_in": {"dataset": "shipments"}})
    assert fires(rule, {**order(), "shipments": [{"order_id": "111-1"}]})
    assert not fires(rule, {**order(), "shipments": [{"order_id": "111-2"}]})
    assert not fires(rule, order())  # no shipments dataset at all


def test_exists_in_with_key_and_on(tmp_path):
    # A shipment file that names orders by the seller's own order id.
    rule = make_rule(tmp_path, {"exists_in": {"dataset": "shipments", "key": "order_id", "on": "seller_order_id"}})
    assert fires(rule, {**order(seller_order_id="S-9"), "shipments": [{"order_id": "S-9"}]})
    assert not fires(rule, {**order(seller_order_id="S-9"), "shipments": [{"order_id": "111-1"}]})
    assert not fires(rule, {**order(), "shipments": [{"order_id": "S-9"}]})


def test_exists_in_from_another_dataset_to_orders(tmp_path):
    rule = make_rule(tmp_path, {"not": {"exists_in": {"dataset": "orders"}}}, kind="shipments",
                     message="{order_id}")
    assert fires(rule, {"orders": [{"order_id": "111-1", "status": "Shipped"}], "shipments": [{"order_id": "111-2"}]})
    assert not fires(rule, {"orders": [{"order_id": "111-1", "status": "Shipped"}],
                            "shipments": [{"order_id": "111-1"}]})


def test_exists_in_validation(tmp_path):
    with pytest.raises(RuleFileError, match="shipments has no field 'sku'"):
        make_rule(tmp_path, {"exists_in": {"dataset": "shipments", "key": "sku"}})
    with pytest.raises(RuleFileError, match="cannot look up orders"):
        make_rule(tmp_path, {"exists_in": {"dataset": "orders"}})


HELD = {"aggregate": {"dataset": "orders", "where": {"field": "status", "eq": "Pending"}, "unnest": "items",
                      "group_by": "sku", "sum": "quantity", "as": "held"}}
PENDING_ORDERS = [
    {"order_id": "1", "status": "Pending", "items": [{"sku": "MUG", "quantity": 1}, {"sku": "CUP", "quantity": 9}]},
    {"order_id": "2", "status": "Pending", "items": [{"sku": "MUG", "quantity": 2}]},
    {"order_id": "3", "status": "Shipped", "items": [{"sku": "MUG", "quantity": 50}]},
]


def test_aggregate_with_sub(tmp_path):
    rule = make_rule(tmp_path, {"field": "quantity", "gt": {"sub": [{"field": "on_hand"}, HELD]}},
                     kind="inventory", message="{sku}: {quantity} offered, {on_hand} on hand, {held} held")
    stock = [{"sku": "MUG", "quantity": 3, "on_hand": 5}]

    (finding,) = example_findings(rule, {"orders": PENDING_ORDERS, "inventory": stock}, OPERATORS)
    assert finding.message == "MUG: 3 offered, 5 on hand, 3 held"  # 3 > 5 - (1 + 2); the Shipped 50 not held
    assert finding.evidence["held"] == 3

    assert not fires(rule, {"orders": PENDING_ORDERS, "inventory": [{"sku": "MUG", "quantity": 2, "on_hand": 5}]})
    assert not fires(rule, {"orders": PENDING_ORDERS[1:], "inventory": [{"sku": "MUG", "quantity": 3, "on_hand": 5}]})
    assert not fires(rule, {"inventory": stock})  # no orders: nothing held
    # A SKU no order holds aggregates to zero; a missing on_hand makes the difference missing: no finding.
    assert not fires(rule, {"orders": PENDING_ORDERS, "inventory": [{"sku": "VASE", "quantity": 5, "on_hand": 5}]})
    assert not fires(rule, {"orders": PENDING_ORDERS, "inventory": [{"sku": "MUG", "quantity": 5}]})


def test_add(tmp_path):
    rule = make_rule(tmp_path, {"field": "quantity", "gt": {"add": [{"field": "on_hand"}, {"field": "pending_quantity"}]}},
                     kind="inventory")
    assert fires(rule, {"inventory": [{"sku": "A", "quantity": 8, "on_hand": 5, "pending_quantity": 2}]})
    assert not fires(rule, {"inventory": [{"sku": "A", "quantity": 7, "on_hand": 5, "pending_quantity": 2}]})
    assert not fires(rule, {"inventory": [{"sku": "A", "quantity": 8, "on_hand": 5}]})


def test_aggregate_validation(tmp_path):
    with pytest.raises(RuleFileError, match="cannot aggregate orders"):
        make_rule(tmp_path, {"field": "order_total", "gt": HELD})
    bad = {"aggregate": {**HELD["aggregate"], "sum": "quantiy"}}
    with pytest.raises(RuleFileError, match="items has no field 'quantiy'"):
        make_rule(tmp_path, {"field": "quantity", "gt": bad}, kind="inventory")


def test_date_literals_are_coerced(tmp_path):
    rule = make_rule(tmp_path, {"field": "purchase_date", "lt": "2026-01-01"})  # midnight UTC
    assert fires(rule, order(purchase_date="2025-12-31T23:59:59Z"))
    assert fires(rule, order(purchase_date="2026-01-01T00:30:00+01:00"))  # 23:30 UTC the day before
    assert not fires(rule, order(purchase_date="2026-01-01T00:00:00Z"))
    same_instant = make_rule(tmp_path, {"field": "purchase_date", "eq": "2026-11-01T10:00:00+01:00"})
    assert fires(same_instant, order(purchase_date="2026-11-01T09:00:00Z"))


def test_money_literals_are_coerced_to_decimals(tmp_path):
    from_float = make_rule(tmp_path, {"field": "order_total", "gt": 10.5})
    assert fires(from_float, order(order_total="10.51"))
    assert not fires(from_float, order(order_total="10.50"))
    assert fires(from_float, order(order_total="10,6"))  # EU decimal comma in the data
    exact = make_rule(tmp_path, {"field": "order_total", "eq": "0.1"})
    assert fires(exact, order(order_total=0.1))  # no binary-float surprise
    assert fires(make_rule(tmp_path, {"field": "is_prime", "eq": True}), order(is_prime="true"))


def test_literals_that_cannot_be_coerced_are_rule_errors(tmp_path):
    with pytest.raises(RuleFileError, match="value 'notadate' for purchase_date: not a date"):
        make_rule(tmp_path, {"field": "purchase_date", "gt": "notadate"})
    with pytest.raises(RuleFileError, match="value 'lots' for order_total: not a number"):
        make_rule(tmp_path, {"field": "order_total", "ge": "lots"})
    with pytest.raises(RuleFileError, match="value True for status: expected text"):
        make_rule(tmp_path, {"field": "status", "in": ["Pending", True]})


def test_combinators(tmp_path):
    rule = make_rule(tmp_path, {"any": [{"field": "tracking_number", "present": True},
                                        {"all": [{"field": "items_shipped", "gt": 0},
                                                 {"not": {"field": "fulfillment_channel", "eq": "AFN"}}]}]},
                     when={"field": "status", "eq": "Pending"})
    assert fires(rule, order(status="Pending", tracking_number="1Z"))
    assert fires(rule, order(status="Pending", items_shipped=1, fulfillment_channel="MFN"))
    assert not fires(rule, order(status="Pending", items_shipped=1, fulfillment_channel="Amazon"))  # Amazon = AFN
    assert not fires(rule, order(status="Unshipped", tracking_number="1Z"))  # out of scope (`when`)


# --- 6. `order-guard rules list` and `rules show` --------------------------------------


def test_rules_list_shows_the_nine_rules(run_cli):
    result = run_cli("rules", "list")
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("AMZ-")]
    assert {row[0]: (row[1], row[2]) for row in rows} == CONTRACT
    assert len(rows) == 9


def test_rules_show_by_id(run_cli):
    result = run_cli("rules", "show", "AMZ-PEND-001")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("AMZ-PEND-001  pending-not-shipped  (critical)")
    rule = next(r for r in BUNDLED_RULES if r.id == "AMZ-PEND-001")
    for heading in ("Rationale:", "Remediation:", "References:", "Checks:",
                    "Examples (bad: must fire):", "Examples (good: must not fire):"):
        assert heading in out
    assert rule.rationale in out
    assert rule.remediation in out
    assert all(f"  - {reference}" in out for reference in rule.references)
    assert "a shipping-confirmation row for a Pending order" in out  # a bad example
    assert "an Unshipped order may ship" in out  # a good example
    assert f"defined in {rule.path}:{rule.line} (pack amazon-pending)" in out


def test_rules_show_by_name(run_cli):
    by_name = run_cli("rules", "show", "pending-not-shipped")
    assert by_name.exit_code == 0
    assert by_name.stdout == run_cli("rules", "show", "AMZ-PEND-001").stdout


def test_rules_show_an_unknown_rule(run_cli):
    result = run_cli("rules", "show", "AMZ-PEND-999")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == "order-guard: error: no rule 'AMZ-PEND-999'; see order-guard rules list"


def test_rules_show_reads_other_rule_files(tmp_path, run_cli):
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    result = run_cli("rules", "show", "--rules", path, "test-rule")
    assert result.exit_code == 0
    assert result.stdout.startswith("TST-001  test-rule  (high)")
    assert run_cli("rules", "show", "--rules", path, "AMZ-PEND-001").exit_code == 2
