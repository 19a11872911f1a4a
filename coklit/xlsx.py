"""The one place that turns export rows (`coklit.exports`) into Excel workbooks with openpyxl.

Views call these and get back an open file; they never import openpyxl.

- A recap has at most a few hundred rows with merged two-row headers: a normal workbook.
- A DPS list can have 100,000 rows: a write-only workbook fed by a row generator, saved to an
  anonymous temporary file, so memory stays flat whatever the size (never normal mode for a list).
"""

import tempfile
from collections.abc import Iterable
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from coklit.exports import DPS_COLUMNS, PAPER, ChangeList, DpsList, Rekap, Signature, Table

INT = "#,##0"
PCT = "0.0%"
FOOTER = "Halaman &P dari &N"
# A list prints a sheet per TPS, numbered from 1 on each; "of N" would count the whole workbook
# in LibreOffice (and in Excel when every sheet is printed at once), so it is left out.
PER_SHEET_FOOTER = "Halaman &P"

_thin = Side(style="thin", color="808080")
_dark = Side(style="thin", color="404040")
BOX = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
GRID = Border(left=_dark, right=_dark, top=_dark, bottom=_dark)
HEAD_FILL = PatternFill("solid", fgColor="E4E7EB")
TOTAL_FILL = PatternFill("solid", fgColor="F2F3F5")
FONT = Font(name="Arial", size=9)
BOLD = Font(name="Arial", size=9, bold=True)
HEAD = Font(name="Arial", size=8, bold=True)
TITLE = Font(name="Arial", size=13, bold=True)
SUBTITLE = Font(name="Arial", size=11, bold=True)
SMALL = Font(name="Arial", size=8, italic=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")
PAD_LEFT = Alignment(horizontal="left", vertical="center", indent=1)
PAD_RIGHT = Alignment(horizontal="right", vertical="center", indent=1)
CENTER_NUM = Alignment(horizontal="center", vertical="center")
RIGHT = Alignment(horizontal="right", vertical="center")
WRAP = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)


# --- Text stays text (SPEC 9; issue 15 item 2).
#
# openpyxl stores a string that begins with "=" as a formula: a voter named "=HYPERLINK(...)"
# would become a live link in every officer's Excel. Every text cell of every workbook goes
# through `set_text`/`text_cell`/`safe_row`, which store it as a string whatever it begins
# with, and drop the control characters XML cannot hold (openpyxl raises on them).

_FORMULA_START = ("=",)


def clean_text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if ILLEGAL_CHARACTERS_RE.search(value) else value


def set_value(cell, value):
    """Put a value in a normal-mode cell; a string is always stored as text."""
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def put(ws, row: int, column: int, value):
    """`ws.cell(row, column, value)` with text kept as text."""
    return set_value(ws.cell(row=row, column=column), value)


def text_cell(ws, value, **style) -> WriteOnlyCell:
    """A write-only cell; a string is stored as text. `style`: font, fill, alignment, border."""
    cell = WriteOnlyCell(ws)
    set_value(cell, value)
    for name, v in style.items():
        if v is not None:
            setattr(cell, name, v)
    return cell


def safe_row(ws, values: Iterable) -> list:
    """A row for a write-only `ws.append`: plain values pass as they are (fast), a string that
    would be taken for a formula or holds control characters becomes a text cell."""
    out = list(values)
    for i, v in enumerate(out):
        if type(v) is str and (v.startswith(_FORMULA_START) or ILLEGAL_CHARACTERS_RE.search(v)):
            out[i] = text_cell(ws, v)
    return out


# --- Page setup (also for the Model A worksheet of issue 14).


def page_setup(
    ws, *, title_rows: str | None = None, landscape: bool = True, paper: str = "a4"
) -> None:
    """A4 (or F4), one page wide (as many pages down as needed), header rows on every page,
    page numbers in the footer."""
    ws.page_setup.paperSize = PAPER.get(paper, PAPER["a4"])
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.35
    ws.page_margins.top, ws.page_margins.bottom = 0.55, 0.6
    ws.page_margins.header, ws.page_margins.footer = 0.25, 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = 8


