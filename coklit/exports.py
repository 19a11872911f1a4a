"""Recaps and DPS lists as plain rows: what the Excel writer (`coklit.xlsx`) and the print page
both show. Nothing here knows about openpyxl or HTTP.

Figures come from the per-TPS counters through `coklit.selectors`, never from counting voters;
the one exception is the DPS list itself, which *is* the voters, streamed row by row.
"""

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from coklit import figures, plenos, selectors, snapshots, tanggapan
from coklit.clock import clock_for
from coklit.figures import FORM_TMS_REASONS
from coklit.masking import mask_nik
from coklit.models import DISABILITIES, FIGURE_FIELDS, TMS_REASONS, Voter, age_on
from coklit.terbilang import tanggal
from kpu.models import Area, Pemilihan

# Recaps exist for the areas that sign one (KPU, PPK/PPD, PPS). A TPS has no children and no
# committee that signs a recap: its page links to its DPS list instead, its recap is a 404.
REKAP_LEVELS = (Area.Level.REGENCY, Area.Level.DISTRICT, Area.Level.VILLAGE)
# The DPS is posted per TPS, at the village office: a TPS or a whole village (a sheet per TPS).
DPS_LEVELS = (Area.Level.VILLAGE, Area.Level.TPS)


def waktu(moment: dt.datetime, pemilihan: Pemilihan | None) -> str:
    """`23 November 2026 pukul 14.05 WITA` in the election's zone."""
    if pemilihan is None:
        local = timezone.localtime(moment)
        zone = "WIB"
    else:
        local, zone = pemilihan.localtime(moment), pemilihan.zone
    return f"{tanggal(local.date())} pukul {local:%H.%M} {zone}"


def today_for(pemilihan: Pemilihan | None) -> dt.date:
    """Today in the election's zone (a recap signed in Timika at 07.00 is dated Timika's day)."""
    return pemilihan.today() if pemilihan else timezone.localdate()


def filename(kind: str, area: Area, day: dt.date) -> str:
    """`rekap-coklit-62.71.01-pahandut-2026-11-23.xlsx`: what it is, where, and as of when."""
    return f"{kind}-{area.code}-{slugify(area.name)}-{day.isoformat()}.xlsx"


# --- The list of the stage.

# What each stage's list is called on paper (SPEC 8b, 9).
STAGES = {
    "dphp": ("DPHP", "Daftar Pemilih Hasil Pemutakhiran"),
    "dps": ("DPS", "Daftar Pemilih Sementara"),
    "dpshp": ("DPSHP", "Daftar Pemilih Sementara Hasil Perbaikan"),
    "dpt": ("DPT", "Daftar Pemilih Tetap"),
}


ORDER = tuple(STAGES)


def stage_list_name(*, area: Area, tahap: str | None = None) -> str:
    """The short name of the list an export shows (`DPHP`, `DPS`, `DPSHP`, `DPT`): the stage
    asked for (`?tahap=`) when it is one, else the regency's current stage."""
    key = tahap if tahap in STAGES else tanggapan.current_list(area)
    return STAGES[key][0]


def stage_full_name(short: str) -> str:
    return next(full for name, full in STAGES.values() if name == short)


def pleno_list(*, level: int, stage: str) -> str:
    """The key of the list a pleno of this level and stage recaps: the PPS and PPK recap the
    DPHP (DPSHP in the second stage), the KPU's pleno establishes the DPS (the DPT)."""
    if stage == "dpshp":
        return "dpt" if level == Area.Level.REGENCY else "dpshp"
    return "dps" if level == Area.Level.REGENCY else "dphp"


# --- Tables of figures (the recap's three sheets), shared by the workbook and the print page.


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    group: str = ""  # the first header row; "" makes the label span both rows
    kind: str = "int"  # "int", "pct" or "text"
    width: float = 6.5


@dataclass
class Signature:
    """Who signs at this level, and where and when."""

    place: str
    date_text: str
    body: str  # "KOMISI PEMILIHAN UMUM KOTA PALANGKA RAYA"
    committee: str  # "KPU", "PPK", "PPD", "PPS"
    members: list[str]  # "Ketua", then "Anggota" lines
    # The signers' names where they are known (a berita acara names them from the pleno's
    # attendance), in the order of `members`; a row without one prints a dotted line.
    names: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, str]]:
        """(office, name or "") per member, for the signature tables."""
        names = self.names + [""] * (len(self.members) - len(self.names))
        return list(zip(self.members, names[: len(self.members)], strict=True))


@dataclass
class Table:
    """One sheet of a recap: columns under a two-row header, a row per child, a total row."""

    name: str  # the sheet's name
    title: str  # the line above the table
    columns: list[Column]
    rows: list[list]
    total: list
    notes: list[str] = field(default_factory=list)

    @property
    def body(self) -> list[tuple[bool, list[tuple[Column, object]]]]:
        """Body rows then the total row, for a template: (is total, [(column, value)]).
        Percentages come back as numbers of percent (65.4), already rounded down."""
        out = []
        for is_total, cells in [(False, r) for r in self.rows] + [(True, self.total)]:
            pairs = [
                (c, round(v * 100, 1) if c.kind == "pct" and v is not None else v)
                for c, v in zip(self.columns, cells, strict=True)
            ]
            out.append((is_total, pairs))
        return out

    @property
    def header(self) -> list[tuple[str, int, bool]]:
        """The first header row: (label, columns spanned, is a group). A column outside any
        group spans both header rows with its own label."""
        out: list[tuple[str, int, bool]] = []
        for col in self.columns:
            if col.group and out and out[-1][2] and out[-1][0] == col.group:
                out[-1] = (col.group, out[-1][1] + 1, True)
            elif col.group:
                out.append((col.group, 1, True))
            else:
                out.append((col.label, 1, False))
        return out


# Paper: A4 by default, F4 (folio, 215 x 330 mm) on request; openpyxl's paper size codes.
PAPER = {"a4": 9, "f4": 14}


def paper_of(value: str | None) -> str:
    return value if value in PAPER else "a4"


@dataclass
class Rekap:
    area: Area
    pemilihan: Pemilihan | None
    day: dt.date
    form: str  # the form's name: "Model A-Rekap DPHP"
    title: str
    subtitle: str
    heading: list[tuple[str, str]]  # (label, value) lines of the title block
    as_of: str
    tables: list[Table]
    signature: Signature
    list_name: str = "DPHP"
    paper: str = "a4"


# --- Figures as filed.


def children_figures_as_filed(*, area: Area) -> list[tuple[Area, dict[str, int]]]:
    """The children's figures as their committees recap them: the live sums of the TPS rows.

    A held pleno locks its villages' voters (coklit.plenos), so the figures of a held village
    are the ones of its pleno until it is returned. What a pleno itself recapped is its
    snapshot (`coklit.snapshots`), which its berita acara annexes (`coklit.berita_acara`).
    """
    return selectors.children_figures(area=area)


# --- The recap.

TMS_SHORT = {
    1: "Meninggal",
    2: "Ganda",
    3: "Bawah umur",
    4: "Pindah domisili",
    5: "Tidak dikenal",
    6: "TNI",
    7: "Polri",
    8: "Salah TPS",
    9: "Lainnya",
}
DIS_SHORT = {1: "Fisik", 2: "Intelektual", 3: "Mental", 4: "Wicara", 5: "Rungu", 6: "Netra"}
assert set(TMS_SHORT) == set(TMS_REASONS) and set(DIS_SHORT) == set(DISABILITIES)
SEX_LABELS = (("l", "L"), ("p", "P"), ("lp", "L+P"))
TMS_NOTES = [
    "TMS: 1 meninggal, 2 ganda, 3 di bawah umur, 4 pindah domisili, 5 tidak dikenal, 6 TNI, "
    "7 Polri, 8 salah penempatan TPS (TMS di TPS asal, pindahan antar-TPS di TPS yang benar).",
    "9 lainnya: WNA, bukan penduduk daerah pemilihan, hak pilih dicabut (di luar kode 1-8).",
]


