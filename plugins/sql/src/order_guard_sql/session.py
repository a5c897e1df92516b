"""One read-only connection per database and run, holding one snapshot for every query.

Every dataset of a run that names the same database (same URL, the plugin's
parameters aside) shares one connection and one transaction, so the orders,
the shipments they look up and every pushed-down query see the same data.
The transaction is read only wherever the database has such a thing:

* SQLite: the file is opened read-only (``mode=ro``) and ``PRAGMA query_only``;
* PostgreSQL: ``default_transaction_read_only`` for the session, and a
  ``REPEATABLE READ READ ONLY`` transaction; time zone UTC;
* MySQL/MariaDB: ``SESSION TRANSACTION READ ONLY`` and ``START TRANSACTION
  WITH CONSISTENT SNAPSHOT, READ ONLY``; time zone UTC.

Connections close when the run's registry goes away (the end of the run).
"""

from __future__ import annotations

import os
import re
import sqlite3
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import quote

from order_guard.errors import SourceError
from order_guard.secrets import scrub

from order_guard_sql.address import Address

#: id(registry) -> {database: Session}
_SESSIONS: dict[int, dict[str, Session]] = {}
BATCH = int(os.environ.get("ORDER_GUARD_SQL_BATCH", "5000") or 5000)


class Session:
    def __init__(self, address: Address):
        import sqlalchemy as sa

        self.dialect = address.dialect
        url = address.url
        options: dict[str, Any] = {"poolclass": sa.pool.NullPool}
        if address.dialect == "sqlite":
            path = Path(url.database or "")
            if not url.database or url.database == ":memory:" or not path.is_file():
                raise SourceError(address.location, f"no SQLite database file {url.database or '(none)'}")
            target = f"file:{quote(str(path.resolve()))}?mode=ro"
            options["creator"] = lambda: sqlite3.connect(target, uri=True, isolation_level=None,
                                                         check_same_thread=False)
        elif address.dialect == "postgresql":
            options["connect_args"] = {"application_name": "order-guard",
                                       "options": "-c default_transaction_read_only=on -c TimeZone=UTC"}
        elif address.dialect in ("mysql", "mariadb"):
            options["connect_args"] = {"init_command": "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, "
                                                       "READ ONLY"}
        self.engine = sa.create_engine(url, **options)
        try:
            self.connection = self.engine.connect()
            self._begin()
        except Exception as err:
            self.engine.dispose()
            raise SourceError(address.location, f"cannot connect: {explain_error(err)}") from None
        self.name = self.engine.dialect.name

    def _begin(self) -> None:
        run = self.connection.exec_driver_sql
        if self.dialect == "sqlite":
            run("PRAGMA query_only = ON")
            run("BEGIN")
        elif self.dialect == "postgresql":
            run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        elif self.dialect in ("mysql", "mariadb"):
            run("SET time_zone = '+00:00'")
            run("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        else:
            try:  # where the dialect has it
                run("SET TRANSACTION READ ONLY")
            except Exception:  # noqa: BLE001 - a dialect without it: the URL's own rights apply
                self.connection.rollback()

    def stream(self, statement: Any) -> Any:
        """Rows of ``statement`` through a server-side cursor, ``BATCH`` at a time (flat memory)."""
        options = {"stream_results": True, "yield_per": BATCH} if self.dialect != "sqlite" else {}
        return self.connection.execution_options(**options).execute(statement)

    def scalar(self, statement: Any) -> Any:
        return self.connection.execute(statement).scalar()

    def close(self) -> None:
        for step in (self.connection.rollback, self.connection.close):
            try:
                step()
            except Exception:  # noqa: BLE001 - a connection already lost has nothing to close
                pass
        self.engine.dispose()


def session_for(address: Address, registry: object) -> Session:
    """The run's session for ``address``'s database (opened on first use)."""
    sessions = _SESSIONS.get(id(registry))
    if sessions is None:
        sessions = _SESSIONS[id(registry)] = {}
        weakref.finalize(registry, _close_all, id(registry))
    session = sessions.get(address.session_key)
    if session is None:
        session = sessions[address.session_key] = Session(address)
    return session


def _close_all(key: int) -> None:
    for session in _SESSIONS.pop(key, {}).values():
        session.close()


#: SQLAlchemy's pointer to its documentation, which some of its errors carry on their first line.
_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")


def explain_error(err: BaseException) -> str:
    """A driver error as one scrubbed line, without the SQL statement or SQLAlchemy's links."""
    if type(err).__name__ == "PendingRollbackError":
        # SQLAlchemy's words for a connection that broke under an earlier query of the run
        # ("Can't reconnect until invalid transaction is rolled back") say nothing to a user.
        return "the connection to the database was lost earlier in the run (did the server restart?)"
    original = getattr(err, "orig", None) or err
    text = str(original).strip().splitlines()
    return scrub(_BACKGROUND.sub("", text[0]) if text else type(original).__name__)