_page_setup = page_setup


def _tempfile(wb: Workbook) -> IO[bytes]:
    """Save to an anonymous temporary file (gone when closed) and rewind it for the response."""
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out


def _text_width(value, kind: str) -> int:
    if value is None:
        return 0
    if kind == "pct":
        return 6
    if kind == "int" and isinstance(value, int):
        return len(f"{value:,}")
    return len(str(value))


# --- The recap.


def rekap_workbook(rekap: Rekap) -> IO[bytes]:
    """The recap's sheets (recap, TMS per reason, disabilities), each with the title block and
    the signature block, so any sheet printed alone is a complete signed page."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in rekap.tables:
        _rekap_sheet(wb.create_sheet(table.name), rekap, table)
    wb.properties.title = f"{rekap.title} {rekap.area.title}"
    wb.properties.creator = "Pantau Coklit"
    return _tempfile(wb)


def _rekap_sheet(ws, rekap: Rekap, table: Table) -> None:
    ncol = len(table.columns)
    last = get_column_letter(ncol)

    def line(row: int, text: str, font: Font) -> None:
        """A centred line over the whole width of the table."""
        cell = put(ws, row, 1, text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A{row}:{last}{row}")

    # Title block: the form's name, the title, the level, the sheet's own title, the areas.
    form = put(ws, 1, ncol, rekap.form)
    form.font, form.alignment = BOLD, Alignment(horizontal="right")
    line(2, rekap.title, TITLE)
    line(3, rekap.subtitle, SUBTITLE)
    line(4, table.title, BOLD)
    row = 5
    for label, value in [*rekap.heading, ("Keadaan data", rekap.as_of)]:
        row += 1
        put(ws, row, 2, label).font = BOLD
        put(ws, row, 3, f": {value}").font = FONT

    # Two header rows: groups over their columns; a column outside a group spans both rows.
    head = row + 2
    col = 1
    for label, span, is_group in table.header:
        put(ws, head, col, label)
        if is_group:
            if span > 1:
                ws.merge_cells(
                    start_row=head, start_column=col, end_row=head, end_column=col + span - 1
                )
        else:
            ws.merge_cells(start_row=head, start_column=col, end_row=head + 1, end_column=col)
        col += max(span, 1)
    for i, c in enumerate(table.columns, start=1):
        if c.group:
            put(ws, head + 1, i, c.label)
        for r in (head, head + 1):
            cell = ws.cell(row=r, column=i)
            cell.font, cell.fill, cell.alignment, cell.border = HEAD, HEAD_FILL, CENTER, GRID
    ws.row_dimensions[head].height = 24
    ws.row_dimensions[head + 1].height = 24

    # Body and total row: values, never formulas.
    widths = [c.width for c in table.columns]
    r = head + 1
    for cells in [*table.rows, table.total]:
        r += 1
        is_total = cells is table.total
        for i, (c, value) in enumerate(zip(table.columns, cells, strict=True), start=1):
            cell = put(ws, r, i, value)
            cell.border = GRID
            cell.font = BOLD if is_total else FONT
            cell.alignment = (
                CENTER_NUM if c.key == "no" else (PAD_LEFT if c.kind == "text" else RIGHT)
            )
            if is_total:
                cell.fill = TOTAL_FILL
            if c.kind == "int":
                cell.number_format = INT
            elif c.kind == "pct":
                cell.number_format = PCT
            widths[i - 1] = max(widths[i - 1], _text_width(value, c.kind) + 1.5)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(w, 30)

    r += 1
    for note in table.notes:
        r += 1
        put(ws, r, 2, note).font = SMALL
    if rekap.signature is not None:
        _signature(ws, rekap.signature, row=r + 2, col=max(ncol - 12, 3), ncol=ncol)

    ws.freeze_panes = ws.cell(row=head + 2, column=4)
    page_setup(ws, title_rows=f"{head}:{head + 1}", paper=rekap.paper)
    ws.oddHeader.right.text = f"{rekap.form} - {table.name}"
    ws.oddHeader.right.size = 8
    ws.print_area = f"A1:{last}{ws.max_row}"


def _signature(ws, sig: Signature, *, row: int, col: int, ncol: int) -> None:
    """Place and date, the body, then one line per member: name, office, signature."""
    put(ws, row, col, f"{sig.place}, {sig.date_text}").font = FONT
    put(ws, row + 1, col, sig.body).font = BOLD
    top = row + 3
    spans = [
        (col, col + 3, "Nama"),
        (col + 4, col + 6, "Jabatan"),
        (col + 7, col + 11, "Tanda Tangan"),
    ]
    spans = [(a, min(b, ncol), t) for a, b, t in spans]
    for a, b, text in spans:
        put(ws, top, a, text)
        if b > a:
            ws.merge_cells(start_row=top, start_column=a, end_row=top, end_column=b)
        for c in range(a, b + 1):
            cell = ws.cell(row=top, column=c)
            cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, CENTER, BOX
    for n, office in enumerate(sig.members, start=1):
        r = top + n
        values = [f"{n}. " + "." * 40, office, f"{n}. " + "." * 24]
        for (a, b, _), value in zip(spans, values, strict=True):
            put(ws, r, a, value)
            if b > a:
                ws.merge_cells(start_row=r, start_column=a, end_row=r, end_column=b)
            for c in range(a, b + 1):
                cell = ws.cell(row=r, column=c)
                cell.font, cell.border = FONT, BOX
                cell.alignment = Alignment(vertical="bottom", horizontal="left")
        ws.row_dimensions[r].height = 24


# --- The DPS list.


class _BoxedCell(Cell):
    """A cell whose style is fixed for its whole column: its style id is looked up once."""

    __slots__ = ("_style_id",)

    @property
    def style_id(self) -> int:
        return self._style_id


class BoxedRows:
    """Boxed, padded rows for a write-only sheet at nearly the cost of plain values.

    One styled cell per column is made per sheet and carries each row's values in turn: openpyxl
    writes a row the moment it is appended, so the same cells can hold the next row. The sheet's
    row conversion is short-cut for these rows (openpyxl would otherwise make a fresh cell after
    every styled one and bind each value twice: 1.9x the CPU of plain values), and values are
    stored directly: text as text, never a formula, control characters dropped (`clean_text`).
    An empty value still gets a boxed cell, so the grid has no gaps.
    """

    def __init__(self, ws, kinds: list[str]):
        align = {"int": CENTER_NUM, "text": PAD_LEFT, "wrap": WRAP}
        styles = ws.parent._cell_styles
        self.cells = []
        for column, kind in enumerate(kinds, start=1):
            cell = _BoxedCell(ws, row=1, column=column)
            cell.font, cell.border = FONT, GRID
            cell.alignment = align.get(kind, PAD_LEFT)
            cell._style_id = styles.add(cell._style)
            self.cells.append(cell)
        convert = ws._values_to_row
        cells = self.cells

        def values_to_row(values, row_idx):
            if values is not cells:
                return convert(values, row_idx)
            for cell in cells:
                cell.row = row_idx
            return cells

        ws._values_to_row = values_to_row

    def row(self, values) -> list:
        for cell, v in zip(self.cells, values, strict=True):
            t = type(v)
            if t is str:
                cell._value = clean_text(v)[:32767]
                cell.data_type = "s"
            elif t is int or t is float:
                cell._value = v
                cell.data_type = "n"
            else:
                cell.value = v  # None, dates: openpyxl's own binding
        return self.cells


NO_BORDER = Border()
ROW_HEIGHT = 17  # points: a little air above and below the 9 pt text of each row


def _styled(ws, value, font=FONT, fill=None, align=None, border=NO_BORDER) -> WriteOnlyCell:
    return text_cell(ws, value, font=font, fill=fill, alignment=align, border=border)


def _list_sheet_top(
    ws, sheet, *, title: str, subtitle: str, heading: list, widths: list, row_height=None
) -> None:
    """The top of one TPS's sheet of a voter list (DPS, perubahan), up to its column headers:
    the title block, the headers frozen and repeated on every page, and every page's header
    (list, village, TPS) and footer, pages numbered per TPS."""
    # Widths and page setup must be set before the first row is written.
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if row_height:
        ws.sheet_format.defaultRowHeight = row_height
        ws.sheet_format.customHeight = True
    rows = [[_styled(ws, title, TITLE)]]
    if subtitle:
        rows.append([_styled(ws, subtitle, SUBTITLE)])
    for label, value in heading:
        rows.append([None, _styled(ws, label, BOLD), _styled(ws, f": {value}")])
    rows.append([])
    head = len(rows) + 1
    # The sheet's top (sheetPr, views, cols) is written with the first row: set it first.
    ws.freeze_panes = f"A{head + 1}"
    page_setup(ws, title_rows=f"{head}:{head}")
    ws.oddHeader.center.text = sheet.page_header
    ws.oddHeader.center.size = 9
    ws.oddFooter.center.text = f"{sheet.name} - {PER_SHEET_FOOTER}"
    ws.page_setup.firstPageNumber = 1
    ws.page_setup.useFirstPageNumber = True
    for r in rows:
        ws.append(r)
    ws.append([_styled(ws, c.label, BOLD, HEAD_FILL, CENTER, GRID) for c in DPS_COLUMNS])


def _list_sheet_signature(ws, sig: Signature) -> None:
    """The PPS's place, date and members under a list sheet, each with room to sign."""
    ws.append([None, None, None, _styled(ws, f"{sig.place}, {sig.date_text}")])
    ws.append([None, None, None, _styled(ws, sig.body, BOLD)])
    ws.append([])
    for n, office in enumerate(sig.members, start=1):
        ws.append(
            [None, None, None, _styled(ws, f"{n}. " + "." * 40), None, _styled(ws, office)]
            + [None] * (len(DPS_COLUMNS) - 6)
        )
        ws.append([])


