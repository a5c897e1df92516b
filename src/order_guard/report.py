"""The run's report: the JSON contract of DESIGN.md, built once and rendered by every reporter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from order_guard import __version__
from order_guard.baseline import apply_baseline
from order_guard.engine import Finding, RunResult
from order_guard.errors import ExitCode
from order_guard.redaction import json_value
from order_guard.rulelang.model import SEVERITY_RANK, Pack
from order_guard.sanitize import safe_text, safe_value
from order_guard.secrets import scrub

if TYPE_CHECKING:
    from order_guard.waivers import Waiver

#: ``--fail-on none`` never fails on findings (a report-only run); 3 still wins.
NEVER = "none"


# Plain classes, like the configuration and the opened files: creating a dataclass costs every
# run's start-up about half a millisecond (its methods are generated and compiled at import).
class RenderOptions:
    """What fails the run: findings at ``fail_on`` or above, and stale waivers if asked."""

    __slots__ = ("fail_on", "fail_on_stale_waivers")

    def __init__(self, fail_on: str = "high", fail_on_stale_waivers: bool = False):
        self.fail_on, self.fail_on_stale_waivers = fail_on, fail_on_stale_waivers

    def __repr__(self) -> str:
        return f"RenderOptions(fail_on={self.fail_on!r}, fail_on_stale_waivers={self.fail_on_stale_waivers!r})"


class Report:
    """The report as data; ``data`` is exactly what ``--format json`` writes.

    ``data`` holds values neutralised for display; ``raw_subjects`` (the order
    id or SKU of each finding, as read) and ``input_locations`` (each input's
    location, as given) are what waivers, baselines and evidence bundles match on.
    """

    def __init__(self, data: dict[str, Any], raw_subjects: list[str] | None = None,
                 input_locations: list[str] | None = None):
        self.data = data
        self.raw_subjects = [] if raw_subjects is None else raw_subjects
        self.input_locations = [] if input_locations is None else input_locations

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.data["findings"]

    @property
    def summary(self) -> dict[str, Any]:
        return self.data["summary"]

    @property
    def open_findings(self) -> list[dict[str, Any]]:
        """Findings neither waived nor in the baseline: the ones that can fail the run."""
        return [finding for finding in self.findings if "suppression" not in finding]

    def verdict(self, options: RenderOptions) -> ExitCode:
        """The exit code the run ends with, as every reporter should state it."""
        return self.exit_code(options.fail_on, options.fail_on_stale_waivers)

    def exit_code(self, fail_on: str, fail_on_stale_waivers: bool = False) -> ExitCode:
        """3 when anything could not be checked (the findings may be incomplete), else 1 or 0."""
        if not self.summary["complete"]:
            return ExitCode.INCOMPLETE
        if fail_on_stale_waivers and self.summary["waivers"]["stale"]:
            return ExitCode.FINDINGS
        if fail_on == NEVER:
            return ExitCode.CLEAN
        threshold = SEVERITY_RANK[fail_on]
        if any(SEVERITY_RANK[finding["severity"]] >= threshold for finding in self.open_findings):
            return ExitCode.FINDINGS
        return ExitCode.CLEAN


def build_report(result: RunResult, packs: list[Pack], waivers: Sequence[Waiver] = (),
                 baseline: tuple[set, str] | None = None) -> Report:
    """The report of a run, with waivers and a baseline applied (see ``waivers``, ``baseline``)."""
    pairs = ordered_findings(result.findings)
    findings = [finding for _, finding in pairs]
    errors = [_error(error) for dataset in result.datasets for error in dataset.errors]
    errors += [_error(error) for error in result.rule_errors]
    not_kept = sum(dataset.errors_not_kept for dataset in result.datasets)
    # Waivers and baselines match the values as read; what they add is neutralised for display.
    waiver_states = safe_value(_apply_waivers(pairs, waivers, result.as_of)) if waivers else []
    for finding in findings:
        for key in ("suppression", "expired_waiver"):
            if key in finding:
                finding[key] = safe_value(finding[key])
    unchecked = {rule_id for rule_id, missing in result.missing_datasets.items() if missing}
    baseline_counts = apply_baseline(pairs, *baseline, unchecked=unchecked) if baseline else None
    # An order's value counts once, however many rules it fails (waived ones too: a waiver
    # accepts the risk, it does not remove it).
    at_risk = {finding.subject: finding.value_at_risk for finding in result.findings if finding.value_at_risk}
    risk: dict[str, Decimal] = {}
    for amount, currency in at_risk.values():
        currency = safe_text(currency or "?")
        risk[currency] = risk.get(currency, Decimal(0)) + amount
    summary = {
        "records_read": result.records_read,
        "records_checked": result.records_checked,
        "records_unreadable": result.records_unreadable,
        "findings": len(findings),
        "by_severity": _by_severity(findings),
        "by_rule": dict(sorted(Counter(f["rule_id"] for f in findings).items())),
        "open": sum(1 for f in findings if "suppression" not in f),
        "waived": sum(1 for f in findings if f.get("suppression", {}).get("kind") == "waiver"),
        "baselined": sum(1 for f in findings if f.get("suppression", {}).get("kind") == "baseline"),
        "waivers": {status: sum(1 for w in waiver_states if w["status"] == status)
                    for status in ("active", "expired", "stale")},
        "baseline": baseline_counts,
        "value_at_risk": {currency: str(amount) for currency, amount in sorted(risk.items())},
        "rule_errors": len(result.rule_errors),
        "errors_not_shown": not_kept,
        "complete": result.complete and result.records_read == result.records_checked + result.records_unreadable,
    }
    data = {
        "tool": {"name": "order-guard", "version": __version__},
        "as_of": json_value(result.as_of),
        "inputs": [_input(dataset) for dataset in result.datasets],
        "packs": [{"name": p.name, "version": p.version, "path": str(p.path), "sha256": p.sha256} for p in packs],
        "rules": [
            {"id": rule.id, "name": rule.name, "severity": rule.severity, "pack": rule.pack,
             "summary": rule.summary, "rationale": rule.rationale, "remediation": rule.remediation,
             "references": list(rule.references), "tags": list(rule.tags),
             "datasets": rule.datasets(), "missing_datasets": result.missing_datasets.get(rule.id, [])}
            for rule in result.rules
        ],
        "summary": summary,
        "findings": findings,
        "waivers": waiver_states,
        "errors": errors,
        "warnings": [_error(warning) for dataset in result.datasets for warning in dataset.warnings],
    }
    return Report(data, raw_subjects=[subject for subject, _ in pairs],
                  input_locations=[dataset.location for dataset in result.datasets])


def _apply_waivers(pairs: list, waivers: Sequence[Waiver], as_of) -> list[dict[str, Any]]:
    from order_guard.waivers import apply_waivers  # here: waivers read YAML; most gate runs have none

    return apply_waivers(pairs, list(waivers), as_of)


def ordered_findings(findings: Iterable[Finding]) -> list[tuple[str, dict[str, Any]]]:
    """``(subject as read, finding as reported)`` pairs, most severe first: the order of every report."""
    pairs = [(f.subject, _finding(f)) for f in findings]
    if len(pairs) < 2:
        return pairs
    return sorted(
        pairs,
        key=lambda pair: (-SEVERITY_RANK[pair[1]["severity"]], pair[1]["rule_id"], pair[1]["location"]["path"],
                          pair[1]["location"]["line"] or 0, pair[0]),
    )


def _error(error) -> dict[str, Any]:
    entry = error.as_dict()
    return safe_value({**entry, "path": scrub(entry["path"]), "message": scrub(entry["message"])})


def _by_severity(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(f["severity"] for f in findings)
    return {name: counts[name] for name in sorted(counts, key=lambda name: -SEVERITY_RANK[name])}


def _input(dataset) -> dict[str, Any]:
    entry = {"path": safe_text(scrub(dataset.location)), "kind": dataset.kind, "format": dataset.format,
             "sha256": dataset.sha256, "records": dataset.records_read, "unreadable": dataset.records_unreadable}
    entry.update({key: value for key, value in dataset.details.items() if value})
    return entry


def _finding(finding) -> dict[str, Any]:
    rule = finding.rule
    subject_key = "sku" if finding.kind == "inventory" else "order_id"
    out: dict[str, Any] = {
        "rule_id": rule.id,
        "rule": rule.name,
        "severity": rule.severity,
        subject_key: safe_text(finding.subject),
        "message": safe_text(finding.message),
        "evidence": safe_value(finding.evidence),
        "location": {**finding.location, "path": safe_text(scrub(finding.location["path"]))},
    }
    if finding.value_at_risk:
        amount, currency = finding.value_at_risk
        out["value_at_risk"] = {"amount": str(amount), "currency": safe_text(currency) if currency else None}
    return out
