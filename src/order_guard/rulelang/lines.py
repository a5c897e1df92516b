"""Mappings and sequences that remember the YAML lines they were read from.

Kept apart from the YAML loader, so that a rule pack read back from the cache
keeps its lines without importing PyYAML.
"""

from __future__ import annotations


class LineDict(dict):
    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]
