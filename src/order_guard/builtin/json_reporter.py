"""``--format json``: the report exactly as the JSON contract (``schemas/report.schema.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

from order_guard import hookimpl
from order_guard.report import RenderOptions, Report
from order_guard.types import Reporter


def render_json(report: Report, out: TextIO, options: RenderOptions) -> None:
    json.dump(report.data, out, indent=2, ensure_ascii=False)
    out.write("\n")


@hookimpl
def order_guard_reporters() -> Iterator[Reporter]:
    yield Reporter(name="json", render=render_json, description="the JSON report (a contract; schema shipped)")