def dps_workbook(dps: DpsList) -> IO[bytes]:
    """One sheet per TPS, rows streamed from each sheet's generator into a write-only workbook."""
    wb = Workbook(write_only=True)
    wb.properties.title = f"{dps.title} {dps.area.title}"
    wb.properties.creator = "Pantau Coklit"
    for sheet in dps.sheets:
        ws = wb.create_sheet(title=sheet.name[:31])
        _list_sheet_top(
            ws,
            sheet,
            title=dps.title,
            subtitle=dps.subtitle,
            heading=[*sheet.heading, ("Status", dps.status), ("Keadaan data", dps.as_of)],
            widths=[c.width for c in DPS_COLUMNS],
            row_height=ROW_HEIGHT,
        )

        # The list itself: boxed, padded rows from cells reused row after row (fast); text
        # that looks like a formula is stored as text.
        boxed = BoxedRows(ws, [c.kind for c in DPS_COLUMNS])
        count = 0
        for values in sheet.rows:
            ws.append(boxed.row(values))
            count += 1
        if not count:
            ws.append([None, _styled(ws, "Belum ada pemilih dalam daftar TPS ini.", SMALL)])
        ws.append([])
        counts = sheet.counts
        ws.append(
            [
                None,
                _styled(ws, "Jumlah pemilih", BOLD),
                None,
                _styled(
                    ws,
                    f"L: {counts.get('L', 0):,}   P: {counts.get('P', 0):,}   "
                    f"L+P: {count:,}".replace(",", "."),
                    BOLD,
                ),
            ]
        )
        ws.append(
            [
                None,
                _styled(
                    ws,
                    "NIK dan NKK disamarkan (10 dari 16 digit). Keterangan: B pemilih baru, "
                    "U data diubah, B pindahan TPS ... pemilih pindahan antar-TPS (TMS 8).",
                    SMALL,
                ),
            ]
        )
        ws.append([])
        _list_sheet_signature(ws, dps.signature)
    if not dps.sheets:
        ws = wb.create_sheet(title="DPS")
        ws.append([text_cell(ws, "Belum ada TPS di wilayah ini.", border=NO_BORDER)])
    return _tempfile(wb)


