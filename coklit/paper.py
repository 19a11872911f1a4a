"""Coklit results from paper (SPEC 6b): the Model A worksheet out and back, and typed entry.

Where a pantarlih works on the printed Model A-Daftar Pemilih (no phone, no signal, an app
outage), the PPS operator brings the marks in: by uploading the filled worksheet, or by typing
them on the entry page. Both turn each row into an event of the device format and hand it to
the one sync service (`coklit.sync.sync_batch`): the same checks, the same "later stands", the
same conflicts and queue, the same lock of a village whose pleno is held. What is particular
to paper lives here:

- reading a row: the mark in Keterangan (`✓`/`S`, `U`, `1`-`9`, `8/004`), the cells compared
  with what the server holds (a changed cell is a correction; a masked NIK replaced by 16
  digits too), each cell through the one cleaner of its field (`voter_fields.CLEANERS`);
- idempotency without a device's UUID: a row equal to the voter's current result is skipped;
  any other row becomes an event whose id is derived from the voter's state as read and the
  result, so a request sent twice (a double click, a retry after a timeout) is a duplicate,
  while the same mark entered again after the voter changed is a new result;
- all or nothing for a workbook: every bad row is named (row, column, reason) and nothing is
  applied.
"""

import datetime as dt
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from coklit import selectors, sync
from coklit.importer import COLUMNS as IMPORT_COLUMNS
from coklit.masking import mask_nik
from coklit.models import CoklitEvent, Voter
from coklit.voter_fields import CLEANERS
from kpu.models import Area, User, audit
from kpu.services import DomainError
from kpu.tabular import RowError, cell_text, header_key

SOURCE_ENTRI = CoklitEvent.Source.ENTRI
SOURCE_MODEL_A = CoklitEvent.Source.MODEL_A

# Derived event ids live in their own UUID namespace: they can never equal a device's uuid4.
EVENT_NAMESPACE = uuid.UUID("5f0c7a52-3b9e-4d1e-9a57-6c4b1f0d2e83")

SHEET_LIST = "Model A-Daftar Pemilih"
# Excel allows 31 characters in a sheet name; the form's full name is in the title block.
SHEET_NEW = "A-Daftar Potensial Pemilih"
SHEET_HELP = "Petunjuk"
TITLE_LIST = "MODEL A-DAFTAR PEMILIH"
TITLE_NEW = "MODEL A-DAFTAR POTENSIAL PEMILIH"
TPS_CODE_LABEL = "Kode TPS"
# Blank rows printed on the new-voter sheet, for the pantarlih's pen.
NEW_BLANK_ROWS = 25

# The 12 data elements of the form, in its order (SPEC 6b); Keterangan is the 13th.
FIELDS = (
    "nkk",
    "nik",
    "nama",
    "tempat_lahir",
    "tanggal_lahir",
    "status_kawin",
    "jenis_kelamin",
    "alamat",
    "rt",
    "rw",
    "disabilitas",
    "ktp_el",
)
# The new-voter sheet takes the import's columns (SPEC 5), in the import's order.
NEW_FIELDS = tuple(c for c in IMPORT_COLUMNS if c not in ("village", "tps"))
LABELS = {
    "no": "No",
    "id": "ID",
    "nkk": "NKK",
    "nik": "NIK",
    "nama": "Nama",
    "tempat_lahir": "Tempat Lahir",
    "tanggal_lahir": "Tanggal Lahir",
    "status_kawin": "Status Kawin (B/S/P)",
    "jenis_kelamin": "Jenis Kelamin (L/P)",
    "alamat": "Alamat",
    "rt": "RT",
    "rw": "RW",
    "disabilitas": "Disabilitas (1-6)",
    "ktp_el": "KTP-el (S/B)",
    "keterangan": "Keterangan",
}
WIDTHS = {
    "no": 5,
    "id": 8,
    "nkk": 18,
    "nik": 18,
    "nama": 24,
    "tempat_lahir": 13,
    "tanggal_lahir": 11,
    "status_kawin": 7,
    "jenis_kelamin": 7,
    "alamat": 24,
    "rt": 5,
    "rw": 5,
    "disabilitas": 9,
    "ktp_el": 7,
    "keterangan": 14,
}
LIST_COLUMNS = ("no", "id", *FIELDS, "keterangan")
# New voters already recorded are printed with their ID (and skipped when read back); the
# pantarlih writes new ones on the blank rows, without an ID.
NEW_COLUMNS = ("no", "id", *NEW_FIELDS, "keterangan")
# Cells the operator may type digits into: stored as text so Excel keeps a 16-digit NIK whole,
# RT 004 as 004 and 8/004 as it is (not a date).
TEXT_COLUMNS = {"nkk", "nik", "tanggal_lahir", "rt", "rw", "disabilitas", "keterangan"}