def _child_label(area: Area) -> str:
    if area.level == Area.Level.REGENCY:
        return "Distrik" if area.is_papua else "Kecamatan"
    if area.level == Area.Level.DISTRICT:
        return "Kelurahan/Kampung" if area.is_papua else "Kelurahan/Desa"
    return "TPS"


def _villages_label(area: Area) -> str:
    return "Jml Kel/ Kampung" if area.is_papua else "Jml Kel/ Desa"


def _lead_columns(area: Area, *, villages: bool) -> list[Column]:
    cols = [
        Column("no", "No", width=3.5),
        # Wide enough for the title block's labels too ("Kabupaten/Kota"), which share it.
        Column("code", "Kode", kind="text", width=max(len(area.code) + 5.5, 15)),
        Column("name", _child_label(area), kind="text", width=17),
    ]
    if villages and area.level in (Area.Level.REGENCY, Area.Level.DISTRICT):
        cols.append(Column("villages", _villages_label(area), width=6))
    if villages:
        cols.append(Column("tps_count", "Jml TPS", width=5.5))
    return cols


def rekap_columns(
    *, area: Area, list_name: str = "DPHP", second_stage: bool = False
) -> list[Column]:
    """The pleno recap of either stage: the list it starts from (Model A in the first stage, the
    DPS as established in the second), Baru (with pindahan antar-TPS), TMS, Ubah and the list
    of the stage, each for L, P and L+P, so that list = start - TMS + Baru on every row."""
    start, list_key = (
        (("dps", "DPS"), "dpshp") if second_stage else (("model_a", "Model A"), "dphp")
    )
    groups = [
        start,
        ("baru", "Baru"),
        ("pindah", "Pindahan antar-TPS"),
        ("tms", "TMS"),
        ("ubah", "Ubah"),
        (list_key, list_name),
    ]
    return _lead_columns(area, villages=True) + [
        Column(f"{key}_{s}", label, group=group, width=6.5 if s != "lp" else 7)
        for key, group in groups
        for s, label in SEX_LABELS
    ]


def tms_columns(*, area: Area) -> list[Column]:
    """TMS per reason, L and P: the eight codes of the forms, their sum, then 9 apart."""
    cols = _lead_columns(area, villages=False)
    for r in FORM_TMS_REASONS:
        cols += [
            Column(f"vtms_{r}_{s}", lab, group=f"{r} {TMS_SHORT[r]}", width=4.8)
            for s, lab in SEX_LABELS[:2]
        ]
    cols += [Column(f"tms18_{s}", lab, group="Jumlah 1-8", width=5.5) for s, lab in SEX_LABELS]
    cols += [Column(f"vtms_9_{s}", lab, group="9 Lainnya", width=4.8) for s, lab in SEX_LABELS[:2]]
    cols += [Column(f"tms_{s}", lab, group="Jumlah TMS", width=5.5) for s, lab in SEX_LABELS]
    return cols


def dis_columns(*, area: Area, list_name: str = "DPHP") -> list[Column]:
    group = f"Penyandang disabilitas dalam {list_name}"
    return (
        _lead_columns(area, villages=False)
        # Wide columns: a narrow sheet prints at 100% and would push its signature over.
        + [Column(f"dis_{d}", DIS_SHORT[d], group=group, width=12) for d in DISABILITIES]
        + [
            Column("dis", "Jumlah", group=group, width=12),
            Column("no_ktp_el", "Belum KTP-el", width=13),
            Column("dphp_lp", f"{list_name} L+P", width=13),
        ]
    )


def _with_tms18(f: dict) -> dict:
    """`f` with `tms18_l|p|lp`: the sum of the eight TMS codes of the forms (9 stands apart)."""
    for s in ("l", "p"):
        f[f"tms18_{s}"] = sum(f[f"vtms_{r}_{s}"] for r in FORM_TMS_REASONS)
    f["tms18_lp"] = f["tms18_l"] + f["tms18_p"]
    return f


def rekap_values(figs: dict[str, int]) -> dict[str, int | float]:
    """Every figure of a recap row from the counters, derived ones included (`figures.derive`,
    plus the sum of the eight TMS codes of the forms)."""
    f = _with_tms18(figures.derive(figs))
    # A fraction for Excel's 0.0% format; rounded down first, so 99.96% never shows as 100%.
    f["ratio"] = f["percent"] / 100
    return f


def _village_counts(area: Area) -> dict[str, int]:
    """Villages per child of a regency or district (1 per village row of a district)."""
    if area.level not in (Area.Level.REGENCY, Area.Level.DISTRICT):
        return {}
    depth = area.code.count(".") + 2
    counts: Counter = Counter()
    villages = Area.objects.filter(level=Area.Level.VILLAGE, code__below=area.code)
    for code in villages.values_list("code", flat=True):
        counts[".".join(code.split(".")[:depth])] += 1
    return counts


def rekap_children(
    *, area: Area, of: list[tuple[Area, dict[str, int]]] | None = None
) -> list[tuple[Area, dict]]:
    """Each child with every figure of its recap row, villages counted: the figures as filed,
    or `of` (a held pleno's, from its snapshot: `snapshots.snapshot_figures`)."""
    villages = _village_counts(area)
    out = []
    for child, figs in children_figures_as_filed(area=area) if of is None else of:
        values = rekap_values(figs)
        values |= {
            "code": child.code,
            "name": child.title if child.level == Area.Level.TPS else child.name,
            "villages": villages.get(child.code, 0),
        }
        out.append((child, values))
    return out


def _table(name, title, columns, children, total, notes=()) -> Table:
    rows = [
        [(n if c.key == "no" else v.get(c.key)) for c in columns]
        for n, (_child, v) in enumerate(children, start=1)
    ]
    total_row = [total.get(c.key) for c in columns]
    return Table(
        name=name, title=title, columns=columns, rows=rows, total=total_row, notes=list(notes)
    )


def _heading(area: Area) -> list[tuple[str, str]]:
    """Province, regency, district, village: as far down as the area goes."""
    chain = selectors.area_breadcrumbs(area=area)
    lines = []
    for a in chain:
        if a.level == Area.Level.PROVINCE:
            lines.append(("Provinsi", a.name))
        elif a.level == Area.Level.REGENCY:
            lines.append(("Kabupaten/Kota", a.name))
        elif a.level in (Area.Level.DISTRICT, Area.Level.VILLAGE):
            lines.append((a.kind, a.name))
        elif a.level == Area.Level.TPS:
            lines.append(("TPS", a.code.rsplit(".", 1)[1]))
    return lines


def _place(area: Area) -> str:
    name = area.name
    if area.level == Area.Level.REGENCY:
        for prefix in ("Kota ", "Kabupaten "):
            name = name.removeprefix(prefix)
    return name


# Members who sign: a PPK/PPD has five, a PPS three; a KPU Kab/Kota three or five, set per
# election (`Pemilihan.kpu_members`).
_MEMBERS = {Area.Level.DISTRICT: 5, Area.Level.VILLAGE: 3}


