"""Validate a rule file in two phases: what the loader runs when a file is not in the cache.

Phase 1 checks structure against the generated JSON Schema; phase 2 checks
meaning by compiling every check (unknown fields, bad regexes, impossible
look-ups) and the message templates, and reads every example record as the
engine would (bad values, unknown dates). Whether the examples fire as they
should is ``rules test``'s job (``examples.py``). Every problem is collected
with its file, line and rule id.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from order_guard.canonical import has_dates, normalize, parse_datetime
from order_guard.errors import RuleProblem, UnreadableRecord
from order_guard.rulelang.compiler import CompileContext, RuleSemanticError, fields_of
from order_guard.rulelang.model import Check, Pack, Rule
from order_guard.rulelang.yamlload import (
    LineList,
    YamlProblem,
    line_of,
    load_yaml_with_duplicates,
)
from order_guard.schema_errors import did_you_mean, unknown_keys
from order_guard.types import DATASET_KINDS, Operator


class Structure:
    """Phase 1: the rule-file JSON Schema (jsonschema is imported on the first file checked)."""

    def __init__(self, schema: Mapping[str, Any]):
        self.schema = schema
        self._validator: Any = None

    def errors(self, document: Any) -> list:
        if self._validator is None:
            import jsonschema

            self._validator = jsonschema.Draft202012Validator(self.schema)
        return sorted(self._validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))


def validate_file(path: Path, content: bytes, structure: Structure, operators: Mapping[str, Operator],
                  problems: list[RuleProblem]) -> Pack | None:
    """The pack in ``content`` (the bytes of ``path``), its problems added to ``problems``.

    Rules with a problem are left out; None when the file as a whole cannot be read.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = content[: err.start].count(b"\n") + 1
        problems.append(RuleProblem(path, line, f"not UTF-8 (byte 0x{content[err.start]:02x})"))
        return None
    try:
        document, duplicates = load_yaml_with_duplicates(text, path)
    except YamlProblem as err:
        problems.append(err.problem)
        return None
    broken_rules: set[int] = set()
    for line, message in duplicates:
        index = _rule_index_at_line(document, line)
        if index is None:
            broken_rules.add(-1)  # outside any rule: the pack header itself is in doubt
        else:
            broken_rules.add(index)
        problems.append(RuleProblem(path, line, f"YAML: {message}", _rule_id(document, index)))
    structural = structure.errors(document)
    for error in structural:
        where = list(error.absolute_path)
        rule_index = where[1] if len(where) > 1 and where[0] == "rules" else None
        if rule_index is not None:
            broken_rules.add(rule_index)
        extra = unknown_keys(error)
        line = line_of(document, extra[0] if extra else where)
        problems.append(RuleProblem(path, line, extra[1] if extra else _explain(error), _rule_id(document, rule_index)))
    if -1 in broken_rules or any(len(error.absolute_path) < 2 or error.absolute_path[0] != "rules"
                                 for error in structural):
        return None
    return _build_pack(document, path, content, operators, problems, broken_rules)


def _build_pack(document: Any, path: Path, content: bytes, operators: Mapping[str, Operator],
                problems: list[RuleProblem], broken_rules: set[int]) -> Pack:
    """Phase 2 over a document that fits the schema (its broken rules left out)."""
    pack_info = document["pack"]
    rules = []
    for index, raw in enumerate(document["rules"]):
        if index in broken_rules:
            continue
        rule = _build_rule(raw, path, pack_info["name"], operators, problems)
        if rule is not None:
            rules.append(rule)
    return Pack(name=pack_info["name"], version=str(pack_info["version"]), path=path,
                sha256=hashlib.sha256(content).hexdigest(), description=pack_info.get("description", ""),
                rules=tuple(rules))


def _rule_index_at_line(document: Any, line: int) -> int | None:
    """The index of the rule whose text contains ``line``."""
    rules = document.get("rules") if isinstance(document, Mapping) else None
    if not isinstance(rules, LineList) or not rules.item_lines or line < rules.item_lines[0]:
        return None
    return sum(1 for start in rules.item_lines if start <= line) - 1


def _rule_id(document: Any, index: int | None) -> str | None:
    if index is None:
        return None
    try:
        rule_id = document["rules"][index].get("id")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return rule_id if isinstance(rule_id, str) else f"#{index + 1}"


def _explain(error: Any) -> str:
    """A jsonschema error in words a rule author understands."""
    location = error.absolute_path[-1] if error.absolute_path else None
    if error.validator == "enum" and "propertyNames" in error.schema_path:
        synonym = _OPERATOR_SYNONYMS.get(error.instance)
        if synonym in error.validator_value:
            return f"unknown operator {error.instance!r} (did you mean {synonym!r}?)"
        return f"unknown operator {error.instance!r}" + did_you_mean(error.instance, error.validator_value)
    if error.validator == "maxProperties" and isinstance(error.instance, Mapping):
        return ("a condition takes one operator, found " + ", ".join(sorted(error.instance))
                + " (combine several with all: [...])")
    if error.validator == "required" and error.validator_value == ["field"]:
        return "this operator tests a field: add field: NAME"
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return "missing " + ", ".join(repr(key) for key in missing)
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern":
        return f"{location}: {error.instance!r} does not match {error.validator_value}"
    if error.validator == "not" and isinstance(error.instance, Mapping) and "checks" in error.instance:
        return "use either checks: [...] (each with its message) or for/when/fail_if/message, not both"
    prefix = f"{location}: " if isinstance(location, str) else ""
    return prefix + error.message