# A header cell as the operator may retype it (through `kpu.tabular.header_key`) -> the column.
_HEADER_NAMES = {"no": "no", "id": "id", "keterangan": "keterangan", "ket": "keterangan"}
for _key, _label in LABELS.items():
    _HEADER_NAMES[header_key(_label)] = _key
    _HEADER_NAMES[_key] = _key
    _HEADER_NAMES[header_key(_label.split(" (")[0])] = _key
_HEADER_NAMES["l/p"] = "jenis_kelamin"

# The form's marks for "sesuai": a tick as typed or pasted (√ is what Indonesian forms print).
TICKS = {"✓", "✔", "√", "☑", "V", "S"}
_MARK = re.compile(r"^\s*(?P<code>[✓✔√☑]|[VSUvsu]|[1-9])(?![0-9A-Za-z])(?P<rest>.*)$", re.S)
_TARGET = re.compile(r"^\s*/\s*(?:TPS\s*)?(?P<tps>\d{1,3})(?![0-9])(?P<rest>.*)$", re.S | re.I)


class PaperError(DomainError):
    """A refusal of the whole file or entry, with a message for the operator."""


@dataclass(frozen=True)
class Mark:
    outcome: str  # MS, UBAH or TMS
    tms_reason: int | None = None
    target_tps: int | None = None
    note: str = ""

    @property
    def text(self) -> str:
        """The mark as the form writes it."""
        if self.outcome == "TMS":
            code = str(self.tms_reason)
            if self.tms_reason == 8 and self.target_tps:
                code += f"/{self.target_tps:03d}"
            return f"{code} {self.note}".strip()
        return ("U" if self.outcome == "UBAH" else "✓") + (f" {self.note}" if self.note else "")


def parse_mark(text: Any) -> Mark | None:
    """A Keterangan cell: empty (no result yet), `✓`/`S` sesuai, `U` ubah, `1`-`9` TMS with its
    code, `8/004` TMS 8 to TPS 004; anything after the mark is the note (`1 akta kematian`).
    Raises ValueError with the reason."""
    s = cell_text(text)
    if not s:
        return None
    m = _MARK.match(s)
    if not m:
        raise ValueError(
            _('tanda "%(v)s" tidak dikenal: tulis ✓ atau S (sesuai), U (ubah) atau kode TMS 1-9')
            % {"v": s[:20]}
        )
    code, rest = m["code"].upper(), m["rest"]
    if code in TICKS:
        return Mark("MS", note=_note(rest))
    if code == "U":
        return Mark("UBAH", note=_note(rest))
    reason, target = int(code), None
    if reason == 8:
        t = _TARGET.match(rest)
        if not t:
            raise ValueError(
                _("TMS 8 (salah penempatan TPS) perlu nomor TPS yang benar: tulis 8/004")
            )
        target, rest = int(t["tps"]), t["rest"]
    note = _note(rest)
    if reason in (1, 9) and not note:
        what = _("bukti kematian") if reason == 1 else _("alasannya (WNA, bukan penduduk, dll.)")
        raise ValueError(
            _("TMS %(r)s perlu catatan setelah kodenya, mis. %(ex)s: tulis %(what)s")
            % {"r": reason, "ex": "1 akta kematian" if reason == 1 else "9 WNA", "what": what}
        )
    return Mark("TMS", reason, target, note)


def _note(rest: str) -> str:
    return " ".join(rest.strip(" \t:;,.-–").split())[: sync.MAX_NOTE]


# --- the voter as the server holds it -----------------------------------------------------------


def _clean_or_raw(name: str, value: Any) -> Any:
    try:
        return CLEANERS[name](value)
    except (ValueError, TypeError):
        return value


@dataclass
class Held:
    """A voter as the server holds them, with the result standing for them."""

    voter: Voter
    stored: dict[str, Any]  # the voter's fields, cleaned as a cell would be
    shown: dict[str, Any]  # the same with a standing correction (ubah) over them
    mark: Mark | None  # the standing result as a mark (None: no result)

    @property
    def state(self) -> str:
        """The voter's state as read; part of a derived event id (see `event_id`)."""
        v = self.voter
        return f"{v.updated_at.isoformat() if v.updated_at else ''}|{v.outcome_event_id or ''}"


def held_voters(*, tps: Area, ids: list[int] | None = None) -> dict[int, Held]:
    """The listed voters of the TPS (or those of `ids`) with their standing corrections."""
    qs = Voter.objects.filter(tps=tps, origin=Voter.Origin.LIST).select_related("outcome_event")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return {v.pk: held(v) for v in qs.order_by("pk")}


