"""Uploaded spreadsheets checked before any parser sees them (SPEC 10, "Uploads").

Every upload path (the voter list import, the roster import, the Model A workbook) calls
`inspect_upload` first and only hands the file to a parser once it passed. The reasons:

- python-calamine allocates a sheet's whole rectangle up front: from the sheet's declared
  `<dimension ref="A1:XFD1048576"/>` (a 1.6 KB file asked for 512 GiB and the worker died of
  SIGABRT, which no `except` catches), and again from the highest cell it met. So the declared
  dimension and every cell's position are read here, by streaming the sheet XML, and a sheet
  past the row or column cap is refused before calamine opens it.
- A zip entry can unpack to a thousand times its size (1.5 MB became 1.5 GB). Entries are
  decompressed here in chunks, counting what actually comes out (the sizes a zip declares can
  lie), and the check stops at the first byte past a limit: memory stays at one chunk.
- csv.reader raises on a field past 131,072 characters and Django's forms choke on NUL bytes:
  both are refusals with a message here, not a 500.

Each refusal is an `UploadRejected` (a DomainError): its message says what is wrong and what
to do, in Indonesian, and is shown as is.
"""

import csv
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from kpu.services import DomainError

XLSX = "xlsx"
CSV = "csv"

CHUNK = 256 * 1024
# A tag longer than this (its attributes) is no spreadsheet a person made.
MAX_TAG = 64 * 1024
# Entries smaller than this may compress as well as they like (a sheet of empty styles does).
RATIO_FLOOR = 1024 * 1024


class UploadRejected(DomainError):
    """The file was refused before parsing; the message says why."""


@dataclass(frozen=True)
class Limits:
    """What one upload path accepts. Rows and columns count from A1 (calamine reads from there)."""

    max_bytes: int  # the file as uploaded
    max_rows: int
    max_cols: int
    max_unpacked: int = 256 * 1024 * 1024  # all zip entries together, as decompressed
    max_entries: int = 500  # files inside the zip
    max_ratio: int = 100  # decompressed / compressed, per entry over RATIO_FLOOR
    max_field: int = 2_000  # characters in one CSV field


# The voter list (import_pemilih): 100,000 rows import in seconds; a regency's DP4 in one file
# stays under 300,000 rows. A 100,000-row XLSX unpacks to about 60 MB.
VOTER_LIST = Limits(
    max_bytes=100 * 1024 * 1024, max_rows=300_001, max_cols=64, max_unpacked=400 * 1024 * 1024
)
# Rosters of officers (/pengguna/impor/): a regency has a few thousand pantarlih.
ROSTER = Limits(
    max_bytes=2 * 1024 * 1024, max_rows=10_001, max_cols=32, max_unpacked=64 * 1024 * 1024
)
# A TPS's Model A workbook: at most 600 voters plus new ones, a title block, three sheets.
MODEL_A = Limits(
    max_bytes=5 * 1024 * 1024, max_rows=5_000, max_cols=64, max_unpacked=64 * 1024 * 1024
)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def inspect_upload(source, *, limits: Limits, name: str = "") -> str:
    """Check an upload before parsing; answer its kind (`xlsx` or `csv`) or raise UploadRejected.

    `source` is a path, bytes, or a file object (a Django UploadedFile); a file object is left
    at its start. The kind comes from the content, not the name: a zip is judged as XLSX.
    """
    f, size, close = _open(source)
    try:
        if size > limits.max_bytes:
            raise UploadRejected(
                _("Berkas %(size)s, lebih dari batas %(limit)s; bagi menjadi beberapa berkas.")
                % {"size": _mb(size), "limit": _mb(limits.max_bytes)}
            )
        magic = f.read(8)
        f.seek(0)
        if magic.startswith(b"PK"):
            inspect_xlsx(f, limits=limits)
            kind = XLSX
        elif magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise UploadRejected(
                _("Berkas Excel lama (.xls) tidak diterima. Simpan ulang sebagai .xlsx atau CSV.")
            )
        else:
            inspect_csv(f.read(), limits=limits)
            kind = CSV
        f.seek(0)
        return kind
    finally:
        if close:
            f.close()


