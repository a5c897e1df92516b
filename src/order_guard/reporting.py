"""What every reporter says the same way: where a finding is, the verdict and why, a waiver.

Reporters escape their own syntax; these helpers decide the words, so a JUnit
file, a SARIF log and an HTML page never disagree with each other or with the
exit code.
"""

from __future__ import annotations

from typing import Any

from order_guard.errors import ExitCode
from order_guard.report import NEVER, RenderOptions, Report
from order_guard.rulelang.model import SEVERITY_RANK


def where(location: dict[str, Any]) -> str:
    """``path:line``, ``path#/json/pointer`` or ``path``."""
    if location.get("line"):
        return f"{location['path']}:{location['line']}"
    return f"{location['path']}#{location['pointer']}" if location.get("pointer") else location["path"]


def engine_note(data: dict[str, Any]) -> str | None:
    """Which engine checked the orders, and why (None for a report made without one)."""
    engine = data.get("engine")
    return f"{engine['used']} ({engine['reason']})" if engine else None


def waiver_note(note: dict[str, Any]) -> str:
    """A waiver as an auditor reads it: why, who, until when, where it is written."""
    return f"{note['reason']} ({note['owner']}, expires {note['expires']}; {note['source']})"


def counts_against(finding: dict[str, Any], options: RenderOptions) -> bool:
    """Whether this finding can fail the run: open, and at or above ``--fail-on``."""
    if "suppression" in finding or options.fail_on == NEVER:
        return False
    return SEVERITY_RANK[finding["severity"]] >= SEVERITY_RANK[options.fail_on]


def verdict(report: Report, options: RenderOptions) -> tuple[str, str]:
    """PASS, FAIL, INCOMPLETE or REPORT ONLY (``--fail-on none``), and why, with the exit code."""
    code = report.verdict(options)
    summary = report.summary
    if code == ExitCode.INCOMPLETE:
        return "INCOMPLETE", ("not everything could be checked; do not ship on this result "
                              f"({len(report.data['errors'])} error(s); exit 3)")
    failing = [finding for finding in report.findings if counts_against(finding, options)]
    if code == ExitCode.FINDINGS and not failing:
        return "FAIL", f"{summary['waivers']['stale']} stale waiver(s) and --fail-on-stale-waivers (exit 1)"
    if code == ExitCode.FINDINGS:
        return "FAIL", f"{len(failing)} open finding(s) at or above {options.fail_on} (exit 1)"
    if options.fail_on == NEVER:
        return "REPORT ONLY", f"--fail-on none: {summary['open']} open finding(s) do not fail the run (exit 0)"
    return "PASS", f"no open finding at or above {options.fail_on} (exit 0)"