def held(v: Voter) -> Held:
    stored = {name: _clean_or_raw(name, getattr(v, name)) for name in FIELDS}
    shown = dict(stored)
    event = v.outcome_event
    mark = None
    if v.status in (Voter.Status.MS, Voter.Status.UBAH):
        mark = Mark("UBAH" if v.status == Voter.Status.UBAH else "MS")
        if v.status == Voter.Status.UBAH and event is not None and event.changes:
            if event.verification != Voter.Verification.APPROVED:
                # Not applied to the voter until the PPS approves it: the worksheet shows it.
                for name, value in event.changes.items():
                    if name in shown:
                        shown[name] = _clean_or_raw(name, value)
    elif v.status == Voter.Status.TMS:
        target = int(v.dps_tps_id.rsplit(".", 1)[1]) if v.dps_tps_id else None
        mark = Mark("TMS", v.tms_reason, target, event.note if event is not None else "")
    return Held(v, stored, shown, mark)


def cell_value(name: str, value: Any, *, full_nik: bool) -> str:
    """How the worksheet writes a field: text, as the upload reads it back."""
    if name in ("nik", "nkk"):
        return value if full_nik else mask_nik(value)
    if name == "tanggal_lahir":
        return value.strftime("%d-%m-%Y") if isinstance(value, dt.date) else str(value)
    if name == "ktp_el":
        return "S" if value is True else "B" if value is False else str(value)
    return "" if value is None else str(value)


# --- the worksheet out --------------------------------------------------------------------------


@dataclass
class Worksheet:
    """What `xlsx.model_a_workbook` writes: plain values, rows from generators."""

    tps: Area
    heading: list[tuple[str, str]]
    full_nik: bool
    rows: Iterator[list[str | int]]  # one per listed voter, LIST_COLUMNS
    new_rows: list[list[str | int]]  # new voters already recorded, NEW_COLUMNS
    as_of: str
    help: list[str] = field(default_factory=list)
    election: str = ""


def worksheet_for(*, tps: Area, full_nik: bool = False) -> Worksheet:
    village = tps.parent
    district = village.parent
    regency = district.parent
    pemilihan = selectors.pemilihan_for(area=tps)
    tz = pemilihan.tzinfo if pemilihan else timezone.get_current_timezone()
    zone = selectors.area_zone(tps)
    now = timezone.now().astimezone(tz)
    heading = [
        (_("Provinsi"), regency.parent.title if regency.parent else ""),
        (_("Kabupaten/Kota"), regency.title),
        (district.kind, district.title),
        (village.kind, village.title),
        ("TPS", f"{tps.tps_number:03d}"),
        (TPS_CODE_LABEL, tps.code),
    ]
    new_rows = []
    baru = Voter.objects.filter(tps=tps, origin=Voter.Origin.BARU).order_by("pk")
    for n, v in enumerate(baru, start=1):
        new_rows.append(
            [n, v.pk, *(cell_value(f, getattr(v, f), full_nik=full_nik) for f in NEW_FIELDS), "B"]
        )
    return Worksheet(
        tps=tps,
        heading=heading,
        full_nik=full_nik,
        rows=_list_rows(tps, full_nik),
        new_rows=new_rows,
        as_of=f"{now:%d-%m-%Y %H.%M} {zone}",
        help=instructions(),
        election=pemilihan.name if pemilihan else "",
    )


def _list_rows(tps: Area, full_nik: bool) -> Iterator[list[str | int]]:
    qs = (
        Voter.objects.filter(tps=tps, origin=Voter.Origin.LIST)
        .select_related("outcome_event")
        .order_by("pk")
    )
    for n, v in enumerate(qs.iterator(chunk_size=2000), start=1):
        h = held(v)
        yield [
            n,
            v.pk,
            *(cell_value(f, h.shown[f], full_nik=full_nik) for f in FIELDS),
            h.mark.text if h.mark else "",
        ]


