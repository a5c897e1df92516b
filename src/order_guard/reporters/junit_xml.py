"""``--format junit``: JUnit XML for Jenkins and GitLab.

One ``<testsuite>`` per rule; a ``<testcase>`` per finding (``<failure>``), or
one passing case when the rule found nothing. Waived and baselined findings
are ``<skipped>`` so they stay visible without failing the build. Errors of
the run (unreadable records, rule errors) form their own suite of
``<error>`` cases: an incomplete run is never green.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any, TextIO

from order_guard.report import RenderOptions, Report
from order_guard.reporting import counts_against, engine_note, waiver_note, where
from order_guard.sanitize import safe_text

ERRORS_SUITE = "order-guard input errors"
RUN_SUITE = "order-guard run"
POLICY_SUITE = "order-guard waivers and warnings"
#: Characters XML 1.0 cannot carry at all; ElementTree would write them and break every parser.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    """A value from input as XML-safe text; the report already neutralised it, this is defence in depth."""
    return _NOT_XML.sub("?", safe_text(str(value)))


def _suite(parent: ET.Element, name: str, counts: dict[str, int]) -> ET.Element:
    return ET.SubElement(parent, "testsuite", {"name": _text(name), "time": "0",
                                              **{key: str(value) for key, value in counts.items()}})


def _case(suite: ET.Element, classname: str, name: str, location: dict[str, Any] | None = None) -> ET.Element:
    attrs = {"classname": _text(classname), "name": _text(name), "time": "0"}
    if location:  # Jenkins and GitLab link a case to its file:line
        attrs["file"] = _text(location["path"])
        if location.get("line"):
            attrs["line"] = str(location["line"])
    return ET.SubElement(suite, "testcase", attrs)


def _waiver_note(note: dict[str, Any]) -> str:
    return _text(waiver_note(note))


def _finding_case(suite: ET.Element, finding: dict[str, Any], rule: dict[str, Any], options: RenderOptions) -> str:
    """Add one finding's case; return the counter it adds to (failures or skipped)."""
    subject = finding.get("order_id") or finding.get("sku") or "?"
    case = _case(suite, finding["rule_id"], subject, finding["location"])
    suppression = finding.get("suppression")
    if not suppression and not counts_against(finding, options):
        # Below --fail-on the gate passes: the build must not turn red (or unstable) for it.
        ET.SubElement(case, "skipped", {"message": f"{finding['severity']} finding below --fail-on "
                                                   f"{options.fail_on}: {_text(finding['message'])}"})
        return "skipped"
    if suppression and suppression["kind"] == "waiver":
        ET.SubElement(case, "skipped", {"message": f"waived: {_waiver_note(suppression)}"})
        return "skipped"
    if suppression:
        ET.SubElement(case, "skipped", {"message": f"baseline: known finding ({_text(suppression['source'])})"})
        return "skipped"
    failure = ET.SubElement(case, "failure", {"message": _text(finding["message"]), "type": finding["severity"]})
    lines = [
        _text(finding["message"]),
        f"rule: {finding['rule_id']} {_text(finding['rule'])} ({finding['severity']})",
        f"{'sku' if 'sku' in finding else 'order'}: {_text(subject)}",
        f"location: {_text(where(finding['location']))}",
        "evidence: " + _text(json.dumps(finding["evidence"], ensure_ascii=False, sort_keys=True)),
    ]
    if "value_at_risk" in finding:
        risk = finding["value_at_risk"]
        lines.append(f"value at risk: {risk['amount']} {_text(risk['currency'] or '')}".rstrip())
    if "expired_waiver" in finding:
        lines.append(f"waiver expired: {_waiver_note(finding['expired_waiver'])}")
    if rule.get("remediation"):
        lines.append(f"remediation: {_text(rule['remediation'])}")
    failure.text = "\n".join(lines)
    return "failures"


def _records_for(rule: dict[str, Any], inputs: list[dict[str, Any]]) -> int:
    return sum(entry["records"] - entry["unreadable"] for entry in inputs if entry["kind"] in rule["datasets"])


def _rule_suite(root: ET.Element, rule: dict[str, Any], findings: list[dict[str, Any]],
                inputs: list[dict[str, Any]], options: RenderOptions) -> dict[str, int]:
    counts = {"tests": max(len(findings), 1), "failures": 0, "errors": 0, "skipped": 0}
    suite = _suite(root, f"{rule['id']} {rule['name']}", counts)
    props = ET.SubElement(suite, "properties")
    for key in ("severity", "pack", "summary"):
        ET.SubElement(props, "property", {"name": key, "value": _text(rule[key])})
    for finding in findings:
        counts[_finding_case(suite, finding, rule, options)] += 1
    if not findings:
        missing = rule["missing_datasets"]
        if missing and set(missing) == set(rule["datasets"]):
            # Nothing of the rule ran: a pass here would be a false all-clear.
            case = _case(suite, rule["id"], "not checked")
            ET.SubElement(case, "skipped", {"message": f"not checked: no {', '.join(missing)} dataset"})
            counts["skipped"] += 1
        else:
            _case(suite, rule["id"], f"no findings over {_records_for(rule, inputs)} records")
    suite.attrib.update({key: str(value) for key, value in counts.items()})
    return counts


