"""Which column carries which canonical field: Amazon's flat-file headers, canonical names, or a mapping.

A table whose columns carry the header names of one of Amazon's flat files
(``amazon_order_id``, ``order_status``, ``ship_address_1``; underscores,
hyphens and spaces alike) is read with that format, found by the same
detection the file source uses; columns with canonical names
(``order_id``, ``status``, ...) fill the fields that format leaves
unmapped. Any other table needs a mapping in the configuration file::

    sql:
      mappings:
        shop_orders:                 # a table or query name (or ?mapping=NAME)
          kind: orders
          columns: {order_id: ref, status: state, purchase_date: created_at,
                    items.sku: article, items.quantity: qty}
          values:
            status: {"10": Pending, "20": Unshipped, "90": Canceled}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from order_guard.builtin.flat_formats import CANONICAL_ORDERS
from order_guard.canonical import FIELDS, ITEM_FIELDS, KEY_FIELD
from order_guard.detection import detect_flat_format
from order_guard.errors import SourceError
from order_guard.files.flat import normalize_header
from order_guard.sql.relation import Layout, RawColumn
from order_guard.types import FlatFormat


@dataclass
class Columns:
    """The relation's columns as read: names, type classes, and whether one is unique."""

    names: list[str]
    classes: dict[str, str]
    unique: set[str]


def _header(name: str) -> str:
    return name.replace("_", "-")


def canonical_format(kind: str) -> FlatFormat:
    """Canonical names of ``kind`` (``canonical.FIELDS``) as a flat format."""
    if kind == "orders":
        return CANONICAL_ORDERS
    key = _header(KEY_FIELD[kind])
    return FlatFormat(name=f"canonical-{kind}", kind=kind, requires=[[key]],
                      columns={name: [_header(name)] for name in FIELDS[kind]})


class _Formats:
    """The registry's flat formats, plus canonical ones for the kind the user named."""

    def __init__(self, registry: Any, kind: str | None):
        self.formats = registry.formats_for("flat")
        if kind is not None and kind != "orders":
            self.formats = [*self.formats, canonical_format(kind)]

    def formats_for(self, container: str) -> list[Any]:
        return self.formats if container == "flat" else []


def _augmented(fmt: FlatFormat, headers: set[str]) -> FlatFormat:
    """``fmt`` plus canonical names for the fields it leaves unmapped (and, for orders, item fields)."""
    mapped = set(fmt.columns) | set(fmt.sums)
    extra = {name: [_header(name)] for name in FIELDS[fmt.kind]
             if name not in mapped and _header(name) in headers}
    if fmt.kind == "orders":
        extra |= {f"items.{name}": [_header(name)] for name in ITEM_FIELDS
                  if f"items.{name}" not in mapped and _header(name) in headers and name not in FIELDS["orders"]}
    return replace(fmt, columns={**fmt.columns, **extra}) if extra else fmt


def choose(location: str, columns: Columns, kind: str | None, registry: Any,
           mapping: Mapping[str, Any] | None) -> tuple[FlatFormat, Layout]:
    """The flat format the reader folds rows with, and the layout SQL reads the same columns through."""
    headers = [normalize_header(name) for name in columns.names]
    if mapping is not None:
        kind = mapping.get("kind") or kind
        if kind is None:
            raise SourceError(location, "the mapping names no kind: add kind: orders (or --dataset KIND=URL)")
        fmt = FlatFormat(name="sql-mapping", kind=kind, requires=[],
                         group_rows=kind == "orders",
                         columns={field: [normalize_header(column)] for field, column in mapping["columns"].items()})
        missing = [column for aliases in fmt.columns.values() for column in aliases if column not in headers]
        if missing:
            raise SourceError(location, f"the mapping names columns the relation does not have: {', '.join(missing)}")
    else:
        fmt = _augmented(detect_flat_format(location, headers, _Formats(registry, kind), kind), set(headers))
    return fmt, layout_of(fmt, columns, headers, mapping)


def layout_of(fmt: FlatFormat, columns: Columns, headers: Sequence[str], mapping: Mapping[str, Any] | None) -> Layout:
    position = {name: index for index, name in reversed(list(enumerate(headers)))}

    def raw(alias_list: Sequence[str]) -> RawColumn | None:
        index = next((position[alias] for alias in alias_list if alias in position), None)
        if index is None:
            return None
        name = columns.names[index]
        return RawColumn(name, columns.classes.get(name, "unknown"))

    layout = Layout(kind=fmt.kind, columns={}, grouped=fmt.group_rows,
                    values={field: dict(values) for field, values in (mapping or {}).get("values", {}).items()})
    for target, aliases in fmt.columns.items():
        column = raw(aliases)
        if column is None:
            continue
        if target.startswith("items."):
            layout.items[target[6:]] = column
        else:
            layout.columns[target] = column
    for target, aliases in fmt.sums.items():
        parts = [raw([alias]) for alias in aliases]
        if any(parts):
            layout.sums[target] = [part for part in parts if part is not None]
    for header, index in position.items():
        if header.startswith("x-"):
            name = columns.names[index]
            layout.columns[header.replace("-", "_")] = RawColumn(name, columns.classes.get(name, "unknown"))
    key = layout.columns.get(layout.key)
    layout.unique = key is not None and key.name in columns.unique
    return layout
