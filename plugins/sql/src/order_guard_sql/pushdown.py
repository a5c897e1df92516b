"""Pushdown of an orders table: the engine's :class:`order_guard.pushdown.Pushdown`, over SQLAlchemy.

Planning lists the table's statuses and channels (mapped in Python, value by
value, so SQL canonicalises them exactly as ``canonical.py`` does), compiles
every orders check with :mod:`order_guard.sql`, and builds one statement that
returns the rows of every order some pushed check may fail, flagged per
check. All queries run in the run's read-only snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from order_guard.datasets import Dataset
from order_guard.pushdown import Plan
from order_guard.secrets import scrub
from order_guard.sql import CannotPush

from order_guard_sql.session import Session, explain_error


def render(statement: Any, dialect: Any) -> str:
    """SQL for reading, bound values inlined where the dialect can show them."""
    try:
        text = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except Exception:  # noqa: BLE001 - a value without a literal form: show the parameters beside it
        compiled = statement.compile(dialect=dialect)
        text = f"{compiled}\n-- parameters: {compiled.params}"
    return scrub(text)


def _where(condition: Any, scope: Any, table: Any, dialect: Any) -> str:
    """A check's test as the WHERE clause it is in the statement (look-ups correlated, values inlined)."""
    import sqlalchemy as sa

    source = getattr(scope, "groups", None)
    source = source if source is not None else table.base
    text = render(sa.select(sa.literal_column("1")).select_from(source).where(condition), dialect)
    return text.split("\nWHERE ", 1)[1] if "\nWHERE " in text else text


class SqlPushdown:
    def __init__(self, session: Session, table: Any, dataset: Dataset, fmt: Any, key_column: str,
                 values: Mapping[str, Mapping[str, str]], enabled: bool):
        self.session = session
        self.table = table
        self.dataset = dataset
        self.fmt = fmt
        self.key_column = key_column
        self.values = values
        self.enabled = enabled
        self.statement: Any = None
        self.flag_index: dict[int, int] = {}
        self.unsure_rows = 0

    def plan(self, checks: Sequence[Any], operators: Mapping[str, Any], as_of: datetime,
             datasets: Sequence[Dataset]) -> Plan:
        from order_guard.sql.compiler import compile_check
        from order_guard.sql.scopes import RowScope

        if not self.enabled:
            return Plan(set(), ["pushdown=off in the URL"] * len(checks))
        table = self.table
        table.wanted = self.dataset.wanted_fields
        try:
            self._list_values()
        except CannotPush as err:
            return Plan(set(), [err.reason] * len(checks))
        except Exception as err:  # noqa: BLE001 - the database failed: stream (and report it there)
            return Plan(set(), [f"the database could not list values: {explain_error(err)}"] * len(checks))
        table.lookups = self._lookup_in(datasets)
        used: set[str] = set()
        notes: list[str] = []
        pushable = []
        for index, check in enumerate(checks):
            try:
                compile_check(check, operators, as_of, RowScope(table, table.base, used))
                pushable.append(index)
                notes.append("")
            except CannotPush as err:
                notes.append(err.reason)
        if not pushable:
            return Plan(set(), notes)
        scope = table.scope(used)
        compiled = []
        dialect = self.session.engine.dialect
        for number, index in enumerate(pushable):
            sql = compile_check(checks[index], operators, as_of, scope)
            compiled.append(sql)
            self.flag_index[number] = index
            notes[index] = "pushed down: WHERE " + _where(sql.candidates, scope, table, dialect)
        for index, note in enumerate(notes):
            if index not in pushable:
                notes[index] = "not pushed (checked in Python over every order): " + note
        self.statement = table.candidates(compiled, scope, everything=len(pushable) < len(checks))
        return Plan(set(pushable), notes, "query: " + render(self.statement, dialect))

    def _list_values(self) -> None:
        table, wanted = self.table, self.table.wanted
        for name in table.layout.enumerated():
            if wanted is None or name in wanted or (name == "status" and "status_raw" in wanted):
                table.set_values(name, self.session.connection.execute(table.distinct(name)).scalars().all())

    def _lookup_in(self, datasets: Sequence[Dataset]) -> Any:
        from order_guard.sql.scopes import TableLookup, absent_lookup

        counts: dict[tuple[str, str], int] = {}

        def lookup(kind: str, key: str) -> Any:
            others = [other for other in datasets if other.kind == kind]
            if not others:
                return absent_lookup()
            if len(others) > 1:
                raise CannotPush(f"exists_in {kind}: several {kind} datasets")
            other = others[0]
            if getattr(other, "session", None) is not self.session or getattr(other, "table", None) is None:
                raise CannotPush(f"exists_in {kind}: {kind} is not in the same database")
            other.table.wanted = other.wanted_fields
            if (kind, key) not in counts:
                counts[(kind, key)] = self.session.scalar(other.table.doubtful(key))
            if counts[(kind, key)]:
                raise CannotPush(f"exists_in {kind}: {counts[(kind, key)]} of its rows are not plain enough "
                                 "for the database to vouch for them")
            return TableLookup(other.table, key)

        return lookup

    def unsure(self) -> Iterator[dict[str, Any]]:
        from order_guard_sql.source import read_rows

        readers: list = []
        yield from read_rows(self.session, self.table.suspects(), self.dataset, self.dataset, self.fmt,
                             self.key_column, self.values, readers)
        self.unsure_rows = sum(reader.count for reader in readers)

    def count(self) -> int:
        try:
            return self.session.scalar(self.table.total()) - self.unsure_rows
        except Exception as err:  # noqa: BLE001
            self.dataset.error(f"cannot count rows: {explain_error(err)}")
            return 0

    def candidates(self) -> Iterator[tuple[dict[str, Any], set[int]]]:
        from order_guard_sql.source import read_rows

        scratch = Dataset(location=self.dataset.location, kind=self.dataset.kind, format=self.dataset.format,
                          read_records=lambda dataset: iter(()))
        scratch.wanted_fields = self.dataset.wanted_fields
        readers: list = []
        key = self.table.layout.key
        for record in read_rows(self.session, self.statement, scratch, self.dataset, self.fmt, self.key_column,
                                self.values, readers):
            flags = readers[0].flags.pop(str(record.get(key)), set())
            yield record, {self.flag_index[number] for number in flags}
        if scratch.records_unreadable:
            self.dataset.error(f"internal: {scratch.records_unreadable} row(s) the database vouched for were "
                               "unreadable; the findings may be incomplete (a bug: please report it)")

    def matching(self, field: str, values: Sequence[Any]) -> Iterator[dict[str, Any]]:
        from order_guard_sql.source import read_rows

        try:
            statement = self.table.matching(field, values)
        except CannotPush as err:
            self.dataset.error(f"cannot look orders up by {field} in the database: {err.reason}")
            return
        scratch = Dataset(location=self.dataset.location, kind=self.dataset.kind, format=self.dataset.format,
                          read_records=lambda dataset: iter(()))
        scratch.wanted_fields = self.dataset.wanted_fields
        yield from read_rows(self.session, statement, scratch, self.dataset, self.fmt, self.key_column, self.values)

    def close(self) -> None:
        """The session is the run's: it closes when the run ends."""
