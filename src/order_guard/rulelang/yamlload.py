"""Safe YAML loading that remembers line numbers and refuses what a rule file never needs.

Mappings load as :class:`LineDict` and sequences as :class:`LineList`, each
knowing the line it starts on and the line of every key or item, so every
validation error can name its line. Duplicate keys, anchors and aliases
(the road to "billion laughs" expansion) and any non-standard tag are
errors; the base loader is PyYAML's ``SafeLoader``, which never runs code.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent

from order_guard.errors import RuleProblem
from order_guard.rulelang.lines import LineDict, LineList

__all__ = ["LineDict", "LineList", "YamlProblem", "line_of", "load_yaml", "load_yaml_with_duplicates"]


#: A rule file holds rules, not data: the Amazon pack is about 1,000 nodes. Past this, loading
#: stops at once, so a 50 MB file cannot take minutes and gigabytes before it is refused.
MAX_NODES = 200_000


class _LineLoader(yaml.SafeLoader):
    def __init__(self, stream):  # type: ignore[no-untyped-def]
        super().__init__(stream)
        self.nodes = 0
        #: (line, message) for every duplicate key: reported with the rest, loading goes on.
        self.duplicates: list[tuple[int, str]] = []

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed in rule files", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(None, None, "anchors (&name) are not allowed in rule files", event.start_mark)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise yaml.MarkedYAMLError(None, None, f"too large: more than {MAX_NODES:,} YAML values; a rule file "
                                       "holds rules, not data", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        self.flatten_mapping(node)
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.MarkedYAMLError(None, None, f"key {key!r} must be text", key_node.start_mark)
            if key in mapping:
                line = key_node.start_mark.line + 1
                self.duplicates.append((line, f"duplicate key {key!r} (first on line {mapping.key_lines[key]})"))
                continue
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node, deep=False):  # type: ignore[no-untyped-def]
        sequence = LineList(self.construct_object(child, deep=True) for child in node.value)
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
        return sequence


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)
# Timestamps stay text: the rule language parses dates itself, with time zones.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, path: object) -> Any:
    """Parse ``text``; a YAML error becomes a :class:`RuleProblem` with the file and line.

    Duplicate keys do not stop loading; use :func:`load_yaml_with_duplicates` to see them.
    """
    document, duplicates = load_yaml_with_duplicates(text, path)
    if duplicates:
        line, message = duplicates[0]
        raise _Problem(RuleProblem(path, line, f"YAML: {message}"))
    return document


def load_yaml_with_duplicates(text: str, path: object) -> tuple[Any, list[tuple[int, str]]]:
    """The document and its duplicate keys as ``(line, message)``; other YAML errors raise."""
    loader = _LineLoader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        message = err.problem or err.context or "invalid YAML"
        raise _Problem(RuleProblem(path, line, f"YAML: {message}")) from None
    except yaml.YAMLError as err:
        raise _Problem(RuleProblem(path, None, f"YAML: {err}")) from None
    finally:
        loader.dispose()


class _Problem(Exception):
    def __init__(self, problem: RuleProblem):
        super().__init__(str(problem))
        self.problem = problem


YamlProblem = _Problem


def line_of(document: Any, path: list[Any] | tuple[Any, ...]) -> int | None:
    """Line of the deepest node along ``path`` (keys and indexes) that has one."""
    node, line = document, getattr(document, "line", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line
