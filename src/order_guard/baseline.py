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


def _key(entry: dict[str, Any]) -> tuple[str, str, str]:
    subject_field = "sku" if entry.get("sku") is not None else "order_id"
    return entry["rule_id"], subject_field, entry[subject_field]


def baseline_document(findings: list[dict[str, Any]], as_of: str) -> dict[str, Any]:
    entries = sorted({_key(finding) for finding in findings if finding["severity"] != NEVER_BASELINED})
    return {
        "order_guard_baseline": FORMAT_VERSION,
        "tool_version": __version__,
        "as_of": as_of,
        "entries": [{"rule_id": rule_id, field: subject} for rule_id, field, subject in entries],
    }


def load_baseline(path: Path) -> set[tuple[str, str, str]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read baseline: {err.strerror or err}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: not a baseline file (invalid JSON: {err})") from None
    if not isinstance(document, dict) or document.get("order_guard_baseline") != FORMAT_VERSION:
        raise UsageError(f"{path}: not an order-guard baseline (version {FORMAT_VERSION}); write one with "
                         "--write-baseline")
    try:
        return {_key(entry) for entry in document["entries"]}
    except (KeyError, TypeError):
        raise UsageError(f"{path}: baseline entries need rule_id and order_id or sku") from None


def apply_baseline(findings: list[dict[str, Any]], baseline: set[tuple[str, str, str]], source: str) -> dict[str, int]:
    """Mark findings already in the baseline; count matched and gone entries."""
    seen = set()
    for finding in findings:
        key = _key(finding)
        if key in baseline and "suppression" not in finding and finding["severity"] != NEVER_BASELINED:
            finding["suppression"] = {"kind": "baseline", "source": source}
            seen.add(key)
    return {"entries": len(baseline), "matched": len(seen), "gone": len(baseline - {_key(f) for f in findings})}
