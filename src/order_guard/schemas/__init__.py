"""JSON Schemas shipped with order-guard (the JSON report contract)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def report_schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("report.schema.json").read_text(encoding="utf-8"))
