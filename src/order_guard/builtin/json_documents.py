"""JSON documents as datasets, whatever their size (JSON Lines are read line by line elsewhere).

A document under :data:`WHOLE_BELOW` characters is parsed whole, in one call. A bigger one
is read with :class:`~order_guard.files.jsonstream.JsonStream`: its start (the first
:data:`PREVIEW` elements of a long list) tells the format; a long list where the format reads
element by element (``JsonFormat.streams``: a top-level list, an SP-API page's orders) is read
one element at a time when the run checks it, in bounded memory, with the records, pointers
and errors a whole read gives. Anything else is held whole up to ``ORDER_GUARD_JSON_LIMIT_MB``
and refused past it: never read in part without saying so.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from order_guard.datasets import MAX_KEPT_ERRORS, Dataset, DatasetRequest, ReadError, json_records
from order_guard.detection import detect_json_format
from order_guard.errors import PluginError, SourceError, UnreadableRecord, UsageError
from order_guard.files.opening import OpenedFile, open_data_file
from order_guard.registry import Registry
from order_guard.types import JsonFormat

if TYPE_CHECKING:
    from order_guard.files.jsonstream import JsonStream, Outline, TooLarge

LIMIT_ENV = "ORDER_GUARD_JSON_LIMIT_MB"
DEFAULT_LIMIT_MB = 64
#: Documents shorter than this (characters) are parsed whole: the fast path, ~10x this in memory.
WHOLE_BELOW = 8 << 20
#: Elements of a long list that detection sees (the built-in formats look at no more than 100).
PREVIEW = 100
#: Elements handed to the format at once, and the characters of JSON text they may take.
BATCH = 1000
BATCH_CHARACTERS = 1 << 20


def limit_chars() -> int:
    """The most JSON text held whole at once, from ``ORDER_GUARD_JSON_LIMIT_MB``."""
    raw = os.environ.get(LIMIT_ENV, str(DEFAULT_LIMIT_MB))
    megabytes = int(raw) if raw.strip().isdigit() else 0
    if megabytes <= 0:
        raise UsageError(f"{LIMIT_ENV} must be a whole number of megabytes above 0, not {raw!r}")
    return megabytes << 20


def whole_dataset(path: Path, document: Any, fmt: JsonFormat, details: dict[str, Any], sha256: str | None) -> Dataset:
    return Dataset(location=str(path), kind=fmt.kind, format=fmt.name,
                   read_records=lambda dataset: json_records(dataset, [(None, document)], fmt),
                   details=details, sha256=sha256)


def open_document(path: Path, opened: OpenedFile, head: str, request: DatasetRequest, registry: Registry,
                  details: dict[str, Any]) -> Dataset:
    """A document of :data:`WHOLE_BELOW` characters or more, ``head`` its text read so far.
    Raises :class:`UnreadableRecord` for text that is not JSON, :class:`SourceError` past the limit."""
    limit = limit_chars()
    lists = {pointer for fmt in registry.formats_for("json") if request.kind in (None, fmt.kind)
             for pointer in fmt.streams}
    outline = _outline(path, opened, lists, limit, head)
    fmt = detect_json_format(path, outline.document, registry, request.kind)
    if outline.streamed is None:  # every list was short: the document is already whole
        return whole_dataset(path, outline.document, fmt, details, opened.sha256())
    if outline.streamed not in fmt.streams:
        again = open_data_file(path, opened.encoding)
        try:
            document = _outline(path, again, (), limit).document
            return whole_dataset(path, document, fmt, details, again.sha256())
        finally:
            again.close()
    pointer, encoding = outline.streamed, opened.encoding
    from order_guard.files.jsonstream import JsonStream

    def read(dataset: Dataset) -> Iterator[dict[str, Any]]:
        again = open_data_file(path, encoding)
        stream = JsonStream(again.text, {pointer}, limit)
        try:
            yield from _streamed_records(dataset, stream, fmt, _Recheck(path, fmt, registry, request.kind), limit)
            dataset.sha256 = again.sha256()
        except (UnicodeDecodeError, EOFError, OSError) as err:  # the file went away after its end was read
            dataset.error(f"cannot read further: {err}")
        finally:
            again.close()

    return Dataset(location=str(path), kind=fmt.kind, format=fmt.name, read_records=read, details=details)


def _outline(path: Path, opened: OpenedFile, lists: Collection[str], limit: int, head: str = "") -> Outline:
    from order_guard.files.jsonstream import TooLarge, read_outline  # here: most documents are read whole

    try:
        return read_outline(opened.text, lists, limit, head, PREVIEW)
    except TooLarge as err:
        raise SourceError(path, too_large(path, err, limit), err.line) from None


def too_large(path: Path, err: TooLarge, limit: int) -> str:
    """One line: the file's size, what is too big, the limit, what to do."""
    shown = _size(path.stat().st_size)
    with open(path, "rb") as file:
        shown += " of gzipped JSON" if file.read(2) == b"\x1f\x8b" else " of JSON"
    what = f"the value at {err.pointer}" if err.pointer else "the document"
    return (f"{shown}: {what} is over the {limit >> 20} MB order-guard holds in memory at once (it "
            f"streams only lists of orders); split the file into pages or JSON Lines, or raise {LIMIT_ENV}")


