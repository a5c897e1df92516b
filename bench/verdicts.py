"""Verdicts on issue 6's targets: printed where a benchmark measures them, and written as JSON
lines for ``bench/run.py``'s summary when the environment names a file for them."""

from __future__ import annotations

import json
import os

#: Where ``bench/run.py`` collects every benchmark's verdicts (one JSON object a line).
VERDICTS_FILE = "ORDER_GUARD_BENCH_VERDICTS"


def verdict(value: float, target: str, ok: bool, what: str | None = None) -> str:
    """``value`` against ``target`` ("<= 2.0"), as printed; recorded under ``what`` if given."""
    if what is not None and (path := os.environ.get(VERDICTS_FILE)):
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"what": what, "value": round(value, 2), "target": target, "met": ok}) + "\n")
    return f"{value:8.2f}  (target {target}: {'met' if ok else 'NOT met'})"
