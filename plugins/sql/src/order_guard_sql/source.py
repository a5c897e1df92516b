"""Open a SQL dataset: connect read-only, find the relation's columns and format, stream its rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from order_guard.datasets import Dataset, DatasetRequest, flat_records
from order_guard.errors import SourceError, UsageError
from order_guard.registry import Registry
from order_guard.secrets import scrub
from order_guard.types import DATASET_KINDS

from order_guard_sql.address import Address, parse
from order_guard_sql.layout import Columns, choose
from order_guard_sql.reading import SqlRows
from order_guard_sql.session import Session, explain_error, session_for

#: Type codes in cursor descriptions of a named query -> type classes (PostgreSQL OIDs, MySQL field types).
_PG_TYPES = {16: "boolean", 20: "integer", 21: "integer", 23: "integer", 700: "float", 701: "float",
             1700: "decimal", 25: "text", 1042: "text", 1043: "text", 19: "text", 1082: "date", 1114: "datetime",
             1184: "datetime"}
_MYSQL_TYPES = {0: "decimal", 246: "decimal", 1: "integer", 2: "integer", 3: "integer", 8: "integer", 9: "integer",
                4: "float", 5: "float", 7: "datetime", 12: "datetime", 10: "date", 14: "date", 15: "text",
                253: "text", 254: "text", 249: "text", 250: "text", 251: "text", 252: "text", 247: "text"}


class SqlDataset(Dataset):
    """A dataset read from a database; ``pushdown`` (see :mod:`order_guard.pushdown`) runs checks there."""

    pushdown: Any = None
    table: Any = None
    session: Any = None


def settings_of(registry: Registry) -> Mapping[str, Any]:
    return (getattr(registry, "settings", None) or {}).get("sql") or {}


def _unreadable(address: Address | None, location: str, kind: str | None, message: str) -> SqlDataset:
    dataset = SqlDataset(location=address.location if address else scrub(location), kind=kind or "unknown",
                         format="unknown", read_records=lambda ds: iter(()))
    dataset.unreadable(message)
    return dataset


def open_sql(request: DatasetRequest, registry: Registry) -> list[Dataset]:
    address = parse(request.location)
    kind = request.kind or address.kind
    if kind is not None and kind not in DATASET_KINDS:
        raise UsageError(f"{address.location}: unknown dataset kind {kind!r}; kinds: {', '.join(DATASET_KINDS)}")
    settings = settings_of(registry)
    query_sql = None
    if address.query:
        queries = settings.get("queries") or {}
        if address.query not in queries:
            raise UsageError(f"{address.location}: no query {address.query!r} in the configuration file's "
                             f"sql.queries (known: {', '.join(sorted(queries)) or 'none'})")
        query_sql = queries[address.query]
    mappings = settings.get("mappings") or {}
    if address.mapping and address.mapping not in mappings:
        raise UsageError(f"{address.location}: no mapping {address.mapping!r} in the configuration file's sql.mappings")
    mapping = mappings.get(address.mapping or address.query or address.table)
    try:
        session = session_for(address, registry)
        base, columns = _relation(session, address, query_sql)
        fmt, layout = choose(address.location, columns, kind, registry, mapping)
    except SourceError as err:
        return [_unreadable(address, request.location, kind, err.detail)]
    return [_dataset(address, session, base, fmt, layout)]


def _relation(session: Session, address: Address, query_sql: str | None) -> tuple[Any, Columns]:
    import sqlalchemy as sa
    from order_guard.sql.dialects import type_class

    connection = session.connection
    savepoint = connection.begin_nested()  # a failed look at the schema must not spoil the run's snapshot
    try:
        if query_sql is None:
            inspector = sa.inspect(connection)
            found = inspector.get_columns(address.table, schema=address.schema)
            if not found:
                raise sa.exc.NoSuchTableError(address.table)
            unique = set()
            primary = inspector.get_pk_constraint(address.table, schema=address.schema).get("constrained_columns")
            if primary and len(primary) == 1:
                unique.add(primary[0])
            for constraint in inspector.get_unique_constraints(address.table, schema=address.schema):
                if len(constraint["column_names"]) == 1:
                    unique.add(constraint["column_names"][0])
            for index in inspector.get_indexes(address.table, schema=address.schema):
                if index.get("unique") and len(index["column_names"]) == 1:
                    unique.add(index["column_names"][0])
            base = sa.Table(address.table, sa.MetaData(), *[sa.Column(c["name"], sa.types.NullType()) for c in found],
                            schema=address.schema)
            savepoint.commit()
            return base, Columns([c["name"] for c in found], {c["name"]: type_class(c["type"]) for c in found}, unique)
        probe = sa.text(query_sql).columns().subquery("og_query")
        result = connection.execute(sa.select(sa.literal_column("*")).select_from(probe).where(sa.false()))
        names = list(result.keys())
        codes = {row[0]: row[1] for row in (result.cursor.description or [])}
        result.close()
        types = _PG_TYPES if session.dialect == "postgresql" else _MYSQL_TYPES \
            if session.dialect in ("mysql", "mariadb") else {}
        classes = {name: types.get(codes.get(name), "unknown") for name in names}
        base = sa.text(query_sql).columns(*[sa.column(name) for name in names]).subquery("og_query")
        savepoint.commit()
        return base, Columns(names, classes, set())
    except sa.exc.NoSuchTableError:
        _undo(savepoint)
        raise SourceError(address.location, f"no table {address.table!r}"
                          + (f" in schema {address.schema!r}" if address.schema else "")) from None
    except sa.exc.SQLAlchemyError as err:
        _undo(savepoint)
        raise SourceError(address.location, f"cannot read {address.relation}: {explain_error(err)}") from None


def _undo(savepoint: Any) -> None:
    try:
        savepoint.rollback()
    except Exception:  # noqa: BLE001 - the connection itself is gone: the error says so already
        pass


def _dataset(address: Address, session: Session, base: Any, fmt: Any, layout: Any) -> SqlDataset:
    import sqlalchemy as sa
    from order_guard.sql.dialects import dialect_for
    from order_guard.sql.relation import CanonicalTable

    profile = dialect_for(session.name)
    table = CanonicalTable(base, profile, layout) if profile is not None else None
    key = layout.columns.get(layout.key)
    values = {layout.columns[name].name: table for name, table in layout.values.items() if name in layout.columns}
    stream = table.stream() if table is not None else sa.select(*base.c).order_by(
        *([base.c[key.name]] if key else []))

    def read(dataset: Dataset) -> Iterator[dict[str, Any]]:
        yield from read_rows(session, stream, dataset, dataset, fmt, key.name if key else None, values)

    dataset = SqlDataset(location=address.location, kind=fmt.kind, format=fmt.name, read_records=read,
                         details={"database": session.name, "relation": address.relation})
    dataset.table, dataset.session = table, session
    if table is not None and fmt.kind == "orders" and key is not None:
        from order_guard_sql.pushdown import SqlPushdown

        dataset.pushdown = SqlPushdown(session, table, dataset, fmt, key.name, values, address.pushdown)
    return dataset


def read_rows(session: Session, statement: Any, counted: Dataset, errors_to: Dataset, fmt: Any,
              key_column: str | None, values: Mapping[str, Mapping[str, str]],
              rows_out: list | None = None) -> Iterator[dict[str, Any]]:
    """Records of ``statement``'s rows, read by the flat-file mapping into ``counted``."""
    try:
        result = session.stream(statement)
    except Exception as err:  # noqa: BLE001 - the query could not start: nothing was read
        errors_to.error(f"cannot read: {explain_error(err)}")
        return
    rows = SqlRows(result, errors_to, key_column, values)
    if rows_out is not None:
        rows_out.append(rows)
    key = fmt.columns and next(iter([name for name in ("order_id", "sku") if name in fmt.columns]), None)
    for record in flat_records(counted, rows, fmt):
        if key and record.get(key) is not None:
            record["_pointer"] = rows.pointer(str(record[key]))
        yield record