def _size(size: int) -> str:
    if size >= 1 << 30:
        return f"{size / (1 << 30):.1f} GB"
    return f"{size >> 20} MB" if size >= 1 << 20 else f"{size >> 10} KB"


class _Recheck:
    """Detection on the whole document once read: keys after the streamed list might have
    changed the verdict its first elements gave."""

    def __init__(self, path: Path, fmt: JsonFormat, registry: Registry, kind: str | None):
        self.path, self.fmt, self.registry, self.kind = path, fmt, registry, kind

    def __call__(self, dataset: Dataset, document: Any) -> None:
        try:
            again = detect_json_format(self.path, document, self.registry, self.kind)
        except SourceError as err:
            dataset.error(f"read as {self.fmt.name} from its start, but the whole document is not: {err.detail}")
            return
        if again.name != self.fmt.name:
            dataset.error(f"read as {self.fmt.name} from its start, but the whole document is {again.name}")


class _Batch:
    """The format, reading the document with its streamed list cut down to a batch of elements;
    the pointers it gives are moved to where those elements really are."""

    def __init__(self, fmt: JsonFormat, pointer: str):
        self.fmt = fmt
        self.prefix = pointer + "/"
        self.offset = 0  # the index, in the whole list, of the batch's first element
        self.size = 0
        self._local: dict[str, int] = {}  # "/payload/Orders/3" -> 3, for the batch's elements
        self.format = replace(fmt, detect=lambda document: True, notes=lambda document: [], extract=self._extract)

    def _extract(self, document: Any) -> Iterator[tuple[str, Any]]:
        prefix, cut = self.prefix, len(self.prefix)
        if len(self._local) != self.size:
            self._local = {f"{prefix}{index}": index for index in range(self.size)}
        local, moved = self._local, [f"{prefix}{self.offset + index}" for index in range(self.size)]
        for found, raw in self.fmt.extract(document):
            end = found.find("/", cut)
            index = local.get(found if end < 0 else found[:end])
            if index is None:
                raise PluginError(f"format {self.fmt.name} streams {prefix[:-1] or 'a top-level list'} "
                                  f"but gave a record at {found}, outside its elements")
            yield (moved[index] if end < 0 else moved[index] + found[end:]), raw


def _streamed_records(dataset: Dataset, stream: JsonStream, fmt: JsonFormat, recheck: _Recheck,
                      limit: int) -> Iterator[dict[str, Any]]:
    """The records :func:`json_records` gives for the whole document, a batch of elements at a time."""
    from order_guard.files.jsonstream import TooLarge

    (pointer,) = stream.lists
    batch = _Batch(fmt, pointer)
    first: list[Any] = []  # the elements detection saw, for the recheck

    def documents() -> Iterator[tuple[None, Any]]:
        elements: list[Any] = []
        characters = 0
        failure = None
        try:
            for element in stream.elements():
                if not elements:
                    batch.offset = element.index
                elements.append(element.value)
                characters += element.size
                if len(first) < PREVIEW:
                    first.append(element.value)
                if len(elements) == BATCH or characters >= BATCH_CHARACTERS:
                    yield _with_list(stream, pointer, elements, batch)
                    elements, characters = [], 0
        except UnreadableRecord as err:  # the rest of the file is unread: counted, never silent
            failure = (err.message, err.line, stream.pointer)
        except TooLarge as err:
            failure = (too_large(recheck.path, err, limit), err.line, err.pointer)
        except (UnicodeDecodeError, EOFError, OSError) as err:
            failure = (f"cannot read further: {err}", stream.line, stream.pointer)
        if elements:  # read before the end or the failure: checked
            yield _with_list(stream, pointer, elements, batch)
        if failure:
            dataset.unreadable(*failure)
            return
        holder = stream.placed.get(pointer)
        if holder is None:
            dataset.error(f"the file changed since it was opened: no list at {pointer or 'its top'} any more")
            return
        holder[:] = first
        recheck(dataset, stream.document)
        for note in fmt.notes(stream.document):
            if len(dataset.warnings) < MAX_KEPT_ERRORS:
                dataset.warnings.append(ReadError(dataset.location, None, note))
        holder.clear()

    yield from json_records(dataset, documents(), batch.format)


def _with_list(stream: JsonStream, pointer: str, elements: list[Any], batch: _Batch) -> tuple[None, Any]:
    """The document, its streamed list holding ``elements``."""
    stream.placed[pointer][:] = elements
    batch.size = len(elements)
    return None, stream.document
