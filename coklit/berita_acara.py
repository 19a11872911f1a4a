"""The berita acara (BA) of a held pleno, written as a KPU BA is (issue 12, SPEC 8).

Everything here comes from the pleno's snapshot and its hold (`coklit.snapshots`): the totals,
the annexed recap, the date, place, attendance and numbers as they were when the committee
signed. A document is in Indonesian whatever the interface language (SPEC 9): no gettext here.

The shape follows the BAs of 2024 (PPS and PPK "rekapitulasi daftar pemilih hasil
pemutakhiran", KPU "rekapitulasi ... dan penetapan daftar pemilih sementara", e.g. Kalteng's BA
382/PL.01.2-BA/62/2024): a heading naming the body, the title and number, "Pada hari ini ...
bertempat di ...", who attended, the totals for L, P and L+P in figures and in words, notes,
the closing formula and the committee's signatures; the recap is its annex.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from coklit import exports, figures, selectors, snapshots, tanggapan, terbilang
from coklit.models import Pleno, PlenoSnapshot
from kpu.models import Area, Pemilihan

Stage = Pleno.Stage

# The list coklit starts from, per stage, as a BA spells it out; the lists a pleno recaps and
# establishes are named by `exports.STAGES` and `exports.pleno_list`, the one home of that rule.
BASE = {
    Stage.DPHP: "Daftar Pemilih (Model A)",
    Stage.DPSHP: "Daftar Pemilih Sementara (DPS)",
}
# The keys of the figures a BA's totals read, per stage: the list it starts from and the list it
# ends with (`figures.derive` in the first stage, `tanggapan.second_stage_values` in the second).
KEYS = {Stage.DPHP: ("model_a", "dphp"), Stage.DPSHP: ("dps", "dpshp")}


def long_name(key: str) -> str:
    """ "Daftar Pemilih Hasil Pemutakhiran (DPHP)"."""
    short, full = exports.STAGES[key]
    return f"{full} ({short})"


def list_name(level: int, stage: str) -> str:
    """The list a pleno of this level recaps: DPHP (PPS, PPK), DPS once the KPU establishes it
    (DPSHP and DPT in the second stage)."""
    return exports.STAGES[exports.pleno_list(level=level, stage=stage)][0]


def pleno_title(level: int, stage: str) -> str:
    """ "Rapat Pleno Terbuka Rekapitulasi Daftar Pemilih Hasil Pemutakhiran" and, for the
    KPU, "... dan Penetapan Daftar Pemilih Sementara"."""
    recapped = exports.pleno_list(level=Area.Level.VILLAGE, stage=stage)
    title = "Rapat Pleno Terbuka Rekapitulasi " + exports.STAGES[recapped][1]
    if level == Area.Level.REGENCY:
        established = exports.pleno_list(level=level, stage=stage)
        title += " dan Penetapan " + exports.STAGES[established][1]
    return title


def kop(area: Area, chain: list[Area]) -> list[str]:
    """The heading: the body, then where it is (a PPS: its district and regency)."""
    lines = [exports.body_name(area).upper()]
    # Nearest first, as an address: "KECAMATAN PAHANDUT KOTA PALANGKA RAYA".
    levels = (Area.Level.DISTRICT, Area.Level.REGENCY)
    above = [a for a in reversed(chain) if a.level in levels and a.code != area.code]
    if above:
        lines.append(
            " ".join(a.title if a.level == Area.Level.DISTRICT else a.name for a in above).upper()
        )
    return lines


# --- attendance and signatures -----------------------------------------------------------------

_SPLIT = re.compile(r"\s*(?:,|;|\t| - | – |\()\s*")


def attendees(text: str) -> list[tuple[str, str]]:
    """The attendance as entered, one per line ("Siti Aminah, Ketua PPS"): (name, capacity).
    A line without a separator is a name alone."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = _SPLIT.split(line, maxsplit=1)
        name = parts[0].strip()
        capacity = parts[1].strip().rstrip(")").strip() if len(parts) > 1 else ""
        out.append((name, capacity))
    return out


def _committee_words(area: Area) -> tuple[str, ...]:
    """How an attendance line names the committee's own members: its short name ("PPS",
    "PPK" or "PPD", "KPU") or the start of its long one."""
    return (area.committee.lower(), exports.body_name(area).lower().rsplit(" ", 2)[0])


