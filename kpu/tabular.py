"""Reading an uploaded table, and saying what is wrong with its rows.

The voter-list import (`coklit/importer.py`) and the roster import (`kpu/roster.py`) both read a
spreadsheet's first sheet or a CSV into rows of cells numbered as the spreadsheet shows them,
match the header row to their column names, and report bad rows as `RowError`s. The file has
been through the upload inspector first (`kpu/uploads.py`): no parser here sees a file that
would take the process down. What a caller says about a file it cannot read is its own.
"""

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from kpu.uploads import Limits

# --- cells and rows -------------------------------------------------------------------------


def cell_text(cell) -> str:
    """A spreadsheet cell as text: numbers without a trailing `.0`, dates as YYYY-MM-DD."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def sheet_rows(source: Path | bytes) -> list[tuple[int, list]]:
    """The first sheet's rows as (row number, cells), through python-calamine (10x faster than
    openpyxl on 100,000 rows; cells are str, float, bool, date, datetime, "" when empty).

    Raises what calamine raises on a broken file (its own error types): the caller says so.
    """
    from python_calamine import CalamineWorkbook

    if isinstance(source, bytes):
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(source))
    else:
        workbook = CalamineWorkbook.from_path(str(source))
    # skip_empty_area=False keeps leading empty rows, so index + 1 is the row number.
    return numbered(workbook.get_sheet_by_index(0).to_python(skip_empty_area=False))


def csv_rows(text: str, *, limits: "Limits") -> list[tuple[int, list[str]]]:
    """CSV text as (row number, cells), separated by whichever of `;`, `,` and tab the first
    line uses most (Excel in an Indonesian locale saves `;`)."""
    from kpu import uploads  # not at the top: uploads needs kpu.services, which needs RowError

    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return numbered(uploads.read_csv(text, delimiter=delimiter, limits=limits))


def numbered(table: Iterable[list]) -> list[tuple[int, list]]:
    """(row number as the spreadsheet shows it, cells) for each row with anything in it: empty
    rows are dropped, but the numbers stay those of the file (the header is row 1)."""
    return [(i, row) for i, row in enumerate(table, start=1) if not _blank(row)]


def _blank(row: list) -> bool:
    return all(c is None or (c.__class__ is str and not c.strip()) for c in row)


# --- the header -----------------------------------------------------------------------------


def header_key(cell) -> str:
    """The column name a header cell stands for: `Tanggal Lahir`, `tanggal-lahir`,
    `TANGGAL_LAHIR` and `tanggal_ lahir` are all `tanggal_lahir`."""
    return "_".join(cell_text(cell).lower().replace("-", " ").replace("_", " ").split())


def match_header(header: list) -> tuple[dict[str, int], list[str]]:
    """Where each named column sits (the first, if named twice), and the names given twice."""
    columns: dict[str, int] = {}
    twice: list[str] = []
    for i, cell in enumerate(header):
        key = header_key(cell)
        if key in columns:
            twice.append(key)
        elif key:
            columns[key] = i
    return columns, twice


# --- bad rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One thing wrong in one row of an uploaded table (of one of its sheets, when it has
    several: the Model A workbook)."""

    row: int  # as the spreadsheet shows it: the header is row 1
    column: str
    message: str
    sheet: str = ""

    def __str__(self) -> str:
        text = _("Baris %(row)s, kolom %(column)s: %(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.message,
        }
        return f"{self.sheet}, {text}" if self.sheet else text


def by_row(errors: Iterable[RowError]) -> list[tuple[int, list[RowError]]]:
    """The errors grouped by row, in row order (a row's own in the order they were found)."""
    rows: dict[int, list[RowError]] = defaultdict(list)
    for e in sorted(errors, key=lambda e: e.row):
        rows[e.row].append(e)
    return list(rows.items())


def row_lines(errors: Iterable[RowError]) -> list[str]:
    """One line per bad row, in row order; a row with several problems names them all on it."""
    return [
        "; ".join([str(es[0])] + [_("kolom %s: %s") % (e.column, e.message) for e in es[1:]])
        for _row, es in by_row(errors)
    ]