def _open(source) -> tuple[BinaryIO, int, bool]:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source), len(source), True
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            f = path.open("rb")
        except OSError as exc:
            raise UploadRejected(
                _("Berkas %(path)s tidak bisa dibaca: %(err)s")
                % {"path": path, "err": exc.strerror}
            ) from exc
        return f, os.fstat(f.fileno()).st_size, True
    f = source
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    return f, size, False


# --- XLSX -----------------------------------------------------------------------------------


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


# Markup only: inside XML text a `<` is always written `&lt;`, so these never match a value.
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_DIMENSION = re.compile(rb'<%sdimension\s[^>]*?\bref\s*=\s*["\']([^"\']*)["\']')
_R_ATTR = re.compile(rb'(?<![\w:.-])r\s*=\s*["\']([A-Za-z]*)(\d*)["\']')


def inspect_xlsx(f: BinaryIO, *, limits: Limits) -> None:
    """The zip's entries, sizes and ratios, and each sheet's dimension, rows and columns."""
    try:
        archive = zipfile.ZipFile(f)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise UploadRejected(
            _("Berkas ini bukan XLSX yang utuh. Simpan ulang sebagai .xlsx atau CSV.")
        ) from None
    if len(infos) > limits.max_entries:
        raise UploadRejected(
            _("Berkas XLSX berisi %(n)s bagian (batas %(limit)s); ini bukan lembar kerja biasa.")
            % {"n": len(infos), "limit": limits.max_entries}
        )
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise UploadRejected(_("Berkas XLSX ini memuat bagian ganda; simpan ulang dengan Excel."))
    if "xl/workbook.xml" not in names:
        raise UploadRejected(
            _("Berkas ini bukan XLSX (lembar kerja Excel). Simpan ulang sebagai .xlsx atau CSV.")
        )
    if sum(i.file_size for i in infos) > limits.max_unpacked:
        raise _too_big(limits)
    unpacked = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UploadRejected(_("Berkas XLSX berkata sandi tidak diterima; buka kuncinya."))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRejected(_("Berkas XLSX ini dikompresi dengan cara yang tidak dikenal."))
        if info.is_dir():
            continue
        # Every entry, whatever its name: calamine follows the workbook's relationships to a
        # sheet wherever it lies. The scan finds out from the root element whether it is one.
        unpacked = _stream_entry(archive, info, limits, unpacked, _SheetScan(limits))


def _too_big(limits: Limits) -> UploadRejected:
    return UploadRejected(
        _(
            "Isi berkas XLSX ini terlalu besar setelah dibuka (lebih dari %(limit)s). "
            "Bagi daftarnya menjadi beberapa berkas."
        )
        % {"limit": _mb(limits.max_unpacked)}
    )


