"""Recaps and DPS lists as plain rows: what the Excel writer (`coklit.xlsx`) and the print page
both show. Nothing here knows about openpyxl or HTTP.

Figures come from the per-TPS counters through `coklit.selectors`, never from counting voters;
the one exception is the DPS list itself, which *is* the voters, streamed row by row.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.text import slugify

from coklit import selectors
from coklit.masking import mask_nik
from coklit.models import DISABILITIES, FIGURE_FIELDS, TMS_REASONS, DpsDraft, TpsFigures, Voter
from kpu.models import Area, Pemilihan

# Recaps exist for the areas that sign one (KPU, PPK/PPD, PPS). A TPS has no children and no
# committee that signs a recap: its page links to its DPS list instead, its recap is a 404.
REKAP_LEVELS = (Area.Level.REGENCY, Area.Level.DISTRICT, Area.Level.VILLAGE)
# The DPS is posted per TPS, at the village office: a TPS or a whole village (a sheet per TPS).
DPS_LEVELS = (Area.Level.VILLAGE, Area.Level.TPS)

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def tanggal(day: dt.date) -> str:
    """A date as written on Indonesian forms, whatever the UI language: `23 November 2026`."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


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


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    group: str = ""  # the first header row; "" makes the label span both rows
    kind: str = "int"  # "int", "pct" or "text"
    width: float = 7.5


@dataclass
class Signature:
    """Who signs at this level, and where and when."""

    place: str
    date_text: str
    body: str  # "KOMISI PEMILIHAN UMUM KOTA PALANGKARAYA"
    committee: str  # "KPU", "PPK", "PPD", "PPS"
    members: list[str]  # "Ketua", then "Anggota" lines


