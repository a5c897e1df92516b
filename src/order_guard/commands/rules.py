"""``order-guard rules list|show|validate|schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tabulate import tabulate

from order_guard.checking import default_rule_paths, load_registry, require_rules
from order_guard.errors import ExitCode, UsageError
from order_guard.manager import split_plugin_flags
from order_guard.ruledocs import rules_markdown, yaml_text
from order_guard.rulelang.loader import load_packs, rule_files
from order_guard.rulelang.model import Rule
from order_guard.rulelang.schema import rule_file_schema


def run(args: argparse.Namespace) -> int:
    enabled, disabled = split_plugin_flags(args.plugins)
    registry = load_registry(enabled, disabled)
    if args.rules_command == "schema":
        json.dump(rule_file_schema(registry.operators), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return ExitCode.CLEAN
    if args.rules_command == "validate":
        paths = [Path(path) for path in args.paths]
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise UsageError(f"no such file: {', '.join(missing)}")
        packs = load_packs(paths, registry.operators)  # raises RuleFileError with every problem
        require_rules(packs, paths)
        count = sum(len(pack.rules) for pack in packs)
        print(f"ok: {count} rules in {len(rule_files(paths))} file(s)")
        return ExitCode.CLEAN
    if args.rules_command == "test":
        from order_guard.commands.rule_tests import run_rule_tests

        return run_rule_tests([Path(path) for path in args.paths], registry)
    paths = [Path(path) for path in args.rules] or default_rule_paths(registry)
    packs = load_packs(paths, registry.operators)
    require_rules(packs, paths)
    if args.rules_command == "docs":
        return _write_docs(rules_markdown(packs), args.output)
    rules = [rule for pack in packs for rule in pack.rules]
    if args.rules_command == "list":
        rows = [(rule.id, rule.name, rule.severity, ", ".join(rule.datasets()), rule.summary) for rule in rules]
        print(tabulate(rows, headers=["id", "name", "severity", "datasets", "summary"], tablefmt="simple"))
        return ExitCode.CLEAN
    wanted = args.rule
    rule = next((r for r in rules if wanted in (r.id, r.name)), None)
    if rule is None:
        raise UsageError(f"no rule {wanted!r}; see order-guard rules list")
    print(describe(rule))
    return ExitCode.CLEAN


def _write_docs(markdown: str, output: str | None) -> int:
    if output is None:
        sys.stdout.write(markdown)
    else:
        from order_guard.commands.check import write_atomically

        write_atomically(Path(output), lambda out: out.write(markdown))
    return ExitCode.CLEAN


def describe(rule: Rule) -> str:
    """A rule as an auditor reads it: what, why, what to do, where it says so, examples."""
    lines = [
        f"{rule.id}  {rule.name}  ({rule.severity})",
        f"  {rule.summary}",
        f"  defined in {rule.path}:{rule.line} (pack {rule.pack})",
        "",
        "Rationale:",
        _indent(rule.rationale),
        "",
        "Remediation:",
        _indent(rule.remediation),
        "",
        "References:",
        *(f"  - {reference}" for reference in rule.references),
        "",
        "Checks:",
    ]
    for check in rule.checks:
        spec = {"for": check.dataset, **({"when": check.when} if check.when else {}), "fail_if": check.fail_if}
        lines.append(_indent(yaml_text(spec)))
    for verdict in ("bad", "good"):
        lines += ["", f"Examples ({verdict}: {'must fire' if verdict == 'bad' else 'must not fire'}):"]
        lines += [_indent(yaml_text([dict(case) for case in rule.examples[verdict]]))]
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