def body_name(area: Area) -> str:
    """The committee of the area's level as documents name it: "Komisi Pemilihan Umum Kota
    Palangka Raya", "Panitia Pemilihan Kecamatan Pahandut" ("Panitia Pemilihan Distrik ..." in
    Papua, the PPD), "Panitia Pemungutan Suara Kelurahan Pahandut"."""
    if area.level == Area.Level.REGENCY:
        return f"Komisi Pemilihan Umum {area.name}"
    if area.level == Area.Level.DISTRICT:
        return f"Panitia Pemilihan {area.kind} {area.name}"
    if area.level == Area.Level.VILLAGE:
        return f"Panitia Pemungutan Suara {area.kind} {area.name}"
    return f"{area.committee} {area.title}"


def signature_for(*, area: Area, day: dt.date, pemilihan: Pemilihan | None = None) -> Signature:
    """The body that signs at the area's level: KPU, PPK (PPD in Papua) or PPS."""
    committee = area.committee
    body = body_name(area)
    if area.level == Area.Level.REGENCY:
        count = getattr(pemilihan, "kpu_members", None) or 5
    else:
        count = _MEMBERS.get(area.level, 3)
    return Signature(
        place=_place(area),
        date_text=tanggal(day),
        body=body.upper(),
        committee=committee,
        members=["Ketua"] + ["Anggota"] * (count - 1),
    )


_LEVEL_WORD = {
    Area.Level.REGENCY: "KABUPATEN/KOTA",
    Area.Level.DISTRICT: "KECAMATAN",
    Area.Level.VILLAGE: "KELURAHAN/DESA",
}


def _level_word(area: Area) -> str:
    if area.level == Area.Level.DISTRICT and area.is_papua:
        return "DISTRIK"
    if area.level == Area.Level.VILLAGE:
        return area.kind.upper()
    if area.level == Area.Level.REGENCY:
        return area.kind.upper()
    return _LEVEL_WORD.get(area.level, "")


def _tms_and_disabilities(
    area: Area, children, total, *, list_name: str, since_dps: bool = False
) -> list[Table]:
    """The recap's TMS per reason and its disabilities sheets, alike in both stages (the
    second's TMS are those since the DPS)."""
    since = " sejak DPS" if since_dps else ""
    return [
        _table(
            "TMS",
            f"Rincian Pemilih Tidak Memenuhi Syarat (TMS){since} per Alasan",
            tms_columns(area=area),
            children,
            total,
            TMS_NOTES,
        ),
        _table(
            "Disabilitas",
            f"Pemilih Penyandang Disabilitas dan Belum Memiliki KTP-el dalam {list_name}",
            dis_columns(area=area, list_name=list_name),
            children,
            total,
            [
                "Disabilitas: fisik, intelektual, mental, sensorik wicara, sensorik rungu, "
                "sensorik netra; seorang pemilih dapat memiliki lebih dari satu."
            ],
        ),
    ]


def _pleno_rekap(area, pemilihan, day, list_name, tables, *, as_of, paper) -> Rekap:
    """A pleno recap of either stage around its tables: the form, title, heading, time and
    signature of the list it recaps."""
    full = stage_full_name(list_name)
    return Rekap(
        area=area,
        pemilihan=pemilihan,
        day=day,
        form=f"Model A-Rekap {list_name}",
        title=f"REKAPITULASI {full.upper()} ({list_name})",
        subtitle=f"TINGKAT {_level_word(area)}",
        heading=([("Pemilihan", pemilihan.name)] if pemilihan else []) + _heading(area),
        as_of=as_of or waktu(timezone.now(), pemilihan),
        tables=tables,
        signature=signature_for(area=area, day=day, pemilihan=pemilihan),
        list_name=list_name,
        paper=paper_of(paper),
    )


def rekap_for(
    *,
    area: Area,
    paper: str | None = None,
    children: list[tuple[Area, dict[str, int]]] | None = None,
    day: dt.date | None = None,
    as_of: str | None = None,
    list_name: str | None = None,
) -> Rekap:
    """The pleno recap of an area's children (three sheets), title and signature blocks.

    By default the live figures as filed, today, in the regency's current stage (from the DPS
    on, the second stage's recap). A berita acara annexes the recap of its pleno instead:
    `children` from the pleno's snapshot, `day` and `as_of` of its hold, `list_name` the list
    that pleno recapped."""
    if children is None:
        current = tanggapan.current_list(area)
        if current != "dphp":
            return second_stage_rekap_for(area=area, paper=paper)
        list_name = list_name or STAGES[current][0]
    pemilihan = selectors.pemilihan_for(area=area)
    day = day or today_for(pemilihan)
    list_name = list_name or STAGES["dphp"][0]
    children = rekap_children(area=area, of=children)
    raw: Counter = Counter()
    for _child, values in children:
        for k in (*FIGURE_FIELDS, "tps_count", "villages"):
            raw[k] += int(values.get(k) or 0)
    total = rekap_values(raw) | {"code": None, "name": "JUMLAH", "villages": raw["villages"]}
    tables = [
        _table(
            "Rekap",
            f"Model A, Baru, TMS, Ubah dan {list_name} per {_child_label(area)}",
            rekap_columns(area=area, list_name=list_name),
            children,
            total,
            [
                f"{list_name} = Model A - TMS + Baru, untuk L dan P di setiap baris.",
                "Baru termasuk pindahan antar-TPS (pemilih TMS 8 yang dipindah ke TPS yang benar).",
                "Hanya hasil coklit yang sudah diverifikasi PPS; hasil yang masih menunggu "
                "verifikasi belum mengubah angka mana pun.",
            ],
        ),
        *_tms_and_disabilities(area, children, total, list_name=list_name),
    ]
    return _pleno_rekap(area, pemilihan, day, list_name, tables, as_of=as_of, paper=paper)


# --- The DPS list.


@dataclass(frozen=True)
class DpsColumn:
    key: str
    label: str
    width: float
    kind: str = "text"


DPS_COLUMNS = [
    DpsColumn("no", "No", 6, "int"),
    DpsColumn("nkk", "NKK", 19),
    DpsColumn("nik", "NIK", 19),
    DpsColumn("nama", "Nama", 32),
    DpsColumn("jk", "Jenis Kelamin", 9),
    DpsColumn("usia", "Usia", 6, "int"),
    DpsColumn("alamat", "Alamat", 36),
    DpsColumn("rt", "RT", 5),
    DpsColumn("rw", "RW", 5),
    DpsColumn("ket", "Keterangan", 18),
]


@dataclass
class DpsSheet:
    tps: Area
    name: str  # the sheet's name: "TPS 001"
    heading: list[tuple[str, str]]
    rows: Iterable[tuple]  # a generator: rows are made while the sheet is written
    counts: Counter  # voters per sex, filled in as `rows` is consumed
    page_header: str = ""  # printed on top of every page: the list, the village, the TPS


@dataclass
class DpsList:
    area: Area
    pemilihan: Pemilihan | None
    day: dt.date
    title: str
    subtitle: str
    status: str  # the village pleno's state: a list before its pleno is not the final one
    as_of: str
    sheets: list[DpsSheet]
    signature: Signature
    list_name: str = "DPHP"
    village: Area | None = None


def dps_voters(*, tps: Area):
    """The voters the list of the stage (DPHP) of a TPS holds: SPEC 4, the same rule as
    `figures.dps_tps_of`.

    Its listed voters less those with a verified TMS (not yet visited and waiting results stay
    in as listed), its verified new voters, and the voters moved in by a verified TMS 8.
    """
    verified = Voter.Verification.APPROVED
    return Voter.objects.filter(
        (Q(tps=tps, origin=Voter.Origin.LIST) & ~Q(status=Voter.Status.TMS, verification=verified))
        | Q(tps=tps, origin=Voter.Origin.BARU, verification=verified)
        | Q(
            dps_tps=tps,
            origin=Voter.Origin.LIST,
            status=Voter.Status.TMS,
            tms_reason=8,
            verification=verified,
        )
    )