def instructions() -> list[str]:
    return [
        _("Petunjuk pengisian lembar kerja Model A (coklit di atas kertas)"),
        "",
        _("Kolom Keterangan diisi untuk setiap pemilih yang sudah didatangi:"),
        _("  ✓ atau S  : data pemilih sesuai (memenuhi syarat)."),
        _(
            "  U        : data diubah. Coret data yang salah dan tulis yang benar di baris kosong "
            "di bawahnya; saat diketik, tulis nilai baru di sel yang salah (atau di baris kosong)."
        ),
        _("  1 - 9    : tidak memenuhi syarat (TMS) dengan kodenya:"),
        _("             1 meninggal (tulis buktinya: 1 akta kematian), 2 ganda, 3 di bawah umur,"),
        _("             4 pindah domisili, 5 tidak dikenal, 6 TNI, 7 Polri,"),
        _("             8 salah penempatan TPS dengan nomor TPS yang benar (8/004),"),
        _("             9 lainnya dengan alasannya (9 WNA)."),
        _("  kosong   : belum didatangi; tidak ada yang berubah."),
        "",
        _(
            "Kolom ID jangan diubah: ID menunjuk pemilih di server. Baris tanpa ID di bawah "
            "setiap pemilih adalah baris perbaikan."
        ),
        _(
            "NIK dan NKK disamarkan. Bila KTP-el menunjukkan NIK/NKK yang lain, tulis 16 angkanya "
            "di sel itu (sebagai teks) dan tulis U."
        ),
        _(
            "Pemilih yang belum terdaftar dicatat di lembar Model A-Daftar Potensial Pemilih "
            "(data sesuai KTP-el/KK)."
        ),
        _(
            "Tanggal lahir DD-MM-YYYY. Status kawin B/S/P. Jenis kelamin L/P. Disabilitas kode "
            "1-6 dipisah koma (1 fisik, 2 intelektual, 3 mental, 4 wicara, 5 rungu, 6 netra). "
            "KTP-el S (sudah) atau B (belum)."
        ),
        "",
        _(
            "Operator PPS mengunggah berkas yang sudah diisi di halaman TPS (Unggah Model A), "
            "atau mengetik tanda dari kertas di halaman Entri. Berkas diterima seluruhnya atau "
            "tidak sama sekali: setiap baris yang salah disebutkan (baris, kolom, alasan)."
        ),
        _(
            "Baris yang sama dengan hasil yang sudah ada tidak mengubah apa pun, jadi berkas "
            "yang sama boleh diunggah lagi."
        ),
    ]


# --- the worksheet back -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an upload or an entry did."""

    applied: Counter = field(default_factory=Counter)  # MS, UBAH, TMS, BARU
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.applied.values())

    @property
    def applied_list(self) -> list[tuple[str, int]]:
        """(kind, count) in the form's order, for templates (a Counter's `items` is a key)."""
        order = ("MS", "UBAH", "TMS", "BARU")
        return [(k, self.applied[k]) for k in order if self.applied[k]]


class _Invalid(Exception):
    """Rolls the whole upload back (raised inside its transaction)."""


@dataclass
class _Pending:
    event: dict
    sheet: str
    row: int
    column: str
    kind: str


def event_id(tps: Area, key: str, state: str) -> str:
    """A derived event id: the same result from the same state of the voter is the same event
    (so a request sent twice is a duplicate); from a new state it is a new event."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{tps.code}|{state}|{key}"))


def result_key(mark: Mark, changes: dict) -> str:
    return repr(
        (
            mark.outcome,
            mark.tms_reason,
            mark.target_tps,
            tuple(sorted((k, str(v)) for k, v in changes.items())),
        )
    )


def _event(tps, held_, mark: Mark, changes: dict, now: dt.datetime) -> dict:
    outcome = "TMS" if mark.outcome == "TMS" else "MS"
    return {
        "id": event_id(tps, result_key(mark, changes), held_.state + f"|{held_.voter.pk}"),
        "voter": held_.voter.pk,
        "outcome": outcome,
        "tms_reason": mark.tms_reason,
        "target_tps": mark.target_tps,
        "note": mark.note,
        "changes": {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in changes.items()},
        "recorded_at": now.isoformat(),
    }


def row_result(held_: Held, mark: Mark | None, cells: dict[str, Any]) -> tuple[str, Any]:
    """Decide what one worksheet row (or entry) means for a voter.

    `cells`: cleaned values of the row's fields (missing: unchanged). Returns ("skip", None)
    for a row equal to the voter's current result (or with no mark and nothing changed),
    ("event", changes) for a new result, or ("error", (field, reason)).
    """
    changes = {k: v for k, v in cells.items() if v != held_.stored[k]}
    differs_from_shown = [k for k, v in cells.items() if v != held_.shown[k]]
    current = held_.mark
    if mark is None:
        if differs_from_shown:
            name = differs_from_shown[0]
            return "error", (name, _("isinya diubah tetapi Keterangan kosong: tulis U (ubah)"))
        return "skip", None
    if mark.outcome == "TMS":
        if differs_from_shown:
            name = differs_from_shown[0]
            return "error", (
                name,
                _("hasil TMS tidak mengubah data: kembalikan isi kolom ini, atau tulis U"),
            )
        if current and current.outcome == "TMS" and current.tms_reason == mark.tms_reason:
            if mark.tms_reason != 8 or current.target_tps == mark.target_tps:
                return "skip", None
        return "event", {}
    # MS or UBAH: equal when the row holds the data as shown (with a standing correction over
    # it): a standing ubah with its data, whatever the mark; a plain MS marked sesuai again.
    if current and current.outcome in ("MS", "UBAH") and not differs_from_shown:
        if current.outcome == "UBAH" or mark.outcome == "MS":
            return "skip", None
    if mark.outcome == "MS" and changes:
        name = next(iter(changes))
        return "error", (name, _("isinya berbeda dari data pemilih: tulis U bila ini perbaikan"))
    if mark.outcome == "UBAH" and not changes:
        return "error", (
            "keterangan",
            _("U (ubah) tetapi tidak ada data yang diubah: tulis nilai baru di sel yang salah"),
        )
    return "event", changes


def read_cell(name: str, raw: Any, held_: Held | None, *, full_nik: bool = False) -> Any:
    """One cell of a field, cleaned by the field's one cleaner (voter_fields.CLEANERS).

    Returns the value, or raises ValueError with the reason. NIK/NKK: the masked value as
    written (or the full one) means unchanged; 16 digits typed over it are the new value.
    """
    if name in ("nik", "nkk"):
        if isinstance(raw, float | int) and not isinstance(raw, bool):
            raise ValueError(
                _(
                    "tersimpan sebagai angka sehingga digit terakhirnya hilang; "
                    "format sel sebagai Teks"
                )
            )
        s = cell_text(raw).replace(" ", "")
        if held_ is not None and s in (held_.shown[name], mask_nik(held_.shown[name])):
            return held_.shown[name]
        if "*" in s:
            raise ValueError(_("NIK/NKK tersamar tidak cocok dengan data pemilih; jangan ubah"))
        return CLEANERS[name](s)
    if name == "tanggal_lahir":
        return CLEANERS[name](raw if isinstance(raw, dt.date) else cell_text(raw))
    if name in ("rt", "rw"):
        return CLEANERS[name](cell_text(raw))
    return CLEANERS[name](cell_text(raw))


def read_cells(
    sheet: str, line: int, raws: dict[str, Any], held_: Held | None
) -> tuple[dict[str, Any], RowError | None]:
    """A row's cells, each read as its field (`read_cell`); the first that cannot be read is
    the row's error, named by its column."""
    cells: dict[str, Any] = {}
    for name, raw in raws.items():
        try:
            cells[name] = read_cell(name, raw, held_)
        except ValueError as exc:
            return cells, RowError(line, LABELS[name], _reason(exc), sheet=sheet)
    return cells, None


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] if text else _("tidak valid")


