"""The starting voter list (Model A) from CSV or XLSX: check everything, import all or nothing.

SPEC 5 is the contract. The shape of an import:

1. read the file into rows of cells (`kpu.tabular`: csv for CSV, python-calamine for XLSX),
   header row first, columns matched case-insensitively;
2. check every row on its own (`_parse_row`) and against the file (NIK twice);
3. inside one transaction: check against the database (unknown village, a NIK already in the
   same TPS, a village held by a pleno), create the TPS, insert the voters (COPY on PostgreSQL,
   bulk_create elsewhere), flag the suspicious (`row_flags`, NIK in another TPS, TPS over 600)
   and add the voters' contributions to the TPS figures.

Any bad row rejects the whole file with one line per bad row, so an officer fixes the file and
imports it again; a half-imported list would be worse than none.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from coklit import figures
from coklit.models import Flag, Voter, age_on
from coklit.plenos import lock_messages

# One home for reading a date (issue 17): the sync API and the Model A upload read it the same
# way; a cell is read by kpu.tabular.cell_text, as the roster's are.
from coklit.voter_fields import EXCEL_EPOCH, parse_date  # noqa: F401 (EXCEL_EPOCH re-exported)
from kpu import tabular, uploads
from kpu.models import Area, Pemilihan, audit
from kpu.scoping import CODE as AREA_CODE
from kpu.services import DomainError
from kpu.tabular import RowError
from kpu.tabular import cell_text as _text
from kpu.text import unstorable

COLUMNS = (
    "village",
    "tps",
    "nkk",
    "nik",
    "nama",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_kelamin",
    "status_kawin",
    "alamat",
    "rt",
    "rw",
    "disabilitas",
    "ktp_el",
)
# Columns that may be left out of the file (their cells may also be empty).
OPTIONAL = {"tempat_lahir", "alamat", "rt", "rw", "disabilitas"}
MAX_PER_TPS = 600
MAX_AGE = 120
VOTING_AGE = 17
DISABILITY_CODES = {"1", "2", "3", "4", "5", "6"}
# Excel counts days from 1899-12-30 (its 1900 leap-year bug already folded in).
# One import at a time: two imports checking "is this NIK new?" at once could both say yes.
IMPORT_LOCK = 7_142_001


class ImportRejected(DomainError):
    """The file has bad rows; nothing was imported. `lines` has one line per bad row."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: e.row)
        self.lines = tabular.row_lines(self.errors)
        super().__init__(_("%(n)s baris salah; tidak ada yang diimpor.") % {"n": len(self.lines)})


@dataclass
class ImportResult:
    voters: int = 0
    villages: int = 0
    tps: int = 0
    tps_created: int = 0
    flags: Counter = field(default_factory=Counter)  # flag code -> new voters with it
    flagged: int = 0  # new voters with any flag
    existing_flagged: int = 0  # voters already in the database that got a new flag
    seconds: float = 0.0


class _Row:
    """One valid row, ready to insert."""

    # The import columns, plus where the row stood, its flags and its TPS code.
    __slots__ = ("line", *COLUMNS, "flags", "tps_code")


# --- reading --------------------------------------------------------------------------------


def read_table(path: str | Path) -> list[tuple[int, list]]:
    """The rows of the file's first sheet as (spreadsheet row number, cells), header first.

    The file is inspected first (kpu/uploads.py: size, zip entries, the sheet's rows and
    columns, NUL bytes), so no parser ever sees a file that would take the process down.
    XLSX goes through python-calamine (cells are str, float, bool, date, datetime); anything
    else is read as CSV text: UTF-8 with or without BOM, `;`, `,` or tab separated.
    Empty rows are dropped, but row numbers stay those the spreadsheet shows (`kpu.tabular`).
    """
    path = Path(path)
    if uploads.inspect_upload(path, limits=uploads.VOTER_LIST) == uploads.XLSX:
        try:
            return tabular.sheet_rows(path)
        except Exception as exc:  # calamine raises its own error types for broken files
            raise DomainError(
                _("Berkas %(name)s bukan lembar kerja yang bisa dibaca (%(err)s).")
                % {"name": path.name, "err": exc}
            ) from exc
    return _read_csv(path)


