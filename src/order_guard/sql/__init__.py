"""Rules as SQL: compile a check's ``when`` + ``fail_if`` to a SQLAlchemy Core boolean expression.

One compiler for every engine that runs rules inside a database: the SQL
source plugin's pushdown (``plugins/sql``) and a bulk engine over files. It
mirrors :mod:`order_guard.rulelang.compiler` node for node, over a *scope*
whose columns hold canonical values (see :mod:`order_guard.sql.compiler`).
Where SQL cannot mean exactly what Python means (an operator without a SQL
form, a look-up into another database, a value SQL cannot vouch for), it
raises :class:`CannotPush` saying why, and the engine streams instead.

SQLAlchemy is an optional dependency (``order-guard[sql]``): importing this
package does not import it; :mod:`order_guard.sql.compiler` does.
"""

from __future__ import annotations


class CannotPush(Exception):
    """A condition has no SQL form with exactly the meaning it has in Python."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