_DPS_FIELDS = (
    "nkk",
    "nik",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "alamat",
    "rt",
    "rw",
    "status",
    "verification",
    "tps_id",
    "id",
)

# Keterangan of the posted list, as codes (SPEC 9): B baru, U ubah, pindahan antar-TPS (a baru
# of this TPS, moved in by a verified TMS 8: "B pindahan TPS 001" names where from).
KET_BARU, KET_UBAH = "B", "U"


def ket_pindahan(from_tps_code: str) -> str:
    return f"B pindahan TPS {from_tps_code.rsplit('.', 1)[1]}"


# --- The second stage's lists, streamed (SPEC 9: "a 100,000-row list keeps memory flat").
#
# The DPS as established is each voter's state in the KPU's pleno snapshot; the DPSHP and the
# DPT mark what changed since. Both join the snapshot's rows of the village to the voters in
# SQL and read the village in one pass, ordered by TPS, from a server-side cursor, handed out
# TPS by TPS to the sheets: no dict of the village's voters in Python. The change list reads
# its changes the same way. What is held is the corrections since the DPS (from the audit log).

# The personal data of the DPS as established: a correction accepted after it is undone on
# paper from the audit log, which keeps the values a verification replaced. NIK and NKK stay
# as they are now (the log keeps them masked, and the list masks them anyway).
_RESTORED = ("nama", "jenis_kelamin", "tanggal_lahir", "alamat", "rt", "rw")


@dataclass
class SinceDps:
    """The DPS as established for one village: the KPU's pleno snapshot, and the personal data
    a correction accepted since changed (voter id -> {field: value as established})."""

    snapshot: object  # PlenoSnapshot
    village: Area
    before: dict[int, dict]


def since_dps(*, snapshot, village: Area) -> SinceDps:
    """The village's DPS as established (one query: the corrections logged since)."""
    from kpu.models import AuditEntry

    before: dict[int, dict] = {}
    for data in (
        AuditEntry.objects.filter(
            area_code=village.code, action="verify_approve", at__gt=snapshot.taken_at
        )
        .order_by("at", "pk")
        .values_list("data", flat=True)
    ):
        changes = data.get("changes") if isinstance(data, dict) else None
        if not isinstance(changes, dict) or not isinstance(data.get("voter"), int):
            continue
        mine = before.setdefault(data["voter"], {})
        for name, pair in changes.items():
            if name in _RESTORED and isinstance(pair, list | tuple) and len(pair) == 2:
                mine.setdefault(name, pair[0])
    return SinceDps(snapshot=snapshot, village=village, before=before)


def _list_tps_sql(*, origin, status, tms_reason, tps, dps_tps, verification) -> tuple[str, list]:
    """`figures.dps_tps_of` in SQL over the columns named (a voter's own, or its state in a
    snapshot): the TPS whose list of the stage holds the voter, or NULL. The same rule as
    `dps_voters`; tests/coklit/test_exports_stream.py holds the lists to the same answers."""
    return (
        f"CASE WHEN {origin} = %s THEN CASE WHEN {status} <> %s OR {verification} <> %s "
        f"THEN {tps} WHEN {tms_reason} = 8 AND {dps_tps} <> '' THEN {dps_tps} END "
        f"WHEN {verification} = %s THEN {tps} END",
        [Voter.Origin.LIST.value, Voter.Status.TMS.value, APPROVED, APPROVED],
    )


APPROVED = Voter.Verification.APPROVED.value
# The columns of a village row (`_village_sql`), in order.
_VILLAGE_COLUMNS = (
    "list_tps",  # the TPS whose list holds the voter now (NULL: none)
    "was_tps",  # the TPS whose DPS as established held them (NULL: none)
    "was_home",  # their state in the DPS: the TPS of the list, status, verification
    "was_status",
    "was_verification",
    "id",
    "nkk",
    "nik",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "alamat",
    "rt",
    "rw",
    "status",
    "verification",
    "tps_id",
    "tms_reason",
    "dps_tps_id",
    "outcome_event_id",
)
_COL = {name: i for i, name in enumerate(_VILLAGE_COLUMNS)}


def _village_sql(since: SinceDps, where: str, where_params: list) -> tuple[str, list]:
    """Every voter of the village with the TPS of the list now and of the DPS as established
    (its snapshot's rows joined in SQL), filtered by `where` over `_VILLAGE_COLUMNS`."""
    states, states_params = snapshots.village_states(
        since.snapshot, since.village.code
    ).query.sql_with_params()
    now, now_params = _list_tps_sql(
        origin="v.origin",
        status="v.status",
        tms_reason="v.tms_reason",
        tps="v.tps_id",
        dps_tps="v.dps_tps_id",
        verification="v.verification",
    )
    was, was_params = _list_tps_sql(
        origin="v.origin",
        status="s.status",
        tms_reason="s.tms_reason",
        tps="s.tps",
        dps_tps="s.dps_tps",
        verification="s.verification",
    )
    voter_columns = ", ".join(f"v.{c}" for c in _VILLAGE_COLUMNS[5:])
    sql = (
        f"SELECT * FROM (SELECT {now} AS list_tps, {was} AS was_tps, s.tps AS was_home, "
        f"s.status AS was_status, s.verification AS was_verification, {voter_columns} "
        f"FROM {Voter._meta.db_table} v LEFT JOIN ({states}) s ON s.voter_id = v.id "
        f"WHERE v.village_id = %s) x WHERE {where}"
    )
    return sql, [*now_params, *was_params, *states_params, since.village.code, *where_params]


def _binary() -> str:
    """The collation that orders text by code point, as Python sorts it."""
    return '"C"' if connection.vendor == "postgresql" else "BINARY"


def _stream(sql: str, params: list, chunk: int = 2000) -> Iterator[tuple]:
    """The rows of a query from a server-side cursor, as `QuerySet.iterator()` reads them (a
    plain cursor where DISABLE_SERVER_SIDE_CURSORS says so)."""
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def _in(column: str, values, alias: str = "x") -> tuple[str, list]:
    """`x.<column> IN (...)` over `_village_sql`'s rows (false when there are no values)."""
    values = sorted(values)
    if not values:
        return "1 = 0", []
    return f"{alias}.{column} IN ({', '.join(['%s'] * len(values))})", values


def _date(value) -> dt.date:
    """A date as the cursor gives it (SQLite's raw cursor: text)."""
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


class _ByTps:
    """One pass over a village's rows ordered by TPS code (`key` gives a row's TPS, or its
    (TPS, section) for the change list), handed out to the sheets in turn: the workbook writes
    them in code order (`selectors.area_children`), a sheet's sections in order. The query runs
    when the first sheet is written."""

    _END = object()

    def __init__(self, rows: Callable[[], Iterator[tuple]], key: Callable[[tuple], object]):
        self._make, self._key = rows, key
        self._rows: Iterator[tuple] | None = None
        self._next = None

    def rows(self, wanted) -> Iterator[tuple]:
        if self._rows is None:
            self._rows = iter(self._make())
        while True:
            if self._next is None:
                self._next = next(self._rows, self._END)
            if self._next is self._END or self._key(self._next) > wanted:
                return
            row, self._next = self._next, None
            if self._key(row) == wanted:  # a TPS before it with no sheet is passed over
                yield row