def lock_reason(tps: Area) -> str:
    """Why the village's voters cannot change now ("" when they can): the plenos' one rule
    (`plenos.lock_messages`), read before parsing so a locked village refuses at once. The
    sync service checks it again, with its lock, for every event."""
    from coklit.plenos import lock_messages

    return lock_messages([tps.parent_id]).get(tps.parent_id, "")


# --- reading the workbook -----------------------------------------------------------------------


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:40]):
        cols = {}
        for j, cell in enumerate(row):
            key = _HEADER_NAMES.get(header_key(cell))
            if key and key not in cols:
                cols[key] = j
        if "nik" in cols and ("keterangan" in cols or "id" in cols or "nama" in cols):
            return i, cols
    return None


def _tps_code_in(rows: list[list], stop: int) -> str | None:
    for row in rows[:stop]:
        for j, cell in enumerate(row):
            if header_key(cell) == header_key(TPS_CODE_LABEL):
                for value in row[j + 1 : j + 4]:
                    m = re.search(r"\d{2}\.\d{2}\.\d{2}\.\d{4}\.\d{3}", cell_text(value))
                    if m:
                        return m.group(0)
    return None


def read_workbook(file: IO[bytes]) -> tuple[list[list], list[list] | None]:
    """The two sheets' cells (list, new voters) with python-calamine; the file has been
    checked by the upload inspector before."""
    from python_calamine import CalamineWorkbook

    try:
        file.seek(0)  # the inspector read it
        wb = CalamineWorkbook.from_filelike(file)
        names = wb.sheet_names
        first = next((n for n in names if n.strip().lower() == SHEET_LIST.lower()), names[0])
        rows = wb.get_sheet_by_name(first).to_python(skip_empty_area=False)
        new_name = next((n for n in names if "potensial" in n.lower()), None)
        new_rows = (
            wb.get_sheet_by_name(new_name).to_python(skip_empty_area=False) if new_name else None
        )
    except Exception as exc:  # calamine raises its own error types for broken files
        raise PaperError(
            _("Berkas ini bukan lembar kerja Model A yang bisa dibaca (%(err)s).")
            % {"err": str(exc)[:200]}
        ) from exc
    return rows, new_rows