#: Operator names other tools use, for the did-you-mean of an unknown operator.
_OPERATOR_SYNONYMS = {
    "equals": "eq", "equal": "eq", "is": "eq", "not_equals": "ne", "neq": "ne", "gte": "ge", "lte": "le",
    "one_of": "in", "none_of": "not_in", "regex": "matches", "contains": "matches", "exists": "present",
    "null": "missing", "is_null": "missing", "absent": "missing", "prefix": "starts_with", "lookup": "exists_in",
}


def _build_rule(raw: Mapping[str, Any], path: Path, pack: str, operators: Mapping[str, Operator],
                problems: list[RuleProblem]) -> Rule | None:
    rule_id = raw["id"]
    before = len(problems)

    def problem(message: str, line: int | None = None) -> None:
        problems.append(RuleProblem(path, line or raw.line, message, rule_id))

    specs = raw.get("checks") or [raw]
    checks = []
    for spec in specs:
        check = Check(dataset=spec.get("for", "orders"), when=spec.get("when"), fail_if=spec["fail_if"],
                      message=spec["message"], line=spec.line)
        links = _CheckingLinks()
        reads_as_of = _check_semantics(check, operators, problem, spec.key_lines, links)
        checks.append(check._replace(uses=tuple(sorted(links.used - {check.dataset})), reads_as_of=reads_as_of))
    value_field = raw.get("value_at_risk")
    if value_field and not any(value_field in fields_of(check.dataset) for check in checks):
        problem(f"value_at_risk: unknown field {value_field!r}", raw.key_lines.get("value_at_risk"))
    _check_examples(raw["examples"], problem, needs_as_of=any(check.reads_as_of for check in checks))
    if len(problems) > before:
        return None
    return Rule(id=rule_id, name=raw["name"], severity=raw["severity"], summary=raw["summary"],
                checks=tuple(checks), rationale=raw["rationale"], remediation=raw["remediation"],
                references=tuple(raw["references"]), examples=raw["examples"], tags=tuple(raw.get("tags", ())),
                value_at_risk=value_field, path=path, line=raw.line, pack=pack)


class _CheckingLinks:
    """Stands in for the engine while validating: checks look-ups and aggregates make sense,
    and notes the datasets a check reads."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def index(self, dataset: str, key: str, on: str, requester: str) -> dict:
        if dataset not in DATASET_KINDS:
            raise RuleSemanticError(f"exists_in: unknown dataset {dataset!r}")
        if key not in fields_of(dataset):
            raise RuleSemanticError(f"exists_in: {dataset} has no field {key!r}")
        if dataset == requester == "orders":
            raise RuleSemanticError("a check of orders cannot look up orders: they are streamed once")
        self.used.add(dataset)
        return {}

    def aggregate(self, spec: Mapping[str, Any], where: Any, requester: str) -> dict:
        source = spec["dataset"]
        if source == requester == "orders":
            raise RuleSemanticError("a check of orders cannot aggregate orders: they are streamed once")
        grouped_kind = "items" if spec.get("unnest") else source
        for name in (spec["group_by"], spec["sum"]):
            if name not in fields_of(grouped_kind):
                raise RuleSemanticError(f"aggregate: {grouped_kind} has no field {name!r}")
        self.used.add(source)
        return {}


_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_semantics(check: Check, operators: Mapping[str, Operator], problem, lines: Mapping[str, int],
                     links: _CheckingLinks) -> bool:
    """Report what cannot mean anything; return whether the check measures against --as-of."""
    ctx = CompileContext(check.dataset, operators, datetime.now(UTC), links)
    for part in ("when", "fail_if"):
        node = getattr(check, part)
        if node is None:
            continue
        try:
            ctx.condition(node)
        except (RuleSemanticError, re.error) as err:
            problem(f"{part}: {err}", lines.get(part, check.line))
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(check.message) if name is not None]
    except ValueError as err:
        problem(f"message: {err}", lines.get("message", check.line))
        return ctx.reads_as_of
    known = [*fields_of(check.dataset), *ctx.named, "rule_id"]
    for name in names:
        if not _PLACEHOLDER.match(name) or name not in known:
            problem(f"message: unknown placeholder {{{name}}}" + did_you_mean(name, known),
                    lines.get("message", check.line))
    return ctx.reads_as_of


def _check_examples(examples: Mapping[str, list], problem, needs_as_of: bool) -> None:
    for verdict, cases in examples.items():
        for number, case in enumerate(cases, start=1):
            line = case.line
            for kind, records in example_datasets(case).items():
                for record in records:
                    try:
                        normalize(kind, record)
                    except UnreadableRecord as err:
                        problem(f"examples {verdict} #{number}: {kind}: {err.message}", line)
            if "as_of" in case:
                try:
                    parse_datetime(case["as_of"])
                except ValueError as err:
                    problem(f"examples {verdict} #{number}: as_of: {err}", line)
            elif needs_as_of and has_dates(example_datasets(case)):
                problem(f"examples {verdict} #{number}: the rule measures against --as-of, so the example needs "
                        "as_of to give the same result every day", line)


def example_datasets(case: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The datasets of one example: ``order`` is shorthand for a one-order ``orders`` list."""
    datasets = {kind: list(case[kind]) for kind in DATASET_KINDS if kind in case}
    if "order" in case:
        datasets.setdefault("orders", []).insert(0, case["order"])
    return datasets
