"""Datasets: named inputs of one kind, read as canonical records with their locations.

A :class:`Dataset` counts every record it reads as readable or not and keeps
the errors, so the engine can prove ``records_read == records_checked +
records_unreadable``. Record dicts carry their location under the reserved
keys ``_line`` and ``_pointer`` (never shown as evidence).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from order_guard.canonical import KEY_FIELD, normalize
from order_guard.errors import UnreadableRecord
from order_guard.files.flat import FlatReader
from order_guard.rowreader import row_reader
from order_guard.types import FlatFormat, JsonFormat

if TYPE_CHECKING:
    from array import array

    from order_guard.relevance import Relevance

#: Errors kept per dataset; the rest are counted, so a broken file cannot exhaust memory.
MAX_KEPT_ERRORS = 1000


# DatasetRequest is a named tuple, ReadError and Dataset plain classes, not dataclasses: a
# dataclass compiles its generated methods at every start-up (~0.4 ms each, of a 60 ms gate).


class DatasetRequest(NamedTuple):
    """What the user asked for: ``--dataset KIND=LOCATION`` or a bare path."""

    location: str
    kind: str | None = None
    encoding: str | None = None


class ReadError:
    """A record or file that could not be read (or a warning about it): where, and why."""

    def __init__(self, path: str, line: int | None, message: str, pointer: str | None = None):
        self.path, self.line, self.message = path, line, message
        self.pointer = pointer  # a source may point at the record once it knows where it was

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReadError):
            return NotImplemented
        return (self.path, self.line, self.message, self.pointer) == (other.path, other.line, other.message,
                                                                      other.pointer)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and changeable: never a key

    def __repr__(self) -> str:
        return f"ReadError(path={self.path!r}, line={self.line!r}, message={self.message!r}, pointer={self.pointer!r})"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "message": self.message}
        if self.pointer:
            out["pointer"] = self.pointer
        return out


class Dataset:
    """One input read as records of one kind.

    ``read_records(dataset)`` yields canonical records and reports bad ones
    through :meth:`unreadable`; it is called once, by :meth:`records`.
    """

    def __init__(self, location: str, kind: str, format: str,
                 read_records: Callable[[Dataset], Iterator[dict[str, Any]]], details: dict[str, Any] | None = None,
                 sha256: str | None = None, records_read: int = 0, records_unreadable: int = 0,
                 errors: list[ReadError] | None = None, errors_not_kept: int = 0,
                 warnings: list[ReadError] | None = None, wanted_fields: set[str] | None = None,
                 relevance: Relevance | None = None, records_skipped: int = 0,
                 parts: Callable[[int], tuple[Callable[[], str], list[Dataset]] | None] | None = None,
                 seen_keys: array[int] | None = None, digest: Callable[[], str] | None = None):
        self.location, self.kind, self.format, self.read_records = location, kind, format, read_records
        self.details: dict[str, Any] = details if details is not None else {}
        self.sha256 = sha256
        self.records_read, self.records_unreadable = records_read, records_unreadable
        self.errors: list[ReadError] = errors if errors is not None else []
        self.errors_not_kept = errors_not_kept
        #: Things the user should know that do not make a record unreadable.
        self.warnings: list[ReadError] = warnings if warnings is not None else []
        #: The fields the run's checks read (set by the engine); a source may skip the rest.
        self.wanted_fields = wanted_fields
        #: Which records can matter to the run (set by the engine for the streamed orders): a flat
        #: source skips rows that cannot, without reading them, and counts them here.
        self.relevance = relevance
        #: Rows read and skipped because no check could fail on them: checked, by the engine's count.
        self.records_skipped = records_skipped
        #: ``count -> (digest, parts)``: the same input as datasets over consecutive parts, for
        #: reading in several processes (``--jobs``), and how to compute the whole input's SHA-256
        #: while they are read; None where a source cannot cut it exactly.
        self.parts = parts
        #: When an array, the hash of every record key read is appended to it (a part of a file tells
        #: which orders it held, ``parallel.py``): an append a row, where a set of the keys cost a
        #: sixth of a part's time.
        self.seen_keys = seen_keys
        #: The input's SHA-256, being computed beside the run (a big file's, by a second process
        #: from its detection on): call it to wait for it. None where reading the input computes it.
        self.digest = digest
        #: A tab-separated file's last line number, once it was read to its end; a part of a file
        #: numbers its lines from its start, and ``parallel.py`` adds the lines of the parts before.
        self.last_line: int | None = None

    def records(self) -> Iterator[dict[str, Any]]:
        return self.read_records(self)

    def unreadable(self, message: str, line: int | None = None, pointer: str | None = None, count: int = 1) -> None:
        """Count ``count`` records as read and unreadable, keeping the reason."""
        self.records_read += count
        self.records_unreadable += count
        self.error(message, line, pointer)

    def error(self, message: str, line: int | None = None, pointer: str | None = None) -> None:
        """Keep an error that is not about one record (the file ended early, a page failed)."""
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(ReadError(self.location, line, message, pointer))
        else:
            self.errors_not_kept += 1

    def take_digest(self, compute: Callable[[], str]) -> bool:
        """``sha256`` from ``compute``; False, with why kept as an error, where it cannot be had
        (the file changed since its digest was begun, or could not be read to its end): the run
        then cannot vouch for this input."""
        try:
            self.sha256 = compute()
        except OSError as err:
            from order_guard.files.opening import FileChanged  # here: only this error path needs it

            if isinstance(err, FileChanged):
                if not any(error.message == str(err) for error in self.errors):
                    self.error(str(err))
            elif not self.errors:  # (a read error kept already says why the end was not read)
                self.error(f"cannot read to the end: {err}")
            return False
        return True

    def describe(self) -> str:
        if self.format == "unknown" and self.errors:
            return f"{self.location}: NOT READ: {self.errors[0].message}"
        extras = ", ".join(f"{value}" for value in self.details.values() if value)
        return f"{self.location}: {self.kind} ({self.format}{', ' + extras if extras else ''})"


def column_plan(fmt: FlatFormat, names: Sequence[str]) -> list[tuple[str, int]]:
    """``(field, cell index)`` for a header: the format's columns found by any of their names (the
    first such column counts), and a seller's own columns, ``x-anything``, as ``x_anything``."""
    position = {name: index for index, name in reversed(list(enumerate(names)))}
    plan = []
    for target, aliases in fmt.columns.items():
        index = next((position[alias] for alias in aliases if alias in position), None)
        if index is not None:
            plan.append((target, index))
    return plan + [(name.replace("-", "_"), index) for name, index in position.items() if name.startswith("x-")]


