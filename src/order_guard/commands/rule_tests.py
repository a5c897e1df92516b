"""``order-guard rules test``: every rule's examples and every case file, per rule, with coverage."""

from __future__ import annotations

from pathlib import Path

from tabulate import tabulate

from order_guard.checking import default_rule_paths, require_rules
from order_guard.errors import ExitCode
from order_guard.guard import Guard
from order_guard.registry import Registry
from order_guard.rulelang.cases import (
    case_failures,
    case_files_beside,
    expected_ids,
    is_case_file,
    load_case_file,
)
from order_guard.rulelang.examples import example_failures


def run_rule_tests(paths: list[Path], registry: Registry) -> int:
    paths = paths or default_rule_paths(registry)
    pack_paths = [path for path in paths if not is_case_file(path)]
    guard = Guard(rules=pack_paths or default_rule_paths(registry), registry=registry)
    require_rules(guard.packs, pack_paths)
    failures: list[str] = []
    examples_run: dict[str, int] = {}
    for rule in guard.rules:
        problems = example_failures(rule, registry.operators)
        failures += problems
        examples_run[rule.id] = len(rule.examples["good"]) + len(rule.examples["bad"])
    cases_run: dict[str, int] = {}
    failing_rules = {rule.id for rule in guard.rules if any(f.startswith(rule.id + " ") for f in failures)}
    for case_path in case_files_beside(paths):
        case_file = load_case_file(case_path)
        case_guard = Guard(rules=case_file.rule_paths, registry=registry) if case_file.rule_paths else guard
        for case in case_file.cases:
            problems = case_failures(case, case_guard)
            if problems:
                failures.append(f"case {case.name!r} ({case.where}):\n" + "\n".join(problems))
                failing_rules.update(rule.id for rule in case_guard.rules if any(f" {rule.id} " in p for p in problems))
            for rule_id in {rule for rule, _ in expected_ids(case, case_guard)}:
                cases_run[rule_id] = cases_run.get(rule_id, 0) + 1
    rows = [(rule.id, rule.name, examples_run[rule.id], cases_run.get(rule.id, 0),
             "FAIL" if rule.id in failing_rules else "ok") for rule in guard.rules]
    print(tabulate(rows, headers=["rule", "name", "examples", "cases expecting it", "result"], tablefmt="simple"))
    uncovered = [rule.id for rule in guard.rules if not rule.examples["bad"] and not cases_run.get(rule.id)]
    print(f"\ncoverage: {len(guard.rules) - len(uncovered)} of {len(guard.rules)} rules have a failing example"
          + (f"; none for {', '.join(uncovered)}" if uncovered else ""))
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for failure in failures:
            print(f"  {failure}")
        return ExitCode.FINDINGS
    print("all examples and cases pass")
    return ExitCode.CLEAN
