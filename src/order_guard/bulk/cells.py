"""Cells of a tab-separated file as canonical values in DuckDB SQL, where DuckDB can vouch for them.

The plan of which column carries which field is the one
:func:`order_guard.datasets.flat_records` makes (first header alias wins,
``x-`` columns as ``x_`` fields, only the fields the checks read). For each
field this module writes the DuckDB SQL of its canonical value and of where
Python might read the cell otherwise (``unreadable``): a date, number or flag
is vouched for only in plain forms that :mod:`order_guard.canonical` and
DuckDB read alike (anything else is left to Python, which decides whether it
is readable). Text is kept as read; the shared compiler treats blanks and
odd whitespace itself. A row with any such cell, a missing or extra cell, or
no order id is *unsure*: it is read back and checked in Python.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from order_guard.canonical import BOOL, DATETIME, DECIMAL, FALSE_WORDS, FIELDS, INT, ITEM_FIELDS, KEY_FIELD, TRUE_WORDS
from order_guard.sql.relation import Layout, RawColumn
from order_guard.types import FlatFormat

#: ISO 8601 as Python's ``datetime.fromisoformat`` and DuckDB's TIMESTAMPTZ cast read it alike.
_ISO = (r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?)?"
        r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?")
_WHOLE = r"-?[0-9]{1,18}"
_DECIMAL_POINT = r"-?[0-9]{1,12}(\.[0-9]{1,6})?"
_DECIMAL_COMMA = r"-?[0-9]{1,12},[0-9]{1,6}"  # "11,01": canonical.parse_decimal reads the EU comma
#: A cell that cannot be empty or a real value: DuckDB pads missing cells with NULL (``nullstr``
#: is never found in a file without NUL bytes, which the file scan makes sure of).
NULL_MARK = "\x00og"
KEY = "og_id"
UNSURE = "og_unsure"


@dataclass
class Cell:
    """One field read from one or more columns (``sources``; several for a sum)."""

    field: str
    item: bool
    sources: list[int]
    convert: object  # a converter of order_guard.canonical, or None (kept as read)
    name: str = ""  # the column in og_rows

    @property
    def type_class(self) -> str:
        return {INT: "integer", DECIMAL: "decimal", DATETIME: "datetime", BOOL: "boolean"}.get(self.convert, "text")


@dataclass
class FilePlan:
    """The cells of one file the checks read, and its width."""

    kind: str
    width: int
    key: Cell
    cells: list[Cell]
    grouped: bool

    def layout(self) -> Layout:
        """The shared compiler's view of og_rows: which column holds which canonical field."""
        layout = Layout(kind=self.kind, columns={self.key.field: RawColumn(KEY, "text")}, grouped=self.grouped)
        for cell in self.cells:
            (layout.items if cell.item else layout.columns)[cell.field] = RawColumn(cell.name, cell.type_class)
        return layout


def plan_cells(fmt: FlatFormat, names: Sequence[str], wanted: Collection[str] | None) -> FilePlan:
    """Which columns the Python reader reads for ``wanted`` fields, exactly as ``flat_records`` plans it."""
    position = {name: index for index, name in reversed(list(enumerate(names)))}
    plan = []
    for target, aliases in fmt.columns.items():
        index = next((position[alias] for alias in aliases if alias in position), None)
        if index is not None:
            plan.append((target, index))
    plan += [(name.replace("-", "_"), index) for name, index in position.items() if name.startswith("x-")]
    fields = FIELDS[fmt.kind]
    cells: dict[tuple[bool, str], Cell] = {}
    for target, index in plan:
        item = target.startswith("items.")
        name = target[6:] if item else target
        if wanted is None or name in wanted:
            convert = (ITEM_FIELDS if item else fields).get(name)
            cells[(item, name)] = Cell(name, item, [index], convert)
    for target, headers in fmt.sums.items():
        if wanted is None or target in wanted:  # a sum replaces a column of the same field
            cells[(False, target)] = Cell(target, False, [position[h] for h in headers if h in position], DECIMAL)
    key_field = KEY_FIELD[fmt.kind]
    key = cells.pop((False, key_field), None)
    if key is None or key.convert is DECIMAL:
        raise ValueError(f"the file has no {key_field} column")
    ordered = list(cells.values())
    for number, cell in enumerate(ordered):
        cell.name = f"v{number}"
    return FilePlan(fmt.kind, len(names), key, ordered, fmt.group_rows)