def dps_rows(*, tps: Area, voting_day: dt.date, counts: Counter | None = None) -> Iterator[tuple]:
    """The published list of one TPS in coklit (the DPHP), row by row from a server-side
    cursor: memory stays flat.

    Ordered as it is posted, by neighbourhood and family: RW, RT, address, NKK, name.
    Masked NIK and NKK; age on voting day instead of the birth date; no disability detail.
    """
    approved = Voter.Verification.APPROVED
    code = tps.code
    qs = (
        dps_voters(tps=tps)
        .order_by("rw", "rt", "alamat", "nkk", "nama", "id")
        .values_list(*_DPS_FIELDS)
    )
    for n, (nkk, nik, nama, jk, born, alamat, rt, rw, status, verification, home, _id) in enumerate(
        qs.iterator(chunk_size=2000), start=1
    ):
        # Empty cells are "" (a bordered cell), not None (no cell at all).
        if home != code:
            ket = ket_pindahan(home)
        elif status == Voter.Status.BARU:
            ket = KET_BARU
        elif status == Voter.Status.UBAH and verification == approved:
            ket = KET_UBAH
        else:
            ket = ""
        if counts is not None:
            counts[jk] += 1
        yield list_row(n, nkk, nik, nama, jk, born, alamat, rt, rw, ket, voting_day=voting_day)


def _sheet_rows(rows: Iterator[tuple], ket, counts: Counter | None, voting_day: dt.date):
    """Village rows (`_VILLAGE_COLUMNS`) of one TPS as the posted list shows them."""
    c = _COL
    for n, r in enumerate(rows, start=1):
        if counts is not None:
            counts[r[c["jenis_kelamin"]]] += 1
        yield list_row(
            n,
            r[c["nkk"]],
            r[c["nik"]],
            r[c["nama"]],
            r[c["jenis_kelamin"]],
            _date(r[c["tanggal_lahir"]]),
            r[c["alamat"]],
            r[c["rt"]],
            r[c["rw"]],
            ket(r),
            voting_day=voting_day,
        )


def dpshp_rows(*, since: SinceDps, tps_codes: list[str], voting_day: dt.date):
    """The list now of a village in the second stage (the DPSHP, the DPT once established), as
    `voters(tps, counts)` giving one TPS's rows: in the order of `dps_rows`, the keterangan
    marking the changes since the DPS only: B new since (pindahan from the TPS whose DPS held
    them), U data corrected since. One query for the village, streamed."""
    c = _COL
    sql, params = _village_sql(since, *_in("list_tps", tps_codes))
    sql += f" ORDER BY x.list_tps COLLATE {_binary()}, x.rw, x.rt, x.alamat, x.nkk, x.nama, x.id"
    village = _ByTps(lambda: _stream(sql, params), key=itemgetter(c["list_tps"]))
    corrected = set(since.before)

    def ket(r) -> str:
        code, was, vid = r[c["list_tps"]], r[c["was_tps"]], r[c["id"]]
        if was is None:
            home = r[c["tps_id"]]
            return KET_BARU if home == code else ket_pindahan(home)
        if was != code:
            return ket_pindahan(was)
        return KET_UBAH if vid in corrected else ""

    return lambda tps, counts: _sheet_rows(village.rows(tps.code), ket, counts, voting_day)


def list_row(n, nkk, nik, nama, jk, born, alamat, rt, rw, ket, *, voting_day: dt.date) -> tuple:
    """One voter as a posted list shows them (the DPS, the change list; SPEC 9): NKK and NIK
    masked, the age on voting day instead of the birth date."""
    return (
        n,
        mask_nik(nkk),
        mask_nik(nik),
        nama,
        jk,
        age_on(born, voting_day),
        alamat,
        rt,
        rw,
        ket,
    )


class StageNotReached(Exception):
    """A list asked for (`?tahap=`) of a stage the regency has not reached."""


def _reached(current: str) -> set[str]:
    """The lists that exist at the current stage: the ones before it, and from the DPS on the
    DPSHP being corrected (it is the list now while the DPS is posted)."""
    reached = set(ORDER[: ORDER.index(current) + 1])
    if current != "dphp":
        reached.add("dpshp")
    return reached


def dps_list_for(*, area: Area, tahap: str | None = None) -> DpsList:
    """The list of the stage of a TPS, or of a village with one sheet per TPS (rows made while
    writing). `tahap` names another stage; one the regency has not reached, or no stage at
    all, raises StageNotReached. Once the DPS is established, the DPHP and the DPS are the DPS
    as the KPU's pleno established it (its snapshot, whatever changed after); the DPSHP and the
    DPT are the list now (SPEC 8b, 9)."""
    current = tanggapan.current_list(area)
    # Junk is no stage: a 404 like a stage not reached, never the current list under its name.
    if tahap and tahap not in STAGES:
        raise StageNotReached(tahap)
    key = tahap or current
    if key not in _reached(current):
        raise StageNotReached(key)
    list_name = STAGES[key][0]
    village = area if area.level == Area.Level.VILLAGE else area.parent
    pemilihan = selectors.pemilihan_for(area=area)
    day = today_for(pemilihan)
    voting_day = pemilihan.voting_day if pemilihan else day
    tps_list = list(selectors.area_children(area=area)) if area is village else [area]
    snapshot = (
        tanggapan.dps_snapshot(village.regency_code)
        if key in ("dphp", "dps") and current != "dphp"
        else None
    )
    if snapshot is not None:
        hold = snapshot.hold
        status = f"Ditetapkan dalam rapat pleno KPU, BA {hold.ba_number}"
        if hold.sk_number:
            status += f", Keputusan {hold.sk_number}"
        as_of = waktu(hold.held_at or snapshot.taken_at, pemilihan)
        voters = established_rows(
            since=since_dps(snapshot=snapshot, village=village),
            tps_codes=[t.code for t in tps_list],
            voting_day=voting_day,
        )
    else:
        pleno = plenos.pleno_for(area=village)
        status = f"{plenos.pleno_name(village.level, pleno.stage)}: {pleno.state_label.lower()}"
        as_of = waktu(timezone.now(), pemilihan)
        dps = tanggapan.dps_snapshot(village.regency_code) if key in ("dpshp", "dpt") else None
        if dps is not None:
            voters = dpshp_rows(
                since=since_dps(snapshot=dps, village=village),
                tps_codes=[t.code for t in tps_list],
                voting_day=voting_day,
            )
        else:
            voters = lambda t, c: dps_rows(tps=t, voting_day=voting_day, counts=c)  # noqa: E731
    base = _heading(village)
    counters = {t.code: Counter() for t in tps_list}
    return DpsList(
        area=area,
        pemilihan=pemilihan,
        day=day,
        title=f"{stage_full_name(list_name).upper()} ({list_name})",
        subtitle=pemilihan.name.upper() if pemilihan else "",
        status=str(status),
        as_of=as_of,
        sheets=[
            DpsSheet(
                tps=t,
                name=t.title,
                heading=[*base, ("TPS", t.code.rsplit(".", 1)[1])],
                rows=voters(t, counters[t.code]),
                counts=counters[t.code],
                page_header=f"{list_name} {village.title} - {t.title}",
            )
            for t in tps_list
        ],
        signature=signature_for(area=village, day=day, pemilihan=pemilihan),
        list_name=list_name,
        village=village,
    )


