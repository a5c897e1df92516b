"""The typed objects plugins contribute through the ``order_guard_*`` hooks.

Hooks yield these frozen dataclasses instead of dicts, so the host can check
names, detect two plugins claiming the same name and list what exists without
calling plugin code again. Each object's shape may grow (new optional fields
with defaults), never change in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from order_guard.errors import PluginError

if TYPE_CHECKING:
    from order_guard.datasets import Dataset, DatasetRequest
    from order_guard.registry import Registry
    from order_guard.report import RenderOptions, Report
    from order_guard.rulelang.compiler import CompileContext, Predicate

#: The dataset kinds of DESIGN.md (a contract).
DATASET_KINDS = ("orders", "order-report", "unshipped-report", "shipments", "inventory")

_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


def _check_name(obj: object, name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise PluginError(f"{type(obj).__name__} name {name!r} must be lowercase letters, digits, '-', '_' or '.'")


@dataclass(frozen=True)
class Source:
    """Where datasets come from: files, an API, a database.

    ``claims(location)`` says whether this source reads a ``--dataset`` value
    (a path, ``sp-api://...``, a SQLAlchemy URL). ``open(request, registry)``
    returns the :class:`~order_guard.datasets.Dataset` objects read from it.
    Sources are asked in descending ``priority``; the file source has the
    lowest, so it reads whatever no other source claims.
    """

    name: str
    claims: Callable[[str], bool]
    open: Callable[[DatasetRequest, Registry], Iterable[Dataset]]
    description: str = ""
    priority: int = 0

    def __post_init__(self) -> None:
        _check_name(self, self.name)


@dataclass(frozen=True)
class FlatFormat:
    """A tab- or comma-separated report, recognised by its header.

    ``columns`` maps each canonical field to the header names that carry it
    (normalised: lower case, ``-`` for ``_`` and spaces). ``requires`` lists
    groups of header names; a file matches when it has one name of every
    group, and the match with most groups wins. ``group_rows`` merges
    consecutive rows of one order (reports list one row per order item);
    ``items.NAME`` columns then fill the order's items. ``sums`` maps a
    canonical field to columns whose amounts add up to it (an order total
    from item, shipping and tax columns).
    """

    name: str
    kind: str
    columns: Mapping[str, Sequence[str]]
    requires: Sequence[Sequence[str]]
    description: str = ""
    group_rows: bool = False
    sums: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Header names that rule the format out (a listings report never has an order id).
    excludes: Sequence[str] = ()
    container: str = field(default="flat", init=False)

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        if self.kind not in DATASET_KINDS:
            raise PluginError(f"format {self.name}: unknown dataset kind {self.kind!r}")

    def matches(self, headers: frozenset[str]) -> tuple[int, int]:
        """How well a header fits: (required groups, columns understood); (0, 0) if a group is missing.

        The format that requires more wins; on a tie, the one that understands
        more of the header's columns (an All Orders report has ``sku`` and
        ``quantity`` too, but a listings format understands few of its columns).
        """
        if any(name in headers for name in self.excludes):
            return (0, 0)
        for group in self.requires:
            if not any(name in headers for name in group):
                return (0, 0)
        understood = {alias for aliases in (*self.columns.values(), *self.sums.values()) for alias in aliases}
        return (len(self.requires), len(headers & understood))


@dataclass(frozen=True)
class JsonFormat:
    """A JSON document shape (an SP-API response, a request body, a bare list).

    ``detect(document)`` says whether a parsed document (or one JSON Lines
    object) has this shape; ``extract(document)`` yields ``(pointer, raw)``
    pairs, one per record; ``map(raw)`` turns one raw record into a dict of
    canonical field names (values still raw: the host normalises them).
    """

    name: str
    kind: str
    detect: Callable[[Any], bool]
    extract: Callable[[Any], Iterator[tuple[str, Any]]]
    map: Callable[[Any], dict]
    description: str = ""
    #: Warnings about a whole document (a page that says more pages exist).
    notes: Callable[[Any], list[str]] = field(default=lambda document: [])
    #: JSON pointers of lists (``""`` for a top-level list, ``"/payload/Orders"``) whose
    #: elements ``extract`` reads each on its own: a record comes from one element only, and
    #: its pointer starts with the element's. A big document is read there one element at a
    #: time; one of this format that is big elsewhere is read whole, up to a limit.
    streams: tuple[str, ...] = ()
    #: Optional, for speed: ``map`` and the host's normalising in one step. It returns the very
    #: record (same fields, values and order) that normalising ``map(raw)`` gives, or None for a
    #: record it does not decide (a value of an unusual type, a value that does not parse): the
    #: host then maps and normalises that record, and reports it if it is unreadable.
    canonical: Callable[[Any], dict | None] | None = None
    container: str = field(default="json", init=False)

    def __post_init__(self) -> None:
        _check_name(self, self.name)
        if self.kind not in DATASET_KINDS:
            raise PluginError(f"format {self.name}: unknown dataset kind {self.kind!r}")


@dataclass(frozen=True)
class Operator:
    """One word of the rule language.

    A field operator is written ``{field: F, NAME: ARG}`` and compiled by
    ``compile(ARG, "F", ctx)``; ``ctx.getter("F")`` reads the field. A record
    operator is written ``{NAME: ARG}`` and compiled by ``compile(ARG, None,
    ctx)``. Both return a predicate ``record -> bool``.
    ``schema`` is the JSON Schema of ARG; the rule-file schema is built from
    the schemas of all registered operators.

    ``to_sql(ARG, "F" or None, sql_ctx)``, if given, is the same test as a
    SQLAlchemy boolean expression (see :mod:`order_guard.sql`): it must mean
    exactly what ``compile`` means, be TRUE or FALSE (never NULL), and raise
    :class:`order_guard.sql.CannotPush` where it cannot. Without it, a rule
    using the operator is never pushed down into a database.
    """

    name: str
    schema: Mapping[str, Any]
    compile: Callable[[Any, str | None, CompileContext], Predicate]
    on_field: bool = True
    description: str = ""
    to_sql: Callable[[Any, str | None, Any], Any] | None = None

    def __post_init__(self) -> None:
        _check_name(self, self.name)


@dataclass(frozen=True)
class Reporter:
    """An output format: ``render(report, stream, options)`` writes the whole report."""

    name: str
    render: Callable[[Report, Any, RenderOptions], None]
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)


@dataclass(frozen=True)
class RulePack:
    """A rule pack: one YAML file or a directory of them, run when no ``--rules`` is given."""

    name: str
    path: Path
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self, self.name)
