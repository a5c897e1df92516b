"""JSON documents and JSON Lines, with line numbers for errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from order_guard.errors import UnreadableRecord


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def read_document(text: TextIO) -> Any:
    """The whole file as one JSON value; errors carry the line of the problem."""
    content = text.read()
    try:
        return _decoder.decode(content)
    except json.JSONDecodeError as err:
        raise UnreadableRecord(_describe(err), err.lineno) from None
    except (ValueError, RecursionError) as err:
        raise UnreadableRecord(f"invalid JSON: {err}", None) from None


def is_json_lines(first_line: str, rest: str) -> bool:
    """A first line that is a whole JSON object, followed by more lines."""
    if not first_line.strip().startswith("{") or not rest.strip():
        return False
    try:
        return isinstance(_decoder.decode(first_line), dict)
    except (ValueError, RecursionError):
        return False


def iter_lines(text: TextIO) -> Iterator[tuple[int, Any | UnreadableRecord]]:
    """``(line, value)`` per non-blank line; an unparsable line yields an error instead."""
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            yield number, _decoder.decode(line)
        except json.JSONDecodeError as err:
            yield number, UnreadableRecord(_describe(err), number)
        except (ValueError, RecursionError) as err:
            yield number, UnreadableRecord(f"invalid JSON: {err}", number)


def _describe(err: json.JSONDecodeError) -> str:
    if err.pos >= len(err.doc.rstrip()):
        return "truncated JSON: the document ends before it is complete"
    return f"invalid JSON: {err.msg} (column {err.colno})"
