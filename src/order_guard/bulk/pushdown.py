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

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from order_guard.bulk import cells
from order_guard.bulk.dialect import render, shown
from order_guard.bulk.filescan import FileFacts, LineIndex, scan
from order_guard.bulk.segments import Segments
from order_guard.bulk.table import VIEW, CanonicalRows, Lookup, view_sql
from order_guard.datasets import Dataset, flat_records
from order_guard.files.flat import FlatReader
from order_guard.files.opening import open_data_file
from order_guard.pushdown import Plan
from order_guard.sql import CannotPush
from order_guard.sql.compiler import TEXT as TEXT_KIND
from order_guard.sql.relation import KEY as GROUP_KEY
from order_guard.sql.relation import MAX_ENUMERATED
from order_guard.types import FlatFormat

#: Rows fetched from DuckDB at a time.
BATCH = 10_000
#: DuckDB's memory limit (its own notation: 1GB, 500MB), and the variable that overrides it.
MEMORY, MEMORY_VARIABLE = "1GB", "ORDER_GUARD_DUCKDB_MEMORY"


class FilePushdown:
    """The bulk engine over one flat orders file (see the module docstring)."""

    #: Order ids per look-up query: each query scans og_rows once (2,000 ids in one query 0.022 s,
    #: in four of 500 0.056 s at 1M rows); DuckDB binds this many parameters without trouble.
    keys_per_query = 10_000

    def __init__(self, dataset: Dataset, fmt: FlatFormat, links: Any):
        self.dataset = dataset
        self.fmt = fmt
        self.links = links  # the engine's look-up indexes, filled before the orders are read
        self.connection: Any = None
        self.directory: str | None = None
        self.facts: FileFacts | None = None
        self.digest_taken = True  # False where the file's digest was refused (the run says why)
        self.table: CanonicalRows | None = None
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
        sketch = self._table(self._view(plan, None), plan, datasets)
        used: set[str] = set()  # the fields the checks read: og_rows keeps their values
        for check in checks:
            compile_check(check, operators, as_of, RowScope(sketch, sketch.base, used))
        kept = self._kept(used)
        pairs = {(False, name) for name in kept} | {(True, name) for name in sketch.items_read}
        base = self._view(plan, pairs)
        table = self.table = self._table(base, plan, datasets)
        with ThreadPoolExecutor(1) as pool:  # the file is hashed and indexed beside DuckDB's scan
            scanning = pool.submit(scan, path, self.dataset.digest is None)
            self._connect()
            self._load_rows(path, plan, pairs)
            self.facts = scanning.result()
        self._check_numbering()
        self.digest_taken = self.dataset.take_digest(lambda: self.facts.sha256 or self.dataset.digest())
        self._map_values(table, kept)
        # One row is one record where its order has no other row: the checks test rows. The orders of
        # several rows (one per item) are few: the checks test them as groups, as the SQL source does.
        by_row = [compile_check(check, operators, as_of, RowScope(table, base, set())) for check in checks]
        rows = sa.select(base.c[cells.HASH]).where(sa.not_(base.c[cells.UNSURE]),
                                                   sa.or_(*[sql.candidates for sql in by_row]))
        self._count_orders()
        keys = sa.table("og_keys", sa.column(cells.HASH), sa.column("rows"))
        several = sa.select(*base.c).where(base.c[cells.HASH].in_(
            sa.select(keys.c[cells.HASH]).where(keys.c.rows > 1))).subquery("og_several")
        grouped = self._table(several, plan, datasets)
        scope = grouped.scope(used)
        by_order = [compile_check(check, operators, as_of, scope) for check in checks]
        orders = sa.select(sa.func.hash(scope.groups.c[GROUP_KEY])).where(
            sa.or_(*[sql.candidates for sql in by_order]))
        self._choose_rows(rows, orders)
        notes = [f"pushed down into DuckDB (orders that may fail it are checked in Python): WHERE "
                 f"{_where(base, sql.candidates)}" for sql in by_row]
        statement = (f"DuckDB read {self.total:,} rows of {path.name}; {self.subset:,} of them are read back "
                     "and checked in Python")
        return Plan(set(range(len(checks))), notes, statement)

    @staticmethod
    def _view(plan: cells.FilePlan, kept: set[tuple[bool, str]] | None) -> Any:
        """og_canon's columns: the order id, its hash, whether unsure, the ``kept`` fields (all: None)
        and statuses and channels as mapped."""
        layout = plan.layout()
        names = [cell.name for cell in plan.cells if kept is None or (cell.item, cell.field) in kept]
        names += [f"{column.name}_c" for name, column in layout.columns.items()
                  if name in layout.enumerated() and column.name in names]
        return sa.table(VIEW, *[sa.column(name) for name in ("og_row", cells.KEY, cells.HASH, cells.UNSURE, *names)])

    def _table(self, base: Any, plan: cells.FilePlan, datasets: Sequence[Dataset]) -> CanonicalRows:
        table = CanonicalRows(base, plan.layout())
        table.wanted = self.dataset.wanted_fields
        table.lookups = self._lookup_in(datasets, base)
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

    def _lookup_in(self, datasets: Sequence[Dataset], base: Any) -> Any:
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
            name = self.lookups[(kind, key)][0]
            return Lookup(name, f"{name}_hit", base.c[cells.KEY] if cells.KEY in base.c else None)

        return lookup

    def _connect(self) -> None:
        import duckdb

        self.directory = tempfile.mkdtemp(prefix="order-guard-duckdb-")
        # og_rows holds about 85 bytes a row; past the limit DuckDB spills to the run's temporary
        # directory (10M rows: 0.7 GB at most with 500MB, 10% slower than 1.7 GB in memory).
        self.connection = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "temp_directory": self.directory, "memory_limit": os.environ.get(MEMORY_VARIABLE, MEMORY)})
        self.connection.execute("SET TimeZone = 'UTC'")  # a date without an offset is UTC, as in Python

    def _kept(self, used: set[str]) -> set[str]:
        """The fields og_rows keeps values of: those the checks read (every cell the engine reads is
        checked for readability) and those a look-up into the orders asks for."""
        fields = used | {key for dataset, key, *_ in self.links.indexes if dataset == "orders"}
        if "status_raw" in used:
            fields.add("status")
        return fields

    def _load_rows(self, path: Path, plan: cells.FilePlan, kept: set[tuple[bool, str]]) -> None:
        """og_rows: one row per file row below the header, in the file's order (its row id)."""
        width = plan.width
        columns = ", ".join(f"'{cells.column(i)}': 'VARCHAR'" for i in range(width)) + ", 'og_extra': 'VARCHAR'"
        link = Path(self.directory or ".") / "orders.tsv"  # DuckDB would read *, ? and [ in a path as a glob
        link.symlink_to(path.resolve())
        source = (f"read_csv('{link}', delim = '\t', quote = '', escape = '', header = true, "
                  f"skip = {self.preamble}, auto_detect = false, columns = {{{columns}}}, null_padding = true, "
                  f"strict_mode = false, nullstr = '{cells.NULL_MARK}', compression = 'none')")
        sql = cells.scan_sql(plan, source, kept, plan.layout().enumerated())
        self.connection.execute(f"CREATE TABLE og_rows AS {sql}")
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

    def _map_values(self, table: CanonicalRows, kept: set[str]) -> None:
        """Statuses and channels as Python maps them, value by value (as the SQL source does), the
        look-up tables, and the view og_canon over them."""
        for name in table.layout.enumerated():
            if name in kept:
                column = table.layout.columns[name].name
                texts = self.connection.execute(f"SELECT DISTINCT {column} FROM og_rows LIMIT {MAX_ENUMERATED + 1}")
                table.set_values(name, [row[0] for row in texts.fetchall()])  # refuses more than MAX_ENUMERATED
        for name, keys in self.lookups.values():
            self.connection.execute(f"CREATE TABLE {name} AS SELECT unnest(?::VARCHAR[]) AS k", [keys])
        flags = [(name, f"{name}_hit") for name, _keys in self.lookups.values()]
        self.connection.execute(view_sql(table, kept, flags))

    def _count_orders(self) -> None:
        """og_keys: the rows of each order id of several rows (by its hash: two ids of one hash only read
        more back). Most orders have one row, which is adjacent to itself: counting rows by id first and
        placing only the ids of several rows halves the aggregate (1M orders of one row each: 0.10 ->
        0.05 s CPU); an unsure row's order is taken from og_rows itself."""
        self.connection.execute(
            f"CREATE TABLE og_keys AS SELECT {cells.HASH}, count(*) AS rows, min(rowid) AS first, "
            f"max(rowid) AS last, bool_or({cells.UNSURE}) AS unsure FROM og_rows WHERE {cells.KEY} IS NOT NULL "
            f"AND {cells.HASH} IN (SELECT {cells.HASH} FROM og_rows WHERE {cells.KEY} IS NOT NULL "
            f"GROUP BY {cells.HASH} HAVING count(*) > 1) GROUP BY {cells.HASH}")

    def _choose_rows(self, rows: Any, orders: Any) -> None:
        """og_python (the orders Python checks, by hash) and og_subset (their rows, and every unsure row):
        orders with an unsure row, or a row next to one, or rows apart from each other, and those
        a check may fail (``rows``: tested row by row; ``orders``: orders of several rows as groups)."""
        rows_sql, rows_params = render(rows)
        orders_sql, orders_params = render(orders)
        self.connection.execute(
            f"CREATE TABLE og_python AS SELECT {cells.HASH} FROM og_keys WHERE unsure OR rows <> last - first + 1 "
            f"UNION SELECT {cells.HASH} FROM og_rows WHERE {cells.UNSURE} AND {cells.KEY} IS NOT NULL "
            f"UNION SELECT r.{cells.HASH} FROM og_rows AS r JOIN (SELECT rowid - 1 AS near FROM og_rows "
            f"WHERE {cells.UNSURE} UNION ALL SELECT rowid + 1 FROM og_rows WHERE {cells.UNSURE}) AS n "
            f"ON r.rowid = n.near WHERE r.{cells.KEY} IS NOT NULL "
            f"UNION {rows_sql} UNION {orders_sql}", rows_params + orders_params)
        self.connection.execute(
            f"CREATE TABLE og_subset AS SELECT rowid AS og_row, {cells.KEY} FROM og_rows "
            f"WHERE {cells.UNSURE} OR {cells.HASH} IN (SELECT {cells.HASH} FROM og_python)")
        self.subset = self.connection.execute("SELECT count(*) FROM og_subset").fetchone()[0]

    # -- reading ---------------------------------------------------------------------------------

    def unsure(self) -> Iterator[dict[str, Any]]:
        """The rows Python checks, read back from the file and counted as the streaming engine counts."""
        self.ran = True
        yield from self._records("SELECT og_row, og_id FROM og_subset ORDER BY og_row", [], self.dataset)
        if self.facts is not None and self.digest_taken and self.facts.changed():  # (refused: said already)
            self.dataset.error("the file changed while it was checked (written to or replaced during "
                               "DuckDB's scan): check it again once it is written completely")

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
        order_id = base.c[cells.KEY]
        if field == self.table.layout.key:  # og_id is the order id as Python reads it, on every vouched row
            keys: Any = [value for value in values if isinstance(value, str)]
        else:
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
            keys = sa.select(order_id).where(hit)
        python = sa.table("og_python", sa.column(cells.HASH))
        statement = (sa.select(base.c.og_row, order_id)
                     .where(order_id.in_(keys), sa.not_(base.c[cells.UNSURE]),
                            ~sa.exists().where(python.c[cells.HASH] == base.c[cells.HASH]))
                     .order_by(base.c.og_row))
        scratch = Dataset(location=self.dataset.location, kind=self.dataset.kind, format=self.dataset.format,
                          read_records=lambda dataset: iter(()))
        scratch.wanted_fields = self.dataset.wanted_fields
        yield from self._records(*render(statement), scratch)
        if scratch.records_unreadable or scratch.errors:
            self.dataset.error(f"internal: {scratch.records_unreadable} row(s) DuckDB vouched for were unreadable "
                               "when read back; the findings may be incomplete (a bug: please report it)")

    def _records(self, sql: str, params: list[Any], counted: Dataset) -> Iterator[dict[str, Any]]:
        """Records of the rows ``sql`` lists (row id, order id), read back from the file in order."""
        import duckdb

        assert self.facts is not None
        first_line = self.preamble + 2  # row id 0 is the line below the header

        def numbered() -> Iterator[tuple[int, str | None]]:
            try:
                result = self.connection.cursor().execute(sql, params)
                while batch := result.fetchmany(BATCH):
                    yield from ((row + first_line, key) for row, key in batch)
            except duckdb.Error as err:  # the rest is unread: the run is incomplete, never clean
                raise OSError(f"DuckDB failed: {str(err).strip().splitlines()[0]}") from None

        try:
            segments = Segments(LineIndex(self.facts).read(numbered()), self.names, self.key_index)
        except OSError as err:
            self.dataset.error(f"cannot read the rows to check back: {err}")
            return
        for rows in segments:
            yield from flat_records(counted, rows, self.fmt)
            if segments.broken:  # a line was not the row DuckDB read, or reading failed: the run is incomplete
                return

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _where(source: Any, condition: Any) -> str:
    """A check's test as the WHERE clause it is in, for ``--explain``."""
    text = shown(sa.select(sa.literal_column("1")).select_from(source).where(condition))
    return text.split("\nWHERE ", 1)[1] if "\nWHERE " in text else text


__all__ = ["FilePushdown"]
