"""A data table shown beside a chart, and its CSV export for a spreadsheet.

The CSV is what French Excel opens directly: UTF-8 with a byte order mark, semicolons between
fields, decimal commas. A text cell starting with = + - @ (or a tab or carriage return) would be
run as a formula by a spreadsheet: it is prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass
class DataTable:
    name: str  # the CSV's file name, without extension
    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]] = field(default_factory=list)
    # cells to flag in the HTML table: (row index, column index) -> short text
    flags: dict[tuple[int, int], str] = field(default_factory=dict)


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(table: DataTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_cell(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(c) for c in row])
    return BOM + out.getvalue()
