"""JSON documents and JSON Lines, with line numbers for errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from order_guard.errors import UnreadableRecord


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


#: The one parser for JSON data: NaN and Infinity are errors, as in strict JSON.
decoder = json.JSONDecoder(parse_constant=_reject_constant)


def read_document(text: TextIO) -> Any:
    """The whole file as one JSON value; errors carry the line of the problem."""
    return parse_document(text.read())


def parse_document(content: str) -> Any:
    """``content`` as one JSON value; errors carry the line of the problem."""
    try:
        return decoder.decode(content)
    except json.JSONDecodeError as err:
        raise UnreadableRecord(_describe(err), err.lineno) from None
    except (ValueError, RecursionError) as err:
        raise UnreadableRecord(f"invalid JSON: {err}", None) from None


def is_json_lines(first_line: str, second_line: str) -> bool:
    """One object per line: the first line opens an object, and it or the next line
    is a whole object by itself (so a broken first line does not hide the rest)."""
    if not first_line.strip().startswith("{") or not second_line.strip():
        return False
    return _is_object(first_line) or _is_object(second_line)


def _is_object(line: str) -> bool:
    try:
        return isinstance(decoder.decode(line), dict)
    except (ValueError, RecursionError):
        return False


class LineReader:
    """``(line, value)`` per non-blank JSON Lines line; an unparsable line yields an error
    instead. ``line`` is the last line read, for errors that stop the reading."""

    def __init__(self, text: TextIO):
        self._text = text
        self.line = 0

    def __iter__(self) -> Iterator[tuple[int, Any | UnreadableRecord]]:
        for number, line in enumerate(self._text, start=1):
            self.line = number
            if not line.strip():
                continue
            try:
                yield number, decoder.decode(line)
            except json.JSONDecodeError as err:
                yield number, UnreadableRecord(_describe(err), number)
            except (ValueError, RecursionError) as err:
                yield number, UnreadableRecord(f"invalid JSON: {err}", number)


def iter_lines(text: TextIO) -> Iterator[tuple[int, Any | UnreadableRecord]]:
    return iter(LineReader(text))


def _describe(err: json.JSONDecodeError) -> str:
    return describe_error(err.msg, err.doc, err.pos, err.colno)


def describe_error(message: str, text: str, position: int, column: int) -> str:
    """The message for a parser error at ``position`` of ``text`` (the rest of the file from at
    most there on): a document cut short says so rather than naming the token it missed."""
    unterminated = message.startswith("Unterminated string") and '"' not in text[position + 1:]
    if position >= len(text.rstrip()) or unterminated:
        return "truncated JSON: the document ends before it is complete"
    return f"invalid JSON: {message} (column {column})"
