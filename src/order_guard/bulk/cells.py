"""Cells of a tab-separated file as canonical values in DuckDB SQL, where DuckDB can vouch for them.

The plan of which column carries which field is the one
:func:`order_guard.datasets.flat_records` makes (first header alias wins,
``x-`` columns as ``x_`` fields, only the fields the checks read). Each value
DuckDB keeps is exactly the value :mod:`order_guard.rowreader` would read:
text is none where Python's ``isspace`` says blank; a date, number or flag is
read only in plain forms that :mod:`order_guard.canonical` and DuckDB read
alike. A row with a cell in any other form, a missing or extra cell, or no
order id is *unsure*: it is read back and checked in Python, which decides
whether it is readable. Statuses and channels are kept as read and mapped
value by value in Python (:mod:`order_guard.bulk.table`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from order_guard.canonical import BOOL, DATETIME, DECIMAL, FALSE_WORDS, FIELDS, INT, ITEM_FIELDS, KEY_FIELD, TRUE_WORDS
from order_guard.datasets import column_plan
from order_guard.sql.relation import Layout, RawColumn
from order_guard.types import FlatFormat

#: ISO 8601 as Python's ``datetime.fromisoformat`` and DuckDB's TIMESTAMPTZ cast read it alike: days that
#: exist in every year (29 February is left to Python), hours 00-23, seconds 00-59, 3 or 6 decimals.
_ISO = (r"(19|20)[0-9]{2}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
        r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?)?"
        r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?")
_WHOLE = r"-?[0-9]{1,18}"
#: "11,01" too: canonical.parse_decimal reads the EU decimal comma (when the text has no point)
_DECIMAL = r"-?[0-9]{1,12}([.,][0-9]{1,6})?"
#: true/false words in ASCII letters of either case (a case-insensitive match would take the Kelvin sign)
_FLAG = "|".join("".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in word)
                 for word in sorted(TRUE_WORDS | FALSE_WORDS))
#: What Python's str.isspace() counts as whitespace, as a regular expression class.
_PY_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if c.isspace()) + "]"
#: A cell that cannot be empty or a real value: DuckDB pads missing cells with NULL (``nullstr``
#: is never found in a file without NUL bytes, which the file scan makes sure of).
NULL_MARK = "\x00og"
KEY = "og_id"
HASH = "og_hash"
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
        return {INT: "integer", DECIMAL: "decimal", DATETIME: "datetime", BOOL: "integer"}.get(self.convert, "text")


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
    plan = column_plan(fmt, names)
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


_FORMS = {DATETIME: _ISO, INT: _WHOLE, DECIMAL: _DECIMAL, BOOL: _FLAG}


def _text(values: Sequence[str]) -> str:
    return "(" + ", ".join("'" + value.replace("'", "''") + "'" for value in sorted(values)) + ")"


def _blank(raw: str) -> str:
    """Python reads no value: the cell is empty or all whitespace (``str.isspace``). A regular
    expression tells only for the few cells that start with a space, a control character or past ASCII."""
    return f"({raw} = '' OR (({raw} < '!' OR {raw} >= '\u0085') AND regexp_full_match({raw}, '{_PY_SPACE}+')))"


def _cast(convert: object, raw: str) -> str:
    """SQL of a cell in a vouched form (see ``vouched``) as its value; blank cells are none (and a cell
    in no vouched form too: its row is unsure)."""
    if convert is DATETIME:
        value = f"TRY_CAST({raw} AS TIMESTAMPTZ)"
    elif convert is INT:
        value = f"TRY_CAST({raw} AS BIGINT)"
    elif convert is DECIMAL:
        value = f"TRY_CAST(replace({raw}, ',', '.') AS DECIMAL(18,6))"
    else:  # a flag as the shared compiler holds one: 1 or 0
        value = f"CASE WHEN lower({raw}) IN {_text(TRUE_WORDS)} THEN 1 ELSE 0 END"
    return f"CASE WHEN {_blank(raw)} THEN NULL ELSE {value} END"


def _value(cell: Cell, enumerated: Collection[str]) -> str:
    """SQL of the field's canonical value (valid where the row is not unsure)."""
    if cell.convert not in _FORMS:  # text; statuses and channels as read, mapped later
        raw = column(cell.sources[0])
        if not cell.item and cell.field in enumerated:
            return raw
        return f"CASE WHEN {_blank(raw)} THEN NULL ELSE {raw} END"
    if len(cell.sources) != 1:  # a sum: none where every part is blank
        blank = " AND ".join(_blank(column(i)) for i in cell.sources)
        total = " + ".join(f"coalesce({_cast(cell.convert, column(i))}, 0)" for i in cell.sources)
        return f"CASE WHEN {blank} THEN NULL ELSE {total} END"
    return _cast(cell.convert, column(cell.sources[0]))


def vouched(plan: FilePlan) -> str:
    """SQL that is true where every date, number and flag cell of the row is blank or in a form
    DuckDB reads as Python does: one regular expression over the cells joined by tabs (which no
    cell holds), cheaper than one per cell."""
    typed = sorted({(i, cell.convert) for cell in plan.cells if cell.convert in _FORMS for i in cell.sources},
                   key=lambda part: part[0])
    if not typed:
        return "true"
    pattern = "\t".join(f"(?:{_FORMS[convert]}|{_PY_SPACE}*)" for _i, convert in typed)
    joined = ", ".join(column(i) for i, _convert in typed)
    return f"regexp_full_match(concat_ws(chr(9), {joined}), '{pattern}')"


def scan_sql(plan: FilePlan, source: str, kept: Collection[tuple[bool, str]], enumerated: Collection[str]) -> str:
    """The SELECT that builds og_rows from ``source`` (DuckDB's read of the file, cells c0, c1, ...):
    the order id and its hash, the values of the fields in ``kept`` (``(item, field)`` pairs), and
    whether Python must read the row (``og_unsure``: a missing or extra cell, no order id, a cell
    DuckDB does not vouch for)."""
    key = column(plan.key.sources[0])
    inner = [f"CASE WHEN {_blank(key)} THEN NULL ELSE {key} END AS {KEY}",
             f"({column(plan.width - 1)} IS NULL OR og_extra IS NOT NULL OR NOT {vouched(plan)}) AS og_odd"]
    inner += [column(i) for i in sorted({i for cell in plan.cells for i in cell.sources
                                         if (cell.item, cell.field) in kept})]
    outer = [KEY, f"hash({KEY}) AS {HASH}", f"(og_odd OR {KEY} IS NULL) AS {UNSURE}"]
    outer += [f"{_value(cell, enumerated)} AS {cell.name}" for cell in plan.cells if (cell.item, cell.field) in kept]
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source})"