def _read_csv(path: Path) -> list[tuple[int, list]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(
            _(
                "Berkas %(name)s bukan teks UTF-8 (byte ke-%(pos)s). Simpan ulang sebagai "
                '"CSV UTF-8" atau XLSX.'
            )
            % {"name": path.name, "pos": exc.start + 1}
        ) from exc
    return tabular.csv_rows(text, limits=uploads.VOTER_LIST)


# --- checking one row -----------------------------------------------------------------------


def _digits16(raw, s: str, column: str, label: str, errors: list) -> None:
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        # Excel keeps 15 significant digits: a NIK typed as a number has lost its last digit.
        errors.append(
            (
                column,
                _(
                    "%(label)s tersimpan sebagai angka, sehingga digit terakhirnya bisa hilang; "
                    "format kolom sebagai Teks"
                )
                % {"label": label},
            )
        )
    else:
        errors.append(
            (column, _('%(label)s harus 16 angka, bukan "%(v)s"') % {"label": label, "v": s})
        )


def _rt_rw(s: str, column: str, errors: list) -> str:
    if len(s) < 3 and s.isdigit() and s.isascii():
        return s.zfill(3)  # RT 8 and RT 008 are the same RT; lists write three digits
    if len(s) > 3:
        errors.append((column, _("lebih dari %(n)s karakter") % {"n": 3}))
    return s


class _Columns:
    """Where each column sits in a row; a missing optional column points at an empty cell."""

    def __init__(self, cols: dict[str, int], width: int):
        # Missing optional columns read an empty cell padded past the header's end.
        self.width = width + 1 if any(name not in cols for name in COLUMNS) else width
        for name in COLUMNS:
            setattr(self, name, cols.get(name, width))


def _parse_row(cells: list, ix: _Columns, village: str | None, today: dt.date) -> tuple[_Row, list]:
    """One data row checked on its own: the row and a list of (column, reason).

    Runs 100,000 times an import: the common case is kept to cheap string checks, and messages
    are only built for cells that fail.
    """
    if len(cells) < ix.width:  # short rows, and the empty cell of missing optional columns
        cells = list(cells) + [""] * (ix.width - len(cells))
    t = [c.strip() if c.__class__ is str else _text(c) for c in cells]
    errors: list[tuple[str, str]] = []
    r = _Row()

    v = t[ix.village]
    if village:
        if v and v != village:
            errors.append(
                ("village", _("baris ini untuk %(v)s, bukan %(want)s") % {"v": v, "want": village})
            )
        v = village
    elif not v:
        errors.append(("village", _("kosong")))
    if v and not AREA_CODE.fullmatch(v):  # digits and dots; which area it is, the database says
        errors.append(
            (
                "village",
                _('kode kelurahan/desa harus seperti 62.71.01.1001, bukan "%(v)s"') % {"v": v},
            )
        )
        v = ""
    r.village = v

    s = t[ix.tps]
    if s[:3].upper() == "TPS":
        s = s[3:].strip()
    # isdigit() alone takes "²" (which int() refuses) and other scripts' digits.
    if s.isdigit() and s.isascii() and 1 <= int(s) <= 999:
        r.tps = int(s)
        r.tps_code = f"{v}.{int(s):03d}"
    else:
        errors.append(("tps", _('nomor TPS harus angka 1 sampai 999, bukan "%(v)s"') % {"v": s}))
        r.tps, r.tps_code = 0, ""

    s = t[ix.nkk].lstrip("'")
    if cells[ix.nkk].__class__ is not str or not (len(s) == 16 and s.isdigit() and s.isascii()):
        _digits16(cells[ix.nkk], s, "nkk", "NKK", errors)
    r.nkk = s
    s = t[ix.nik].lstrip("'")
    if cells[ix.nik].__class__ is not str or not (len(s) == 16 and s.isdigit() and s.isascii()):
        _digits16(cells[ix.nik], s, "nik", "NIK", errors)
    r.nik = s

    s = t[ix.nama]
    if "  " in s or not s.isascii():  # also a no-break space or a tab, as the sync API does
        s = " ".join(s.split())
    if not s:
        errors.append(("nama", _("kosong")))
    r.nama = s
    r.tempat_lahir = t[ix.tempat_lahir]
    r.alamat = t[ix.alamat]
    for name, size in (("nama", 200), ("tempat_lahir", 100), ("alamat", 300)):
        value = getattr(r, name)
        if len(value) > size:
            errors.append((name, _("lebih dari %(n)s karakter") % {"n": size}))
        if unstorable(value):  # a NUL: PostgreSQL text cannot hold it; a damaged file has it
            errors.append((name, _("berisi karakter NUL (berkas rusak?)")))

    raw = cells[ix.tanggal_lahir]
    born = parse_date(raw if raw.__class__ is not str else t[ix.tanggal_lahir])
    if born is None:
        errors.append(
            (
                "tanggal_lahir",
                _('tanggal tidak valid "%(v)s" (pakai YYYY-MM-DD atau DD-MM-YYYY)')
                % {"v": t[ix.tanggal_lahir]},
            )
        )
    elif born > today:
        errors.append(("tanggal_lahir", _("tanggal lahir %(v)s belum terjadi") % {"v": born}))
        born = None
    r.tanggal_lahir = born

    s = t[ix.jenis_kelamin].upper()
    if s != "L" and s != "P":
        errors.append(("jenis_kelamin", _('harus L atau P, bukan "%(v)s"') % {"v": s}))
    r.jenis_kelamin = s

    s = t[ix.status_kawin].upper()
    if s not in _MARITAL:
        errors.append(
            (
                "status_kawin",
                _('harus B (belum), S (sudah) atau P (pernah), bukan "%(v)s"') % {"v": s},
            )
        )
    r.status_kawin = s

    r.rt = _rt_rw(t[ix.rt], "rt", errors)
    r.rw = _rt_rw(t[ix.rw], "rw", errors)

    s = t[ix.disabilitas]
    if s and s not in DISABILITY_CODES:
        codes = {c.strip() for c in s.replace(";", ",").split(",") if c.strip()}
        if codes - DISABILITY_CODES:
            errors.append(
                (
                    "disabilitas",
                    _('kode "%(v)s" tidak dikenal (1 sampai 6, dipisah koma)')
                    % {"v": ",".join(sorted(codes - DISABILITY_CODES))},
                )
            )
        s = ",".join(sorted(codes))
    r.disabilitas = s

    s = t[ix.ktp_el].upper()
    if s != "S" and s != "B":
        errors.append(("ktp_el", _('harus S (sudah) atau B (belum), bukan "%(v)s"') % {"v": s}))
    r.ktp_el = s == "S"
    r.flags = []
    return r, errors


_MARITAL = frozenset("BSP")


# --- flags ----------------------------------------------------------------------------------


def nik_flags(nik: str, born: dt.date, sex: str) -> list[str]:
    """Where the NIK's DDMMYY part (day + 40 for women) disagrees with the birth date or sex."""
    out = []
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    nik_sex = "P" if day > 40 else "L"
    if day > 40:
        day -= 40
    if (day, month, year) != (born.day, born.month, born.year % 100):
        out.append(Flag.NIK_BIRTH_DATE.value)
    if nik_sex != sex:
        out.append(Flag.NIK_SEX.value)
    return out


def row_flags(r: _Row, voting_day: dt.date) -> list[str]:
    """The flags a row earns on its own (the rest need the database or the whole file)."""
    flags = nik_flags(r.nik, r.tanggal_lahir, r.jenis_kelamin)
    age = age_on(r.tanggal_lahir, voting_day)
    if age > MAX_AGE:
        flags.append(Flag.OVER_120.value)
    if age < VOTING_AGE and r.status_kawin == "B":
        flags.append(Flag.UNDERAGE.value)
    return flags


def _add_flag(flags: str, code: str) -> str:
    have = [f for f in flags.split(",") if f]
    return flags if code in have else ",".join(have + [code])


# --- importing ------------------------------------------------------------------------------


def import_pemilih(path: str | Path, *, village: str | None = None, by=None) -> ImportResult:
    """Import a voter list file (SPEC 5); raise ImportRejected (nothing written) on bad rows."""
    return import_table(read_table(path), village=village, by=by, source=Path(path).name)


def import_table(
    table: list[tuple[int, list]], *, village: str | None = None, by=None, source: str = ""
) -> ImportResult:
    """Import rows as `read_table` gives them: the header row first, then the data rows."""
    started = timezone.now()
    if not table:
        raise ImportRejected([RowError(1, "-", _("berkas kosong: tidak ada baris judul"))])
    header_line, header = table[0]
    cols, twice = tabular.match_header(header)
    errors = [RowError(header_line, key, _("kolom ini ada dua kali")) for key in twice]
    for name in COLUMNS:
        if name in cols or name in OPTIONAL or (name == "village" and village):
            continue
        errors.append(RowError(header_line, name, _("kolom wajib tidak ada")))
    if errors:
        raise ImportRejected(errors)

    rows: list[_Row] = []
    first_line_of_nik: dict[str, int] = {}
    ix = _Columns(cols, len(header))
    today = dt.date.today()
    for line, cells in table[1:]:
        r, problems = _parse_row(cells, ix, village, today)
        if r.nik and not any(c == "nik" for c, _m in problems):
            seen = first_line_of_nik.setdefault(r.nik, line)
            if seen != line:
                problems.append(
                    (
                        "nik",
                        _("NIK %(nik)s dua kali: sudah ada di baris %(row)s")
                        % {"nik": r.nik, "row": seen},
                    )
                )
        if problems:
            errors.extend(RowError(line, c, m) for c, m in problems)
        else:
            r.line = line
            rows.append(r)
    if not rows and not errors:
        raise ImportRejected([RowError(header_line + 1, "-", _("tidak ada baris data"))])
    result = _import_rows(rows, errors, by=by, source=source)
    result.seconds = (timezone.now() - started).total_seconds()
    return result


@transaction.atomic
def _import_rows(rows: list[_Row], errors: list[RowError], *, by, source: str) -> ImportResult:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])

    # Villages: known, and not held by a pleno (coklit.plenos: the one rule of the lock).
    codes = {r.village for r in rows}
    villages = {
        a.code: a
        for a in Area.objects.filter(code__in=codes, level=Area.Level.VILLAGE).only(
            "code", "parent_id", "level", "name"
        )
    }
    # Share-locked to the end of the import: a pleno held meanwhile waits for it (SPEC 8).
    locked = lock_messages(villages, lock="share")
    for r in rows:
        if r.village not in villages:
            errors.append(
                RowError(
                    r.line,
                    "village",
                    _("wilayah %(v)s tidak dikenal sebagai kelurahan/desa") % {"v": r.village},
                )
            )
        elif r.village in locked:
            errors.append(
                RowError(
                    r.line,
                    "village",
                    locked[r.village],
                )
            )

    # A NIK already in the database: in the same TPS it is a duplicate (an error); in another
    # TPS it is flagged on both sides for the PPS to settle (SPEC 5).
    existing: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, nik, tps in _voters_with_nik([r.nik for r in rows]):
        existing[nik].append((pk, tps))
    other_tps_voters: set[int] = set()
    for r in rows:
        for pk, tps in existing.get(r.nik, ()):
            if tps == r.tps_code:
                errors.append(
                    RowError(
                        r.line,
                        "nik",
                        _("NIK %(nik)s sudah terdaftar di %(tps)s") % {"nik": r.nik, "tps": tps},
                    )
                )
            else:
                other_tps_voters.add(pk)
                if Flag.NIK_OTHER_TPS.value not in r.flags:
                    r.flags.append(Flag.NIK_OTHER_TPS.value)
    if errors:
        raise ImportRejected(errors)

    # TPS, created where missing; the voters already in them, for the 600 limit.
    tps_numbers: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        tps_numbers[r.village].add(r.tps)
    wanted = {f"{v}.{n:03d}" for v, ns in tps_numbers.items() for n in ns}
    had = set(Area.objects.filter(code__in=wanted).values_list("code", flat=True))
    for v, ns in tps_numbers.items():
        figures.ensure_tps(villages[v], ns)
    already = Counter(
        dict(
            Voter.objects.filter(tps_id__in=had)
            .values_list("tps_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    new_per_tps = Counter(r.tps_code for r in rows)
    over = {t for t, n in new_per_tps.items() if n + already[t] > MAX_PER_TPS}

    voting_days = _voting_days({v[:5] for v in codes})  # "62.71.01.1001"[:5] == "62.71"
    result = ImportResult(villages=len(codes), tps=len(wanted), tps_created=len(wanted - had))
    for r in rows:
        flags = row_flags(r, voting_days[r.village[:5]]) + r.flags
        if r.tps_code in over:
            flags.append(Flag.TPS_OVER_600.value)
        r.flags = flags
        if flags:
            result.flagged += 1
            result.flags.update(flags)

    now = timezone.now()
    if connection.vendor == "postgresql":
        _copy_voters(rows, now)
    else:
        Voter.objects.bulk_create(
            [
                Voter(
                    tps_id=r.tps_code,
                    village_id=r.village,
                    nkk=r.nkk,
                    nik=r.nik,
                    nama=r.nama,
                    tempat_lahir=r.tempat_lahir,
                    tanggal_lahir=r.tanggal_lahir,
                    jenis_kelamin=r.jenis_kelamin,
                    status_kawin=r.status_kawin,
                    alamat=r.alamat,
                    rt=r.rt,
                    rw=r.rw,
                    disabilitas=r.disabilitas,
                    ktp_el=r.ktp_el,
                    flags=",".join(r.flags),
                )
                for r in rows
            ],
            batch_size=1000,
        )

    # Figures: the contributions of the new voters, summed per kind of voter instead of per
    # voter (a few hundred distinct kinds instead of 100,000 calls), exact all the same.
    kinds = Counter(
        (r.tps_code, r.jenis_kelamin, bool(r.flags), r.disabilitas, r.ktp_el) for r in rows
    )
    change: figures.Delta = {}
    for (tps, sex, flagged, dis, ktp), n in kinds.items():
        sample = Voter(
            tps_id=tps,
            jenis_kelamin=sex,
            flags="x" if flagged else "",
            disabilitas=dis,
            ktp_el=ktp,
        )
        figures.add_into(change, figures.contributions(sample), n)

    # Voters already in the database that the new list makes suspicious.
    to_flag: dict[int, list[str]] = defaultdict(list)
    for pk in other_tps_voters:
        to_flag[pk].append(Flag.NIK_OTHER_TPS.value)
    for pk in Voter.objects.filter(tps_id__in=over & had).values_list("pk", flat=True):
        to_flag[pk].append(Flag.TPS_OVER_600.value)
    if to_flag:
        result.existing_flagged = _flag_existing(to_flag, change)

    figures.apply(change)
    scope = _common_prefix(sorted(codes))
    audit(
        user=by,
        action="import_pemilih",
        area_code=scope,
        target=source[:64],
        voters=len(rows),
        tps_created=result.tps_created,
        flagged=result.flagged,
        existing_flagged=result.existing_flagged,
    )
    result.voters = len(rows)
    return result


def _voters_with_nik(niks: list[str]) -> Iterable[tuple[int, str, str]]:
    """(id, nik, tps) of stored voters with any of these NIKs."""
    if connection.vendor == "postgresql":
        # One array parameter: 100,000 placeholders would cost more to send than to look up.
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT id, nik, tps_id FROM {Voter._meta.db_table} WHERE nik = ANY(%s)", [niks]
            )
            return cur.fetchall()
    found: list[tuple[int, str, str]] = []
    for i in range(0, len(niks), 5000):  # under SQLite's limit of bound parameters
        found += Voter.objects.filter(nik__in=niks[i : i + 5000]).values_list("pk", "nik", "tps_id")
    return found


def _flag_existing(to_flag: dict[int, list[str]], change: figures.Delta) -> int:
    """Add flags to voters already stored; their figures move with them. Returns how many."""
    voters = list(
        Voter.objects.select_for_update()
        .filter(pk__in=list(to_flag))
        .only("id", *figures.CONTRIBUTION_FIELDS)
    )
    before, after = [], []
    for v in voters:
        flags = v.flags
        for code in to_flag[v.pk]:
            flags = _add_flag(flags, code)
        if flags != v.flags:
            before.append(Voter(**{f: getattr(v, f) for f in figures.CONTRIBUTION_FIELDS}))
            v.flags = flags
            after.append(v)
    Voter.objects.bulk_update(after, ["flags"], batch_size=1000)
    figures.add_into(change, figures.delta(before, after))
    return len(after)


_COPY_COLUMNS = (
    "tps_id",
    "village_id",
    "origin",
    "nkk",
    "nik",
    "nama",
    "tempat_lahir",
    "tanggal_lahir",
    "jenis_kelamin",
    "status_kawin",
    "alamat",
    "rt",
    "rw",
    "disabilitas",
    "ktp_el",
    "flags",
    "status",
    "verification",
    "conflict",
    "updated_at",
)


def _copy_voters(rows: Iterable[_Row], now: dt.datetime) -> None:
    """COPY the rows into the voter table: about 5x faster than bulk_create on 100,000 rows."""
    table = Voter._meta.db_table
    sql = f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    origin, status = Voter.Origin.LIST.value, Voter.Status.BELUM.value
    with connection.cursor() as cur, cur.copy(sql) as copy:
        write = copy.write_row
        for r in rows:
            write(
                (
                    r.tps_code,
                    r.village,
                    origin,
                    r.nkk,
                    r.nik,
                    r.nama,
                    r.tempat_lahir,
                    r.tanggal_lahir,
                    r.jenis_kelamin,
                    r.status_kawin,
                    r.alamat,
                    r.rt,
                    r.rw,
                    r.disabilitas,
                    r.ktp_el,
                    ",".join(r.flags),
                    status,
                    "",
                    False,
                    now,
                )
            )


def _voting_days(regencies: set[str]) -> dict[str, dt.date]:
    """The day ages are measured on, per regency: its election's voting day, else today."""
    out = {code: dt.date.today() for code in regencies}
    for p in Pemilihan.objects.filter(regency_id__in=regencies).order_by("voting_day"):
        out[p.regency_id] = p.voting_day  # the latest election wins, as in pemilihan_for
    return out


def _common_prefix(codes: list[str]) -> str:
    parts = [c.split(".") for c in codes]
    out = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        out.append(level[0])
    return ".".join(out)