def established_rows(*, since: SinceDps, tps_codes: list[str], voting_day: dt.date):
    """The DPS as established of a village, as `voters(tps, counts)` giving one TPS's rows: the
    voters the snapshot puts in that TPS's list (`figures.dps_tps_of` on their state then),
    with their data then and the keterangan then (B, U, pindahan), in the order of the posted
    list (RW, RT, address, NKK, name by code point).

    One query for the village, streamed in that order. The voters corrected since (a few) come
    from a second query, their data as established restored, and are merged into the stream
    at their place then."""
    c = _COL
    order = ("was_tps", "rw", "rt", "alamat", "nkk", "nama")
    binary = _binary()
    by = ", ".join(f"x.{k} COLLATE {binary}" for k in order) + ", x.id"
    restored = set(since.before)

    def query(where: str, params: list) -> Iterator[tuple]:
        sheets, codes = _in("was_tps", tps_codes)
        sql, all_params = _village_sql(since, f"{sheets} AND {where}", [*codes, *params])
        return _stream(f"{sql} ORDER BY {by}", all_params)

    def key(r) -> tuple:
        return (*(r[c[k]] or "" for k in order), r[c["id"]])

    def rows() -> Iterator[tuple]:
        corrected = []
        for r in query(*_in("id", restored)):
            r = list(r)
            for name, value in since.before[r[c["id"]]].items():
                r[c[name]] = _date(value) if name == "tanggal_lahir" and value else value
            corrected.append(tuple(r))
        corrected.sort(key=key)
        rest = (r for r in query("1 = 1", []) if r[c["id"]] not in restored)
        return heapq.merge(rest, corrected, key=key)

    village = _ByTps(rows, key=itemgetter(c["was_tps"]))
    approved = Voter.Verification.APPROVED

    def ket(r) -> str:
        code, home = r[c["was_tps"]], r[c["was_home"]]
        if home != code:
            return ket_pindahan(home)
        if r[c["was_status"]] == Voter.Status.BARU:
            return KET_BARU
        if r[c["was_status"]] == Voter.Status.UBAH and r[c["was_verification"]] == approved:
            return KET_UBAH
        return ""

    return lambda tps, counts: _sheet_rows(village.rows(tps.code), ket, counts, voting_day)


# --- The change list read out in the PPS's pleno (perubahan.xlsx).

PERUBAHAN_LEVELS = DPS_LEVELS
FIELD_LABELS = {
    "nkk": "NKK",
    "nik": "NIK",
    "nama": "Nama",
    "tempat_lahir": "Tempat lahir",
    "tanggal_lahir": "Tanggal lahir",
    "jenis_kelamin": "Jenis kelamin",
    "status_kawin": "Status kawin",
    "alamat": "Alamat",
    "rt": "RT",
    "rw": "RW",
    "disabilitas": "Disabilitas",
    "ktp_el": "KTP-el",
}
_CHANGE_FIELDS = (
    "pk",
    "nkk",
    "nik",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "alamat",
    "rt",
    "rw",
    "tms_reason",
    "tps_id",
    "dps_tps_id",
    "outcome_event_id",
)
_ORDER = ("rw", "rt", "alamat", "nkk", "nama", "id")


def _shown(field_name: str, value) -> str:
    if value in (None, ""):
        return "-"
    if field_name in ("nik", "nkk"):
        return mask_nik(str(value))
    if isinstance(value, dict):  # {"old": .., "new": ..} as some devices send a change
        value = value.get("new")
    return str(value)


def _ubah_changes(*, village: Area, event_ids: list) -> dict[str, dict]:
    """Event id -> {field: [old, new]} as the PPS approved it (from the audit log, which keeps
    the values a verification replaced); events approved before it kept them give new only."""
    from kpu.models import AuditEntry

    ids = [str(e) for e in event_ids if e]
    out: dict[str, dict] = {}
    if not ids:
        return out
    for target, data in AuditEntry.objects.filter(
        area_code=village.code, action="verify_approve", target__in=ids
    ).values_list("target", "data"):
        if isinstance(data, dict) and isinstance(data.get("changes"), dict):
            out[target] = data["changes"]
    wanted = set(ids) - set(out)
    if wanted:
        for data in AuditEntry.objects.filter(
            area_code=village.code, action="verify_approve_all"
        ).values_list("data", flat=True):
            per_event = data.get("changes") if isinstance(data, dict) else None
            if isinstance(per_event, dict):
                for eid in wanted & set(per_event):
                    out[eid] = per_event[eid]
    from coklit.models import CoklitEvent

    for eid, changes in CoklitEvent.objects.filter(pk__in=list(set(ids) - set(out))).values_list(
        "pk", "changes"
    ):
        if isinstance(changes, dict):
            out[str(eid)] = {k: [None, v] for k, v in changes.items()}
    return out


def _ubah_text(changes: dict) -> str:
    parts = []
    # In the order of the form's columns: PostgreSQL's jsonb keeps its own key order.
    order = {name: i for i, name in enumerate(FIELD_LABELS)}
    for name, pair in sorted(changes.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])):
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        label = FIELD_LABELS.get(name, name)
        if old is None:
            parts.append(f"{label} → {_shown(name, new)}")
        else:
            parts.append(f"{label} {_shown(name, old)} → {_shown(name, new)}")
    return "U: " + "; ".join(parts) if parts else "U"


@dataclass
class ChangeSheet:
    tps: Area
    name: str
    heading: list[tuple[str, str]]
    sections: list[tuple[str, Iterable[tuple]]]  # (section title, rows; a generator too)
    counts: dict[str, Counter]  # "TMS", "U", "B" -> voters per sex ("pindahan" too)
    page_header: str = ""


@dataclass
class ChangeList:
    area: Area
    pemilihan: Pemilihan | None
    day: dt.date
    title: str
    subtitle: str
    as_of: str
    sheets: list[ChangeSheet]
    signature: Signature
    list_name: str = "DPHP"


def change_sheet(*, tps: Area, village: Area, voting_day: dt.date, list_name: str) -> ChangeSheet:
    """The verified changes of one TPS: TMS (by code), then U (old → new), then B (pindahan
    marked). Only what the PPS has verified: the list the pleno reads out is the DPHP's."""
    ok = Voter.Verification.APPROVED
    counts: dict[str, Counter] = {k: Counter() for k in ("TMS", "U", "B", "pindahan")}

    tms_rows = []
    tms = Voter.objects.filter(
        tps=tps, origin=Voter.Origin.LIST, status=Voter.Status.TMS, verification=ok
    )
    for n, v in enumerate(
        tms.order_by("tms_reason", *_ORDER).values_list(*_CHANGE_FIELDS), start=1
    ):
        pk, nkk, nik, nama, jk, born, alamat, rt, rw, reason, home, dps, _e = v
        ket = f"TMS {reason} ({TMS_SHORT.get(reason, '')})"
        if reason == 8 and dps:
            ket = f"TMS 8 (pindah ke TPS {dps.rsplit('.', 1)[1]})"
        counts["TMS"][jk] += 1
        tms_rows.append(
            list_row(n, nkk, nik, nama, jk, born, alamat, rt, rw, ket, voting_day=voting_day)
        )

    ubah = list(
        Voter.objects.filter(
            tps=tps, origin=Voter.Origin.LIST, status=Voter.Status.UBAH, verification=ok
        )
        .order_by(*_ORDER)
        .values_list(*_CHANGE_FIELDS)
    )
    changes = _ubah_changes(village=village, event_ids=[u[-1] for u in ubah])
    ubah_rows = []
    for n, v in enumerate(ubah, start=1):
        pk, nkk, nik, nama, jk, born, alamat, rt, rw, _r, home, dps, event = v
        counts["U"][jk] += 1
        ket = _ubah_text(changes.get(str(event), {}))
        ubah_rows.append(
            list_row(n, nkk, nik, nama, jk, born, alamat, rt, rw, ket, voting_day=voting_day)
        )

    baru = Voter.objects.filter(
        Q(tps=tps, origin=Voter.Origin.BARU, verification=ok)
        | Q(
            dps_tps=tps,
            origin=Voter.Origin.LIST,
            status=Voter.Status.TMS,
            tms_reason=8,
            verification=ok,
        )
    )
    baru_rows = []
    for n, v in enumerate(baru.order_by(*_ORDER).values_list(*_CHANGE_FIELDS), start=1):
        pk, nkk, nik, nama, jk, born, alamat, rt, rw, _r, home, dps, _e = v
        counts["B"][jk] += 1
        if home != tps.code:
            counts["pindahan"][jk] += 1
            ket = f"B pindahan dari TPS {home.rsplit('.', 1)[1]}"
        else:
            ket = KET_BARU
        baru_rows.append(
            list_row(n, nkk, nik, nama, jk, born, alamat, rt, rw, ket, voting_day=voting_day)
        )

    return ChangeSheet(
        tps=tps,
        name=tps.title,
        heading=[*_heading(village), ("TPS", tps.code.rsplit(".", 1)[1])],
        sections=[
            ("A. Pemilih Tidak Memenuhi Syarat (TMS)", tms_rows),
            ("B. Perubahan data pemilih (U)", ubah_rows),
            ("C. Pemilih baru (B), termasuk pindahan antar-TPS", baru_rows),
        ],
        counts=counts,
        page_header=f"Daftar Perubahan {list_name} {village.title} - {tps.title}",
    )