def plan_upload(
    *, tps: Area, rows: list[list], new_rows: list[list] | None
) -> tuple[list, Outcome]:
    """Turn the sheets into events (not applied yet) and the rows' errors."""
    out = Outcome()
    found = _find_header(rows)
    if found is None:
        raise PaperError(
            _(
                "Lembar %(sheet)s tidak punya baris judul kolom (ID, NIK, ..., Keterangan): "
                "pakai lembar kerja yang diunduh dari halaman TPS ini."
            )
            % {"sheet": SHEET_LIST}
        )
    head, cols = found
    code = _tps_code_in(rows, head)
    if code and code != tps.code:
        raise PaperError(
            _(
                "Berkas ini lembar kerja TPS %(other)s, bukan %(tps)s: unggah di halaman TPS "
                "itu, atau unduh lembar kerja TPS ini."
            )
            % {"other": code, "tps": tps.code}
        )
    if "id" not in cols or "keterangan" not in cols:
        raise PaperError(
            _("Lembar %(sheet)s perlu kolom ID dan Keterangan.") % {"sheet": SHEET_LIST}
        )
    now = timezone.now()
    pending: list[_Pending] = []

    # Voter rows: a row with an ID, and the correction line(s) under it (no ID).
    groups: list[tuple[int, Any, list, list[list]]] = []
    for i in range(head + 1, len(rows)):
        row = rows[i]
        if not any(cell_text(c) for c in row):
            continue
        raw_id = row[cols["id"]] if cols["id"] < len(row) else ""
        if cell_text(raw_id):
            groups.append((i + 1, raw_id, row, []))
        elif groups:
            groups[-1][3].append(row)
        else:
            out.errors.append(
                RowError(i + 1, "ID", _("baris tanpa ID di atas pemilih pertama"), sheet=SHEET_LIST)
            )
    ids = []
    for _line, raw_id, _row, _fix in groups:
        s = cell_text(raw_id)
        if s.isdigit() and s.isascii() and len(s) < 19:
            ids.append(int(s))
    voters = held_voters(tps=tps, ids=ids)
    seen: set[int] = set()
    for line, raw_id, row, fixes in groups:
        s = cell_text(raw_id)
        if not (s.isdigit() and s.isascii() and len(s) < 19) or int(s) not in voters:
            out.errors.append(
                RowError(
                    line,
                    "ID",
                    _("pemilih %(id)s tidak ada di daftar TPS %(tps)s")
                    % {"id": s, "tps": tps.code},
                    sheet=SHEET_LIST,
                )
            )
            continue
        h = voters[int(s)]
        if h.voter.pk in seen:
            out.errors.append(
                RowError(
                    line, "ID", _("pemilih %(id)s tertulis dua kali") % {"id": s}, sheet=SHEET_LIST
                )
            )
            continue
        seen.add(h.voter.pk)

        def cell(row, key):
            j = cols.get(key)
            return row[j] if j is not None and j < len(row) else ""

        try:
            keterangan = cell(row, "keterangan")
            for fix in fixes:  # a mark written on the correction line counts too
                keterangan = cell_text(keterangan) or cell(fix, "keterangan")
            mark = parse_mark(keterangan)
        except ValueError as exc:
            out.errors.append(RowError(line, LABELS["keterangan"], _reason(exc), sheet=SHEET_LIST))
            continue
        raws: dict[str, Any] = {}
        for name in FIELDS:
            if name not in cols:
                continue
            raws[name] = cell(row, name)
            for fix in fixes:  # the value written on the correction line replaces the row's
                if cell_text(cell(fix, name)):
                    raws[name] = cell(fix, name)
        cells, bad = read_cells(SHEET_LIST, line, raws, h)
        if bad:
            out.errors.append(bad)
            continue
        what, detail = row_result(h, mark, cells)
        if what == "error":
            name, reason = detail
            out.errors.append(RowError(line, LABELS[name], reason, sheet=SHEET_LIST))
        elif what == "skip":
            if mark is not None:
                out.unchanged += 1
        else:
            pending.append(
                _Pending(
                    _event(tps, h, mark, detail, now),
                    SHEET_LIST,
                    line,
                    LABELS["keterangan"],
                    mark.outcome,
                )
            )

    if new_rows:
        pending += _plan_new(tps, new_rows, out, now)
    return pending, out