def _stream_entry(archive, info, limits: Limits, unpacked: int, sheet) -> int:
    """Decompress one entry in chunks, counting real bytes (a zip's declared sizes can lie)."""
    produced = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                produced += len(chunk)
                unpacked += len(chunk)
                if unpacked > limits.max_unpacked or produced > info.file_size:
                    raise _too_big(limits)
                if produced > RATIO_FLOOR and produced > limits.max_ratio * max(
                    info.compress_size, 1
                ):
                    raise UploadRejected(
                        _(
                            "Berkas XLSX ini mengembang lebih dari %(ratio)s kali saat dibuka "
                            "(bom zip?). Simpan ulang lembar kerjanya dengan Excel."
                        )
                        % {"ratio": limits.max_ratio}
                    )
                if sheet is not None:
                    sheet.feed(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        # A CRC mismatch, broken deflate data, a truncated file.
        raise UploadRejected(
            _("Berkas ini bukan XLSX yang utuh. Simpan ulang sebagai .xlsx atau CSV.")
        ) from None
    if sheet is not None:
        sheet.close()
    return unpacked


class _SheetScan:
    """Reads an XML entry as it streams by; if it is a sheet: its declared dimension, its highest
    row and column.

    The fast path trusts only the form Excel, LibreOffice and openpyxl write (`<row r="7"`,
    `<c r="B7"`), found by literal searches that run at C speed; from the first tag in any other
    form (no `r`, `r` not first, another spacing) on, the sheet is read tag by tag.
    A tag still open at the end of a chunk waits for the next one, so no tag is ever split.
    """

    def __init__(self, limits: Limits, *, exact: bool = False):
        self.limits = limits
        self.exact = exact
        self.tail = b""
        self.kind: bool | None = None  # a sheet? None until the root element is seen
        self.rows = 0  # the current row number (rows without `r` follow the one before)
        self.col = 0  # the current cell's column

    def _start(self, data: bytes) -> bool:
        for m in _ROOT.finditer(data):
            prefix, name = m.group(1) or b"", m.group(2)
            self.kind = name.lower().endswith(b"sheet")
            p = re.escape(prefix)
            self.dimension = re.compile(_DIMENSION.pattern % p)
            self.row_open = b"<" + prefix + b"row"
            self.cell_open = b"<" + prefix + b"c"
            kc = len(_column_letters(self.limits.max_cols))
            kr = len(str(self.limits.max_rows))
            # Only rows and cells that could be past a cap: few, or none, in a normal sheet.
            self.far_row = re.compile(re.escape(self.row_open) + rb' r="(\d{%d,})"' % kr)
            self.far_cell = re.compile(
                re.escape(self.cell_open)
                + rb' r="([A-Za-z]{%d,}|[A-Za-z]{1,%d}(?=\d{%d,}))(\d*)"' % (kc, max(kc - 1, 1), kr)
            )
            self.odd_row = re.compile(re.escape(self.row_open) + rb'(?=[\s/>])(?! r="\d)')
            self.odd_cell = re.compile(re.escape(self.cell_open) + rb'(?=[\s/>])(?! r="[A-Za-z])')
            self.any_tag = re.compile(rb"<" + p + rb"(row|c)(?=[\s/>])([^>]*)>")
            return True
        return False

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        cut = data.rfind(b"<")
        if cut == -1 or data.find(b">", cut) != -1:
            cut = len(data)  # no tag left open: keep nothing back
        self.tail = data[cut:]
        if len(self.tail) > MAX_TAG:
            raise UploadRejected(_("Berkas XLSX ini memuat tag XML yang tidak wajar panjangnya."))
        self._scan(data[:cut])

    def close(self) -> None:
        self._scan(self.tail)
        self.tail = b""

    def _scan(self, data: bytes) -> None:
        if not data or self.kind is False:
            return
        if self.kind is None and not self._start(data):
            return
        if not self.kind:
            return
        if b"dimension" in data:
            for m in self.dimension.finditer(data):
                last = m.group(1).split(b":")[-1]
                ref = _R_ATTR.match(b'r="' + last + b'"')
                if ref:
                    self._check_cell(ref.group(1), ref.group(2), declared=True)
        if self.exact:
            self._scan_exact(data)
            return
        # Excel's form is `<row r="7"` and `<c r="B7"`; any other row or cell tag (counted by
        # what the tag starts with, so nothing hides) switches the rest of the sheet, from this
        # chunk on, to the exact reading.
        if (
            data.count(self.row_open) != data.count(self.row_open + b' r="')
            and self.odd_row.search(data)
        ) or (
            data.count(self.cell_open) != data.count(self.cell_open + b' r="')
            and self.odd_cell.search(data)
        ):
            self.exact = True
            self._scan_exact(data)
            return
        for m in self.far_row.finditer(data):
            if int(m.group(1)) > self.limits.max_rows:
                raise self._rows_error(int(m.group(1)))
        for m in self.far_cell.finditer(data):
            self._check_cell(m.group(1), m.group(2))
        # Where the exact reading would start if a later chunk needs it: the last row and cell.
        at_row = data.rfind(self.row_open + b' r="')
        at_cell = data.rfind(self.cell_open + b' r="')
        if at_row != -1:
            self.rows = int(_R_ATTR.search(data, at_row).group(2))
            self.col = 0
        if at_cell > at_row:
            self.col = _column_number(_R_ATTR.search(data, at_cell).group(1).upper())

    def _scan_exact(self, data: bytes) -> None:
        for m in self.any_tag.finditer(data):
            ref = _R_ATTR.search(m.group(2))
            if m.group(1) == b"row":
                self.rows = int(ref.group(2)) if ref and ref.group(2) else self.rows + 1
                self.col = 0
                if self.rows > self.limits.max_rows:
                    raise self._rows_error(self.rows)
            else:
                if ref and ref.group(1):
                    self._check_cell(ref.group(1), ref.group(2))
                    self.col = _column_number(ref.group(1).upper())
                else:
                    self.col += 1
                if self.col > self.limits.max_cols:
                    raise self._cols_error(self.col)

    def _check_cell(self, letters: bytes, digits: bytes, *, declared: bool = False) -> None:
        if letters and _column_number(letters.upper()) > self.limits.max_cols:
            raise self._cols_error(_column_number(letters.upper()), declared=declared)
        if digits and len(digits) < 12 and int(digits) > self.limits.max_rows:
            raise self._rows_error(int(digits), declared=declared)
        if digits and len(digits) >= 12:
            raise self._rows_error(10**12, declared=declared)

    def _rows_error(self, n: int, *, declared: bool = False) -> UploadRejected:
        what = _("menyatakan") if declared else _("memuat")
        return UploadRejected(
            _(
                "Lembar kerja ini %(what)s sampai baris %(n)s; batasnya %(limit)s baris. "
                "Hapus baris kosong di bawah daftar atau bagi menjadi beberapa berkas."
            )
            % {"what": what, "n": f"{n:,}".replace(",", "."), "limit": self.limits.max_rows}
        )

    def _cols_error(self, n: int, *, declared: bool = False) -> UploadRejected:
        what = _("menyatakan") if declared else _("memuat")
        return UploadRejected(
            _(
                "Lembar kerja ini %(what)s sampai kolom %(col)s; batasnya kolom %(limit)s. "
                "Hapus isi di kanan tabel lalu simpan ulang."
            )
            % {
                "what": what,
                "col": _column_letters(min(n, 10**6)),
                "limit": _column_letters(self.limits.max_cols),
            }
        )


# --- CSV ------------------------------------------------------------------------------------


def inspect_csv(data: bytes, *, limits: Limits) -> None:
    """Size and NUL bytes; the fields themselves are checked as they are read (`read_csv`)."""
    if len(data) > limits.max_bytes:
        raise UploadRejected(
            _("Berkas %(size)s, lebih dari batas %(limit)s; bagi menjadi beberapa berkas.")
            % {"size": _mb(len(data)), "limit": _mb(limits.max_bytes)}
        )
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        raise UploadRejected(
            _(
                "Berkas ini memuat byte NUL (baris %(line)s): ini bukan CSV teks. "
                'Simpan ulang sebagai "CSV UTF-8" atau XLSX.'
            )
            % {"line": line}
        )


def read_csv(text: str, *, delimiter: str, limits: Limits) -> list[list[str]]:
    """Every record of a CSV text, refusing a field over the cap or more rows than allowed."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(row) > limits.max_cols:
                raise UploadRejected(
                    _("Baris %(row)s berisi %(n)s kolom; batasnya %(limit)s.")
                    % {"row": reader.line_num, "n": len(row), "limit": limits.max_cols}
                )
            if row and max(map(len, row)) > limits.max_field:
                raise UploadRejected(
                    _("Baris %(row)s berisi isian lebih dari %(limit)s karakter.")
                    % {"row": reader.line_num, "limit": f"{limits.max_field:,}".replace(",", ".")}
                )
            rows.append(row)
            if len(rows) > limits.max_rows:
                raise UploadRejected(
                    _("Berkas ini lebih dari %(limit)s baris; bagi menjadi beberapa berkas.")
                    % {"limit": f"{limits.max_rows:,}".replace(",", ".")}
                )
    except csv.Error as exc:
        # Python's own cap (131,072 characters per field) and malformed quoting.
        raise UploadRejected(
            _("Baris %(row)s tidak bisa dibaca sebagai CSV (%(err)s).")
            % {"row": reader.line_num, "err": exc}
        ) from None
    return rows
