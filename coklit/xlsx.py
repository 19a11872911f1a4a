"""The one place that turns export rows (`coklit.exports`) into Excel workbooks with openpyxl.

Views call these and get back an open file; they never import openpyxl.

- A recap has at most a few hundred rows with merged two-row headers: a normal workbook.
- A DPS list can have 100,000 rows: a write-only workbook fed by a row generator, saved to an
  anonymous temporary file, so memory stays flat whatever the size (never normal mode for a list).
"""

import tempfile
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from coklit.exports import DPS_COLUMNS, DpsList, Rekap, Signature

INT = "#,##0"
PCT = "0.0%"
FOOTER = "Halaman &P dari &N"

_thin = Side(style="thin", color="808080")
BOX = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
HEAD_FILL = PatternFill("solid", fgColor="E4E7EB")
TOTAL_FILL = PatternFill("solid", fgColor="F2F3F5")
FONT = Font(name="Arial", size=9)
BOLD = Font(name="Arial", size=9, bold=True)
TITLE = Font(name="Arial", size=13, bold=True)
SUBTITLE = Font(name="Arial", size=11, bold=True)
SMALL = Font(name="Arial", size=8, italic=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")


def _page_setup(ws, *, title_rows: str, landscape: bool = True) -> None:
    """A4, fit to one page wide (as many pages down as needed), header rows on every page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = 8


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
    wb = Workbook()
    ws = wb.active
    ws.title = "Rekap"
    ncol = len(rekap.columns)
    last = get_column_letter(ncol)

    def line(row: int, text: str, font: Font) -> None:
        """A centred line over the whole width of the table."""
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A{row}:{last}{row}")

    # Title block.
    row = 1
    line(row, rekap.title, TITLE)
    if rekap.subtitle:
        row += 1
        line(row, rekap.subtitle, SUBTITLE)
    row += 1
    for label, value in rekap.heading:
        row += 1
        ws.cell(row=row, column=2, value=label).font = BOLD
        ws.cell(row=row, column=3, value=f": {value}").font = FONT
    row += 1
    ws.cell(row=row, column=2, value="Keadaan data").font = BOLD
    ws.cell(row=row, column=3, value=f": {rekap.as_of}").font = FONT

    # Two header rows: groups over their columns; a column outside a group spans both rows.
    head = row + 2
    col = 1
    for label, span, is_group in rekap.header:
        cell = ws.cell(row=head, column=col, value=label)
        if is_group:
            if span > 1:
                ws.merge_cells(
                    start_row=head, start_column=col, end_row=head, end_column=col + span - 1
                )
        else:
            ws.merge_cells(start_row=head, start_column=col, end_row=head + 1, end_column=col)
        col += max(span, 1)
    for i, c in enumerate(rekap.columns, start=1):
        if c.group:
            ws.cell(row=head + 1, column=i, value=c.label)
        for r in (head, head + 1):
            cell = ws.cell(row=r, column=i)
            cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, CENTER, BOX
    ws.row_dimensions[head + 1].height = 36

    # Body and total row: values, never formula-only cells.
    widths = [c.width for c in rekap.columns]
    r = head + 1
    for cells in [*rekap.rows, rekap.total]:
        r += 1
        is_total = cells is rekap.total
        for i, (c, value) in enumerate(zip(rekap.columns, cells, strict=True), start=1):
            cell = ws.cell(row=r, column=i, value=value)
            cell.border = BOX
            cell.font = BOLD if is_total else FONT
            if is_total:
                cell.fill = TOTAL_FILL
            if c.kind == "int":
                cell.number_format = INT
            elif c.kind == "pct":
                cell.number_format = PCT
            widths[i - 1] = max(widths[i - 1], _text_width(value, c.kind) + 2)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(w, 40)

    r += 1
    for note in rekap.notes:
        r += 1
        ws.cell(row=r, column=2, value=note).font = SMALL
    _signature(ws, rekap.signature, row=r + 2, col=max(ncol - 13, 3), ncol=ncol)

    ws.freeze_panes = ws.cell(row=head + 2, column=4)
    _page_setup(ws, title_rows=f"{head}:{head + 1}")
    ws.print_area = f"A1:{last}{ws.max_row}"
    wb.properties.title = f"{rekap.title} {rekap.area.title}"
    wb.properties.creator = "Pantau Coklit"
    return _tempfile(wb)


def _signature(ws, sig: Signature, *, row: int, col: int, ncol: int) -> None:
    """Place and date, the body, then one line per member: name, office, signature."""
    ws.cell(row=row, column=col, value=f"{sig.place}, {sig.date_text}").font = FONT
    ws.cell(row=row + 1, column=col, value=sig.body).font = BOLD
    top = row + 3
    spans = [
        (col, col + 3, "Nama"),
        (col + 4, col + 6, "Jabatan"),
        (col + 7, col + 11, "Tanda Tangan"),
    ]
    spans = [(a, min(b, ncol), t) for a, b, t in spans]
    for a, b, text in spans:
        ws.cell(row=top, column=a, value=text)
        if b > a:
            ws.merge_cells(start_row=top, start_column=a, end_row=top, end_column=b)
        for c in range(a, b + 1):
            cell = ws.cell(row=top, column=c)
            cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEAD_FILL, CENTER, BOX
    for n, office in enumerate(sig.members, start=1):
        r = top + n
        values = [f"{n}. " + "." * 40, office, f"{n}. " + "." * 24]
        for (a, b, _), value in zip(spans, values, strict=True):
            ws.cell(row=r, column=a, value=value)
            if b > a:
                ws.merge_cells(start_row=r, start_column=a, end_row=r, end_column=b)
            for c in range(a, b + 1):
                cell = ws.cell(row=r, column=c)
                cell.font, cell.border = FONT, BOX
                cell.alignment = Alignment(vertical="bottom", horizontal="left")
        ws.row_dimensions[r].height = 30


# --- The DPS list.


def dps_workbook(dps: DpsList) -> IO[bytes]:
    """One sheet per TPS, rows streamed from each sheet's generator into a write-only workbook."""
    wb = Workbook(write_only=True)
    wb.properties.title = f"{dps.title} {dps.area.title}"
    wb.properties.creator = "Pantau Coklit"
    ncol = len(DPS_COLUMNS)
    for sheet in dps.sheets:
        ws = wb.create_sheet(title=sheet.name[:31])
        # Widths and page setup must be set before the first row is written.
        for i, c in enumerate(DPS_COLUMNS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = c.width

        def styled(value, font=FONT, fill=None, align=None, border=None, ws=ws):
            cell = WriteOnlyCell(ws, value=value)
            cell.font = font
            if fill:
                cell.fill = fill
            if align:
                cell.alignment = align
            if border:
                cell.border = border
            return cell

        rows = [[styled(dps.title, TITLE)]]
        if dps.subtitle:
            rows.append([styled(dps.subtitle, SUBTITLE)])
        for label, value in sheet.heading:
            rows.append([None, styled(label, BOLD), styled(f": {value}")])
        rows.append([None, styled("Status", BOLD), styled(f": {dps.status}")])
        rows.append([None, styled("Keadaan data", BOLD), styled(f": {dps.as_of}")])
        rows.append([])
        head = len(rows) + 1
        # The sheet's top (sheetPr, views, cols) is written with the first row: set it first.
        ws.freeze_panes = f"A{head + 1}"
        _page_setup(ws, title_rows=f"{head}:{head}")
        for r in rows:
            ws.append(r)
        ws.append([styled(c.label, BOLD, HEAD_FILL, CENTER, BOX) for c in DPS_COLUMNS])

        # The list itself: plain tuples, no per-cell styles (that is what keeps it fast).
        count = 0
        for values in sheet.rows:
            ws.append(values)
            count += 1
        if not count:
            ws.append([None, styled("Belum ada pemilih dalam DPS TPS ini.", SMALL)])
        ws.append([])
        counts = sheet.counts
        ws.append(
            [
                None,
                styled("Jumlah pemilih", BOLD),
                None,
                styled(
                    f"L: {counts.get('L', 0):,}   P: {counts.get('P', 0):,}   "
                    f"L+P: {count:,}".replace(",", "."),
                    BOLD,
                ),
            ]
        )
        ws.append([None, styled("NIK dan NKK disamarkan (10 dari 16 digit).", SMALL)])
        ws.append([])
        sig = dps.signature
        ws.append([None, None, None, styled(f"{sig.place}, {sig.date_text}")])
        ws.append([None, None, None, styled(sig.body, BOLD)])
        ws.append([])
        for n, office in enumerate(sig.members, start=1):
            ws.append(
                [None, None, None, styled(f"{n}. " + "." * 40), None, styled(office)]
                + [None] * (ncol - 6)
            )
            ws.append([])
    if not dps.sheets:
        ws = wb.create_sheet(title="DPS")
        ws.append(["Belum ada TPS di wilayah ini."])
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
