"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

``::error`` for critical and high, ``::warning`` for medium, ``::notice`` for
low and info; waived and baselined findings are notices that say so. Input
errors are ``::error`` annotations. Every value is escaped by the runner's
rules, so input can neither end the command early nor start a command of its
own on a new line (``::add-mask::``, ``::stop-commands::``).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from order_guard.report import RenderOptions, Report
from order_guard.reporting import verdict
from order_guard.sanitize import safe_text

COMMANDS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice", "info": "notice"}


def escape_data(text: str) -> str:
    """The message part: the runner unescapes %25, %0D and %0A."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: additionally ``:`` and ``,``, which end or separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _text(value: Any) -> str:
    return safe_text(str(value))


def command(name: str, message: str, **properties: Any) -> str:
    props = ",".join(f"{key}={escape_property(_text(value))}" for key, value in properties.items()
                     if value not in (None, ""))
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _position(location: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``file``/``line`` properties; a JSON pointer has no line, so it goes into the message."""
    where = {"file": location["path"], "line": location.get("line")}
    return where, f" (at {_text(location['pointer'])})" if location.get("pointer") else ""


def _evidence(finding: dict[str, Any]) -> str:
    return "evidence: " + _text(json.dumps(finding["evidence"], ensure_ascii=False, sort_keys=True))


def _annotation(finding: dict[str, Any]) -> str:
    where, pointer = _position(finding["location"])
    title = f"{finding['rule_id']} {finding['rule']}"
    body = f"{_text(finding['message'])}{pointer}\n{_evidence(finding)}"
    if "value_at_risk" in finding:
        risk = finding["value_at_risk"]
        body += f"\nvalue at risk: {risk['amount']} {_text(risk['currency'] or '')}".rstrip()
    suppression = finding.get("suppression")
    if suppression and suppression["kind"] == "waiver":
        note = (f"waived: {_text(suppression['reason'])} ({_text(suppression['owner'])}, "
                f"expires {_text(suppression['expires'])})")
        return command("notice", f"{note}\n{body}", **where, title=f"{title} (waived)")
    if suppression:
        return command("notice", f"baseline: known finding\n{body}", **where, title=f"{title} (baseline)")
    if "expired_waiver" in finding:
        lapsed = finding["expired_waiver"]
        body += f"\nwaiver expired {_text(lapsed['expires'])}: {_text(lapsed['reason'])} ({_text(lapsed['owner'])})"
    return command(COMMANDS[finding["severity"]], body, **where, title=title)


def _summary(report: Report, options: RenderOptions) -> str:
    summary = report.summary
    word, why = verdict(report, options)
    severities = ", ".join(f"{count} {name}" for name, count in summary["by_severity"].items()) or "none"
    risk = ", ".join(f"{_text(amount)} {_text(currency)}" for currency, amount in summary["value_at_risk"].items())
    waivers = summary["waivers"]
    return (f"order-guard {word} - {why}: "
            f"{summary['records_read']} records read, {summary['records_unreadable']} unreadable; "
            f"{summary['findings']} finding(s) ({severities}), {summary['open']} open, {summary['waived']} waived, "
            f"{summary['baselined']} baselined; waivers {waivers['active']} active, {waivers['expired']} expired, "
            f"{waivers['stale']} stale" + (f"; value at risk {risk}" if risk else ""))


def render_github(report: Report, out: TextIO, options: RenderOptions) -> None:
    for finding in report.findings:
        out.write(_annotation(finding) + "\n")
    for error in report.data["errors"]:
        where, pointer = _position(error)
        out.write(command("error", f"{_text(error['message'])}{pointer}", **where,
                          title="order-guard input error") + "\n")
    if report.summary["errors_not_shown"]:
        out.write(command("error", f"{report.summary['errors_not_shown']} more error(s) not shown; see --format json",
                          title="order-guard input error") + "\n")
    for waiver in report.data["waivers"]:
        if waiver["status"] != "active":  # an expired or stale waiver is work for its owner
            path, _, line = waiver["source"].rpartition(":")
            where = {"file": path, "line": line} if line.isdigit() else {"file": waiver["source"]}
            out.write(command("warning", f"{waiver['status']} waiver for {_text(waiver['rule'])}: "
                                         f"{_text(waiver['reason'])} ({_text(waiver['owner'])}, expires "
                                         f"{_text(waiver['expires'])})",
                              **where, title=f"order-guard {waiver['status']} waiver") + "\n")
    for warning in report.data["warnings"]:
        where, pointer = _position(warning)
        out.write(command("warning", f"{_text(warning['message'])}{pointer}", **where,
                          title="order-guard: data may be incomplete") + "\n")
    for rule in report.data["rules"]:
        if rule["missing_datasets"]:
            out.write(command("warning", f"{rule['id']} {_text(rule['name'])} did not see "
                                         f"{', '.join(rule['missing_datasets'])}: give that data to check it fully",
                              title=f"order-guard: {rule['id']} not fully checked") + "\n")
    # Plain text, not a command: a summary line for the log, after the annotations.
    out.write(_summary(report, options).replace("\n", " ") + "\n")