def _policy_suite(root: ET.Element, report: Report, options: RenderOptions) -> dict[str, int]:
    """Stale waivers (a failure with --fail-on-stale-waivers) and warnings about the data."""
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    stale = [waiver for waiver in report.data["waivers"] if waiver["status"] == "stale"]
    if not stale and not report.data["warnings"]:
        return counts
    suite = _suite(root, POLICY_SUITE, counts)
    for waiver in stale:
        path, _, line = waiver["source"].rpartition(":")
        case = _case(suite, "order-guard.waivers", f"stale waiver for {waiver['rule']}",
                     {"path": path, "line": int(line) if line.isdigit() else None})
        message = f"stale waiver (matched nothing): {_waiver_note(waiver)}"
        kind = "failures" if options.fail_on_stale_waivers else "skipped"
        ET.SubElement(case, "failure" if kind == "failures" else "skipped", {"message": message})
        counts[kind] += 1
    for warning in report.data["warnings"]:
        case = _case(suite, "order-guard.warnings", where(warning), warning)
        ET.SubElement(case, "skipped", {"message": f"warning: {_text(warning['message'])}"})
        counts["skipped"] += 1
    counts["tests"] = len(stale) + len(report.data["warnings"])
    suite.attrib.update({key: str(value) for key, value in counts.items()})
    return counts


def _errors_suite(root: ET.Element, report: Report) -> dict[str, int]:
    summary = report.summary
    cases: list[tuple[str, dict[str, Any] | None, str]] = [
        (where(error), error, _text(error["message"])) for error in report.data["errors"]]
    if summary["errors_not_shown"]:
        cases.append(("more errors", None, f"{summary['errors_not_shown']} more error(s) not kept; see --format json"))
    if not cases and not summary["complete"]:
        cases.append(("incomplete run", None, "the run is incomplete: not every record was checked"))
    counts = {"tests": len(cases), "failures": 0, "errors": len(cases), "skipped": 0}
    if cases:
        suite = _suite(root, ERRORS_SUITE, counts)
        for name, location, message in cases:
            case = _case(suite, "order-guard.input", name, location)
            error = ET.SubElement(case, "error", {"message": message, "type": "unreadable"})
            error.text = message
    return counts


def _run_suite(root: ET.Element, report: Report, options: RenderOptions) -> None:
    """A suite with no cases: the run's digests and waiver counts, for an auditor reading the XML."""
    data, summary = report.data, report.summary
    suite = _suite(root, RUN_SUITE, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
    props = ET.SubElement(suite, "properties")
    values = {"as_of": data["as_of"], "version": data["tool"]["version"], "fail_on": options.fail_on,
              "exit_code": int(report.verdict(options)), "waived": summary["waived"],
              "baselined": summary["baselined"], **{f"waivers.{k}": v for k, v in summary["waivers"].items()},
              **{f"value_at_risk.{k}": v for k, v in summary["value_at_risk"].items()}}
    if engine_note(data):
        values["engine"] = engine_note(data)
    for index, entry in enumerate(data["inputs"]):
        values[f"input.{index}"] = f"{entry['path']} {entry['kind']} {entry['format']} sha256={entry['sha256']}"
    for key, value in values.items():
        ET.SubElement(props, "property", {"name": _text(key), "value": _text(value)})


def render_junit(report: Report, out: TextIO, options: RenderOptions) -> None:
    root = ET.Element("testsuites", {"name": "order-guard", "time": "0"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding["rule_id"], []).append(finding)
    known = {rule["id"] for rule in report.data["rules"]}
    # A finding whose rule is not listed still fails the build rather than vanish.
    orphans = [{"id": rule_id, "name": found[0]["rule"], "severity": found[0]["severity"], "pack": "?",
                "summary": "", "remediation": "", "datasets": [], "missing_datasets": []}
               for rule_id, found in by_rule.items() if rule_id not in known]
    for rule in [*report.data["rules"], *orphans]:
        for key, value in _rule_suite(root, rule, by_rule.get(rule["id"], []), report.data["inputs"],
                                      options).items():
            totals[key] += value
    for suite_counts in (_errors_suite(root, report), _policy_suite(root, report, options)):
        for key, value in suite_counts.items():
            totals[key] += value
    _run_suite(root, report, options)
    root.attrib.update({key: str(value) for key, value in totals.items()})
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
