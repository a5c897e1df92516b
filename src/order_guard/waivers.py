"""Waivers: audited, expiring exceptions to a rule for an order, a SKU or a pattern.

A waived finding does not fail the run but stays in every output with its
reason, owner and expiry. A waiver past its expiry (at ``--as-of``) stops
applying and is reported as expired; a waiver that matched nothing is
reported as stale. The file has a closed schema: a typo is an error, never
a waiver that silently does not apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from order_guard.canonical import parse_datetime
from order_guard.errors import RuleProblem, UsageError
from order_guard.rulelang.yamlload import YamlProblem, line_of, load_yaml
from order_guard.schema_errors import unknown_keys

SUBJECTS = ("order_id", "sku", "pattern")

SCHEMA = {
    "type": "object",
    "properties": {
        "waivers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "rule": {"type": "string", "minLength": 1},
                    "order_id": {"type": "string", "minLength": 1},
                    "sku": {"type": "string", "minLength": 1},
                    "pattern": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "pattern": r"\S(.*\S){9,}"},
                    "owner": {"type": "string", "pattern": r"\S"},
                    "expires": {"type": "string", "minLength": 1},
                },
                "required": ["rule", "reason", "owner", "expires"],
                "oneOf": [{"required": [subject]} for subject in SUBJECTS],
                "additionalProperties": False,
            },
        },
    },
    "required": ["waivers"],
    "additionalProperties": False,
}


@dataclass
class Waiver:
    rule: str
    subject_field: str
    subject: str
    reason: str
    owner: str
    expires: str
    #: The first moment the waiver no longer applies.
    lapses_at: datetime
    source: str
    matched: int = 0

    def matches(self, subject: str, finding: dict[str, Any]) -> bool:
        """Whether this waiver covers ``finding``, whose order id or SKU as read is ``subject``."""
        if self.rule not in (finding["rule_id"], finding["rule"]):
            return False
        if self.subject_field == "pattern":
            return re.fullmatch(self.subject, subject) is not None
        return self.subject_field in finding and subject == self.subject

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, self.subject_field: self.subject, "reason": self.reason, "owner": self.owner,
                "expires": self.expires, "source": self.source}


def load_waivers(path: Path) -> list[Waiver]:
    """Read and validate a waivers file; every problem is reported with its line (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{path}: cannot read waivers: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: waivers file is not UTF-8") from None
    try:
        document = load_yaml(text, path)
    except YamlProblem as err:
        raise UsageError(str(err.problem)) from None
    problems = []
    import jsonschema  # here, not at start-up

    for error in jsonschema.Draft202012Validator(SCHEMA).iter_errors(document):
        extra = unknown_keys(error)
        where, message = extra if extra else (list(error.absolute_path), _explain(error))
        problems.append(RuleProblem(path, line_of(document, where), message))
    waivers = []
    if not problems:
        for index, entry in enumerate(document["waivers"]):
            line = line_of(document, ["waivers", index])
            subject_field = next(subject for subject in SUBJECTS if subject in entry)
            try:
                lapses_at = _lapses_at(entry["expires"])
                if subject_field == "pattern":
                    re.compile(entry["pattern"])
            except (ValueError, re.error) as err:
                problems.append(RuleProblem(path, line, f"waiver: {err}"))
                continue
            waivers.append(Waiver(rule=entry["rule"], subject_field=subject_field, subject=entry[subject_field],
                                  reason=entry["reason"], owner=entry["owner"], expires=entry["expires"],
                                  lapses_at=lapses_at, source=f"{path}:{line}"))
    if problems:
        raise UsageError("invalid waivers file:\n" + "\n".join(f"  {problem}" for problem in problems))
    return waivers


def _lapses_at(text: str) -> datetime:
    """A date without a time means the end of that day (UTC): a waiver expiring 2026-12-31
    covers the 31st, however the date is written (2026-12-31, 20261231, 2026-12-31 UTC)."""
    value = parse_datetime(text)
    if ":" not in text and "T" not in text.upper().replace("UTC", "").replace("GMT", ""):
        try:
            value += timedelta(days=1)
        except OverflowError:
            return datetime.max.replace(tzinfo=UTC)
    return value


def _explain(error: Any) -> str:
    if error.validator == "oneOf":
        return "a waiver names exactly one of order_id, sku or pattern"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "reason":
        return "reason: say why (at least 10 characters)"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "owner":
        return "owner: name who answers for the waiver"
    return error.message


def apply_waivers(findings: list[tuple[str, dict[str, Any]]], waivers: list[Waiver],
                  as_of: datetime) -> list[dict[str, Any]]:
    """Mark waived findings (``(subject as read, finding)`` pairs); return every waiver with
    its status: active, expired or stale (active but matched nothing)."""
    active = [waiver for waiver in waivers if waiver.lapses_at > as_of]
    expired = [waiver for waiver in waivers if waiver.lapses_at <= as_of]
    for subject, finding in findings:
        waiver = next((w for w in active if w.matches(subject, finding)), None)
        if waiver is not None:
            waiver.matched += 1
            finding["suppression"] = {"kind": "waiver", **_public(waiver)}
            continue
        lapsed = next((w for w in expired if w.matches(subject, finding)), None)
        if lapsed is not None:
            lapsed.matched += 1
            finding["expired_waiver"] = _public(lapsed)
    return [{**waiver.as_dict(), "matched": waiver.matched,
             "status": "expired" if waiver in expired else ("active" if waiver.matched else "stale")}
            for waiver in waivers]


def _public(waiver: Waiver) -> dict[str, Any]:
    entry = waiver.as_dict()
    return {key: entry[key] for key in ("reason", "owner", "expires", "source")}