def changes_since(*, since: SinceDps, tps_codes: list[str]) -> _ByTps:
    """The changes since the DPS as established of these TPS of the village, in one pass from a
    server-side cursor: rows (TPS of the sheet, section, *`_VILLAGE_COLUMNS`) ordered by TPS,
    section and the order of the posted list (code point, as the in-memory version sorted):
    A (TMS): in this TPS's DPS, not in its list now; B (U): in both, corrected since; C (B): in
    its list now, not in its DPS. A voter moved is in A of one TPS and in C of the other."""
    corrected, corrected_params = _in("id", since.before)
    village, params = _village_sql(
        since,
        f"(COALESCE(x.list_tps, '') <> COALESCE(x.was_tps, '') OR {corrected})",
        corrected_params,
    )
    was_here, was_params = _in("was_tps", tps_codes, alias="y")
    here, here_params = _in("list_tps", tps_codes, alias="y")
    y_corrected, _ = _in("id", since.before, alias="y")
    binary = _binary()
    by = ", ".join(
        f"z.{k} COLLATE {binary}" for k in ("sheet", "rw", "rt", "alamat", "nkk", "nama")
    )
    sql = (
        "SELECT * FROM (SELECT CASE k.section WHEN 'A' THEN y.was_tps ELSE y.list_tps END "
        f"AS sheet, k.section, y.* FROM ({village}) y CROSS JOIN (SELECT 'A' AS section "
        "UNION ALL SELECT 'B' UNION ALL SELECT 'C') k WHERE "
        f"(k.section = 'A' AND {was_here} AND COALESCE(y.list_tps, '') <> y.was_tps) "
        f"OR (k.section = 'B' AND {here} AND y.list_tps = y.was_tps AND {y_corrected}) "
        f"OR (k.section = 'C' AND {here} AND COALESCE(y.was_tps, '') <> y.list_tps)) z "
        f"ORDER BY {by.replace('z.rw', 'z.section, z.rw')}, z.id"
    )
    params = [*params, *was_params, *here_params, *corrected_params, *here_params]
    return _ByTps(lambda: _stream(sql, params), key=itemgetter(0, 1))


def change_sheet_since(
    *,
    tps: Area,
    village: Area,
    voting_day: dt.date,
    list_name: str,
    changes: _ByTps,
    ubah: dict[str, dict],
) -> ChangeSheet:
    """The changes of one TPS since the DPS as established (the DPSHP pleno's reading, SPEC
    8b): TMS (the DPS's voters no longer in this TPS's list), U (data corrected since), B (in
    the list now, not in this TPS's DPS: new, or pindahan from the TPS whose DPS held them).
    Its sections are read from `changes` (`changes_since`) while the sheet is written; `ubah`
    gives the fields old -> new of each corrected voter's event (`_ubah_changes`)."""
    code = tps.code
    counts: dict[str, Counter] = {k: Counter() for k in ("TMS", "U", "B", "pindahan")}
    c = {name: i + 2 for i, name in enumerate(_VILLAGE_COLUMNS)}
    event_id = Voter._meta.get_field("outcome_event").target_field.to_python  # SQLite: text

    def rows(section: str, count: str, ket) -> Iterator[tuple]:
        for n, r in enumerate(changes.rows((code, section)), start=1):
            jk = r[c["jenis_kelamin"]]
            counts[count][jk] += 1
            yield list_row(
                n,
                r[c["nkk"]],
                r[c["nik"]],
                r[c["nama"]],
                jk,
                _date(r[c["tanggal_lahir"]]),
                r[c["alamat"]],
                r[c["rt"]],
                r[c["rw"]],
                ket(r),
                voting_day=voting_day,
            )

    def tms(r) -> str:
        reason, dps, status = r[c["tms_reason"]], r[c["dps_tps_id"]], r[c["status"]]
        if status == Voter.Status.TMS and reason == 8 and dps:
            return f"TMS 8 (pindah ke TPS {dps.rsplit('.', 1)[1]})"
        if status == Voter.Status.TMS:
            return f"TMS {reason} ({TMS_SHORT.get(reason, '')})"
        return "Tidak lagi dalam daftar"

    def corrected(r) -> str:
        return _ubah_text(ubah.get(str(event_id(r[c["outcome_event_id"]])), {}))

    def baru(r) -> str:
        was = r[c["was_tps"]]
        if was is not None and was != code:
            counts["pindahan"][r[c["jenis_kelamin"]]] += 1
            return f"B pindahan dari TPS {was.rsplit('.', 1)[1]}"
        return KET_BARU

    return ChangeSheet(
        tps=tps,
        name=tps.title,
        heading=[*_heading(village), ("TPS", code.rsplit(".", 1)[1])],
        sections=[
            ("A. Pemilih Tidak Memenuhi Syarat (TMS) sejak DPS", rows("A", "TMS", tms)),
            ("B. Perubahan data pemilih (U) sejak DPS", rows("B", "U", corrected)),
            ("C. Pemilih baru (B) sejak DPS, termasuk pindahan antar-TPS", rows("C", "B", baru)),
        ],
        counts=counts,
        page_header=f"Daftar Perubahan {list_name} {village.title} - {tps.title}",
    )


def change_list_for(*, area: Area) -> ChangeList:
    """The change list of a village (a sheet per TPS) or of one TPS, with the PPS's signature."""
    village = area if area.level == Area.Level.VILLAGE else area.parent
    pemilihan = selectors.pemilihan_for(area=area)
    day = today_for(pemilihan)
    voting_day = pemilihan.voting_day if pemilihan else day
    tps_list = list(selectors.area_children(area=area)) if area is village else [area]
    # In the second stage the pleno reads out what changed since the DPS (SPEC 8b).
    dps = tanggapan.dps_snapshot(village.regency_code)
    if dps is not None:
        list_name = STAGES[tanggapan.recap_list(area)][0]
        full = stage_full_name(list_name).upper().removeprefix("DAFTAR ")
        title = f"DAFTAR PERUBAHAN {full} ({list_name})"
        since = since_dps(snapshot=dps, village=village)
        changes = changes_since(since=since, tps_codes=[t.code for t in tps_list])
        events = Voter.objects.filter(pk__in=list(since.before)).values_list(
            "outcome_event_id", flat=True
        )
        ubah = _ubah_changes(village=village, event_ids=list(events))
        sheets = [
            change_sheet_since(
                tps=t,
                village=village,
                voting_day=voting_day,
                list_name=list_name,
                changes=changes,
                ubah=ubah,
            )
            for t in tps_list
        ]
    else:
        list_name = stage_list_name(area=area)
        title = f"DAFTAR PERUBAHAN PEMILIH HASIL PEMUTAKHIRAN ({list_name})"
        sheets = [
            change_sheet(tps=t, village=village, voting_day=voting_day, list_name=list_name)
            for t in tps_list
        ]
    return ChangeList(
        area=area,
        pemilihan=pemilihan,
        day=day,
        title=title,
        subtitle=pemilihan.name.upper() if pemilihan else "",
        as_of=waktu(timezone.now(), pemilihan),
        sheets=sheets,
        signature=signature_for(area=village, day=day, pemilihan=pemilihan),
        list_name=list_name,
    )