def signer_names(area: Area, offices: list[str], present: list[tuple[str, str]]) -> list[str]:
    """The names on the committee's signature rows (Ketua, then Anggota), from the attendance
    where it lists the committee's own members ("Ketua PPS", "Anggota PPK Pahandut", "Ketua");
    "" where it does not, and a dotted line is printed to write on."""
    words = _committee_words(area)
    chair, members = [], []
    for name, capacity in present:
        cap = capacity.lower()
        mine = cap in ("ketua", "anggota") or any(w in cap for w in words)
        if not mine:
            continue
        if cap.startswith("ketua"):
            chair.append(name)
        elif cap.startswith("anggota"):
            members.append(name)
    out = []
    for office in offices:
        pool = chair if office == "Ketua" else members
        out.append(pool.pop(0) if pool else "")
    return out


# --- the totals -------------------------------------------------------------------------------


@dataclass
class Figure:
    n: int

    @property
    def text(self) -> str:
        return terbilang.ribuan(self.n)

    @property
    def words(self) -> str:
        return terbilang.angka(self.n)


@dataclass
class TotalRow:
    no: int
    label: str
    key: str
    l: Figure  # noqa: E741 (L and P are the form's own column names)
    p: Figure
    lp: Figure
    detail: str = ""

    @property
    def figures(self) -> list[Figure]:
        return [self.l, self.p, self.lp]


def total_rows(f: dict[str, int], *, level: int, stage: str) -> list[TotalRow]:
    """SPEC 8's totals of a BA from the area's figures `f`: the list the stage starts from
    (Model A; the DPS in the second stage), Baru (with pindahan antar-TPS), TMS, and the list of
    the pleno (DPHP, or DPS for the KPU; DPSHP, or DPT), each for L, P and L+P."""
    start, end = KEYS[stage]
    listed = long_name(exports.pleno_list(level=level, stage=stage))
    rows = [
        (start, f"Jumlah pemilih dalam {BASE[stage]}", ""),
        (
            "baru",
            "Jumlah pemilih baru",
            "termasuk pindahan antar-TPS: "
            f"{terbilang.ribuan(f['pindah_lp'])} ({terbilang.angka(f['pindah_lp'])})",
        ),
        ("tms", "Jumlah pemilih Tidak Memenuhi Syarat (TMS)", ""),
        (end, f"Jumlah pemilih dalam {listed}", ""),
    ]
    return [
        TotalRow(
            no=i,
            label=label,
            key=key,
            l=Figure(f[f"{key}_l"]),
            p=Figure(f[f"{key}_p"]),
            lp=Figure(f[f"{key}_lp"]),
            detail=detail,
        )
        for i, (key, label, detail) in enumerate(rows, start=1)
    ]


# --- the document --------------------------------------------------------------------------------


@dataclass
class BeritaAcara:
    pleno: Pleno
    snapshot: PlenoSnapshot
    area: Area
    pemilihan: Pemilihan | None
    kop: list[str]
    title: str  # "BERITA ACARA RAPAT PLENO TERBUKA ..."
    election: str  # "PEMILIHAN SERENTAK 2024"
    ba_number: str
    sk_number: str
    held_day: dt.date
    opening: str  # "Pada hari ini Minggu tanggal ..."
    attendees: list[tuple[str, str]]
    totals: list[TotalRow]
    list_name: str
    counts: list[tuple[str, Figure]]  # villages, TPS: what the recap spans
    note: str
    establishes: str  # the KPU's sentence establishing the list by its Keputusan
    signature: exports.Signature  # with the signers' names the attendance gives
    annex: exports.Rekap
    annex_unit: str  # what a row of the annex is: "kecamatan", "kelurahan/desa", "TPS"


def held_pleno(*, area: Area, stage: str | None) -> Pleno:
    """The area's pleno whose BA is shown: of `stage`, or the most recently held one; 404 while
    none is held (a returned pleno's BA no longer stands: it must be held again)."""
    qs = Pleno.objects.filter(area=area, state=Pleno.State.SUDAH).select_related("area")
    if stage is not None:
        if stage not in Stage.values:
            raise Http404("Berita acara tidak ditemukan.")
        qs = qs.filter(stage=stage)
    pleno = qs.order_by("-state_since", "-pk").first()
    if pleno is None:
        raise Http404("Berita acara tidak ditemukan: pleno ini belum dilaksanakan.")
    return pleno


