"""``--format table`` (the default): one line per finding, then counts per rule and severity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from order_guard import hookimpl
from order_guard.report import RenderOptions, Report
from order_guard.reporting import engine_note, verdict, waiver_note, where
from order_guard.rulelang.model import SEVERITY_RANK
from order_guard.sanitize import safe_text
from order_guard.texttable import simple_table
from order_guard.types import Reporter

MAX_MESSAGE = 110


def safe(text: Any) -> str:
    """Values from input files never move the cursor or colour the terminal."""
    return safe_text(str(text))


def render_table(report: Report, out: TextIO, options: RenderOptions) -> None:
    data, summary = report.data, report.summary
    out.write(f"order-guard {data['tool']['version']}  as of {data['as_of']}\n")
    for entry in data["inputs"]:
        out.write(f"  {safe(entry['path'])}: {entry['kind']} ({entry['format']}), {entry['records']} records\n")
    out.write("\n")
    if report.findings:
        rows = [
            (_severity(f), f["rule_id"], safe(f.get("order_id") or f.get("sku") or ""),
             safe(_shorten(f["message"])), safe(where(f["location"])))
            for f in report.findings
        ]
        out.write(simple_table(rows, ["severity", "rule", "order / sku", "message", "where"]))
        out.write("\n\n")
    by_rule = summary["by_rule"]
    rule_rows = [(rule["id"], rule["name"], rule["severity"], by_rule.get(rule["id"], 0),
                  "missing: " + ", ".join(rule["missing_datasets"]) if rule["missing_datasets"] else "")
                 for rule in sorted(data["rules"], key=lambda r: (-SEVERITY_RANK[r["severity"]], r["id"]))]
    out.write(simple_table(rule_rows, ["rule", "name", "severity", "findings", "datasets"]))
    out.write("\n\n")
    if data["errors"]:
        out.write(f"{len(data['errors'])} error(s) reading or checking the data:\n")
        for error in data["errors"][:20]:
            out.write(f"  {safe(where(error))}: {safe(error['message'])}\n")
        if len(data["errors"]) > 20:
            out.write(f"  ... {len(data['errors']) - 20} more in --format json\n")
        out.write("\n")
    for warning in data["warnings"][:20]:
        out.write(f"warning: {safe(where(warning))}: {safe(warning['message'])}\n")
    severities = ", ".join(f"{count} {name}" for name, count in summary["by_severity"].items()) or "none"
    risk = ", ".join(f"{amount} {currency}" for currency, amount in summary["value_at_risk"].items())
    out.write(f"records: {summary['records_read']} read, {summary['records_checked']} checked, "
              f"{summary['records_unreadable']} unreadable\n")
    if engine_note(data):
        out.write(f"engine: {safe(engine_note(data))}\n")
    out.write(f"findings: {summary['findings']} ({severities})" + (f"; value at risk: {risk}" if risk else "") + "\n")
    _write_suppressions(report, out)
    out.write(_verdict(report, options) + "\n")


def _severity(finding: dict[str, Any]) -> str:
    suppression = finding.get("suppression")
    label = finding["severity"].upper()
    return f"{label} ({suppression['kind']})" if suppression else label


def _write_suppressions(report: Report, out: TextIO) -> None:
    summary = report.summary
    for heading, key in (("waived", "suppression"), ("waiver expired, finding counts", "expired_waiver")):
        notes = [(f, f[key]) for f in report.findings if key in f and f[key].get("kind", "waiver") == "waiver"]
        if notes:
            out.write(f"{heading}:\n")
            for finding, note in notes:
                subject = finding.get("order_id") or finding.get("sku")
                out.write(f"  {finding['rule_id']} {safe(subject)}: {safe(waiver_note(note))}\n")
    waivers = summary["waivers"]
    if report.data["waivers"]:
        out.write(f"waivers: {summary['waived']} finding(s) waived; {waivers['active']} active, "
                  f"{waivers['expired']} expired, {waivers['stale']} stale\n")
        for waiver in report.data["waivers"]:
            if waiver["status"] != "active":
                out.write(f"  {waiver['status']}: {safe(waiver['source'])} "
                          f"({safe(waiver['rule'])}, expires {safe(waiver['expires'])})\n")
    baseline = summary["baseline"]
    if baseline is not None:
        out.write(f"baseline: {summary['baselined']} finding(s) in the baseline, {baseline['gone']} of "
                  f"{baseline['entries']} entries gone; {summary['open']} open\n")


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _verdict(report: Report, options: RenderOptions) -> str:
    word, why = verdict(report, options)
    return f"result: {word} - {why}"


@hookimpl(trylast=True)
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="table", render=render_table, description="a readable table (default)")
