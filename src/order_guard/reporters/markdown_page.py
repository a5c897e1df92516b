"""``--format markdown``: the run as a person reads it in a pull request or an audit file.

Every value taken from input (order ids, messages, evidence, paths, waiver
reasons) goes through :func:`md`, so an order id such as
``| [x](http://evil) <script>`` renders as that text: no link, no HTML, no
broken table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TextIO

from order_guard.report import RenderOptions, Report
from order_guard.reporting import engine_note, verdict, where
from order_guard.rulelang.model import SEVERITY_RANK
from order_guard.sanitize import safe_text

#: Markdown punctuation that could start emphasis, code, links, headings, tables or escapes.
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~$])")
_SUBJECTS = {"order_id": "order", "sku": "SKU", "pattern": "pattern"}
#: At the start of a cell or list item these begin a list or a rule (``>`` and ``#`` are escaped anyway).
_LEADING = re.compile(r"^(\s*)([-+=]|\d{1,9}(?=[.)](?:\s|$)))")


def md(value: Any) -> str:
    """``value`` as inert Markdown text, on one line."""
    text = safe_text(str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN.sub(r"\\\1", text)
    # GFM links bare URLs and www. names; a backslash splits the token so the text stays text.
    text = text.replace("://", "\\://").replace("www.", "www\\.")
    text = _LEADING.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), text)
    return text


def _table(out: TextIO, headers: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """Cells must already be escaped (they are built with :func:`md`)."""
    out.write("| " + " | ".join(headers) + " |\n")
    out.write("|" + "|".join("---" for _ in headers) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(str(cell) if str(cell) else " " for cell in row) + " |\n")
    out.write("\n")


def _where(location: dict[str, Any]) -> str:
    return md(where(location))


def _evidence(evidence: dict[str, Any]) -> str:
    parts = []
    for key, value in evidence.items():
        if value in (None, [], ""):
            continue
        if isinstance(value, list):  # records of other datasets: where they are
            value = ", ".join(_where(v) if isinstance(v, dict) and "path" in v else md(v) for v in value)
            parts.append(f"{md(key)}: {value}")
        else:
            parts.append(f"{md(key)}: {md(value)}")
    return "; ".join(parts)


def _status(finding: dict[str, Any]) -> str:
    suppression = finding.get("suppression")
    if suppression and suppression["kind"] == "waiver":
        return (f"**waived**: {md(suppression['reason'])} ({md(suppression['owner'])}, "
                f"expires {md(suppression['expires'])})")
    if suppression:
        return "**baseline**"
    if "expired_waiver" in finding:
        return f"open (waiver expired {md(finding['expired_waiver']['expires'])})"
    return "open"


def _verdict(report: Report, options: RenderOptions) -> str:
    word, why = verdict(report, options)
    return f"**{word}**: {md(why)}"


def render_markdown(report: Report, out: TextIO, options: RenderOptions) -> None:
    data, summary = report.data, report.summary
    out.write("# order-guard report\n\n")
    out.write(f"Result: {_verdict(report, options)}\n\n")
    packs = ", ".join(f"{md(p['name'])} {md(p['version'])} (sha256 `{md(p['sha256'][:12])}`)" for p in data["packs"])
    version = md(data["tool"]["version"])
    out.write(f"As of {md(data['as_of'])}; order-guard {version}; rule packs: {packs or 'none'}\n\n")

    out.write("## Inputs\n\n")
    _table(out, ["path", "kind", "format", "records", "unreadable", "sha256"],
           [(md(e["path"]), md(e["kind"]), md(e["format"]), e["records"], e["unreadable"],
             f"`{md(e['sha256'][:12])}`" if e["sha256"] else "not read") for e in data["inputs"]])

    out.write("## Summary\n\n")
    waivers = summary["waivers"]
    risk = ", ".join(f"{md(amount)} {md(currency)}" for currency, amount in summary["value_at_risk"].items())
    out.write(f"- Records: {summary['records_read']} read, {summary['records_checked']} checked, "
              f"{summary['records_unreadable']} unreadable\n"
              f"- Findings: {summary['findings']} ({summary['open']} open, {summary['waived']} waived, "
              f"{summary['baselined']} baseline)\n"
              f"- Waivers: {waivers['active']} active, {waivers['expired']} expired, {waivers['stale']} stale\n"
              f"- Value at risk: {risk or 'none'}\n")
    if engine_note(data):
        out.write(f"- Engine: {md(engine_note(data))}\n")
    if summary["baseline"] is not None:
        out.write(f"- Baseline: {summary['baseline']['matched']} of {summary['baseline']['entries']} entries "
                  f"matched, {summary['baseline']['gone']} gone\n")
    out.write("\n")
    _table(out, ["severity", "findings"], [(name, count) for name, count in summary["by_severity"].items()] or
           [("none", 0)])
    rules = sorted(data["rules"], key=lambda r: (-SEVERITY_RANK[r["severity"]], r["id"]))
    _table(out, ["rule", "name", "severity", "findings", "not checked (missing dataset)"],
           [(md(r["id"]), md(r["name"]), r["severity"], summary["by_rule"].get(r["id"], 0),
             md(", ".join(r["missing_datasets"]))) for r in rules])

    out.write("## Findings\n\n")
    if report.findings:
        _table(out, ["severity", "rule", "order / SKU", "message", "location", "evidence", "status"],
               [(f["severity"], f"{md(f['rule_id'])} {md(f['rule'])}", md(f.get("order_id") or f.get("sku")),
                 md(f["message"]), _where(f["location"]), _evidence(f["evidence"]), _status(f))
                for f in report.findings])
    else:
        out.write("No findings.\n\n")

    if data["waivers"]:
        out.write("## Waivers\n\n")
        _table(out, ["status", "rule", "applies to", "reason", "owner", "expires", "matched", "source"],
               [(w["status"], md(w["rule"]),
                 " ".join(f"{label} {md(w[key])}" for key, label in _SUBJECTS.items() if key in w),
                 md(w["reason"]), md(w["owner"]), md(w["expires"]), w["matched"], md(w["source"]))
                for w in data["waivers"]])

    if data["warnings"]:
        out.write("## Warnings\n\n")
        _table(out, ["location", "warning"], [(_where(w), md(w["message"])) for w in data["warnings"]])
    if data["errors"] or summary["errors_not_shown"]:
        out.write("## Errors\n\n")
        _table(out, ["location", "message"], [(_where(e), md(e["message"])) for e in data["errors"]])
        if summary["errors_not_shown"]:
            out.write(f"{summary['errors_not_shown']} more error(s) not shown; see `--format json`.\n\n")