# --- The change list (perubahan.xlsx).


def perubahan_workbook(changes: ChangeList) -> IO[bytes]:
    """One sheet per TPS: TMS, U, B sections of boxed rows, the counts, the PPS's signature."""
    wb = Workbook(write_only=True)
    wb.properties.title = f"{changes.title} {changes.area.title}"
    wb.properties.creator = "Pantau Coklit"
    ncol = len(DPS_COLUMNS)
    widths = [c.width for c in DPS_COLUMNS]
    widths[-1] = 46  # keterangan holds the changes (old -> new)
    for sheet in changes.sheets:
        ws = wb.create_sheet(title=sheet.name[:31])
        _list_sheet_top(
            ws,
            sheet,
            title=changes.title,
            subtitle=changes.subtitle,
            heading=[*sheet.heading, ("Keadaan data", changes.as_of)],
            widths=widths,
        )
        boxed = BoxedRows(ws, [c.kind for c in DPS_COLUMNS[:-1]] + ["wrap"])
        for title, section in sheet.sections:
            ws.append(
                [_styled(ws, title, BOLD, TOTAL_FILL, None, GRID)]
                + [_styled(ws, None, BOLD, TOTAL_FILL, None, GRID)] * (ncol - 1)
            )
            n = 0
            for n, values in enumerate(section, start=1):  # noqa: B007 (n: the rows written)
                # The keterangan may be long (several changes): wrapped, still boxed.
                ws.append(boxed.row(values))
            if not n:
                ws.append([None, _styled(ws, "Tidak ada.", SMALL)])
        ws.append([])
        c = sheet.counts
        for label, key in (
            ("TMS", "TMS"),
            ("Ubah (U)", "U"),
            ("Baru (B)", "B"),
            ("  di antaranya pindahan antar-TPS", "pindahan"),
        ):
            n = c[key]
            ws.append(
                [
                    None,
                    _styled(ws, label, BOLD),
                    None,
                    _styled(
                        ws,
                        f"L: {n.get('L', 0):,}   P: {n.get('P', 0):,}   "
                        f"L+P: {n.get('L', 0) + n.get('P', 0):,}".replace(",", "."),
                    ),
                ]
            )
        ws.append([None, _styled(ws, "NIK dan NKK disamarkan (10 dari 16 digit).", SMALL)])
        ws.append([])
        _list_sheet_signature(ws, changes.signature)
    if not changes.sheets:
        ws = wb.create_sheet(title="Perubahan")
        ws.append([text_cell(ws, "Belum ada TPS di wilayah ini.", border=NO_BORDER)])
    return _tempfile(wb)


