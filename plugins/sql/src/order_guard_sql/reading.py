"""Rows of a query as the flat-file reader reads them: text cells under normalised header names.

Each value becomes the text a report would carry (``cell_text``), so the core's
flat-file mapping (:func:`order_guard.datasets.flat_records`) reads, converts,
counts and folds database rows exactly as it does a file's, and a finding
means the same whichever source its data came from. A row's location is the
table and its key (``#/amazon_order_id/123-...``): a table has no lines.

A database error while rows are read (the connection dropped, the server
went away) ends the stream and is kept as the dataset's error, saying how
many rows were read: the run exits 3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from order_guard.datasets import Dataset
from order_guard.files.flat import normalize_header

from order_guard_sql.session import explain_error

FLAG = "og_check_"


def cell_text(value: Any) -> str:
    """A database value as a flat file's cell: how a report would have written it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def pointer_segment(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


class SqlRows:
    """What ``flat_records`` reads: ``names``, ``rows()`` of text, ``line`` (None: a table has no lines).

    ``errors_to`` is the dataset whose run must fail when the stream breaks;
    rows are counted in ``count``. Columns named ``og_check_N`` are pushdown
    flags: they are kept per key in ``flags``, not passed on.
    """

    line = None

    def __init__(self, result: Any, errors_to: Dataset, key_column: str | None,
                 values: Mapping[str, Mapping[str, str]] | None = None):
        keys = list(result.keys())
        self.flag_positions = [(index, int(name[len(FLAG):])) for index, name in enumerate(keys)
                               if name.startswith(FLAG)]
        self.columns = [name for name in keys if not name.startswith(FLAG)]
        self.width = len(self.columns)
        self.names = [normalize_header(name) for name in self.columns]
        self.result = result
        self.errors_to = errors_to
        self.count = 0
        self.key_index = self.columns.index(key_column) if key_column in self.columns else None
        self.key_column = key_column
        self.mapped = [(self.columns.index(column), table) for column, table in (values or {}).items()
                       if column in self.columns]
        self.flags: dict[str, set[int]] = {}
        self.last_key: str | None = None

    def rows(self) -> Iterator[list[str]]:
        dataset = self.errors_to
        kept = len(dataset.errors)
        try:
            for row in self.result:
                self._point(dataset, kept)
                cells = [cell_text(value) for value in row[:self.width]] if self.flag_positions else \
                    [cell_text(value) for value in row]
                for index, table in self.mapped:
                    cells[index] = table.get(cells[index], cells[index])
                self.last_key = cells[self.key_index] if self.key_index is not None else None
                if self.flag_positions:
                    flagged = {number for index, number in self.flag_positions if row[index]}
                    self.flags.setdefault(self.last_key, set()).update(flagged)
                self.count += 1
                kept = len(dataset.errors)
                yield cells
            self._point(dataset, kept)
        except Exception as err:  # noqa: BLE001 - any driver error: the rest is unread
            from sqlalchemy.exc import SQLAlchemyError

            if not isinstance(err, (SQLAlchemyError, OSError)) and not _is_driver_error(err):
                raise
            dataset.error(f"connection lost after {self.count} rows were read: {explain_error(err)}; "
                          "the rest was not read or checked")
        finally:
            try:
                self.result.close()
            except Exception:  # noqa: BLE001 - a lost connection has nothing left to close
                pass

    def _point(self, dataset: Dataset, kept: int) -> None:
        """Errors the previous row caused (an unreadable value) name its key."""
        if self.last_key and self.last_key.strip() and self.key_column:
            pointer = f"/{pointer_segment(self.key_column)}/{pointer_segment(self.last_key)}"
            for error in dataset.errors[kept:]:
                if error.pointer is None:
                    error.pointer = pointer

    def pointer(self, key: str) -> str:
        return f"/{pointer_segment(self.key_column or '')}/{pointer_segment(key)}"


def _is_driver_error(err: BaseException) -> bool:
    module = type(err).__module__ or ""
    return module.split(".")[0] in ("sqlite3", "psycopg", "pymysql", "psycopg2")