# --- The coklit progress recap (progres.xlsx): counted as the progress API counts.

PROGRES_LEVELS = REKAP_LEVELS


def progres_columns(*, area: Area) -> list[Column]:
    return [
        Column("no", "No", width=3.5),
        Column("code", "Kode", kind="text", width=max(len(area.code) + 5.5, 15)),
        Column("name", _child_label(area), kind="text", width=18),
        Column("tps_count", "TPS", width=5.5),
        Column("target", "Model A", width=8),
        Column("done", "Selesai", group="Coklit", width=8),
        Column("ratio", "%", group="Coklit", kind="pct", width=6.5),
        Column("expected", "Target hari ini", group="Coklit", kind="pct", width=7.5),
        Column("ms", "MS", group="Hasil (tercatat)", width=8),
        Column("ubah", "Ubah", group="Hasil (tercatat)", width=7),
        Column("tms", "TMS", group="Hasil (tercatat)", width=7),
        Column("baru", "Baru", group="Hasil (tercatat)", width=7),
        Column("pending", "Menunggu verifikasi", group="Perlu perhatian", width=9),
        Column("conflicts", "Konflik", group="Perlu perhatian", width=7.5),
        Column("stale", "TPS tak sinkron 48 jam", group="Perlu perhatian", width=9),
    ]


def progres_for(*, area: Area, paper: str | None = None) -> Rekap:
    """Coklit progress per child: results as recorded, verified or not (SPEC 6, 9), with the
    exceptions of the dashboard. The same reading as the progress API and the area page."""
    from coklit import dashboard

    pemilihan = selectors.pemilihan_for(area=area)
    day = today_for(pemilihan)
    clock = clock_for(area=area, pemilihan=pemilihan)
    totals, rows = dashboard.live_figures(area=area, clock=clock)
    expected = clock.expected
    columns = progres_columns(area=area)

    def values(f: dict, **extra) -> dict:
        return {**f, "ratio": f["percent"] / 100, "expected": expected, **extra}

    body = [
        values(
            r.figures,
            code=r.area.code,
            name=r.area.title if r.area.level == Area.Level.TPS else r.area.name,
        )
        for r in rows
    ]
    total = values(totals, code=None, name="JUMLAH")
    table = Table(
        name="Progres",
        title="Progres Coklit per Wilayah (hasil seperti tercatat, terverifikasi atau belum)",
        columns=columns,
        rows=[
            [n if c.key == "no" else b.get(c.key) for c in columns]
            for n, b in enumerate(body, start=1)
        ],
        total=[total.get(c.key) for c in columns],
        notes=[
            "% = coklit selesai / pemilih Model A, dibulatkan ke bawah; pemilih baru tidak "
            "dihitung dalam %. Target hari ini: bagian masa coklit yang sudah berjalan.",
            "MS, ubah, TMS dan baru: hasil seperti tercatat, termasuk yang masih menunggu "
            "verifikasi PPS (rekap pleno hanya menghitung yang terverifikasi).",
        ],
    )
    return Rekap(
        area=area,
        pemilihan=pemilihan,
        day=day,
        form="Progres Coklit",
        title="REKAPITULASI PROGRES COKLIT",
        subtitle=f"TINGKAT {_level_word(area)}",
        heading=([("Pemilihan", pemilihan.name)] if pemilihan else []) + _heading(area),
        as_of=waktu(clock.now, pemilihan),
        tables=[table],
        signature=None,
        paper=paper_of(paper),
    )


# --- The recap of the second stage (SPEC 8b): DPS → DPSHP → DPT.

KIND_SHORT = {
    "belum_terdaftar": "Belum terdaftar",
    "data_salah": "Data salah",
    "tms": "TMS",
    "prosedur": "Prosedur",
}


def response_columns(*, area: Area) -> list[Column]:
    """Responses and saran perbaikan per kind: received, accepted, rejected."""
    cols = _lead_columns(area, villages=False)
    for kind, label in [*KIND_SHORT.items(), ("all", "Jumlah")]:
        cols += [
            Column(f"{kind}_{n}", lab, group=label, width=6.5)
            for n, lab in (("in", "Masuk"), ("ok", "Diterima"), ("no", "Ditolak"))
        ]
    return cols


def second_stage_rekap_for(
    *,
    area: Area,
    paper: str | None = None,
    recap: tuple[list[dict], dict] | None = None,
    day: dt.date | None = None,
    as_of: str | None = None,
    list_name: str | None = None,
) -> Rekap:
    """The recap of the second stage (`tanggapan.second_stage_recap`): the DPS as established,
    the changes accepted since, the DPSHP (the DPT once established), TMS per reason and
    disabilities of the list, and the responses per kind.

    By default the list now, today. A DPSHP pleno's berita acara annexes what that pleno
    recapped instead: `recap` from its snapshot (`second_stage_recap(live_tps=...)`), `day` and
    `as_of` of its hold, `list_name` the list that pleno recapped (DPSHP, or the DPT)."""
    pemilihan = selectors.pemilihan_for(area=area)
    day = day or today_for(pemilihan)
    list_name = list_name or STAGES[tanggapan.recap_list(area)][0]
    rows, total = recap or tanggapan.second_stage_recap(area=area)
    villages = _village_counts(area)

    def values(f: dict, **extra) -> dict:
        f = _with_tms18(dict(f))
        f["dphp_lp"] = f["dpshp_lp"]  # the disabilities sheet's list column
        return f | extra

    children = [
        (
            r["area"],
            values(
                r,
                code=r["area"].code,
                name=r["area"].title if r["area"].level == Area.Level.TPS else r["area"].name,
                villages=villages.get(r["area"].code, 0),
            ),
        )
        for r in rows
    ]
    total = values(total, code=None, name="JUMLAH", villages=sum(villages.values()))
    child = _child_label(area)
    tables = [
        _table(
            "Rekap",
            f"DPS, Baru, TMS, Ubah dan {list_name} per {child}",
            rekap_columns(area=area, list_name=list_name, second_stage=True),
            children,
            total,
            [
                f"{list_name} = DPS - TMS + Baru, untuk L dan P di setiap baris.",
                "DPS: sebagaimana ditetapkan dalam rapat pleno KPU. Baru, TMS dan Ubah: "
                "perubahan sejak DPS dari tanggapan masyarakat dan saran perbaikan yang "
                "diterima PPS; Baru termasuk pindahan antar-TPS.",
            ],
        ),
        *_tms_and_disabilities(area, children, total, list_name=list_name, since_dps=True),
        _table(
            "Tanggapan",
            f"Tanggapan Masyarakat dan Saran Perbaikan per Jenis per {child}",
            response_columns(area=area),
            children,
            total,
            [
                "Masuk: dicatat sejak DPS ditetapkan; Diterima dan Ditolak: dijawab PPS. "
                "Prosedur: saran perbaikan Bawaslu/Panwaslu tentang cara kerja, tanpa "
                "perubahan data pemilih."
            ],
        ),
    ]
    return _pleno_rekap(area, pemilihan, day, list_name, tables, as_of=as_of, paper=paper)
