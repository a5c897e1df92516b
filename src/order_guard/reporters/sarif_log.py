"""``--format sarif``: SARIF 2.1.0 for code-scanning dashboards and auditors.

Every rule of the run is described under ``tool.driver.rules`` (rationale,
remediation, references), every finding is a result pointing at the input
record (``region.startLine`` for flat files, a logical location holding the
JSON pointer for JSON documents). Waived and baselined findings stay in the
log with ``suppressions``; errors of the run are tool execution
notifications, and an incomplete run is not ``executionSuccessful``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, TextIO
from urllib.parse import quote

from order_guard.report import RenderOptions, Report
from order_guard.reporting import verdict, waiver_note
from order_guard.sanitize import safe_text

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/order-guard/"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _text(value: Any) -> str:
    return safe_text(str(value))


def _clean(value: Any) -> Any:
    """Evidence as JSON values, every string neutralised (defence in depth: the report did it already)."""
    if isinstance(value, dict):
        return {_text(key): _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return _text(value) if isinstance(value, str) else value


def artifact_uri(path: str) -> str:
    """A relative path stays a relative URI reference (portable across checkouts); an absolute one is a file URI."""
    if _SCHEME.match(path):
        return path  # a source URL (sp-api://...) is already a URI
    windows = PureWindowsPath(path)
    if windows.drive:
        return windows.as_uri()
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return posix.as_uri()
    return quote(posix.as_posix(), safe="/")


def _physical(path: str, line: int | None, artifacts: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"uri": artifact_uri(path)}
    if path in artifacts:
        location["index"] = artifacts[path]
    physical: dict[str, Any] = {"artifactLocation": location}
    if line:
        physical["region"] = {"startLine": line}
    return physical


def _location(where: dict[str, Any], artifacts: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {"physicalLocation": _physical(where["path"], where.get("line"), artifacts)}
    if where.get("pointer"):  # JSON documents have no useful line; the pointer names the record
        location["logicalLocations"] = [{"fullyQualifiedName": _text(where["pointer"]), "kind": "object"}]
        location["properties"] = {"json_pointer": _text(where["pointer"])}
    return location


def _related(evidence: dict[str, Any], artifacts: dict[str, int]) -> list[dict[str, Any]]:
    """Records of other datasets named as evidence (the shipment row of a Pending order)."""
    related = []
    for name, value in evidence.items():
        for entry in value if isinstance(value, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                related.append({"id": len(related), "message": {"text": _text(name)},
                                **_location(entry, artifacts)})
    return related


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    references = "".join(f"\n- {_text(ref)}" for ref in rule["references"])
    help_text = _text(rule["remediation"]) + (f"\n\nReferences:{references}" if references else "")
    return {
        "id": rule["id"],
        "name": _text(rule["name"]),
        "shortDescription": {"text": _text(rule["summary"] or rule["name"])},
        "fullDescription": {"text": _text(rule["rationale"] or rule["summary"] or rule["name"])},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVELS[rule["severity"]]},
        "properties": {"severity": rule["severity"], "tags": [_text(tag) for tag in rule["tags"]],
                       "pack": _text(rule["pack"])},
    }


def _suppression(suppression: dict[str, Any]) -> dict[str, Any]:
    if suppression["kind"] == "waiver":
        justification = (f"waived: {_text(suppression['reason'])} ({_text(suppression['owner'])}, "
                         f"expires {_text(suppression['expires'])})")
    else:
        justification = "baseline: finding known when the baseline was written"
    return {"kind": "external", "status": "accepted", "justification": justification,
            "properties": _clean(suppression)}


def _result(finding: dict[str, Any], rule_index: dict[str, int], artifacts: dict[str, int]) -> dict[str, Any]:
    subject_key = "sku" if "sku" in finding else "order_id"
    subject = finding[subject_key]
    properties: dict[str, Any] = {subject_key: _text(subject), "severity": finding["severity"],
                                  "evidence": _clean(finding["evidence"])}
    for key in ("value_at_risk", "expired_waiver"):
        if key in finding:
            properties[key] = _clean(finding[key])
    # Rule and subject, never the line: the fingerprint survives a re-export that moves the row.
    fingerprint = hashlib.sha256(f"{finding['rule_id']}\0{subject_key}\0{subject}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": finding["rule_id"],
        "level": LEVELS[finding["severity"]],
        "message": {"text": _text(finding["message"])},
        "locations": [_location(finding["location"], artifacts)],
        "partialFingerprints": {"orderGuardSubject/v1": fingerprint},
        "properties": properties,
    }
    if finding["rule_id"] in rule_index:
        result["ruleIndex"] = rule_index[finding["rule_id"]]
    related = _related(finding["evidence"], artifacts)
    if related:
        result["relatedLocations"] = related
    if "suppression" in finding:
        result["suppressions"] = [_suppression(finding["suppression"])]
    return result


def _notifications(report: Report, rule_index: dict[str, int], artifacts: dict[str, int],
                   options: RenderOptions) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = [
        {"level": "error", "message": {"text": _text(error["message"])},
         "locations": [_location(error, artifacts)]}
        for error in report.data["errors"]
    ]
    if report.summary["errors_not_shown"]:
        notes.append({"level": "error", "message": {
            "text": f"{report.summary['errors_not_shown']} more error(s) not kept; see --format json"}})
    if not notes and not report.summary["complete"]:  # never an unexplained executionSuccessful: false
        notes.append({"level": "error", "message": {"text": "the run is incomplete: not every record was checked"}})
    for warning in report.data["warnings"]:
        notes.append({"level": "warning", "message": {"text": _text(warning["message"])},
                      "locations": [_location(warning, artifacts)]})
    for waiver in report.data["waivers"]:
        if waiver["status"] != "active":
            level = "error" if waiver["status"] == "stale" and options.fail_on_stale_waivers else "warning"
            notes.append({"level": level, "message": {
                "text": f"{waiver['status']} waiver for {_text(waiver['rule'])}: {_text(waiver_note(waiver))}"}})
    word, why = verdict(report, options)
    notes.append({"level": "note", "message": {"text": f"{word}: {why}"}})
    for rule in report.data["rules"]:
        if rule["missing_datasets"]:
            notes.append({"level": "warning", "associatedRule": {"id": rule["id"], "index": rule_index[rule["id"]]},
                          "message": {"text": f"{rule['id']} not checked against missing dataset(s): "
                                              f"{', '.join(rule['missing_datasets'])}"}})
    return notes


def render_sarif(report: Report, out: TextIO, options: RenderOptions) -> None:
    data, summary = report.data, report.summary
    rule_index = {rule["id"]: index for index, rule in enumerate(data["rules"])}
    artifacts = {entry["path"]: index for index, entry in enumerate(data["inputs"])}
    run = {
        "tool": {"driver": {"name": "order-guard", "version": data["tool"]["version"],
                            "semanticVersion": data["tool"]["version"], "informationUri": INFORMATION_URI,
                            "rules": [_rule(rule) for rule in data["rules"]]}},
        "invocations": [{
            "executionSuccessful": bool(summary["complete"]),
            "toolExecutionNotifications": _notifications(report, rule_index, artifacts, options),
            "exitCode": int(report.verdict(options)),
            "properties": {"fail_on": options.fail_on, "verdict": verdict(report, options)[0],
                           **({"engine": _clean(data["engine"])} if data.get("engine") else {})},
        }],
        "artifacts": [
            {"location": {"uri": artifact_uri(entry["path"])}, "roles": ["analysisTarget"],
             **({"hashes": {"sha-256": entry["sha256"]}} if entry["sha256"] else {}),
             "properties": _clean({key: value for key, value in entry.items() if key not in ("path", "sha256")})}
            for entry in data["inputs"]
        ],
        "results": [_result(finding, rule_index, artifacts) for finding in report.findings],
        "properties": {"as_of": data["as_of"], "summary": _clean(summary), "packs": _clean(data["packs"]),
                       "waivers": _clean(data["waivers"])},
    }
    json.dump({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, out, indent=2, ensure_ascii=False)
    out.write("\n")