def flat_records(dataset: Dataset, reader: FlatReader, fmt: FlatFormat) -> Iterator[dict[str, Any]]:
    """Canonical records from the rows of a flat file, merging an order's rows if the format says so."""
    names = reader.names
    width = len(names)
    position = {name: index for index, name in reversed(list(enumerate(names)))}
    plan = column_plan(fmt, names)
    wanted = dataset.wanted_fields
    record_plan = [(target, index) for target, index in plan
                   if not target.startswith("items.") and (wanted is None or target in wanted)]
    item_plan = [(target[6:], index) for target, index in plan
                 if target.startswith("items.") and (wanted is None or target[6:] in wanted)]
    sum_plan = [(target, [position[name] for name in headers if name in position])
                for target, headers in fmt.sums.items() if wanted is None or target in wanted]
    read = row_reader(fmt.kind, record_plan, item_plan, sum_plan)
    skippable = None
    # Only rows of text cells are skimmed (a database source's rows hold typed values).
    if dataset.relevance is not None and isinstance(reader, FlatReader):
        from order_guard.skimming import row_skipper

        skippable = row_skipper(dataset.relevance, fmt.kind, fmt.group_rows, record_plan, item_plan, sum_plan,
                                reader.seen)
    key_index = dict(record_plan).get(KEY_FIELD[fmt.kind])
    grouped = fmt.group_rows
    pending: dict[str, Any] | None = None
    skipped: str | None = None  # the order id (cell) of the order being skipped, row by row
    skips = 0  # rows skipped and not yet counted in the dataset: counted before each yield
    note_key = dataset.seen_keys.append if dataset.seen_keys is not None else None
    # A tab-separated file is split in C, a line to a row (never quoted: ``files/tabrows.py``); a
    # one-column file goes through rows(), which leaves blank lines out (one cell, like a blank row).
    split = reader.numbered_rows() if width > 1 and isinstance(reader, FlatReader) else None
    numbered = split if split is not None else ((reader.line, row) for row in reader.rows())
    # the line of the last row read whole, for an error that stops the reading (a part's lines: from its start)
    line = reader.lines_before if split is not None else reader.line
    try:
        for line, row in numbered:
            if len(row) != width:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line is not a record
                dataset.unreadable(f"row has {len(row)} fields, the header has {width}", line)
                continue
            if skippable is not None:
                cell = row[key_index]
                if cell == skipped and skippable(row, True):  # more of an order no check needs
                    skips += 1
                    continue
                if not (pending is not None and cell == pending["order_id"]) and skippable(row):
                    skips += 1
                    if note_key is not None:
                        note_key(hash(cell))
                    if grouped:
                        skipped = cell
                        if pending is not None:
                            _count_skipped(dataset, skips)
                            skips = 0
                            yield pending
                            pending = None
                    continue
            try:
                record = read(row)
            except UnreadableRecord as err:
                dataset.unreadable(err.message, line)
                continue
            skipped = None
            dataset.records_read += 1
            record["_line"] = line
            if note_key is not None:
                note_key(hash(record[KEY_FIELD[fmt.kind]]))
            if not grouped:
                _count_skipped(dataset, skips)
                skips = 0
                yield record
            elif pending is not None and pending["order_id"] == record["order_id"]:
                _merge_rows(pending, record)
            else:
                if pending is not None:
                    _count_skipped(dataset, skips)
                    skips = 0
                    yield pending
                record["_rows"] = 1
                pending = record
        if split is not None:
            dataset.last_line = line
    except UnicodeDecodeError as err:
        dataset.unreadable(
            f"not valid {err.encoding} text (byte 0x{err.object[err.start]:02x}); pass --encoding",
            (line if split is not None else reader.line) + 1,
        )
    except (csv.Error, OSError, EOFError) as err:  # mid-file: the rest of the file is unread
        dataset.unreadable(f"cannot read further: {err}", (line if split is not None else reader.line) + 1)
    finally:
        _count_skipped(dataset, skips)
    if pending is not None:
        yield pending


