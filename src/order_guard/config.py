"""Configuration: ``order-guard.yaml``, ``[tool.order-guard]`` in ``pyproject.toml``, or ``--config FILE``.

Command-line flags override it. The file is data only: it can name datasets,
rule paths and defaults, never load code or plugins (only ``-p`` on the
command line or an installed package adds a plugin).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from order_guard.canonical import FIELDS, ITEM_FIELDS, TEXT
from order_guard.errors import UsageError
from order_guard.rulelang.schema import SEVERITIES
from order_guard.types import DATASET_KINDS

CONFIG_NAME = "order-guard.yaml"

_SQL_MAPPING = {
    "type": "object",
    "properties": {
        "kind": {"enum": list(DATASET_KINDS)},
        "columns": {"type": "object", "minProperties": 1,
                    "additionalProperties": {"type": "string", "minLength": 1}},
        "values": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "string"}}},
    },
    "required": ["columns"],
    "additionalProperties": False,
}
#: The SQL source's section: named queries (``?query=NAME``) and column mappings for a seller's own tables.
_SQL = {
    "type": "object",
    "properties": {
        "queries": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
        "mappings": {"type": "object", "additionalProperties": _SQL_MAPPING},
    },
    "additionalProperties": False,
}
#: A password typed into a URL (``user:secret@``); ``${NAME}`` (read from the environment) is fine.
#: (Compiled, and cached by ``re``, when a configuration file names datasets.)
_URL_PASSWORD = r"^[a-z][a-z0-9+.-]*://[^/@:\s]*:(?!\$\{[A-Za-z_][A-Za-z0-9_]*\}@)[^@/\s]+@"

SCHEMA = {
    "type": "object",
    "properties": {
        "datasets": {"type": "array", "items": {
            "type": "object",
            "properties": {"kind": {"type": "string"}, "source": {"type": "string"}, "encoding": {"type": "string"}},
            "required": ["source"], "additionalProperties": False}},
        "rules": {"type": "array", "items": {"type": "string"}},
        "fail-on": {"enum": [*SEVERITIES, "none"]},
        "format": {"type": "string"},
        "encoding": {"type": "string"},
        "waivers": {"type": "string"},
        "sql": _SQL,
    },
    "additionalProperties": False,
}


class Config:
    """The configuration in force (all empty without a configuration file)."""

    # A plain class: a dataclass costs every run's start-up its generated methods.
    def __init__(self, path: Path | None = None, datasets: list[dict[str, Any]] | None = None,
                 rules: list[Path] | None = None, fail_on: str | None = None, format: str | None = None,
                 encoding: str | None = None, waivers: Path | None = None, sql: dict[str, Any] | None = None):
        self.path = path
        self.datasets = datasets if datasets is not None else []
        self.rules = rules if rules is not None else []
        self.fail_on, self.format, self.encoding, self.waivers = fail_on, format, encoding, waivers
        #: The ``sql`` section, for the SQL source plugin (``Registry.settings["sql"]``).
        self.sql = sql if sql is not None else {}


def load_config(explicit: Path | None, cwd: Path) -> Config:
    """The configuration in force: ``explicit`` if given, else the working directory's."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"{explicit}: no such configuration file")
        return _from_file(explicit)
    if (cwd / CONFIG_NAME).is_file():
        return _from_file(cwd / CONFIG_NAME)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        from order_guard.pyprojects import tool_table  # here: most gate runs have no pyproject.toml

        data = tool_table(pyproject, check=lambda table: _validated(table, pyproject, document=None))
        if data is not None:
            return _validated(data, pyproject, document=None)
    return Config()


def _from_file(path: Path) -> Config:
    import tomllib

    from order_guard.rulelang.yamlload import YamlProblem, load_yaml

    if path.suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise UsageError(f"{path}: {err}") from None
        return _validated(data.get("tool", {}).get("order-guard", data), path, document=None)
    try:
        document = load_yaml(path.read_text(encoding="utf-8"), path)
    except YamlProblem as err:
        raise UsageError(str(err.problem)) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8") from None
    return _validated(document or {}, path, document)


def _validated(data: Any, path: Path, document: Any) -> Config:
    import jsonschema  # here, not at start-up: most gate runs have no configuration file

    from order_guard.rulelang.yamlload import line_of
    from order_guard.schema_errors import unknown_keys

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))
    if error is not None:
        extra = unknown_keys(error)
        where_in, message = extra if extra else (list(error.absolute_path), error.message)
        line = line_of(document, where_in) if document is not None else None
        where = f"{path}:{line}" if line else str(path)
        raise UsageError(f"{where}: configuration: {message}")
    _check_semantics(data, path, document)
    base = path.parent
    return Config(
        path=path,
        datasets=[{**entry, "source": _resolve(base, entry["source"])} for entry in data.get("datasets", [])],
        rules=[base / rule for rule in data.get("rules", [])],
        fail_on=data.get("fail-on"),
        format=data.get("format"),
        encoding=data.get("encoding"),
        waivers=base / data["waivers"] if "waivers" in data else None,
        sql=data.get("sql", {}),
    )


def _check_semantics(data: Any, path: Path, document: Any) -> None:
    """What the schema cannot say: no password in a committed file; mappings name real fields."""
    from order_guard.rulelang.yamlload import line_of

    def fail(where_in: list, message: str) -> None:
        line = line_of(document, where_in) if document is not None else None
        raise UsageError(f"{path}:{line}: configuration: {message}" if line else f"{path}: configuration: {message}")

    for index, entry in enumerate(data.get("datasets", [])):
        if re.match(_URL_PASSWORD, entry["source"], re.IGNORECASE):
            fail(["datasets", index, "source"], "a password in a URL in a configuration file; write "
                 "${NAME} and set NAME in the environment, or use a .pgpass file")
    for name, mapping in data.get("sql", {}).get("mappings", {}).items():
        kinds = [mapping["kind"]] if "kind" in mapping else list(DATASET_KINDS)
        for target in mapping["columns"]:
            if not any(_known_field(kind, target) for kind in kinds):
                fail(["sql", "mappings", name, "columns", target],
                     f"mapping {name}: {target!r} is not a field of {' or '.join(kinds)} "
                     "(canonical names, items.NAME for an order's items, or x_NAME)")
        for target in mapping.get("values", {}):
            if target not in mapping["columns"] or any(FIELDS.get(kind, {}).get(target) not in (None, TEXT)
                                                       for kind in kinds):
                fail(["sql", "mappings", name, "values", target],
                     f"mapping {name}: values can map only a text field the mapping's columns name, not {target!r}")


def _known_field(kind: str, target: str) -> bool:
    if target.startswith("x_"):
        return True
    if target.startswith("items."):
        return kind == "orders" and target[6:] in ITEM_FIELDS
    return target in FIELDS[kind]


def _resolve(base: Path, source: str) -> str:
    return source if "://" in source else str(base / source)