def _plan_new(tps: Area, rows: list[list], out: Outcome, now: dt.datetime) -> list[_Pending]:
    found = _find_header(rows)
    if found is None:
        return []
    head, cols = found
    code = _tps_code_in(rows, head)
    if code and code != tps.code:
        raise PaperError(
            _("Lembar %(sheet)s untuk TPS %(other)s, bukan %(tps)s.")
            % {"sheet": SHEET_NEW, "other": code, "tps": tps.code}
        )
    known = {
        v.nik: v
        for v in Voter.objects.filter(tps=tps).only("pk", "nik", "origin", *(f for f in NEW_FIELDS))
    }
    recorded = {str(v.pk) for v in known.values() if v.origin == Voter.Origin.BARU}
    pending = []
    seen: dict[str, int] = {}
    for i in range(head + 1, len(rows)):
        row = rows[i]
        line = i + 1
        values = {k: row[j] if j < len(row) else "" for k, j in cols.items() if k in NEW_FIELDS}
        if not any(cell_text(v) for v in values.values()):
            continue
        raw_id = cell_text(row[cols["id"]]) if "id" in cols and cols["id"] < len(row) else ""
        if raw_id:
            # A new voter recorded before: printed for the pantarlih, not entered again (its
            # data is the PPS's to verify).
            if raw_id in recorded:
                out.unchanged += 1
            else:
                out.errors.append(
                    RowError(
                        line,
                        "ID",
                        _(
                            "pemilih baru %(id)s tidak ada di TPS ini; kosongkan ID untuk "
                            "pemilih baru"
                        )
                        % {"id": raw_id},
                        sheet=SHEET_NEW,
                    )
                )
            continue
        missing = [
            LABELS[k]
            for k in ("nkk", "nik", "nama", "tanggal_lahir", "jenis_kelamin", "status_kawin")
            if not cell_text(values.get(k, ""))
        ]
        if missing:
            out.errors.append(
                RowError(line, missing[0], _("wajib diisi untuk pemilih baru"), sheet=SHEET_NEW)
            )
            continue
        raws = {name: values.get(name, "") for name in NEW_FIELDS}
        if not cell_text(raws["ktp_el"]):
            raws["ktp_el"] = "S"  # as the import: a new voter shows a KTP-el
        data, bad = read_cells(SHEET_NEW, line, raws, None)
        if bad:
            out.errors.append(bad)
            continue
        nik = data["nik"]
        if nik in seen:
            out.errors.append(
                RowError(
                    line,
                    "NIK",
                    _("NIK sama dengan baris %(n)s") % {"n": seen[nik]},
                    sheet=SHEET_NEW,
                )
            )
            continue
        seen[nik] = line
        if nik in known:
            v = known[nik]
            same = all(_clean_or_raw(k, getattr(v, k)) == data[k] for k in NEW_FIELDS)
            if v.origin == Voter.Origin.BARU and same:
                out.unchanged += 1
                continue
            reason = (
                _(
                    "NIK ini sudah dicatat sebagai pemilih baru (ID %(id)s); perbaikan datanya "
                    "lewat verifikasi PPS"
                )
                if v.origin == Voter.Origin.BARU
                else _(
                    "NIK ini sudah ada di daftar pemilih (ID %(id)s): tulis hasilnya di lembar "
                    "%(sheet)s"
                )
            ) % {"id": v.pk, "sheet": SHEET_LIST}
            out.errors.append(RowError(line, "NIK", reason, sheet=SHEET_NEW))
            continue
        note = (
            _note(cell_text(row[cols["keterangan"]]))
            if "keterangan" in cols and cols["keterangan"] < len(row)
            else ""
        )
        if note.upper() in ("B", "BARU"):
            note = ""
        new_voter = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
        new_voter["ktp_el"] = "S" if data["ktp_el"] else "B"
        pending.append(
            _Pending(
                {
                    "id": event_id(tps, f"baru|{nik}", ""),
                    "voter": None,
                    "outcome": "BARU",
                    "note": note,
                    "new_voter": new_voter,
                    "recorded_at": now.isoformat(),
                },
                SHEET_NEW,
                line,
                "",
                "BARU",
            )
        )
    return pending


def apply_events(
    *, tps: Area, user: User, pending: list[_Pending], out: Outcome, source: str
) -> Outcome:
    """Send the planned events through the sync service, all or nothing."""
    if out.errors:
        return out
    if not pending:
        return out
    try:
        with transaction.atomic():
            results: list[dict] = []
            for start in range(0, len(pending), sync.MAX_EVENTS):
                chunk = pending[start : start + sync.MAX_EVENTS]
                results += sync.sync_batch(
                    tps=tps,
                    user=user,
                    events=[p.event for p in chunk],
                    app_version="",
                    source=source,
                )
            for p, r in zip(pending, results, strict=True):
                if r["status"] == "rejected":
                    out.errors.append(RowError(p.row, p.column, r["error"], sheet=p.sheet))
                elif r["status"] == "accepted":
                    out.applied[p.kind] += 1
                else:
                    out.unchanged += 1
            if out.errors:
                raise _Invalid
    except _Invalid:
        out.applied.clear()  # rolled back: nothing of the file is kept
    return out