def column(index: int) -> str:
    return f"c{index}"


def _blank(cell: str) -> str:
    return f"trim({cell}) = ''"


def _text(values: Sequence[str]) -> str:
    return "(" + ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values)) + ")"


def _ascii_word(cell: str) -> str:
    """Letters and digits of ASCII only: Unicode case mappings (the Kelvin sign) stay with Python."""
    return f"regexp_full_match({cell}, '[A-Za-z0-9]+')"


def unreadable(cell: Cell) -> str | None:
    """SQL that is true where Python may not read the cell as DuckDB does (None: never)."""
    checks = []
    for index in cell.sources:
        raw = column(index)
        if cell.convert is DATETIME:
            checks.append(f"NOT ({_blank(raw)} OR (regexp_full_match({raw}, '{_ISO}') "
                          f"AND TRY_CAST({raw} AS TIMESTAMPTZ) IS NOT NULL))")
        elif cell.convert is INT:
            checks.append(f"NOT ({_blank(raw)} OR regexp_full_match({raw}, '{_WHOLE}'))")
        elif cell.convert is DECIMAL:
            checks.append(f"NOT ({_blank(raw)} OR regexp_full_match({raw}, '{_DECIMAL_POINT}') "
                          f"OR regexp_full_match({raw}, '{_DECIMAL_COMMA}'))")
        elif cell.convert is BOOL:
            checks.append(f"NOT ({_blank(raw)} OR ({_ascii_word(raw)} AND lower({raw}) IN "
                          f"{_text(TRUE_WORDS | FALSE_WORDS)}))")
    return " OR ".join(checks) or None


def value(cell: Cell) -> str:
    """SQL of the cell's canonical value (NULL where blank, or where the row is unsure)."""
    if cell.convert is DECIMAL:
        parts = [f"CASE WHEN regexp_full_match({column(i)}, '{_DECIMAL_POINT}') THEN CAST({column(i)} AS "
                 f"DECIMAL(18,6)) WHEN regexp_full_match({column(i)}, '{_DECIMAL_COMMA}') THEN "
                 f"CAST(replace({column(i)}, ',', '.') AS DECIMAL(18,6)) END" for i in cell.sources]
        if len(parts) == 1:
            return parts[0]
        blank = " AND ".join(_blank(column(i)) for i in cell.sources)
        return f"CASE WHEN {blank} THEN NULL ELSE " + " + ".join(f"coalesce({p}, 0)" for p in parts) + " END"
    raw = column(cell.sources[0])
    if cell.convert is DATETIME:
        return f"CASE WHEN regexp_full_match({raw}, '{_ISO}') THEN TRY_CAST({raw} AS TIMESTAMPTZ) END"
    if cell.convert is INT:
        return f"CASE WHEN regexp_full_match({raw}, '{_WHOLE}') THEN CAST({raw} AS BIGINT) END"
    if cell.convert is BOOL:
        return (f"CASE WHEN {_ascii_word(raw)} AND lower({raw}) IN {_text(TRUE_WORDS)} THEN true "
                f"WHEN {_ascii_word(raw)} AND lower({raw}) IN {_text(FALSE_WORDS)} THEN false END")
    return raw  # text, kept as read (the shared compiler reads blanks as NULL)


def key_value(key: Cell) -> str:
    """The key as Python reads it: NULL when blank, a stray byte-order mark dropped (none reach here)."""
    raw = column(key.sources[0])
    return f"CASE WHEN {_blank(raw)} THEN NULL ELSE {raw} END"


def key_unsure(key: Cell) -> str:
    """A key Python might read otherwise: missing, or starting with a space, a control character or
    anything past ASCII (Unicode whitespace counts as blank to Python, not to DuckDB's trim)."""
    raw = column(key.sources[0])
    return f"({raw} IS NULL OR {raw} < '!' OR {raw} >= '\u0085')"


def unsure(plan: FilePlan, ragged: str) -> str:
    """SQL that is true for a row Python must read: ``ragged``, an unsure key or an unreadable cell."""
    checks = [ragged, key_unsure(plan.key)] + [check for cell in plan.cells if (check := unreadable(cell))]
    return "(" + " OR ".join(f"({check})" for check in checks) + ")"
