"""A dataset's SQLAlchemy URL: the plugin's own parameters, and the password from outside any file.

``sqlite:///orders.db?table=orders``, ``postgresql+psycopg://og@db/shop?table=orders&kind=orders``,
``mysql+pymysql://og@db/shop?query=pending_eu``. The parameters ``table``,
``schema``, ``query``, ``kind``, ``mapping`` and ``pushdown`` belong to the
plugin and are removed before connecting; the rest go to the driver.
``pushdown=off`` (or ``ORDER_GUARD_SQL_PUSHDOWN=off``) reads every row in Python.

The password comes from, in order: ``${NAME}`` in the URL (an environment
variable), a password typed in the URL on the command line, ``PGPASSWORD``
(PostgreSQL) or ``MYSQL_PWD`` (MySQL/MariaDB), or a ``.pgpass``-style file
(``ORDER_GUARD_SQL_PASSFILE``, ``PGPASSFILE``, ``~/.pgpass``: lines of
``host:port:database:user:password``, ``*`` for any). Every password is
registered as a secret the moment it is read, so no output shows it.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from order_guard.errors import UsageError
from order_guard.secrets import register_secret, scrub

PARAMS = ("table", "schema", "query", "kind", "mapping", "pushdown")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PASSWORD_ENV = {"postgresql": "PGPASSWORD", "mysql": "MYSQL_PWD", "mariadb": "MYSQL_PWD"}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


@dataclass
class Address:
    url: Any  # sqlalchemy.engine.URL, password resolved: never shown
    location: str  # the location as given, any typed password masked
    dialect: str
    table: str | None
    schema: str | None
    query: str | None
    kind: str | None
    mapping: str | None
    pushdown: bool

    @property
    def relation(self) -> str:
        return f"query {self.query}" if self.query else f"table {self.table}"

    @property
    def session_key(self) -> str:
        return self.url.render_as_string(hide_password=False)


def _expand(text: str | None, environ: Mapping[str, str], what: str) -> str | None:
    if text is None:
        return None

    def value(match: re.Match) -> str:
        name = match[1]
        if name not in environ:
            raise UsageError(f"the {what} names ${{{name}}}, which is not set in the environment")
        return environ[name]

    return _VARIABLE.sub(value, text)


def parse(location: str, environ: Mapping[str, str] = os.environ) -> Address:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(location)
    except ArgumentError as err:
        raise UsageError(f"{scrub(location)}: not a SQLAlchemy URL: {scrub(str(err))}") from None
    if url.password is not None and not _VARIABLE.fullmatch(str(url.password)):
        register_secret(str(url.password))  # typed on the command line (a configuration file refuses it)
    query = dict(url.query)
    if any(name.lower() in ("password", "passwd") for name in query):
        raise UsageError(f"{scrub(location)}: put the password in the environment (${{NAME}} in the URL, "
                         "PGPASSWORD, MYSQL_PWD) or a .pgpass file, not in a URL parameter")
    own = {name: query.get(name) for name in PARAMS}
    for name, value in own.items():
        if isinstance(value, tuple):
            raise UsageError(f"{scrub(location)}: {name} is given twice")
    if bool(own["table"]) == bool(own["query"]):
        raise UsageError(f"{scrub(location)}: name a table (?table=orders) or a configured query (?query=NAME)")
    dialect = url.get_backend_name()
    dialect = "postgresql" if dialect == "postgres" else dialect
    password = _expand(str(url.password), environ, "URL's password") if url.password is not None else None
    url = url.set(username=_expand(url.username, environ, "URL's user"), password=password,
                  host=_expand(url.host, environ, "URL's host"),
                  database=_expand(url.database, environ, "URL's database"))
    if url.password is None and dialect != "sqlite":
        url = url.set(password=_password_from_outside(url, dialect, environ))
    if url.password is not None:
        register_secret(str(url.password))
    url = url.difference_update_query(PARAMS)
    pushdown = (own["pushdown"] or environ.get("ORDER_GUARD_SQL_PUSHDOWN") or "on").lower()
    if pushdown not in ("on", "off"):
        raise UsageError(f"{scrub(location)}: pushdown must be on or off")
    return Address(url=url, location=scrub(location), dialect=dialect, table=own["table"],
                   schema=own["schema"], query=own["query"], kind=own["kind"], mapping=own["mapping"],
                   pushdown=pushdown == "on")


def _password_from_outside(url: Any, dialect: str, environ: Mapping[str, str]) -> str | None:
    variable = _PASSWORD_ENV.get(dialect)
    if variable and environ.get(variable):
        return environ[variable]
    passfile = environ.get("ORDER_GUARD_SQL_PASSFILE") or environ.get("PGPASSFILE")
    path = Path(passfile) if passfile else Path.home() / ".pgpass"
    return passfile_password(path, url.host or "localhost", url.port or _DEFAULT_PORTS.get(dialect),
                             url.database or "", url.username or "")


def _fields(line: str) -> list[str]:
    fields, current, escaped = [], "", False
    for char in line:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append(current)
            current = ""
        else:
            current += char
    return [*fields, current]


def passfile_password(path: Path, host: str, port: int | None, database: str, user: str) -> str | None:
    """The password of the first matching ``host:port:database:user:password`` line, as libpq reads it.
    A file others can read is ignored, as libpq ignores it."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    wanted = [host, str(port or ""), database, user]
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _fields(line)
        if len(fields) != 5:
            continue
        if all(field in ("*", value) for field, value in zip(fields[:4], wanted, strict=True)):
            register_secret(fields[4])
            return fields[4]
    return None
