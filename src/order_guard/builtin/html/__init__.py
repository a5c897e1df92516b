"""Parts of ``--format html`` (``order_guard.reporters.html_page``): escaped markup helpers, style, chart."""

from __future__ import annotations

import html
import re
from typing import Any

from order_guard.reporting import where  # noqa: F401 - re-exported for the page builders


def e(value: Any) -> str:
    """``value`` as HTML text or attribute value: ``& < > " '`` escaped; ``None`` is empty."""
    return html.escape("" if value is None else str(value), quote=True)


def anchor(rule_id: str) -> str:
    """The id of a rule's section: ``rule-AMZ-PEND-001`` (characters unsafe in a fragment become ``-``)."""
    return "rule-" + re.sub(r"[^A-Za-z0-9_.-]", "-", rule_id)


def table(headers: list[str], rows: list[list[str]], widths: list[int], row_classes: list[str] | None = None) -> str:
    """A table; ``headers`` and ``rows`` are markup already escaped by the caller."""
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    head = "".join(f"<th>{h}</th>" for h in headers)
    classes = row_classes or [""] * len(rows)
    body = "".join(f'<tr class="{e(c)}">' + "".join(f"<td>{cell}</td>" for cell in r) + "</tr>"
                   for r, c in zip(rows, classes, strict=True))
    return f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def digest(sha256: str | None) -> str:
    """A SHA-256 in two halves: one line when there is room, two equal lines (never ragged) when not."""
    if not sha256:
        return '<span class="warn">not read</span>'
    return f'<span class="mono digest">{e(sha256[:32])}<wbr>{e(sha256[32:])}</span>'


def kv(pairs: list[tuple[str, Any]]) -> str:
    """A compact key/value list; keys and values are escaped here."""
    return '<dl class="kv">' + "".join(f"<dt>{e(key)}</dt><dd>{e(value)}</dd>" for key, value in pairs) + "</dl>"


def evidence(values: dict[str, Any]) -> str:
    """A finding's evidence as a key/value list; empty fields are named on one line ("absent")."""
    items, empty = [], []
    for key, value in values.items():
        if value is None or value == "" or value == []:
            empty.append(key)
        else:
            items.append((key, compact(value)))
    return kv(items + ([("absent", ", ".join(empty))] if empty else []))


def compact(value: Any) -> str:
    """A nested evidence value on one line: locations as ``path:line``, dicts as ``k=v``, lists with ``;``."""
    if isinstance(value, dict):
        if "path" in value and set(value) <= {"path", "line", "pointer"}:
            return where(value)
        return ", ".join(f"{key}={compact(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "; ".join(compact(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "–" if value is None else str(value)
