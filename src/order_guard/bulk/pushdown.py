"""A flat orders file checked in DuckDB: the engine's :class:`order_guard.pushdown.Pushdown`.

:meth:`FilePushdown.plan` does the heavy work once, in DuckDB, over the whole
file (a table's row ids keep the file's order, and so its lines):

1. ``og_rows``: one row per file row with its order id, the canonical value
   of each cell the checks read (:mod:`order_guard.bulk.cells`) and whether
   Python must read it (``og_unsure``); meanwhile a thread hashes the file
   and indexes its lines (:mod:`order_guard.bulk.filescan`);
2. ``og_python``: the orders Python must check: those with an unsure row or a
   row next to one, those whose rows are not all adjacent (one order in
   several records: the newest snapshot decides between them), and those some
   check may fail or an aggregate sums (the shared SQL compiler, each order's
   rows as one group);
3. ``og_subset``: every row of those orders, and every unsure row.

:meth:`FilePushdown.unsure` reads those rows back from the file by line number
and hands them to :func:`order_guard.datasets.flat_records` as a file's rows,
so every record, count, error and finding is the streaming engine's. Where
rows of one order are separated by rows left out, a new record starts, as the
rows in between would have made it start. Every other row was read and
vouched for by DuckDB: it is counted (:meth:`count`) and clean by construction.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from order_guard.bulk import cells
from order_guard.bulk.dialect import DuckDB, render, shown
from order_guard.bulk.filescan import FileFacts, LineIndex, scan
from order_guard.bulk.segments import Segments
from order_guard.datasets import Dataset, flat_records
from order_guard.files.flat import FlatReader
from order_guard.files.opening import open_data_file
from order_guard.pushdown import Plan
from order_guard.sql import CannotPush
from order_guard.sql.compiler import TEXT as TEXT_KIND
from order_guard.sql.relation import KEY as GROUP_KEY
from order_guard.sql.relation import CanonicalTable
from order_guard.types import FlatFormat

#: Rows fetched from DuckDB at a time.
BATCH = 10_000


class _Table(CanonicalTable):
    """og_rows for the shared compiler: a row is suspect where DuckDB said Python must read it."""

    def suspect(self, src: Any) -> Any:
        return src.c[cells.UNSURE]


class _Lookup:
    """``exists_in`` another dataset: the keys the engine indexed from it, as a DuckDB table."""

    kind = TEXT_KIND

    def __init__(self, table: str):
        self.table = sa.table(table, sa.column("k"))

    def exists(self, value: Any) -> Any:
        return value.in_(sa.select(self.table.c.k))


class FilePushdown:
    """The bulk engine over one flat orders file (see the module docstring)."""

    def __init__(self, dataset: Dataset, fmt: FlatFormat, links: Any):
        self.dataset = dataset
        self.fmt = fmt
        self.links = links  # the engine's look-up indexes, filled before the orders are read
        self.connection: Any = None
        self.directory: str | None = None
        self.facts: FileFacts | None = None
        self.table: _Table | None = None
        self.names: list[str] = []
        self.preamble = 0
        self.key_index = 0
        self.total = 0
        self.subset = 0
        self.lookups: dict[tuple[str, str], tuple[str, list[str]]] = {}
        #: DuckDB checked the file: the run used the bulk engine for it
        self.ran = False
        #: why the file was streamed instead
        self.fallback: str | None = None

    # -- planning --------------------------------------------------------------------------------

    def plan(self, checks: Sequence[Any], operators: Mapping[str, Any], as_of: datetime,
             datasets: Sequence[Dataset]) -> Plan:
        try:
            return self._plan(checks, operators, as_of, datasets)
        except CannotPush as err:
            reason = err.reason
        except Exception as err:  # noqa: BLE001 - DuckDB or the file failed: the file is streamed instead
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            reason = f"DuckDB could not read it ({type(err).__name__}: {first})"
        self.fallback = reason
        self.close()
        return Plan(set(), [reason] * len(checks))

    def _plan(self, checks: Sequence[Any], operators: Mapping[str, Any], as_of: datetime,
              datasets: Sequence[Dataset]) -> Plan:
        from order_guard.sql.compiler import compile_check
        from order_guard.sql.scopes import RowScope

        path = Path(self.dataset.location)
        self._read_header(path)
        try:
            plan = cells.plan_cells(self.fmt, self.names, self.dataset.wanted_fields)
        except ValueError as err:
            raise CannotPush(str(err)) from None
        self.key_index = plan.key.sources[0]
        base = sa.table("og_rows", *[sa.column(name) for name in
                                     (cells.KEY, cells.UNSURE, *[cell.name for cell in plan.cells])])
        # A first compile, with statuses not yet listed, finds the fields the checks read.
        sketch = self._table(base, plan, datasets)
        for name in sketch.layout.enumerated():
            sketch.enumerations[name] = {}
        used: set[str] = set()
        for check in checks:
            compile_check(check, operators, as_of, RowScope(sketch, base, used))
        with ThreadPoolExecutor(1) as pool:  # the file is hashed and indexed beside DuckDB's scan
            scanning = pool.submit(scan, path)
            self._connect()
            self._load_rows(path, plan, used)
            self.facts = scanning.result()
        self._check_numbering()
        self.dataset.sha256 = self.facts.sha256
        table = self.table = self._table(base, plan, datasets)
        self._list_values(table, used)
        scope = table.scope(used)
        compiled = [compile_check(check, operators, as_of, scope) for check in checks]
        candidates = sa.select(scope.groups.c[GROUP_KEY]).where(sa.or_(*[sql.candidates for sql in compiled]))
        self._load_lookups()
        self._choose_rows(candidates)
        notes = [f"pushed down into DuckDB (orders that may fail it are checked in Python): WHERE "
                 f"{_where(scope, sql.candidates)}" for sql in compiled]
        statement = (f"DuckDB read {self.total:,} rows of {path.name}; {self.subset:,} of them are read back "
                     "and checked in Python")
        return Plan(set(range(len(checks))), notes, statement)

    def _table(self, base: Any, plan: cells.FilePlan, datasets: Sequence[Dataset]) -> _Table:
        table = _Table(base, DuckDB(), plan.layout())
        table.wanted = self.dataset.wanted_fields
        table.lookups = self._lookup_in(datasets)
        return table

    def _read_header(self, path: Path) -> None:
        """The header as the file source reads it (its preamble, names and width)."""
        opened = open_data_file(path, self.dataset.details.get("encoding"))
        try:
            reader = FlatReader(opened.text)
        finally:
            opened.close()
        if reader.delimiter != "\t":
            raise CannotPush("not tab-separated: a spreadsheet's quoted CSV is read by Python")
        self.names = reader.names
        self.preamble = reader.preamble_lines

    def _lookup_in(self, datasets: Sequence[Dataset]) -> Any:
        from order_guard.sql.scopes import absent_lookup

        present = {dataset.kind for dataset in datasets}

        def lookup(kind: str, key: str) -> Any:
            if kind not in present:
                return absent_lookup()
            if (kind, key) not in self.lookups:
                index = next((table for dataset, index_key, _on, requester, table in self.links.indexes
                              if (dataset, index_key, requester) == (kind, key, "orders")), None)
                if index is None or kind == "orders":
                    raise CannotPush(f"exists_in {kind}: no index of its {key} to look up")
                keys = list(index)
                if not all(isinstance(value, str) for value in keys):
                    raise CannotPush(f"exists_in {kind}: its {key} values are not all text")
                self.lookups[(kind, key)] = (f"og_lookup_{len(self.lookups)}", keys)
            return _Lookup(self.lookups[(kind, key)][0])

        return lookup

    def _connect(self) -> None:
        import duckdb

        self.directory = tempfile.mkdtemp(prefix="order-guard-duckdb-")
        self.connection = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "temp_directory": self.directory})
        self.connection.execute("SET TimeZone = 'UTC'")  # a date without an offset is UTC, as in Python

    def _load_rows(self, path: Path, plan: cells.FilePlan, used: set[str]) -> None:
        """og_rows: one row per file row below the header, in the file's order (its row id)."""
        width = plan.width
        columns = ", ".join(f"'{cells.column(i)}': 'VARCHAR'" for i in range(width)) + ", 'og_extra': 'VARCHAR'"
        link = Path(self.directory or ".") / "orders.tsv"  # DuckDB would read *, ? and [ in a path as a glob
        link.symlink_to(path.resolve())
        source = (f"read_csv('{link}', delim = '\t', quote = '', escape = '', header = true, "
                  f"skip = {self.preamble}, auto_detect = false, columns = {{{columns}}}, null_padding = true, "
                  f"strict_mode = false, nullstr = '{cells.NULL_MARK}', compression = 'none')")
        ragged = f"{cells.column(width - 1)} IS NULL OR og_extra IS NOT NULL"
        read_by_checks = used | {key for dataset, key, *_ in self.links.indexes if dataset == "orders"}
        if "status_raw" in used:
            read_by_checks.add("status")
        values = [f"{cells.value(cell) if _kept(cell, read_by_checks) else 'NULL'} AS {cell.name}"
                  for cell in plan.cells]
        self.connection.execute(
            f"CREATE TABLE og_rows AS SELECT {cells.key_value(plan.key)} AS {cells.KEY}, "
            f"{cells.unsure(plan, ragged)} AS {cells.UNSURE}{''.join(', ' + value for value in values)} "
            f"FROM {source}")
        self.total = self.connection.execute("SELECT count(*) FROM og_rows").fetchone()[0]

    def _check_numbering(self) -> None:
        """DuckDB's rows stand for the file's lines only if it read every line below the header."""
        facts = self.facts
        assert facts is not None
        odd = facts.odd()
        if odd:
            raise CannotPush(f"its lines cannot be numbered from DuckDB's rows: {odd}")
        lines = facts.lines - facts.trailing_blank - 1 - self.preamble
        if self.total != lines:
            raise CannotPush(f"DuckDB read {self.total:,} rows where the file has {lines:,} lines below the "
                             "header (blank lines?): its lines cannot be numbered from DuckDB's rows")

    def _list_values(self, table: _Table, used: set[str]) -> None:
        """Statuses and channels as Python maps them, value by value (as the SQL source does)."""
        for name in table.layout.enumerated():
            if name in used or (name == "status" and "status_raw" in used):
                sql, params = render(table.distinct(name))
                table.set_values(name, [row[0] for row in self.connection.execute(sql, params).fetchall()])

    def _load_lookups(self) -> None:
        for name, keys in self.lookups.values():
            self.connection.execute(f"CREATE TABLE {name} AS SELECT unnest(?::VARCHAR[]) AS k", [keys])

    def _choose_rows(self, candidates: Any) -> None:
        """og_python (the orders Python checks) and og_subset (their rows, and every unsure row)."""
        sql, params = render(candidates)
        self.connection.execute(
            f"CREATE TABLE og_python AS "
            f"SELECT {GROUP_KEY} AS og_id FROM ({sql}) AS og_candidates WHERE {GROUP_KEY} IS NOT NULL "
            "UNION SELECT og_id FROM og_rows WHERE og_unsure AND og_id IS NOT NULL "
            "UNION SELECT og_id FROM og_rows WHERE og_id IS NOT NULL GROUP BY og_id "
            "HAVING count(*) <> max(rowid) - min(rowid) + 1 "
            "UNION SELECT r.og_id FROM og_rows AS r JOIN (SELECT rowid - 1 AS near FROM og_rows WHERE og_unsure "
            "UNION ALL SELECT rowid + 1 FROM og_rows WHERE og_unsure) AS n ON r.rowid = n.near "
            "WHERE r.og_id IS NOT NULL", params)
        self.connection.execute(
            "CREATE TABLE og_subset AS SELECT rowid AS og_row, og_id FROM og_rows "
            "WHERE og_unsure OR og_id IN (SELECT og_id FROM og_python)")
        self.subset = self.connection.execute("SELECT count(*) FROM og_subset").fetchone()[0]

    # -- reading ---------------------------------------------------------------------------------

    def unsure(self) -> Iterator[dict[str, Any]]:
        """The rows Python checks, read back from the file and counted as the streaming engine counts."""
        self.ran = True
        yield from self._records("SELECT og_row, og_id FROM og_subset ORDER BY og_row", [], self.dataset)
        if self.facts is not None and self.facts.changed():
            self.dataset.error("the file changed while it was checked; check it again")

    def count(self) -> int:
        """Rows DuckDB read and vouched for: all but those read back."""
        return self.total - self.subset

    def candidates(self) -> Iterator[tuple[dict[str, Any], set[int]]]:
        """Nothing more: every order a check may fail was read back by :meth:`unsure`."""
        return iter(())

    def matching(self, field: str, values: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """Vouched records whose ``field`` may be one of ``values`` (for a look-up into the orders)."""
        assert self.table is not None
        base = self.table.base
        try:
            column = self.table.canon(field, base).column
            if column.kind != TEXT_KIND:
                raise CannotPush(f"{field} is not text")
            hit = column.expr.in_([column.bind(value) for value in values])
        except CannotPush as err:
            self.dataset.error(f"cannot look orders up by {field} in DuckDB: {err.reason}")
            return
        if column.exact is not None:
            hit = sa.or_(hit, sa.not_(column.exact))
        keys = sa.select(base.c[cells.KEY]).where(hit)
        python = sa.table("og_python", sa.column("og_id"))
        statement = (sa.select(sa.literal_column("rowid"), base.c[cells.KEY])
                     .where(base.c[cells.KEY].in_(keys), sa.not_(base.c[cells.UNSURE]),
                            ~sa.exists().where(python.c.og_id == base.c[cells.KEY]))
                     .order_by(sa.literal_column("rowid")))
        scratch = Dataset(location=self.dataset.location, kind=self.dataset.kind, format=self.dataset.format,
                          read_records=lambda dataset: iter(()))
        scratch.wanted_fields = self.dataset.wanted_fields
        yield from self._records(*render(statement), scratch)
        if scratch.records_unreadable or scratch.errors:
            self.dataset.error(f"internal: {scratch.records_unreadable} row(s) DuckDB vouched for were unreadable "
                               "when read back; the findings may be incomplete (a bug: please report it)")

    def _records(self, sql: str, params: list[Any], counted: Dataset) -> Iterator[dict[str, Any]]:
        """Records of the rows ``sql`` lists (row id, order id), read back from the file in order."""
        assert self.facts is not None
        first_line = self.preamble + 2  # row id 0 is the line below the header
        result = self.connection.cursor().execute(sql, params)
        numbered = ((row + first_line, key) for batch in iter(lambda: result.fetchmany(BATCH), [])
                    for row, key in batch)
        segments = Segments(LineIndex(self.facts).read(numbered), self.names, self.key_index)
        for rows in segments:
            yield from flat_records(counted, rows, self.fmt)
            if segments.broken:  # a line was not the row DuckDB read: stop, the run is incomplete
                return

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _kept(cell: cells.Cell, read_by_checks: set[str]) -> bool:
    """Whether og_rows keeps the cell's value: text is cheap, items are read inside groups,
    other values only where a check or a look-up reads them (all are checked for readability)."""
    return cell.item or cell.type_class == "text" or cell.field in read_by_checks


def _where(scope: Any, condition: Any) -> str:
    """A check's test as the WHERE clause it is in, for ``--explain``."""
    text = shown(sa.select(sa.literal_column("1")).select_from(scope.groups).where(condition))
    return text.split("\nWHERE ", 1)[1] if "\nWHERE " in text else text


__all__ = ["FilePushdown"]