# --- The Model A worksheet (SPEC 6b).


def _as_text(cell) -> None:
    """A text cell stays text: a name beginning with `=` is not a formula (SPEC 9)."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"


def model_a_workbook(sheet) -> IO[bytes]:
    """The pantarlih's worksheet of one TPS (`coklit.paper.Worksheet`): the list with a
    correction line under each voter, the new-voter sheet and the instructions.

    Write-only and streamed from the voters' generator. Every cell a pantarlih or the operator
    may type digits into is formatted as text, so a 16-digit NIK keeps its last digit, RT 004
    its zeros and `8/004` is not taken for a date.
    """
    from coklit import paper

    wb = Workbook(write_only=True)
    wb.properties.title = f"{paper.TITLE_LIST} {sheet.tps.title}"
    wb.properties.creator = "Pantau Coklit"
    text_font = Font(name="Arial", size=9)

    def styled(ws, value, font=FONT, fill=None, align=None, border=None, text=False):
        cell = WriteOnlyCell(ws, value=value)
        cell.font = font
        if fill:
            cell.fill = fill
        if align:
            cell.alignment = align
        if border:
            cell.border = border
        if text:
            cell.number_format = "@"
        _as_text(cell)
        return cell

    def top(ws, columns, title, subtitle):
        for i, key in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = paper.WIDTHS[key]
        rows = [[styled(ws, title, TITLE)], [styled(ws, subtitle, SUBTITLE)]]
        if sheet.election:
            rows.append([styled(ws, sheet.election, BOLD)])
        for label, value in sheet.heading:
            rows.append([None, None, styled(ws, label, BOLD), styled(ws, f": {value}")])
        rows.append([None, None, styled(ws, "Keadaan data", BOLD), styled(ws, f": {sheet.as_of}")])
        note = (
            "NIK dan NKK LENGKAP: dokumen rahasia, unduhannya dicatat di log audit."
            if sheet.full_nik
            else "NIK dan NKK disamarkan (10 dari 16 digit)."
        )
        rows.append([None, None, styled(ws, note, SMALL)])
        rows.append([])
        head = len(rows) + 1
        ws.freeze_panes = f"A{head + 1}"
        _page_setup(ws, title_rows=f"{head}:{head}")
        for r in rows:
            ws.append(r)
        ws.append([styled(ws, paper.LABELS[k], BOLD, HEAD_FILL, CENTER, BOX) for k in columns])

    def line(ws, columns, values):
        return [
            styled(ws, v, text_font, border=BOX, text=k in paper.TEXT_COLUMNS)
            for k, v in zip(columns, values, strict=True)
        ]

    # 1. The list: a row per voter (with its ID), and an empty correction line under it.
    ws = wb.create_sheet(title=paper.SHEET_LIST)
    top(
        ws,
        paper.LIST_COLUMNS,
        paper.TITLE_LIST,
        "Daftar pemilih untuk pencocokan dan penelitian (coklit)",
    )
    blank = [None] * len(paper.LIST_COLUMNS)
    count = 0
    for values in sheet.rows:
        ws.append(line(ws, paper.LIST_COLUMNS, values))
        ws.append(line(ws, paper.LIST_COLUMNS, blank))
        count += 1
    if not count:
        ws.append([None, styled(ws, "Belum ada pemilih dalam daftar TPS ini.", SMALL)])

    # 2. New voters: those recorded already, then blank numbered rows for the pen.
    ws = wb.create_sheet(title=paper.SHEET_NEW)
    top(
        ws,
        paper.NEW_COLUMNS,
        paper.TITLE_NEW,
        "Pemilih yang memenuhi syarat tetapi belum terdaftar (pemilih baru)",
    )
    n = 0
    for n, values in enumerate(sheet.new_rows, start=1):  # noqa: B007 (n is used below)
        ws.append(line(ws, paper.NEW_COLUMNS, values))
    for i in range(n + 1, n + 1 + paper.NEW_BLANK_ROWS):
        ws.append(line(ws, paper.NEW_COLUMNS, [i] + [None] * (len(paper.NEW_COLUMNS) - 1)))

    # 3. Instructions.
    ws = wb.create_sheet(title=paper.SHEET_HELP)
    ws.column_dimensions["A"].width = 120
    _page_setup(ws, title_rows="1:1")
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, text in enumerate(sheet.help):
        ws.append([styled(ws, text, BOLD if i == 0 else FONT, align=wrap)])
    return _tempfile(wb)