@dataclass
class Rekap:
    area: Area
    pemilihan: Pemilihan | None
    day: dt.date
    title: str
    subtitle: str
    heading: list[tuple[str, str]]  # (label, value) lines of the title block
    as_of: str
    columns: list[Column]
    rows: list[list]
    total: list
    signature: Signature
    notes: list[str] = field(default_factory=list)

    @property
    def table(self) -> list[tuple[bool, list[tuple[Column, object]]]]:
        """Body rows then the total row, for a template: (is total, [(column, value)]).
        Percentages come back as numbers of percent (65.4), already rounded down."""
        out = []
        for is_total, cells in [(False, r) for r in self.rows] + [(True, self.total)]:
            pairs = [
                (c, round(v * 100, 1) if c.kind == "pct" else v)
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


# --- Figures as filed: a village whose DPS draft is submitted or beyond shows its frozen figures.


def _frozen_village(frozen: dict) -> dict[str, int]:
    """The village totals held in a draft's `frozen` JSON (`{"village": {...}, "tps": {...}}`,
    as `services.dps_draft_submit` writes it); anything else in the JSON is ignored.
    """
    src = frozen.get("village") if isinstance(frozen.get("village"), dict) else {}
    return {k: int(v) for k, v in src.items() if k in FIGURE_FIELDS or k == "tps_count"}


def _frozen_tps(frozen: dict) -> dict[str, dict[str, int]]:
    """Per-TPS figures in a draft's `frozen` JSON, when it holds them (`{"tps": {code: {...}}}`)."""
    per_tps = frozen.get("tps") or {}
    if not isinstance(per_tps, dict):
        return {}
    return {
        code: {k: int(v) for k, v in figs.items() if k in FIGURE_FIELDS or k == "tps_count"}
        for code, figs in per_tps.items()
        if isinstance(figs, dict)
    }


def _locked_drafts(area: Area) -> list[DpsDraft]:
    """Drafts within the area that are submitted, approved or established and hold figures.

    A returned or reopened draft is editable again: its voters are the truth, not the freeze.
    """
    if area.level == Area.Level.VILLAGE:
        scope = Q(village_id=area.code)
    else:
        scope = Q(village__code__startswith=area.code + ".")
    return [
        d
        for d in DpsDraft.objects.filter(scope, status__in=DpsDraft.LOCKED).exclude(frozen={})
        if isinstance(d.frozen, dict)
    ]


def children_figures_as_filed(*, area: Area) -> list[tuple[Area, dict[str, int]]]:
    """`selectors.children_figures`, with villages whose DPS draft is locked at their frozen
    figures: what was submitted is what the recap of the district and regency shows.

    District and regency rows move by (frozen - live) of each locked village inside them; a
    village's own TPS rows take the per-TPS figures of the freeze when it holds them.
    """
    children = selectors.children_figures(area=area)
    drafts = _locked_drafts(area)
    if not drafts:
        return children
    rows = {child.code: dict(figs) for child, figs in children}
    if area.level == Area.Level.VILLAGE:
        per_tps = _frozen_tps(drafts[0].frozen)
        for code, figs in per_tps.items():
            if code in rows:
                rows[code].update(figs)
    else:
        codes = [d.village_id for d in drafts]
        live = {
            r.pop("village_code"): r
            for r in TpsFigures.objects.filter(village_code__in=codes)
            .values("village_code")
            .annotate(**{k: Sum(k) for k in FIGURE_FIELDS})
            .order_by()
        }
        depth = area.code.count(".") + 2  # parts in a child's code
        for draft in drafts:
            child = ".".join(draft.village_id.split(".")[:depth])
            if child not in rows:
                continue
            frozen = _frozen_village(draft.frozen)
            now = live.get(draft.village_id, {})
            for k, v in frozen.items():
                if k != "tps_count":
                    rows[child][k] = rows[child].get(k, 0) + v - (now.get(k) or 0)
    return [(child, rows[child.code]) for child, _ in children]


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


def _child_label(area: Area) -> str:
    if area.level == Area.Level.REGENCY:
        return "Distrik" if area.is_papua else "Kecamatan"
    if area.level == Area.Level.DISTRICT:
        return "Kampung" if area.is_papua else "Kelurahan/Desa"
    return "TPS"


def rekap_columns(*, area: Area) -> list[Column]:
    pemilih, coklit, tms, dis, dps = "Pemilih (Model A)", "Coklit", "TMS", "Disabilitas", "DPS"
    return [
        Column("no", "No", kind="int", width=4.5),
        Column("code", "Kode", kind="text", width=len(area.code) + 6),
        Column("name", _child_label(area), kind="text", width=20),
        Column("tps_count", "Jumlah TPS", width=7),
        Column("target_l", "L", group=pemilih, width=8),
        Column("target_p", "P", group=pemilih, width=8),
        Column("target", "L+P", group=pemilih, width=9),
        Column("done", "Selesai", group=coklit, width=9),
        Column("percent", "%", group=coklit, kind="pct", width=7),
        Column("ms", "MS", group=coklit, width=9),
        Column("ubah", "Ubah", group=coklit, width=7),
        *(Column(f"tms_{r}", f"{r} {TMS_SHORT[r]}", group=tms, width=7) for r in TMS_REASONS),
        Column("tms", "Jumlah", group=tms, width=7.5),
        Column("baru", "Pemilih Baru", width=7.5),
        *(Column(f"dis_{d}", DIS_SHORT[d], group=dis, width=6.5) for d in DISABILITIES),
        Column("no_ktp_el", "Belum KTP-el", width=7.5),
        Column("dps_l", "L", group=dps, width=8),
        Column("dps_p", "P", group=dps, width=8),
        Column("dps", "L+P", group=dps, width=9),
    ]


def rekap_values(figs: dict[str, int]) -> dict[str, int | float]:
    """Every figure of a recap row from the counters, derived ones included."""
    f = {k: int(figs.get(k) or 0) for k in (*FIGURE_FIELDS, "tps_count")}
    f["target"] = f["target_l"] + f["target_p"]
    f["dps"] = f["dps_l"] + f["dps_p"]
    f["tms"] = sum(f[f"tms_{r}"] for r in TMS_REASONS)
    # A fraction for Excel's 0.0% format; rounded down first, so 99.96% never shows as 100%.
    f["percent"] = selectors.percent(f["done"], f["target"]) / 100
    return f


def rekap_rows(*, area: Area, columns: list[Column]) -> Iterator[tuple[Area, dict[str, int], list]]:
    """One row per child area: (child, its figures, the row's cells in column order)."""
    for n, (child, figs) in enumerate(children_figures_as_filed(area=area), start=1):
        values = rekap_values(figs) | {
            "no": n,
            "code": child.code,
            "name": child.title if child.level == Area.Level.TPS else child.name,
        }
        yield child, figs, [values[c.key] for c in columns]


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


# Members who sign: KPU Kab/Kota and PPK/PPD have five, a PPS three.
_MEMBERS = {Area.Level.REGENCY: 5, Area.Level.DISTRICT: 5, Area.Level.VILLAGE: 3}


def signature_for(*, area: Area, day: dt.date) -> Signature:
    """The body that signs at the area's level: KPU, PPK (PPD in Papua) or PPS."""
    committee = area.committee
    if area.level == Area.Level.REGENCY:
        body = f"Komisi Pemilihan Umum {area.name}"
    elif area.level == Area.Level.DISTRICT:
        body = f"Panitia Pemilihan {area.kind} {area.name}"
    elif area.level == Area.Level.VILLAGE:
        body = f"Panitia Pemungutan Suara {area.kind} {area.name}"
    else:
        body = f"{committee} {area.title}"
    count = _MEMBERS.get(area.level, 3)
    return Signature(
        place=_place(area),
        date_text=tanggal(day),
        body=body.upper(),
        committee=committee,
        members=["Ketua"] + ["Anggota"] * (count - 1),
    )


def rekap_for(*, area: Area) -> Rekap:
    """The recap of an area's children with its total row, title and signature blocks."""
    pemilihan = selectors.pemilihan_for(area=area)
    day = today_for(pemilihan)
    columns = rekap_columns(area=area)
    rows, sums = [], dict.fromkeys((*FIGURE_FIELDS, "tps_count"), 0)
    for _child, figs, cells in rekap_rows(area=area, columns=columns):
        rows.append(cells)
        for k in sums:
            sums[k] += int(figs.get(k) or 0)
    totals = rekap_values(sums) | {"no": None, "code": None, "name": "JUMLAH"}
    return Rekap(
        area=area,
        pemilihan=pemilihan,
        day=day,
        title="REKAPITULASI HASIL COKLIT",
        subtitle=pemilihan.name.upper() if pemilihan else "",
        heading=_heading(area),
        as_of=waktu(timezone.now(), pemilihan),
        columns=columns,
        rows=rows,
        total=[totals[c.key] for c in columns],
        signature=signature_for(area=area, day=day),
        notes=[
            "% = coklit selesai / pemilih Model A, dibulatkan ke bawah.",
            "Pemilih baru tidak dihitung dalam % coklit. Disabilitas dan belum KTP-el: "
            "pemilih dalam DPS.",
            "TMS: 1 meninggal, 2 ganda, 3 di bawah umur, 4 pindah domisili, 5 tidak dikenal, "
            "6 TNI, 7 Polri, 8 salah penempatan TPS, 9 lainnya.",
        ],
    )


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


@dataclass
class DpsList:
    area: Area
    pemilihan: Pemilihan | None
    day: dt.date
    title: str
    subtitle: str
    status: str  # the village's DPS draft state, so a draft is never taken for the final list
    as_of: str
    sheets: list[DpsSheet]
    signature: Signature


def dps_voters(*, tps: Area):
    """The voters the DPS of a TPS lists: SPEC 4, the same rule as `figures.dps_tps_of`.

    MS (with or without ubah) at their own TPS, verified BARU, and verified TMS 8 moved in.
    """
    V = Voter
    verified = V.Verification.APPROVED
    return V.objects.filter(
        (Q(tps=tps, origin=V.Origin.LIST) & ~Q(status=V.Status.TMS, verification=verified))
        | Q(tps=tps, origin=V.Origin.BARU, verification=verified)
        | Q(
            dps_tps=tps,
            origin=V.Origin.LIST,
            status=V.Status.TMS,
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
    "tps_id",
)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def dps_rows(*, tps: Area, voting_day: dt.date, counts: Counter | None = None) -> Iterator[tuple]:
    """The published DPS of one TPS, row by row from a server-side cursor: memory stays flat.

    Ordered as it is posted, by neighbourhood and family: RW, RT, address, NKK, name.
    Masked NIK and NKK; age on voting day instead of the birth date; no disability detail.
    """
    V = Voter.Status
    code = tps.code
    qs = (
        dps_voters(tps=tps)
        .order_by("rw", "rt", "alamat", "nkk", "nama", "id")
        .values_list(*_DPS_FIELDS)
    )
    for n, (nkk, nik, nama, jk, born, alamat, rt, rw, status, home) in enumerate(
        qs.iterator(chunk_size=2000), start=1
    ):
        # Empty cells are None, not "": openpyxl then writes no cell at all.
        if home != code:
            ket = f"Pindahan TPS {home.rsplit('.', 1)[1]}"
        elif status == V.BARU:
            ket = "Baru"
        elif status == V.UBAH:
            ket = "Ubah"
        else:
            ket = None
        if counts is not None:
            counts[jk] += 1
        yield (
            n,
            mask_nik(nkk),
            mask_nik(nik),
            nama,
            jk,
            age_on(born, voting_day),
            alamat or None,
            rt or None,
            rw or None,
            ket,
        )


def dps_list_for(*, area: Area) -> DpsList:
    """The DPS of a TPS, or of a village with one sheet per TPS (rows made while writing)."""
    village = area if area.level == Area.Level.VILLAGE else area.parent
    pemilihan = selectors.pemilihan_for(area=area)
    day = today_for(pemilihan)
    voting_day = pemilihan.voting_day if pemilihan else day
    tps_list = list(selectors.area_children(area=area)) if area is village else [area]
    draft = DpsDraft.objects.filter(village=village).first()
    status = draft.status_label if draft else DpsDraft.Status.DRAFT.label
    base = _heading(village)
    counters = {t.code: Counter() for t in tps_list}
    return DpsList(
        area=area,
        pemilihan=pemilihan,
        day=day,
        title="DAFTAR PEMILIH SEMENTARA (DPS)",
        subtitle=pemilihan.name.upper() if pemilihan else "",
        status=str(status),
        as_of=waktu(timezone.now(), pemilihan),
        sheets=[
            DpsSheet(
                tps=t,
                name=t.title,
                heading=[*base, ("TPS", t.code.rsplit(".", 1)[1])],
                rows=dps_rows(tps=t, voting_day=voting_day, counts=counters[t.code]),
                counts=counters[t.code],
            )
            for t in tps_list
        ],
        signature=signature_for(area=village, day=day),
    )
