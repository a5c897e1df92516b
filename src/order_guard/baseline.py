"""Baselines: accept today's findings so that only new ones fail the run.

A new rule can ship without blocking a warehouse on its backlog: write the
current findings once (``--write-baseline``), then check with ``--baseline``.
Entries are keyed by rule id and order id (or SKU); an entry whose finding is
gone is counted, so the backlog can be seen shrinking. Critical findings are
never baselined: a Pending order in the shipping file must stop the parcel
every time (a waiver, with its owner and expiry, is the way to accept one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from order_guard import __version__
from order_guard.errors import UsageError

FORMAT_VERSION = 1
NEVER_BASELINED = "critical"


def _key(subject: str, finding: dict[str, Any]) -> tuple[str, str, str]:
    return finding["rule_id"], "sku" if "sku" in finding else "order_id", subject


def baseline_document(findings: list[tuple[str, dict[str, Any]]], as_of: str) -> dict[str, Any]:
    """The open, non-critical findings (``(subject as read, finding)`` pairs) as a baseline.
    Waived findings stay out: when the waiver expires they must fail, not hide in the baseline."""
    entries = sorted({_key(subject, finding) for subject, finding in findings
                      if finding["severity"] != NEVER_BASELINED and "suppression" not in finding})
    return {
        "order_guard_baseline": FORMAT_VERSION,
        "tool_version": __version__,
        "as_of": as_of,
        "entries": [{"rule_id": rule_id, field: subject} for rule_id, field, subject in entries],
    }


_ENTRY = {"type": "object", "properties": {"rule_id": {"type": "string"}, "order_id": {"type": "string"},
                                           "sku": {"type": "string"}},
          "required": ["rule_id"], "oneOf": [{"required": ["order_id"]}, {"required": ["sku"]}]}
SCHEMA = {"type": "object", "properties": {"order_guard_baseline": {"const": FORMAT_VERSION},
                                           "entries": {"type": "array", "items": _ENTRY}},
          "required": ["order_guard_baseline", "entries"]}


def load_baseline(path: Path) -> set[tuple[str, str, str]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read baseline: {err.strerror or err}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: not a baseline file (invalid JSON: {err})") from None
    if not isinstance(document, dict) or document.get("order_guard_baseline") is not FORMAT_VERSION:
        raise UsageError(f"{path}: not an order-guard baseline (version {FORMAT_VERSION}); write one with "
                         "--write-baseline")
    import jsonschema  # here, not at start-up: most runs have no baseline

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
    if error is not None:
        where = "/".join(map(str, error.absolute_path))
        raise UsageError(f"{path}: not a valid baseline at {where or 'the top'}: {error.message}")
    return {_key(entry.get("order_id") or entry["sku"], entry) for entry in document["entries"]}


def apply_baseline(findings: list[tuple[str, dict[str, Any]]], baseline: set[tuple[str, str, str]], source: str,
                   unchecked: set[str] = frozenset()) -> dict[str, int]:
    """Mark findings already in the baseline; count matched entries, and gone ones (whose
    finding no longer appears), leaving out rules that did not run for lack of a dataset."""
    keys = set()
    for subject, finding in findings:
        key = _key(subject, finding)
        keys.add(key)
        if (key in baseline and "suppression" not in finding and "expired_waiver" not in finding
                and finding["severity"] != NEVER_BASELINED):
            finding["suppression"] = {"kind": "baseline", "source": source}
    matched = sum(1 for _, finding in findings if finding.get("suppression", {}).get("kind") == "baseline")
    not_run = {entry for entry in baseline if entry[0] in unchecked}
    return {"entries": len(baseline), "matched": matched, "gone": len(baseline - keys - not_run),
            "not_checked": len(not_run - keys)}
