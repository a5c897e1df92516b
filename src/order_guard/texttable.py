"""Plain-text tables laid out exactly as tabulate's ``simple`` format, mostly without importing it.

The table reporter is a gate's default output, and importing tabulate costs a
cold start more than building the whole report. Tables whose cells are
printable ASCII text (none reading as a number) or whole numbers are laid out
here; any other table (wide characters, numbers written as text, mixed
columns) goes to tabulate itself, so the output is the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Columns are at least this much wider than their header, as in tabulate.
_HEADER_PADDING = 2
_SEPARATOR = "  "


def simple_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """``rows`` under ``headers``: text left-aligned, whole numbers right-aligned, lines right-stripped."""
    columns = [[row[index] for row in rows] for index in range(len(headers))]
    if any(len(row) != len(headers) for row in rows) or not all(map(_plain_column, columns)):
        from tabulate import tabulate

        return tabulate(rows, headers=list(headers), tablefmt="simple")
    numeric = [bool(column) and isinstance(column[0], int) for column in columns]
    cells = [[str(cell) if is_number else cell.strip() for cell in column]
             for column, is_number in zip(columns, numeric, strict=True)]
    widths = [max([len(header) + _HEADER_PADDING, *map(len, column)])
              for header, column in zip(headers, cells, strict=True)]

    def line(values: Sequence[str]) -> str:
        return _SEPARATOR.join(value.rjust(width) if is_number else value.ljust(width)
                               for value, width, is_number in zip(values, widths, numeric, strict=True)).rstrip()

    lines = [line(headers), _SEPARATOR.join("-" * width for width in widths)]
    lines += [line([column[index] for column in cells]) for index in range(len(rows))]
    return "\n".join(lines)


def _plain_column(column: list[object]) -> bool:
    """All whole numbers, or all text that tabulate would neither parse nor measure differently."""
    if all(type(cell) is int for cell in column):
        return True
    return all(type(cell) is str and cell.isascii() and cell.isprintable() and not _reads_as_number(cell)
               for cell in column)


def _reads_as_number(text: str) -> bool:
    """Whether tabulate might take the text for a number or a truth value (and align or reformat it)."""
    text = text.strip()
    if text in ("True", "False"):
        return True
    for parse in (float, lambda value: int(value, 0)):
        try:
            parse(text)
            return True
        except ValueError:
            pass
    return False
