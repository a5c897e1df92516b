"""The findings chart: horizontal SVG bars, drawn in Python, readable in colour, greyscale and print."""

from __future__ import annotations

from dataclasses import dataclass

from order_guard.builtin.html import e
from order_guard.builtin.html.style import COLOURS

WIDTH = 800
ROW = 24
#: A generous average glyph width at 12px, so labels never run into the bars.
CHAR = 6.8


@dataclass(frozen=True)
class Bar:
    label: str
    severity: str
    total: int
    suppressed: int
    #: Written after the bar: the count, so the chart reads without colour.
    note: str
    link: str | None = None


def charts(*groups: tuple[str, list[Bar]]) -> str:
    """One SVG per (title, bars) group, all on one scale: a finding is as long in every chart."""
    bars = [bar for _, group in groups for bar in group]
    label_width = 12 + CHAR * max((len(bar.label) for bar in bars), default=8)
    note_width = 16 + CHAR * max((len(bar.note) for bar in bars), default=4)
    scale = max(WIDTH - label_width - note_width, 160) / max([bar.total for bar in bars] + [1])
    return "".join(f"<h3>{e(title)}</h3>{_svg(title, group, label_width, scale)}" for title, group in groups)


def _svg(title: str, bars: list[Bar], label_width: float, scale: float) -> str:
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {ROW * len(bars) + 6}" role="img" '
             f'aria-label="{e(title)}"><title>{e(title)}</title>']
    for index, bar in enumerate(bars):
        y, colour = 3 + index * ROW, COLOURS[bar.severity]
        label = f'<text x="0" y="{y + 16}">{e(bar.label)}</text>'
        parts.append(f'<a href="{e(bar.link)}">{label}</a>' if bar.link else label)
        solid, light = (bar.total - bar.suppressed) * scale, bar.suppressed * scale
        parts.append(f'<rect x="{label_width:.1f}" y="{y + 3}" width="{solid:.1f}" height="{ROW - 6}" '
                     f'fill="{colour}" stroke="#1f2328" stroke-width="{0.6 if solid else 0}"/>')
        if light:
            parts.append(f'<rect x="{label_width + solid:.1f}" y="{y + 3}" width="{light:.1f}" height="{ROW - 6}" '
                         f'fill="{colour}" fill-opacity="0.3" stroke="{colour}" stroke-dasharray="3 2"/>')
        parts.append(f'<text class="n" x="{label_width + solid + light + 6:.1f}" y="{y + 16}">{e(bar.note)}</text>')
    return "".join(parts) + "</svg>"
