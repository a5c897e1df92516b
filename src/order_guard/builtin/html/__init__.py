"""Parts of ``--format html`` (see ``order_guard.builtin.html_reporter``): escaping, style, the SVG chart."""

from __future__ import annotations

import html
from typing import Any


def e(value: Any) -> str:
    """``value`` as HTML text or attribute value: ``& < > " '`` escaped; ``None`` is empty."""
    return html.escape("" if value is None else str(value), quote=True)