def _count_skipped(dataset: Dataset, rows: int) -> None:
    """Rows skipped (no check could fail on them): read, and checked by the engine's count."""
    dataset.records_read += rows
    dataset.records_skipped += rows


def _merge_rows(order: dict[str, Any], row: dict[str, Any]) -> None:
    """Fold another row of the same order (one row per item) into it."""
    order["items"].extend(row.get("items", ()))
    order["_rows"] += 1
    if row.get("order_total") is not None:
        order["order_total"] = (order.get("order_total") or Decimal(0)) + row["order_total"]
    for name, value in row.items():
        if order.get(name) is None and value is not None:
            order[name] = value


def json_records(
    dataset: Dataset, documents: Iterable[tuple[int | None, Any]], fmt: JsonFormat
) -> Iterator[dict[str, Any]]:
    """Canonical records from JSON documents: ``(line, document)`` pairs.

    ``line`` is the JSON Lines line number (``None`` for a whole-file
    document); a document may be an :class:`UnreadableRecord` from the parser.
    A format's planned mapping (``fmt.canonical``) reads the records it decides.
    """
    planned = fmt.canonical
    for line, document in documents:
        if isinstance(document, UnreadableRecord):
            dataset.unreadable(document.message, document.line or line)
            continue
        if not fmt.detect(document):
            dataset.unreadable(f"not a {fmt.name} document", line)
            continue
        for note in fmt.notes(document):
            if len(dataset.warnings) < MAX_KEPT_ERRORS:
                dataset.warnings.append(ReadError(dataset.location, line, note))
        for pointer, raw in fmt.extract(document):
            try:
                record = planned(raw) if planned is not None else None
                if record is None:
                    record = normalize(fmt.kind, fmt.map(raw))
            except (UnreadableRecord, ValueError, TypeError, AttributeError, KeyError, IndexError) as err:
                dataset.unreadable(_explain(err), line, pointer)
                continue
            dataset.records_read += 1
            record["_line"] = line
            record["_pointer"] = pointer
            yield record


def _explain(err: Exception) -> str:
    if isinstance(err, UnreadableRecord):
        return err.message
    if isinstance(err, KeyError):
        return f"unexpected shape: no {err} where the format needs it"
    return f"unexpected shape: {err}"


def memory_dataset(kind: str, records: Iterable[Any], location: str = "<memory>") -> Dataset:
    """A dataset of records already in canonical field names (rule examples, the Python API)."""

    def read(dataset: Dataset) -> Iterator[dict[str, Any]]:
        for index, raw in enumerate(records):
            pointer = f"/{index}"
            try:
                record = normalize(kind, raw)
            except UnreadableRecord as err:
                dataset.unreadable(err.message, pointer=pointer)
                continue
            dataset.records_read += 1
            record["_pointer"] = pointer
            yield record

    return Dataset(location=location, kind=kind, format="records", read_records=read)
