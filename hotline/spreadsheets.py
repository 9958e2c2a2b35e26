"""Spreadsheet cells that cannot run: every CSV and XLSX export writes its cells through here.

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
read as a formula by Excel, LibreOffice and WPS (`=HYPERLINK(...)` in a station's
name becomes a live link). Such a cell is neutralised: in CSV it gets a leading
apostrophe (OWASP's advice), in XLSX it is stored as a string with the quote
prefix set, so the program shows the text exactly and never evaluates it. A cell
that is just a number (`-3`, `+8613800138000`) is left alone: no program reads it
as a formula, and imports keep working. Numbers, dates and None are untouched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def is_dangerous(value: Any) -> bool:
    """Tell whether a spreadsheet program would read this value as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value)


def csv_cell(value: Any) -> Any:
    """Return a value safe to write into a CSV cell (None becomes empty)."""
    if value is None:
        return ""
    return "'" + value if is_dangerous(value) else value


def restore(value: str) -> str:
    """Undo csv_cell on import, so an exported file imports back to the same text."""
    if value.startswith("'") and is_dangerous(value[1:]):
        return value[1:]
    return value


def restored_row(row: dict[str, Any]) -> dict[str, Any]:
    """Undo csv_cell on every text cell of an imported row."""
    return {key: restore(value) if isinstance(value, str) else value for key, value in row.items()}


def write_csv(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """Return CSV text of a header and rows, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(value) for value in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row to an XLSX sheet; a text cell that looks like a formula is stored as text."""
    values = list(values)
    sheet.append(["" if is_dangerous(value) else value for value in values])
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if is_dangerous(value):
            cell = sheet.cell(row=row, column=column)
            cell.value = value
            cell.data_type = "s"  # openpyxl types "=..." as a formula; text it is
            cell.quotePrefix = True