def build(pleno: Pleno) -> BeritaAcara:
    """The BA of the pleno's last hold, from its snapshot."""
    snapshot = snapshots.latest_snapshot(pleno)
    if snapshot is None:
        raise Http404("Berita acara tidak ditemukan: pleno ini tidak menyimpan rekapnya.")
    hold = snapshot.hold
    area = pleno.area
    pemilihan = selectors.pemilihan_for(area=area)
    chain = selectors.area_breadcrumbs(area=area)
    held = hold.held_at or snapshot.taken_at
    # The time in the election's zone (WIB, WITA, WIT), which is the province's.
    local = timezone.localtime(held, selectors.area_tz(area))
    zone = selectors.area_zone(area)
    day = local.date()
    name = list_name(area.level, pleno.stage)
    as_of = f"{terbilang.tanggal(day)} {terbilang.pukul(local, zone)}, saat pleno"
    if pleno.stage == Stage.DPSHP:
        # The second stage: the DPS as established against what this pleno recapped.
        recap = tanggapan.second_stage_recap(area=area, live_tps=snapshots.tps_figures(snapshot))
        totals = recap[1]
        annexed = exports.second_stage_rekap_for(
            area=area, recap=recap, day=day, as_of=as_of, list_name=name
        )
    else:
        sf = snapshots.snapshot_figures(snapshot)
        totals = figures.derive(sf.totals)
        annexed = exports.rekap_for(
            area=area, children=sf.children, day=day, as_of=as_of, list_name=name
        )
    body = exports.body_name(area)
    place = hold.place.strip() or "…………………………………"
    opening = (
        f"Pada hari ini {terbilang.tanggal_kata(day)}, {terbilang.pukul(local, zone)}, "
        f"bertempat di {place}, {body} telah melaksanakan "
        f"{pleno_title(area.level, pleno.stage)} {area.title}"
        + (f" dalam rangka {pemilihan.name}" if pemilihan else "")
        + "."
    )
    signature = exports.signature_for(area=area, day=day, pemilihan=pemilihan)
    present = attendees(hold.attendees)
    signature.names = signer_names(area, signature.members, present)
    # The annex signs with the BA's names.
    annexed.signature = signature
    counts = []
    if area.level == Area.Level.REGENCY:
        districts = Area.objects.filter(parent=area).count()
        counts.append((f"Jumlah {area.district_kind}", Figure(districts)))
    if area.level in (Area.Level.REGENCY, Area.Level.DISTRICT):
        villages = Area.objects.filter(level=Area.Level.VILLAGE, code__below=area.code).count()
        counts.append((f"Jumlah {_village_unit(area)}", Figure(villages)))
    counts.append(("Jumlah TPS", Figure(totals["tps_count"])))
    establishes = ""
    if area.level == Area.Level.REGENCY:
        established = long_name(exports.pleno_list(level=area.level, stage=pleno.stage))
        establishes = (
            f"{established} {area.name} ditetapkan dengan Keputusan Komisi Pemilihan Umum "
            f"{area.name} Nomor {hold.sk_number or pleno.sk_number}."
        )
    return BeritaAcara(
        pleno=pleno,
        snapshot=snapshot,
        area=area,
        pemilihan=pemilihan,
        kop=kop(area, chain),
        title=f"BERITA ACARA {pleno_title(area.level, pleno.stage).upper()}",
        election=(pemilihan.name.upper() if pemilihan else ""),
        ba_number=hold.ba_number,
        sk_number=hold.sk_number,
        held_day=day,
        opening=opening,
        attendees=present,
        totals=total_rows(totals, level=area.level, stage=pleno.stage),
        list_name=name,
        counts=counts,
        note=hold.note,
        establishes=establishes,
        signature=signature,
        annex_unit={
            Area.Level.REGENCY: area.district_kind,
            Area.Level.DISTRICT: _village_unit(area),
        }.get(area.level, "TPS"),
        annex=annexed,
    )


def _village_unit(area: Area) -> str:
    # Papua's villages are kelurahan (1xxx) or kampung (2xxx), elsewhere kelurahan or desa.
    return "kelurahan/kampung" if area.is_papua else "kelurahan/desa"