def model_a_upload(*, tps: Area, user: User, file: IO[bytes]) -> Outcome:
    """`POST /wilayah/{tps}/model-a/`: the filled worksheet back, all or nothing (SPEC 6b)."""
    reason = lock_reason(tps)
    if reason:
        raise PaperError(reason)
    rows, new_rows = read_workbook(file)
    pending, out = plan_upload(tps=tps, rows=rows, new_rows=new_rows)
    apply_events(tps=tps, user=user, pending=pending, out=out, source=SOURCE_MODEL_A)
    if not out.errors and (out.total or out.unchanged):
        audit(
            user=user,
            action="model_a_upload",
            area_code=tps.parent_id,
            target=tps.code,
            tps=tps.code,
            count=out.total,
            unchanged=out.unchanged,
            **{k.lower(): n for k, n in out.applied.items()},
        )
    return out


# --- typed entry --------------------------------------------------------------------------------


def entry_save(
    *, tps: Area, user: User, voter_id: int, text: str, fields: dict[str, Any] | None = None
) -> Outcome:
    """One row of the entry page: the mark typed for a voter (and, for U, the corrected fields).

    Raises PaperError with the reason (shown in the row); returns what was applied.
    """
    reason = lock_reason(tps)
    if reason:
        raise PaperError(reason)
    found = held_voters(tps=tps, ids=[voter_id])
    if voter_id not in found:
        raise PaperError(
            _("Pemilih %(id)s tidak ada di daftar TPS %(tps)s.") % {"id": voter_id, "tps": tps.code}
        )
    h = found[voter_id]
    try:
        mark = parse_mark(text)
    except ValueError as exc:
        raise PaperError(_reason(exc)) from None
    if mark is None:
        raise PaperError(_("Ketik S (sesuai), U (ubah) atau kode TMS 1-9, lalu Enter."))
    cells: dict[str, Any] = {}
    for name, raw in (fields or {}).items():
        if name not in FIELDS:
            continue
        try:
            cells[name] = read_cell(name, raw, h)
        except ValueError as exc:
            raise PaperError(f"{LABELS[name]}: {_reason(exc)}") from None
    if mark.outcome == "UBAH" and fields is None:
        raise NeedsCorrection(h)
    what, detail = row_result(h, mark, cells)
    out = Outcome()
    if what == "error":
        name, why = detail
        raise PaperError(f"{LABELS.get(name, name)}: {why}")
    if what == "skip":
        out.unchanged = 1
        return out
    pending = [_Pending(_event(tps, h, mark, detail, timezone.now()), "", 0, "", mark.outcome)]
    outcome = mark.text.split(" ")[0]
    return _apply_entry(tps, user, pending, out, target=str(voter_id), outcome=outcome)


def entry_new_voter(*, tps: Area, user: User, data: dict[str, Any]) -> Outcome:
    """A new voter typed on the entry page (the Model A-Daftar Potensial Pemilih row)."""
    reason = lock_reason(tps)
    if reason:
        raise PaperError(reason)
    header = [LABELS[k] for k in NEW_FIELDS]
    out = Outcome()
    pending = _plan_new(tps, [header, [data.get(k, "") for k in NEW_FIELDS]], out, timezone.now())
    if out.errors:
        e = out.errors[0]
        raise PaperError(f"{e.column}: {e.message}" if e.column else e.message)
    return _apply_entry(tps, user, pending, out, target=tps.code, outcome="B")


def _apply_entry(
    tps: Area, user: User, pending: list[_Pending], out: Outcome, *, target: str, outcome: str
) -> Outcome:
    """What one entry typed on the page planned, through the sync service; audited when it
    changed anything (`outcome`: what was typed, S, U, a TMS code or B)."""
    apply_events(tps=tps, user=user, pending=pending, out=out, source=SOURCE_ENTRI)
    if out.errors:
        raise PaperError(out.errors[0].message)
    if out.total:
        audit(
            user=user,
            action="paper_entry",
            area_code=tps.parent_id,
            target=target,
            tps=tps.code,
            outcome=outcome,
        )
    return out


class NeedsCorrection(Exception):
    """`U` typed without the corrected fields: the page opens the correction form."""

    def __init__(self, held_: Held):
        super().__init__("correction form")
        self.held = held_


def entry_counts(*, tps: Area) -> dict[str, int]:
    """The count entered and left on the entry page: listed voters with and without a result."""
    rows = dict(
        Voter.objects.filter(tps=tps, origin=Voter.Origin.LIST)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = sum(rows.values())
    left = rows.get(Voter.Status.BELUM, 0)
    return {"total": total, "done": total - left, "left": left}


# --- the upload, checked before parsing ---------------------------------------------------------


def check_upload(file: IO[bytes], *, name: str = "") -> None:
    """The upload inspector of SPEC 10 (sizes unpacked, sheet dimensions) before calamine."""
    from kpu.uploads import MODEL_A, inspect_upload

    if inspect_upload(file, limits=MODEL_A, name=name) != "xlsx":
        raise PaperError(
            _("Unggah lembar kerja Model A dalam format .xlsx (yang diunduh dari halaman ini).")
        )
