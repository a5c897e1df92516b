"""``--format html``: one self-contained HTML5 page for auditors.

No scripts, no remote assets (a Content-Security-Policy forbids both), inline
CSS and an inline SVG chart; it works offline and prints. Every value goes
through :func:`html.escape` (attribute values included); values from input
files were already neutralised (control characters, formulas) in the report.
"""

from __future__ import annotations

from typing import Any, TextIO

from order_guard.builtin.html import anchor, digest, e, evidence, kv, table, where
from order_guard.builtin.html.chart import Bar, charts
from order_guard.builtin.html.style import COLOURS, CSS
from order_guard.report import RenderOptions, Report
from order_guard.reporting import verdict
from order_guard.rulelang.model import SEVERITY_RANK

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
SEVERITIES = ("critical", "high", "medium", "low", "info")
MAX_ERRORS = 200


def render_html(report: Report, out: TextIO, options: RenderOptions) -> None:
    data = report.data
    word, why = verdict(report, options)
    rules = sorted(data["rules"], key=lambda r: (-SEVERITY_RANK[r["severity"]], r["id"]))
    title = f"order-guard report: {word} as of {data['as_of']}"
    out.write(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
              f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">\n'
              f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
              f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body>\n")
    out.write(f'<header class="v-{word.split()[0]}"><span class="word">{word}</span>'
              f"<div><h1>order-guard report</h1><p>{e(why)}</p></div><dl>"
              f"<dt>as of</dt><dd>{e(data['as_of'])}</dd>"
              f"<dt>tool</dt><dd>{e(data['tool']['name'])} {e(data['tool']['version'])}</dd>"
              f"<dt>fail on</dt><dd>{e(options.fail_on)}</dd></dl></header>\n")
    if data["errors"] or data["summary"]["errors_not_shown"]:
        out.write(_errors(report))
    if data.get("warnings"):
        items = "".join(f'<li><span class="mono">{e(where(w))}</span>: {e(w["message"])}</li>'
                        for w in data["warnings"][:MAX_ERRORS])
        out.write(f'<section id="warnings" class="notice"><h2>{len(data["warnings"])} warning(s)</h2>'
                  f"<ul>{items}</ul></section>\n")
    out.write(_nav(rules))
    out.write(_summary(report, rules))
    out.write(_inputs(data))
    out.write(_waivers(report))
    out.write('<h2 id="rules">Rules and offending orders</h2>\n')
    for rule in rules:
        out.write(_rule(rule, [f for f in report.findings if f["rule_id"] == rule["id"]]))
    out.write(f"<footer>Written by order-guard {e(data['tool']['version'])}. This page is self-contained: no scripts, "
              "no remote resources. <code>--format json</code> gives the same report as data.</footer>\n"
              "</body></html>\n")


def _nav(rules: list[dict[str, Any]]) -> str:
    links = "".join(f'<li><a href="#{e(anchor(r["id"]))}">{e(r["id"])} {e(r["name"])}</a></li>' for r in rules)
    return ('<nav><h2>Contents</h2><p><a href="#summary">Summary</a> · <a href="#inputs">Inputs and rule packs</a>'
            f' · <a href="#waivers">Waivers and baseline</a> · <a href="#rules">Rules</a></p><ol>{links}</ol></nav>\n')


def _errors(report: Report) -> str:
    data, summary = report.data, report.summary
    items = "".join(f'<li class="mono">{e(where(error))}: {e(error["message"])}</li>'
                    for error in data["errors"][:MAX_ERRORS])
    more = len(data["errors"]) - MAX_ERRORS + summary["errors_not_shown"]
    extra = f"<p>… and {more} more (see <code>--format json</code> and the run's messages).</p>" if more > 0 else ""
    head = "The run is incomplete: " if not summary["complete"] else ""
    return (f'<section id="errors" class="alert"><h2>{head}{len(data["errors"]) + summary["errors_not_shown"]} '
            f"error(s) reading or checking the data</h2>"
            f'<p>{summary["records_unreadable"]} of {summary["records_read"]} record(s) could not be read; '
            f"findings below may be incomplete.</p><ul>{items}</ul>{extra}</section>\n")


def _summary(report: Report, rules: list[dict[str, Any]]) -> str:
    summary = report.summary
    unchecked = sum(1 for rule in rules if rule["missing_datasets"])
    cards = [
        ("records read", summary["records_read"],
         f'{summary["records_checked"]} checked, {summary["records_unreadable"]} unreadable'),
        ("rules", len(rules), f"{unchecked} missing a dataset" if unchecked else "all datasets present"),
        ("findings", summary["findings"],
         f'{summary["open"]} open, {summary["waived"]} waived, {summary["baselined"]} baselined'),
    ]
    if report.data.get("engine"):
        cards.append(("engine", report.data["engine"]["used"], report.data["engine"]["reason"]))
    html_cards = "".join(f'<div class="card">{e(label)}<b>{e(value)}</b><span class="muted">{e(note)}</span></div>'
                         for label, value, note in cards)
    risk = "".join(f"<b>{e(amount)} {e(currency)}</b>" for currency, amount in summary["value_at_risk"].items())
    html_cards += (f'<div class="card" id="value-at-risk">value at risk{risk or "<b>none</b>"}'
                   '<span class="muted">order totals the seller carries</span></div>')
    kinds: dict[str, list[str]] = {name: [] for name in [*SEVERITIES, *(rule["id"] for rule in rules)]}
    for finding in report.findings:
        kind = finding.get("suppression", {}).get("kind")
        if kind:
            kinds[finding["severity"]].append(kind)
            kinds.setdefault(finding["rule_id"], []).append(kind)
    per_rule = []
    for rule in rules:
        count = summary["by_rule"].get(rule["id"], 0)
        note = f'{count} {rule["severity"]}' + _suppressed_note(kinds[rule["id"]])
        if rule["missing_datasets"]:
            note += f' · missing: {", ".join(rule["missing_datasets"])}'
        per_rule.append(Bar(f'{rule["id"]} {rule["name"]}', rule["severity"], count, len(kinds[rule["id"]]), note,
                            "#" + anchor(rule["id"])))
    per_severity = [Bar(name, name, count, len(kinds[name]), f"{count}" + _suppressed_note(kinds[name]))
                    for name, count in ((name, summary["by_severity"].get(name, 0)) for name in SEVERITIES)]
    legend = ('<p class="muted">Dashed, lighter bar segments are waived or baselined findings.</p>'
              if summary["waived"] or summary["baselined"] else "")
    return (f'<section id="summary"><h2>Summary</h2><div class="cards">{html_cards}</div>'
            f'{charts(("Findings per rule", per_rule), ("Findings per severity", per_severity))}{legend}</section>\n')


def _suppressed_note(kinds: list[str]) -> str:
    """" (1 waived, 2 baselined)" for the suppressed part of a bar."""
    counts = [f"{kinds.count(kind)} {label}" for kind, label in (("waiver", "waived"), ("baseline", "baselined"))
              if kind in kinds]
    return f" ({', '.join(counts)})" if counts else ""


def _inputs(data: dict[str, Any]) -> str:
    rows = [[e(i["path"]),
             f'<b>{e(i["kind"])}</b> · {e(i["format"])}<br><span class="muted">'
             + ", ".join(f"{k}: {e(i[k])}" for k in ("encoding", "delimiter", "compressed", "layout") if i.get(k))
             + "</span>",
             f'{e(i["records"])}<br><span class="{"warn" if i["unreadable"] else "muted"}">'
             f'{e(i["unreadable"])} unreadable</span>', digest(i["sha256"])] for i in data["inputs"]]
    packs = [[e(p["name"]), e(p["version"]), f'<span class="path">{e(p["path"])}</span>', digest(p["sha256"])]
             for p in data["packs"]]
    return ('<section id="inputs"><h2>Inputs</h2>'
            + table(["path", "kind · format", "records", "SHA-256"], rows, [28, 24, 10, 38])
            + "<h2>Rule packs</h2>" + table(["pack", "version", "path", "SHA-256"], packs, [16, 8, 38, 38])
            + "</section>\n")


def _waivers(report: Report) -> str:
    summary, waivers = report.summary, report.data["waivers"]
    ids = {rule["name"]: rule["id"] for rule in report.data["rules"]}
    counts = summary["waivers"]
    text = (f'<p>{summary["waived"]} finding(s) waived; waivers: {counts["active"]} active, '
            f'{counts["expired"]} expired, {counts["stale"]} stale.</p>')
    rows = [[f'<span class="tag {e(w["status"])}">{e(w["status"])}</span><br>'
             f'<span class="muted">matched {e(w["matched"])}</span>',
             f'<a href="#{e(anchor(ids.get(w["rule"], w["rule"])))}">{e(w["rule"])}</a>',
             f'<span class="mono">{e(next((w[k] for k in ("order_id", "sku", "pattern") if k in w), ""))}</span>',
             f'{e(w["reason"])}<br><span class="muted path">{e(w["source"])}</span>', e(w["owner"]), e(w["expires"])]
            for w in waivers]
    listing = (table(["status", "rule", "order / SKU / pattern", "reason", "owner", "expires"], rows,
                    [10, 13, 18, 33, 15, 11]) if waivers else '<p class="muted">No waivers file.</p>')
    baseline = summary["baseline"]
    base = (f'<p>Baseline: {summary["baselined"]} finding(s) in the baseline; {baseline["entries"]} entries, '
            f'{baseline["matched"]} matched, {baseline["gone"]} gone. {summary["open"]} finding(s) open.</p>'
            if baseline is not None else '<p class="muted">No baseline.</p>')
    return f'<section id="waivers"><h2>Waivers and baseline</h2>{text}{listing}{base}</section>\n'


def _rule(rule: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    refs = "".join(f"<li>{e(ref)}</li>" for ref in rule["references"]) or "<li>none</li>"
    datasets = e(", ".join(rule["datasets"]) or "–")
    if rule["missing_datasets"]:
        datasets += (f' <span class="warn">missing: {e(", ".join(rule["missing_datasets"]))}; '
                     "its checks over that data did not run</span>")
    head = (f'<section class="rule" id="{e(anchor(rule["id"]))}" style="border-left-color:{COLOURS[rule["severity"]]}">'
            f'<h3>{_badge(rule["severity"])} {e(rule["id"])} {e(rule["name"])} '
            f'<span class="muted">· {len(findings)} finding(s)</span></h3><p>{e(rule["summary"])}</p>'
            f'<dl><dt>Rationale</dt><dd>{e(rule["rationale"])}</dd><dt>Remediation</dt><dd>{e(rule["remediation"])}</dd>'
            f"<dt>References</dt><dd><ul>{refs}</ul></dd><dt>Pack / datasets</dt>"
            f'<dd>{e(rule["pack"])} · {datasets}</dd></dl>')
    if not findings:
        return head + '<p class="muted">No finding.</p></section>\n'
    rows, classes = [], []
    for f in findings:
        subject = f'<span class="mono">{e(f.get("order_id") or f.get("sku") or "")}</span>'
        if "value_at_risk" in f:
            subject += f'<br><span class="muted">at risk: {e(f["value_at_risk"]["amount"])} ' \
                       f'{e(f["value_at_risk"]["currency"] or "")}</span>'
        rows.append([subject, e(f["message"]), evidence(f["evidence"]),
                     f'<span class="mono">{e(where(f["location"]))}</span>', _status(f)])
        classes.append(f'suppressed {f["suppression"]["kind"]}' if "suppression" in f else "open")
    return head + table(["order / SKU", "message", "evidence", "location", "status"], rows,
                         [15, 24, 25, 16, 20], classes) + "</section>\n"


def _badge(severity: str) -> str:
    return f'<span class="sev sev-{e(severity)}" style="background:{COLOURS[severity]}">{e(severity)}</span>'


def _status(finding: dict[str, Any]) -> str:
    """Open, waived (with the waiver's reason, owner, expiry) or baselined; an expired waiver is shown too."""
    suppression, lapsed = finding.get("suppression"), finding.get("expired_waiver")
    if suppression and suppression["kind"] == "baseline":
        return f'<span class="tag baselined">baselined</span>{kv([("baseline", suppression["source"])])}'
    if suppression:
        return f'<span class="tag waived">waived</span> {_waiver_note(suppression, "expires")}'
    text = '<span class="tag open">open</span>'
    return text + f' <span class="tag expired">waiver expired</span> {_waiver_note(lapsed, "expired")}' \
        if lapsed else text


def _waiver_note(waiver: dict[str, Any], expiry: str) -> str:
    return f'<p>{e(waiver["reason"])}</p>' + kv([("owner", waiver["owner"]), (expiry, waiver["expires"]),
                                                 ("waiver", waiver["source"])])
