"""Rule case files: orders in, expected findings out; shared by ``rules test`` and the pytest plugin.

A case file sits beside a pack as ``NAME.cases.yaml``::

    rules: [pending.yaml]        # packs, relative to this file (default: the packs in its folder,
                                 # or the installed packs when the folder has none)
    cases:
      - name: a Pending order in the shipping file
        as_of: "2026-11-26T12:00:00Z"
        orders: [{order_id: 1-1-1, status: Pending}]
        shipments: [{order_id: 1-1-1}]
        expect:
          - {rule: AMZ-PEND-001, order_id: 1-1-1}
          - {rule: AMZ-PEND-004, order_id: 1-1-1}

``expect`` is every finding of the case: a missing and an unexpected one
both fail. ``only: [RULE, ...]`` limits a case to some rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from order_guard.canonical import has_dates, parse_datetime
from order_guard.errors import RuleFileError, RuleProblem
from order_guard.rulelang.loader import is_case_file
from order_guard.rulelang.yamlload import YamlProblem, line_of, load_yaml
from order_guard.types import DATASET_KINDS

_EXPECT = {
    "type": "object",
    "properties": {"rule": {"type": "string"}, "order_id": {"type": "string"}, "sku": {"type": "string"}},
    "required": ["rule"],
    "oneOf": [{"required": ["order_id"]}, {"required": ["sku"]}],
    "additionalProperties": False,
}
SCHEMA = {
    "type": "object",
    "properties": {
        "rules": {"type": "array", "items": {"type": "string"}},
        "cases": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "as_of": {"type": "string"},
                "only": {"type": "array", "items": {"type": "string"}},
                "order": {"type": "object"},
                **{kind: {"type": "array", "items": {"type": "object"}} for kind in DATASET_KINDS},
                "expect": {"type": "array", "items": _EXPECT},
            },
            "required": ["name", "expect"],
            "additionalProperties": False,
        }},
    },
    "required": ["cases"],
    "additionalProperties": False,
}


@dataclass
class Case:
    name: str
    path: Path
    line: int | None
    datasets: dict[str, list[dict[str, Any]]]
    expect: set[tuple[str, str]]
    as_of: str | None = None
    only: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class CaseFile:
    path: Path
    rule_paths: list[Path]
    cases: list[Case]


def case_files_beside(pack_paths: Sequence[Path]) -> list[Path]:
    """Case files given, in the given folders (at any depth), or beside the given packs."""
    found: set[Path] = set()
    for path in pack_paths:
        if is_case_file(path):
            found.add(path)
        elif path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file() and is_case_file(p))
        else:
            found.update(p for p in path.parent.iterdir() if p.is_file() and is_case_file(p))
    return sorted(found)


def packs_beside(case_file: Path) -> list[Path]:
    """The rule packs in a case file's folder: what its cases test when it names none."""
    return sorted(p for p in case_file.parent.iterdir()
                  if p.is_file() and p.suffix.lower() in (".yaml", ".yml") and not is_case_file(p))


def load_case_file(path: Path) -> CaseFile:
    """Parse and validate a case file; problems raise :class:`RuleFileError` with their lines."""
    try:
        document = load_yaml(path.read_text(encoding="utf-8"), path)
    except YamlProblem as err:
        raise RuleFileError([err.problem]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise RuleFileError([RuleProblem(path, None, f"cannot read case file: {err}")]) from None
    import jsonschema

    problems = [RuleProblem(path, line_of(document, list(error.absolute_path)), f"case file: {error.message}")
                for error in jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)]
    if problems:
        raise RuleFileError(problems)
    cases = []
    for index, raw in enumerate(document["cases"]):
        datasets = {kind: list(raw[kind]) for kind in DATASET_KINDS if kind in raw}
        if "order" in raw:
            datasets.setdefault("orders", []).insert(0, raw["order"])
        if "as_of" in raw:
            try:
                parse_datetime(raw["as_of"])
            except ValueError as err:
                raise RuleFileError([RuleProblem(path, line_of(document, ["cases", index, "as_of"]),
                                                 f"case {raw['name']!r}: as_of: {err}")]) from None
        expect = {(entry["rule"], entry.get("order_id") or entry["sku"]) for entry in raw["expect"]}
        cases.append(Case(name=raw["name"], path=path, line=line_of(document, ["cases", index]), datasets=datasets,
                          expect=expect, as_of=raw.get("as_of"), only=list(raw.get("only", []))))
    rule_paths = [path.parent / rule for rule in document.get("rules", [])] or packs_beside(path)
    return CaseFile(path=path, rule_paths=rule_paths, cases=cases)


def case_failures(case: Case, guard: Any) -> list[str]:
    """What is wrong with ``case`` run by ``guard`` (an :class:`order_guard.guard.Guard`): missing,
    unexpected findings, or records that could not be read. Empty when the case passes."""
    from order_guard.guard import explain_difference

    chosen = [rule for rule in guard.rules if not case.only or rule.id in case.only or rule.name in case.only]
    if case.as_of is None and has_dates(case.datasets) and any(rule.reads_as_of for rule in chosen):
        return ["  the case has no as_of, but its rules measure against --as-of: it would pass or fail "
                "depending on the day"]
    orders = case.datasets.get("orders", [])
    others = {kind: records for kind, records in case.datasets.items() if kind != "orders"}
    as_of = parse_datetime(case.as_of) if case.as_of else None
    try:
        findings = guard.check(orders, others, as_of=as_of, rules=case.only)
    except ValueError as err:  # unreadable records, unknown rules in `only`
        return [f"  {err}"]
    return explain_difference(findings, expected_ids(case, guard))


def expected_ids(case: Case, guard: Any) -> set[tuple[str, str]]:
    """The case's expected findings, a rule written by name counting as its id."""
    ids = {rule.name: rule.id for rule in guard.rules}
    return {(ids.get(rule, rule), subject) for rule, subject in case.expect}
