"""One JSON document read in bounded memory: the elements of its big lists one at a time.

The standard library parses a value only whole, so each value here is parsed
whole by the same decoder as :mod:`order_guard.files.jsondocs`
(``raw_decode``) from a buffer of the file's text; only the objects leading
to a streamed list (``{"payload": {"Orders": [``) and the list itself are
walked here. The values, the error messages and their lines and columns are
the ones parsing the whole text at once gives.

Whatever is held whole (a value outside the streamed lists, or one element)
is refused past ``limit`` characters with :class:`TooLarge`, so memory stays
bounded whatever the file holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, TextIO

from order_guard.errors import UnreadableRecord
from order_guard.files.jsondocs import decoder, describe_error

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_COMMA = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
#: Characters past a parser error or a number that settle it: nearer the buffer's end, the
#: buffer may have cut a token ("-Infinity" is the longest), so more text is read first.
_LOOKAHEAD = 16
_NUMBERS = (int, float)
#: Characters read at a time.
CHUNK = 1 << 20


def _trailing_comma(probe: str) -> tuple[str, bool]:
    try:
        decoder.decode(probe)
    except json.JSONDecodeError as err:
        return err.msg, err.pos == probe.index(",")
    raise AssertionError(f"{probe} parsed")


#: What this Python's parser says of a comma before "]" or "}", and whether it points at the comma
#: ("Illegal trailing comma", 3.13) or after it ("Expecting value", 3.11).
_TRAILING_COMMA = {"]": _trailing_comma("[0,]"), "}": _trailing_comma('{"a": 0,}')}


class TooLarge(Exception):
    """A value to be held whole is longer than the limit (``pointer`` says which)."""

    def __init__(self, pointer: str, line: int):
        super().__init__(pointer)
        self.pointer = pointer
        self.line = line


class Element(NamedTuple):
    """One element of a streamed list, and the characters of JSON text it took."""

    list_pointer: str
    index: int
    value: Any
    size: int


class JsonStream:
    """Reads a document, yielding the elements of the lists at ``lists`` (JSON pointers, ``""``
    for a top-level list) instead of holding them. :attr:`document` holds the rest as it is read,
    each streamed list left empty; it is whole once :meth:`elements` ends."""

    def __init__(self, text: TextIO, lists: Collection[str], limit: int, head: str = ""):
        self._text = text
        self.lists = frozenset(lists)
        # The objects on the way to a streamed list: "/payload/Orders" passes "" and "/payload".
        self._on_the_way = {pointer[:at] for pointer in self.lists for at, char in enumerate(pointer) if char == "/"}
        self._limit = limit
        self._buffer = head
        self._position = 0
        self._eof = False
        self._lines_before = 0  # newlines in the text already dropped from the buffer
        self._column_before = 0  # characters of the current line already dropped
        self._where: tuple[str, int | None] = ("", None)
        #: Characters of JSON text held in :attr:`document` (streamed elements not counted).
        self.held = 0
        self.document: Any = None
        #: The streamed lists met so far, as placed (empty) in :attr:`document`, by pointer: a
        #: reader may fill one in to hand the document on.
        self.placed: dict[str, list[Any]] = {}

    @property
    def line(self) -> int:
        """The line being read (1-based)."""
        return self._lines_before + self._buffer.count("\n", 0, self._position) + 1

    @property
    def pointer(self) -> str:
        """The JSON pointer of the value being read."""
        pointer, index = self._where
        return pointer if index is None else f"{pointer}/{index}"

    def elements(self) -> Iterator[Element]:
        """The streamed lists' elements in document order; raises :class:`UnreadableRecord` for
        text that is not JSON and :class:`TooLarge` for a value too long to hold."""
        yield from self._value("", self._set_document)
        if self._peek():
            raise self._syntax_error("Extra data")

    def _set_document(self, value: Any) -> None:
        self.document = value

    def _value(self, pointer: str, place: Callable[[Any], None]) -> Iterator[Element]:
        """Read the value at ``pointer``; ``place`` puts it in its parent before it is filled in,
        so the document around a streamed list is there while the list is read."""
        char = self._peek()
        self._where = (pointer, None)
        if char == "[" and pointer in self.lists:
            self.placed[pointer] = []
            place(self.placed[pointer])
            yield from self._list(pointer)
        elif char == "{" and pointer in self._on_the_way:
            members: dict[str, Any] = {}
            place(members)
            yield from self._object(pointer, members)
        else:
            value, size = self._decode()
            self.held += size
            if self.held > self._limit:
                raise TooLarge(pointer, self.line)
            place(value)

    def _list(self, pointer: str) -> Iterator[Element]:
        # The C scanner's order of checks, for its messages (json/_json.c, _parse_array_unicode).
        self._position += 1
        if self._peek() == "]":
            self._position += 1
            return
        index = 0
        while True:
            self._where = (pointer, index)
            value, size = self._decode()
            yield Element(pointer, index, value, size)
            index += 1
            comma = _COMMA.match(self._buffer, self._position)
            if comma and comma.end() < len(self._buffer) and self._buffer[comma.end()] != "]":
                self._position = comma.end()  # the usual case, in one step
                continue
            char = self._peek()
            if char == "]":
                self._position += 1
                return
            if char != ",":
                raise self._syntax_error("Expecting ',' delimiter")
            self._past_comma("]")

    def _object(self, pointer: str, members: dict[str, Any]) -> Iterator[Element]:
        # As _parse_object_unicode checks, for the same messages.
        self._position += 1
        if self._peek() == "}":
            self._position += 1
            return
        while True:
            if self._peek() != '"':
                raise self._syntax_error("Expecting property name enclosed in double quotes")
            key, _ = self._decode()
            if self._peek() != ":":
                raise self._syntax_error("Expecting ':' delimiter")
            self._position += 1
            child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            if key in members and (child in self.lists or child in self._on_the_way):
                # The whole-text parser keeps the last one: the orders already read would be the wrong ones.
                raise UnreadableRecord(f"invalid JSON: {pointer or 'the document'} names {key!r} twice", self.line)
            yield from self._value(child, lambda value, key=key: members.__setitem__(key, value))
            char = self._peek()
            if char == "}":
                self._position += 1
                return
            if char != ",":
                raise self._syntax_error("Expecting ',' delimiter")
            self._past_comma("}")

    def _past_comma(self, closing: str) -> None:
        """Step over a comma; one right before ``closing`` is refused as this Python's parser does."""
        message, at_comma = _TRAILING_COMMA[closing]
        on_comma = self._syntax_error(message) if at_comma else None
        self._position += 1
        if self._peek() == closing:
            raise on_comma or self._syntax_error(message)

    def _peek(self) -> str:
        """The next character that is not whitespace ("" at the end), reading on as needed."""
        while True:
            self._position = _WHITESPACE.match(self._buffer, self._position).end()
            if self._position < len(self._buffer):
                return self._buffer[self._position]
            if self._eof:
                return ""
            self._read_more()

    def _decode(self) -> tuple[Any, int]:
        """The value at the reading position, parsed whole, and its length in characters."""
        while True:
            try:
                value, end = decoder.raw_decode(self._buffer, self._position)
            except json.JSONDecodeError as err:
                cut = err.msg.startswith("Unterminated string") or err.pos + _LOOKAHEAD > len(self._buffer)
                if self._eof or not cut:
                    raise self._unreadable(err.msg, err.pos) from None
            except (ValueError, RecursionError) as err:  # NaN, Infinity, nesting too deep: as jsondocs says it
                raise UnreadableRecord(f"invalid JSON: {err}", None) from None
            else:
                # A number at the buffer's end may go on ("12" of "1234"); anything else is closed.
                if self._eof or end + _LOOKAHEAD <= len(self._buffer) or type(value) not in _NUMBERS:
                    size = end - self._position
                    self._position = end
                    return value, size
            if len(self._buffer) - self._position > self._limit:
                raise TooLarge(self.pointer, self.line)
            self._read_more()

    def _read_more(self) -> None:
        """Drop the text already read and read at least as much again as what is left, so a
        long value is parsed a few times, not once per chunk."""
        start = self._position
        newlines = self._buffer.count("\n", 0, start)
        if newlines:
            self._lines_before += newlines
            self._column_before = start - self._buffer.rfind("\n", 0, start) - 1
        else:
            self._column_before += start
        more = self._text.read(max(CHUNK, len(self._buffer) - start))
        self._eof = not more
        self._buffer = self._buffer[start:] + more
        self._position = 0

    def _syntax_error(self, message: str) -> UnreadableRecord:
        return self._unreadable(message, self._position)

    def _unreadable(self, message: str, position: int) -> UnreadableRecord:
        """The error the whole-text parser gives at ``position``, with the file's line and column."""
        newlines = self._buffer.count("\n", 0, position)
        if newlines:
            column = position - self._buffer.rfind("\n", 0, position)
        else:
            column = self._column_before + position + 1
        return UnreadableRecord(describe_error(message, self._buffer, position, column),
                                self._lines_before + newlines + 1)


@dataclass
class Outline:
    """What the start of a document says: the whole document if it was short enough to hold, or
    its start with the first ``preview`` elements of a list too long to hold (``streamed``)."""

    document: Any
    streamed: str | None


def read_outline(text: TextIO, lists: Collection[str], limit: int, head: str = "", preview: int = 100) -> Outline:
    """Read until a list at ``lists`` has more than ``preview`` elements (detection looks at no
    more), or to the end; raises as :meth:`JsonStream.elements` does."""
    stream = JsonStream(text, lists, limit, head)
    kept: dict[str, list[Any]] = {}
    held = 0
    streamed = None
    for element in stream.elements():
        elements = kept.setdefault(element.list_pointer, [])
        if len(elements) == preview:
            streamed = element.list_pointer
            break
        held += element.size
        if stream.held + held > limit:
            raise TooLarge(stream.pointer, stream.line)
        elements.append(element.value)
    for pointer, elements in kept.items():
        stream.placed[pointer].extend(elements)
    return Outline(stream.document, streamed)
