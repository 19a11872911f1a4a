"""The tiered plenos (SPEC 8): one table of transitions, the lock on a village's voters, the
services that hold, return and reopen, and the reads of the pleno pages.

The table (`TRANSITIONS`) says who may act on which level's pleno, from which states, to which,
what it needs and whether a reason is required. The services, the buttons on the pages and the
permission tests all read it: a rule changed here changes everywhere.

Locks: every transition locks the pleno rows it reads in one order, by area code (the regency,
then the district, then the village, then the area's children), so two officers acting at once
wait for each other and never deadlock. A verification locks its village's row FOR UPDATE and a
sync FOR SHARE (`lock_messages`): a hold, which locks the same row FOR UPDATE, is strictly
ordered against them, and no result slips into a village between the check and the hold.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coklit import selectors, snapshots
from coklit.models import Pleno, PlenoEvent
from kpu.models import Area, Role, User, audit, mask_personal, role_label
from kpu.scoping import in_scope
from kpu.services import DomainError, Refused
from kpu.text import unstorable

State = Pleno.State
Stage = Pleno.Stage
BELUM, SUDAH, DIKEMBALIKAN = State.BELUM, State.SUDAH, State.DIKEMBALIKAN
PLENO_LEVELS = (Area.Level.REGENCY, Area.Level.DISTRICT, Area.Level.VILLAGE)

MAX_BA = 100
MAX_PLACE = 200
MAX_NOTE = 2000
MAX_ATTENDEES = 5000
# A pleno's time may be entered a little ahead of the server's clock, not a day ahead.
FUTURE_TOLERANCE = dt.timedelta(hours=1)


class BadField(DomainError):
    """A missing or bad form field: 400 (SPEC 8)."""


class Changed(DomainError):
    """The pleno is not in the state the user saw: 409, reload (SPEC 8)."""


class VillageLocked(DomainError):
    """The village's voters cannot change: a pleno holds them (SPEC 8, 8b)."""


# --- names, as KPU writes them --------------------------------------------------------------------


def pleno_name(level: int, stage: str = Stage.DPHP) -> str:
    """ "Rapat pleno rekapitulasi DPHP" (PPS, PPK/PPD) or "... dan penetapan DPS" (KPU)."""
    if stage == Stage.DPSHP:
        if level == Area.Level.REGENCY:
            return _("Rapat pleno rekapitulasi dan penetapan DPT")
        return _("Rapat pleno rekapitulasi DPSHP")
    if level == Area.Level.REGENCY:
        return _("Rapat pleno rekapitulasi dan penetapan DPS")
    return _("Rapat pleno rekapitulasi DPHP")


def pleno_of(area: Area) -> str:
    """`pleno PPS Kelurahan Pahandut`, `pleno PPD Distrik Mimika Baru`, `pleno KPU Kota ...`."""
    return _("pleno %(committee)s %(area)s") % {"committee": area.committee, "area": area.title}


def _cap(text: str) -> str:
    """The first letter up, the rest as it is (`str.capitalize` lowers "PPS" to "pps")."""
    return text[:1].upper() + text[1:]


def _kind_plural(children: list[Area]) -> str:
    kinds = sorted({c.kind.lower() for c in children})
    return "/".join(kinds) if kinds else _("wilayah")


# --- the table ------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a transition's checks read: the area, its stage, the pleno rows (locked while a
    service runs), its parent's and its children's."""

    area: Area
    stage: str
    rows: dict[str, Pleno]  # area code -> pleno (rows not made yet are unsaved `belum` ones)
    children: list[Area] = field(default_factory=list)
    figures: dict | None = None

    def pleno(self, code: str) -> Pleno:
        return self.rows.get(code) or Pleno(stage=self.stage, area_id=code, state=BELUM)

    @property
    def own(self) -> Pleno:
        return self.pleno(self.area.code)

    def village_figures(self) -> dict:
        if self.figures is None:
            self.figures = selectors.area_figures(area=self.area)
        return self.figures


@dataclass(frozen=True)
class Need:
    """A precondition: `check` gives what is missing (None when met); `label` says what it is."""

    label: Callable[[Context], str]
    check: Callable[[Context], str | None]


def _coklit_label(ctx: Context) -> str:
    f = ctx.village_figures()
    target = f["target_l"] + f["target_p"]
    return _("Coklit 100%% dari daftar pemilih (%(done)s / %(target)s)") % {
        "done": f["done"],
        "target": target,
    }


def _coklit_complete(ctx: Context) -> str | None:
    f = ctx.village_figures()
    target = f["target_l"] + f["target_p"]
    if target == 0:
        return _("Belum ada pemilih di daftar %(area)s.") % {"area": ctx.area.title}
    if f["done"] < target:
        return _("Coklit belum 100%%: %(left)s dari %(target)s pemilih belum dicoklit.") % {
            "left": target - f["done"],
            "target": target,
        }
    return None


def _queue_label(ctx: Context) -> str:
    return _("Antrean verifikasi kosong, tanpa konflik")


def _queue_empty(ctx: Context) -> str | None:
    f = ctx.village_figures()
    parts = []
    if f["pending"]:
        parts.append(
            ngettext(
                "%(n)s hasil menunggu verifikasi",
                "%(n)s hasil menunggu verifikasi",
                f["pending"],
            )
            % {"n": f["pending"]}
        )
    if f["conflicts"]:
        parts.append(
            ngettext("%(n)s konflik", "%(n)s konflik", f["conflicts"]) % {"n": f["conflicts"]}
        )
    if parts:
        return _("Antrean verifikasi belum kosong: %(what)s.") % {"what": ", ".join(parts)}
    return None


def _children_label(ctx: Context) -> str:
    return _("Semua %(kind)s di bawahnya sudah pleno") % {"kind": _kind_plural(ctx.children)}


def _children_held(ctx: Context) -> str | None:
    """ "3 kelurahan belum pleno: Langkai, Panarung, Tanjung Pinang" """
    if not ctx.children:
        return _("Tidak ada wilayah di bawah %(area)s.") % {"area": ctx.area.title}
    missing = [c for c in ctx.children if not ctx.pleno(c.code).is_held]
    if not missing:
        return None
    return _("%(n)s %(kind)s belum pleno: %(names)s.") % {
        "n": len(missing),
        "kind": _kind_plural(missing),
        "names": ", ".join(sorted(c.name for c in missing)),
    }


def _parent_label(ctx: Context) -> str:
    return _("Pleno %(committee)s di atasnya belum dilaksanakan") % {
        "committee": "KPU" if ctx.area.level == Area.Level.DISTRICT else ctx.area.district_committee
    }


def _parent_not_held(ctx: Context) -> str | None:
    """A return comes before the returner's own pleno (SPEC 8)."""
    parent = ctx.pleno(ctx.area.parent_id)
    if not parent.is_held:
        return None
    if ctx.area.level == Area.Level.DISTRICT:
        return _(
            "DPS sudah ditetapkan dalam pleno KPU: pleno %(area)s tidak dapat dikembalikan lagi. "
            "Bila ada kesalahan rekap di satu %(village)s, gunakan Buka kembali untuknya."
        ) % {"area": ctx.area.title, "village": _("kelurahan/desa")}
    return _(
        "Pleno %(committee)s sudah dilaksanakan: pleno %(area)s tidak dapat dikembalikan lagi. "
        "KPU dapat mengembalikan pleno %(committee)s lebih dulu."
    ) % {"committee": ctx.area.district_committee, "area": ctx.area.title}


def _regency_label(ctx: Context) -> str:
    if ctx.stage == Stage.DPSHP:
        return _("DPT sudah ditetapkan dalam pleno KPU")
    return _("DPS sudah ditetapkan dalam pleno KPU")


def _regency_held(ctx: Context) -> str | None:
    if ctx.pleno(ctx.area.regency_code).is_held:
        return None
    return _(
        "Pleno KPU belum dilaksanakan: belum ada yang dibuka kembali. Sebelum pleno KPU, "
        "%(ppk)s mengembalikan pleno %(area)s (dan KPU pleno kecamatannya lebih dulu bila "
        "sudah dilaksanakan)."
    ) % {"ppk": ctx.area.district_committee, "area": ctx.area.title}


def _answered_label(ctx: Context) -> str:
    if ctx.stage == Stage.DPHP:
        return _("Semua saran perbaikan Bawaslu/Panwaslu sudah dijawab")
    return _("Semua tanggapan masyarakat dan saran perbaikan sudah dijawab")


def _answered(ctx: Context) -> str | None:
    """SPEC 8, 8b: before the DPHP pleno every saran perbaikan of the village is answered;
    before the DPSHP pleno every response and saran."""
    from coklit.tanggapan import unanswered_message  # it reads the stage from this module

    return unanswered_message(village=ctx.area, stage=ctx.stage) or None


COKLIT_COMPLETE = Need(_coklit_label, _coklit_complete)
ANSWERED = Need(_answered_label, _answered)
QUEUE_EMPTY = Need(_queue_label, _queue_empty)
CHILDREN_HELD = Need(_children_label, _children_held)
PARENT_NOT_HELD = Need(_parent_label, _parent_not_held)
REGENCY_HELD = Need(_regency_label, _regency_held)


@dataclass(frozen=True)
class Transition:
    """One row of the table: `role` may `action` the pleno of an area of `level` when it is in
    one of `sources` and every `needs` is met; it then is `target`."""

    action: str  # hold, return, reopen (the URL's last part)
    level: int  # the level of the area in the URL
    role: Role
    sources: frozenset
    target: str
    reason: bool = False  # `note` required
    needs: tuple[Need, ...] = ()
    # Reopen: the regency's and the district's plenos above the village are undone too.
    undoes_chain: bool = False

    @property
    def lock_children(self) -> bool:
        return self.action == "hold" and self.level != Area.Level.VILLAGE


HOLDABLE = frozenset({BELUM, DIKEMBALIKAN})
TRANSITIONS: tuple[Transition, ...] = (
    # The PPS recaps its village's list once coklit is done and verified and every saran
    # perbaikan (in the second stage: every response too) is answered.
    Transition(
        "hold",
        Area.Level.VILLAGE,
        Role.PPS,
        HOLDABLE,
        SUDAH,
        needs=(COKLIT_COMPLETE, QUEUE_EMPTY, ANSWERED),
    ),
    # The PPK/PPD recaps all its villages at once; the KPU all its districts, establishing the DPS.
    Transition("hold", Area.Level.DISTRICT, Role.PPK, HOLDABLE, SUDAH, needs=(CHILDREN_HELD,)),
    Transition("hold", Area.Level.REGENCY, Role.KPU, HOLDABLE, SUDAH, needs=(CHILDREN_HELD,)),
    # The level above returns a pleno with a reason, before it has held its own.
    Transition(
        "return",
        Area.Level.VILLAGE,
        Role.PPK,
        frozenset({SUDAH}),
        DIKEMBALIKAN,
        reason=True,
        needs=(PARENT_NOT_HELD,),
    ),
    Transition(
        "return",
        Area.Level.DISTRICT,
        Role.KPU,
        frozenset({SUDAH}),
        DIKEMBALIKAN,
        reason=True,
        needs=(PARENT_NOT_HELD,),
    ),
    # After its pleno the KPU reopens one village for an error in the recap: its pleno, its
    # district's and the KPU's own are undone and must be held again.
    Transition(
        "reopen",
        Area.Level.VILLAGE,
        Role.KPU,
        frozenset({SUDAH}),
        DIKEMBALIKAN,
        reason=True,
        needs=(REGENCY_HELD,),
        undoes_chain=True,
    ),
)
ACTIONS = ("hold", "return", "reopen")


def transition_for(action: str, level: int) -> Transition | None:
    return next((t for t in TRANSITIONS if t.action == action and t.level == level), None)


def may_act(user: User, transition: Transition, area: Area) -> bool:
    """Has the user the transition's role over this area (their own area or one above it)?"""
    return (
        user.is_authenticated
        and user.role == transition.role
        and bool(user.area_id)
        and in_scope(user, area.code)
    )


ACTION_LABELS = {
    "hold": gettext_lazy("Laksanakan pleno"),
    "return": gettext_lazy("Kembalikan"),
    "reopen": gettext_lazy("Buka kembali"),
}


def _who_may(transition: Transition, area: Area) -> str:
    """`PPS Kelurahan Pahandut`, `PPK Kecamatan Pahandut` (PPD in Papua) or `KPU`."""
    if transition.role == Role.PPS:
        return f"PPS {area.title}"
    if transition.role == Role.PPK:
        district = area if area.level == Area.Level.DISTRICT else area.parent
        return f"{area.district_committee} {district.title}"
    return "KPU"


PASSIVE = {
    "hold": gettext_lazy("dilaksanakan"),
    "return": gettext_lazy("dikembalikan"),
    "reopen": gettext_lazy("dibuka kembali"),
}
ACTIVE = {
    "hold": gettext_lazy("melaksanakan"),
    "return": gettext_lazy("mengembalikan"),
    "reopen": gettext_lazy("membuka kembali"),
}


def _refusal(action: str, area: Area) -> str:
    """Why this user may not: who may, or that nobody may here."""
    transition = transition_for(action, area.level)
    if transition is None:
        return _("%(pleno)s tidak dapat %(verb)s di aplikasi ini.") % {
            "pleno": _cap(pleno_of(area)),
            "verb": PASSIVE.get(action, action),
        }
    return _("Hanya %(who)s yang dapat %(verb)s %(pleno)s.") % {
        "who": _who_may(transition, area),
        "verb": ACTIVE[action],
        "pleno": pleno_of(area),
    }


# --- stages ---------------------------------------------------------------------------------------


def pleno_stage(area: Area | str) -> str:
    """The stage whose plenos `hold` and `return` act on: DPHP until the KPU establishes the
    DPS (its DPHP pleno held), then DPSHP (SPEC 8b: the same three plenos into the DPT). The
    list the documents show is another question: `tanggapan.current_list`."""
    code = area if isinstance(area, str) else area.code
    regency = ".".join(code.split(".")[:2])
    established = Pleno.objects.filter(stage=Stage.DPHP, area_id=regency, state=SUDAH).exists()
    return Stage.DPSHP if established else Stage.DPHP


def reopen_stage(regency_code: str) -> str:
    """The last stage whose KPU pleno is held (SPEC 8 reopen); the first stage when none is."""
    held = set(
        Pleno.objects.filter(area_id=regency_code, state=SUDAH).values_list("stage", flat=True)
    )
    for stage in reversed(Stage.values):
        if stage in held:
            return stage
    return Stage.DPHP


# --- rows and their locks -------------------------------------------------------------------------


def _level_of(code: str) -> int:
    return code.count(".") + 1


def _ensure_rows(stage: str, codes: Iterable[str]) -> None:
    """Pleno rows are made on first use; a concurrent maker of the same row is no error."""
    Pleno.objects.bulk_create(
        [Pleno(stage=stage, area_id=c, level=_level_of(c)) for c in codes],
        ignore_conflicts=True,
    )


def _locked_rows(stage: str, codes: list[str]) -> dict[str, Pleno]:
    """The plenos of these areas, made if missing, locked FOR UPDATE in code order."""
    codes = sorted(set(codes))
    rows = _select_rows(stage, codes, lock=True)
    missing = [c for c in codes if c not in rows]
    if missing:
        _ensure_rows(stage, missing)
        rows = _select_rows(stage, codes, lock=True)
    return rows


def _select_rows(stage: str, codes: list[str], *, lock: bool) -> dict[str, Pleno]:
    qs = Pleno.objects.filter(stage=stage, area_id__in=codes).order_by("area_id")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return {p.area_id: p for p in qs}


def _share_lock(stage: str, codes: list[str], mode: str) -> None:
    """Lock the villages' pleno rows FOR SHARE (syncs, imports: side by side) or FOR UPDATE
    (a verification), making the missing ones first; PostgreSQL only (SQLite writes one at a
    time). The rows exist after a village's first sync: the hot path is one SELECT."""
    if not codes:
        return
    if connection.vendor != "postgresql":
        _ensure_rows(stage, codes)
        return
    clause = "FOR SHARE" if mode == "share" else "FOR UPDATE"
    sql = (
        f"SELECT id FROM {Pleno._meta.db_table} WHERE stage = %s AND area_id = ANY(%s) "
        f"ORDER BY area_id {clause}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [stage, codes])
        if cursor.rowcount < len(codes):
            _ensure_rows(stage, codes)
            cursor.execute(sql, [stage, codes])


# --- the lock on a village's voters ---------------------------------------------------------------


def lock_messages(
    village_codes: Iterable[str], *, lock: str | None = None, tanggapan: bool = False
) -> dict[str, str]:
    """Which of these villages' voters cannot change, and why: {village code: message}.

    The one rule of the lock (SPEC 8, 8b): a held village pleno, or any held pleno above it,
    or the DPS established (coklit closed), refuses every change to the village's voters:
    verification, the sync API, paper entry (through the sync service) and imports. `lock`:
    "update" (a verification), "share" (a sync or an import) or None (a page only reads);
    inside a transaction, the rows stay locked to its end.

    `tanggapan`: the change is an accepted response (SPEC 8b). Once the DPS is established
    coklit is closed to devices, paper entry and imports, but a village's voters still change
    through accepted responses until its DPSHP pleno: only the DPSHP plenos lock them then.
    """
    codes = sorted(set(village_codes))
    if not codes:
        return {}
    stage = pleno_stage(codes[0])
    if lock:
        _share_lock(stage, codes, lock)
    parents = {c.rsplit(".", 1)[0] for c in codes}
    regencies = {".".join(c.split(".")[:2]) for c in codes}
    held = {
        (p.stage, p.area_id): p
        for p in Pleno.objects.filter(
            Q(stage=stage) | Q(stage=Stage.DPHP, level=Area.Level.REGENCY),
            area_id__in=[*codes, *parents, *regencies],
            state=SUDAH,
        )
    }
    if not held:
        return {}
    out = {}
    areas = None
    for code in codes:
        district, regency = code.rsplit(".", 1)[0], ".".join(code.split(".")[:2])
        chain = [
            None if tanggapan and stage != Stage.DPHP else held.get((Stage.DPHP, regency)),
            held.get((stage, regency)),
            held.get((stage, district)),
            held.get((stage, code)),
        ]
        if not any(chain):
            continue
        if areas is None:
            wanted = {*codes, *parents, *regencies}
            areas = {a.code: a for a in Area.objects.filter(code__in=wanted)}
        out[code] = _lock_message(areas, code, district, regency, chain, stage=stage)
    return out


def _ba(pleno: Pleno) -> str:
    if pleno.sk_number:
        return _("BA %(ba)s, Keputusan %(sk)s") % {"ba": pleno.ba_number, "sk": pleno.sk_number}
    return _("BA %(ba)s") % {"ba": pleno.ba_number}


def _lock_message(areas, code, district_code, regency_code, chain, *, stage=Stage.DPHP) -> str:
    """Which pleno holds the village and who can return it: the highest held one decides."""
    village, district = areas[code], areas[district_code]
    regency = areas[regency_code]
    established, regency_held, district_held, village_held = chain
    if stage == Stage.DPSHP and regency_held:
        return _(
            "DPT %(regency)s sudah ditetapkan dalam rapat pleno KPU (%(ba)s): data pemilih "
            "%(village)s terkunci. Hanya KPU yang dapat membuka kembali %(village)s, dengan "
            "alasan."
        ) % {"regency": regency.title, "ba": _ba(regency_held), "village": village.title}
    if stage == Stage.DPSHP and established and not (district_held or village_held):
        return _(
            "DPS %(regency)s sudah ditetapkan dalam rapat pleno KPU (%(ba)s): coklit ditutup. "
            "Data pemilih %(village)s kini hanya berubah lewat tanggapan masyarakat dan saran "
            "perbaikan yang diterima PPS, sampai pleno DPSHP-nya. Hanya KPU yang dapat membuka "
            "kembali %(village)s untuk kesalahan rekap DPHP, dengan alasan."
        ) % {"regency": regency.title, "ba": _ba(established), "village": village.title}
    if stage == Stage.DPSHP and (district_held or village_held):
        established = regency_held = None
    if established or regency_held:
        pleno = established or regency_held
        return _(
            "DPS %(regency)s sudah ditetapkan dalam rapat pleno KPU (%(ba)s): coklit ditutup dan "
            "data pemilih %(village)s terkunci. Hanya KPU yang dapat membuka kembali "
            "%(village)s, dengan alasan."
        ) % {"regency": regency.title, "ba": _ba(pleno), "village": village.title}
    if district_held:
        return _(
            "Rapat pleno %(ppk)s %(district)s sudah dilaksanakan (%(ba)s): data pemilih "
            "%(village)s terkunci. KPU dapat mengembalikan pleno %(district)s, lalu %(ppk)s "
            "dapat mengembalikan pleno %(village)s."
        ) % {
            "ppk": district.committee,
            "district": district.title,
            "ba": _ba(district_held),
            "village": village.title,
        }
    return _(
        "Rapat pleno PPS %(village)s sudah dilaksanakan (%(ba)s): data pemilihnya terkunci. "
        "Hanya %(ppk)s %(district)s yang dapat mengembalikan pleno ini, dengan alasan."
    ) % {
        "village": village.title,
        "ba": _ba(village_held),
        "ppk": district.committee,
        "district": district.title,
    }


def _lock_from_rows(village: Area, ctx: Context) -> str:
    """`lock_messages` for one village whose chain's rows a page has read already."""
    district, regency = village.parent_id, village.regency_code
    chain = [ctx.pleno(regency), ctx.pleno(regency), ctx.pleno(district), ctx.pleno(village.code)]
    if ctx.stage != Stage.DPHP:  # the DPS established closes coklit whatever the stage
        chain[0] = pleno_for(area=Area(code=regency, level=Area.Level.REGENCY), stage=Stage.DPHP)
    chain = [p if p.is_held else None for p in chain]
    if not any(chain):
        return ""
    areas = {a.code: a for a in Area.objects.filter(code__in=[regency, district, village.code])}
    return _lock_message(areas, village.code, district, regency, chain, stage=ctx.stage)


def village_editable_or_raise(
    village: Area | str, *, lock: str = "update", tanggapan: bool = False
) -> None:
    """Refuse (VillageLocked) when a pleno holds the village's voters; else lock its pleno row
    for the rest of the transaction (FOR UPDATE: a verification and a hold are strictly one
    after the other). Everything that changes a village's voters calls this or
    `lock_messages`."""
    code = village if isinstance(village, str) else village.code
    message = lock_messages([code], lock=lock, tanggapan=tanggapan).get(code)
    if message:
        raise VillageLocked(message)


# --- the services ---------------------------------------------------------------------------------


@dataclass
class HoldFields:
    ba_number: str
    sk_number: str
    held_at: dt.datetime
    place: str
    attendees: str
    note: str


def _text(value, name: str, limit: int, *, required: bool = False, label: str = "") -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise BadField(_("%(label)s tidak valid.") % {"label": label or name})
    if required and not value:
        raise BadField(_("%(label)s wajib diisi.") % {"label": label or name})
    if len(value) > limit:
        raise BadField(
            _("%(label)s terlalu panjang (paling banyak %(n)s karakter).")
            % {"label": label or name, "n": limit}
        )
    if unstorable(value):
        raise BadField(_("%(label)s tidak valid.") % {"label": label or name})
    # A NIK typed into a note or the attendance is stored masked, as the audit log stores it:
    # the pleno page and its BA are read by the supervisor and printed (SPEC 2, 10).
    return mask_personal(value)


def parse_held_at(value, area: Area) -> dt.datetime:
    """`held_at` as a form sends it (`2024-08-11T09:30`, `2024-08-11 09:30`, a date), in the
    election's zone; now when empty. BadField when it is no time or lies ahead."""
    now = timezone.now()
    if value in (None, ""):
        return now
    if isinstance(value, dt.datetime):
        when = value
    else:
        text = str(value).strip()
        try:
            when = parse_datetime(text)
            if when is None and (day := parse_date(text)) is not None:
                when = dt.datetime.combine(day, dt.time(9, 0))
        except ValueError:
            when = None
        if when is None:
            raise BadField(
                _("Waktu pleno tidak valid: tulis tanggal dan jam, mis. 2024-08-11 09:30.")
            )
    if timezone.is_naive(when):
        when = timezone.make_aware(when, selectors.area_tz(area))
    if when > now + FUTURE_TOLERANCE:
        raise BadField(_("Waktu pleno tidak boleh di masa depan."))
    return when


def _hold_fields(area: Area, data: dict) -> HoldFields:
    ba = _text(data.get("ba_number"), "ba_number", MAX_BA, required=True, label=_("Nomor BA"))
    sk = _text(
        data.get("sk_number"),
        "sk_number",
        MAX_BA,
        required=area.level == Area.Level.REGENCY,
        label=_("Nomor Keputusan KPU"),
    )
    attendees = _text(data.get("attendees"), "attendees", MAX_ATTENDEES, label=_("Daftar hadir"))
    attendees = "\n".join(line.strip() for line in attendees.splitlines() if line.strip())
    return HoldFields(
        ba_number=ba,
        sk_number=sk if area.level == Area.Level.REGENCY else "",
        held_at=parse_held_at(data.get("held_at"), area),
        place=_text(data.get("place"), "place", MAX_PLACE, label=_("Tempat")),
        attendees=attendees,
        note=_text(data.get("note"), "note", MAX_NOTE, label=_("Catatan")),
    )


def _check_expected(expected: str | None) -> str | None:
    if expected in (None, ""):
        return None
    if expected not in State.values:
        raise BadField(
            _("Status yang diharapkan tidak dikenal: pakai belum, sudah atau dikembalikan.")
        )
    return expected


def _state_refusal(transition: Transition, area: Area, pleno: Pleno) -> str:
    if transition.action == "return" and pleno.stage == Stage.DPSHP and pleno.state == BELUM:
        # After the DPS, a return acts on the second stage; the first one is closed.
        return _(
            "DPS sudah ditetapkan dalam pleno KPU: pleno DPHP %(area)s tidak dapat dikembalikan "
            "lagi, dan pleno DPSHP-nya belum dilaksanakan. Bila ada kesalahan rekap DPHP di satu "
            "kelurahan/desa, gunakan Buka kembali untuknya."
        ) % {"area": area.title}
    if transition.action == "hold" and pleno.is_held:
        return _("%(pleno)s sudah dilaksanakan (%(ba)s).") % {
            "pleno": _cap(pleno_of(area)),
            "ba": _ba(pleno),
        }
    return _("%(pleno)s belum dilaksanakan: tidak ada yang %(verb)s.") % {
        "pleno": _cap(pleno_of(area)),
        "verb": _("dikembalikan") if transition.action == "return" else _("dibuka kembali"),
    }


def _start(
    action: str, area: Area, by: User, expected: str | None, stage: str | None
) -> tuple[Transition, str, str | None]:
    """The checks before any lock: the transition exists, the actor may make it, the fields."""
    if area.level not in PLENO_LEVELS:
        raise Refused(_("Pleno hanya ada di tingkat kelurahan/desa, kecamatan dan KPU."))
    transition = transition_for(action, area.level)
    if transition is None or not may_act(by, transition, area):
        raise Refused(_refusal(action, area))
    expected = _check_expected(expected)
    if stage is None:
        stage = reopen_stage(area.regency_code) if action == "reopen" else pleno_stage(area)
    return transition, stage, expected


def _lock_and_check(
    transition: Transition, area: Area, stage: str, expected: str | None
) -> Context:
    codes = [area.regency_code]
    if area.level == Area.Level.VILLAGE:
        codes.append(area.parent_id)
    codes.append(area.code)
    children: list[Area] = []
    if transition.lock_children:
        children = list(Area.objects.filter(parent=area).order_by("code"))
        codes += [c.code for c in children]
    rows = _locked_rows(stage, codes)
    ctx = Context(area=area, stage=stage, rows=rows, children=children)
    pleno = ctx.own
    if expected is not None and expected != pleno.state:
        raise Changed(
            _(
                "%(pleno)s sudah berubah sejak halaman dibuka: kini %(state)s. Muat ulang "
                "halaman, lalu periksa lagi."
            )
            % {"pleno": _cap(pleno_of(area)), "state": pleno.state_label.lower()}
        )
    if pleno.state not in transition.sources:
        raise Changed(_state_refusal(transition, area, pleno))
    missing = [m for need in transition.needs if (m := need.check(ctx))]
    if missing:
        raise DomainError(" ".join(missing))
    return ctx


def _record(
    pleno: Pleno, *, action: str, by: User, state_from: str, note: str, cause: str = "", **hold
) -> PlenoEvent:
    event = PlenoEvent.objects.create(
        pleno=pleno,
        action=action,
        by=by,
        role=by.role,
        state_from=state_from,
        state_to=pleno.state,
        note=note,
        cause=cause,
        **hold,
    )
    audit(
        user=by,
        action=f"pleno_{action}",
        area_code=pleno.area_id,
        target=pleno.area_id,
        note=note,
        stage=pleno.stage,
        ba_number=hold.get("ba_number", ""),
        sk_number=hold.get("sk_number", ""),
        state_from=state_from,
        state_to=pleno.state,
        cause=cause,
    )
    return event


@transaction.atomic
def pleno_hold(
    *,
    area: Area,
    by: User,
    ba_number: str,
    held_at: dt.datetime | str | None = None,
    place: str = "",
    attendees: str = "",
    note: str = "",
    sk_number: str = "",
    expected: str | None = None,
    stage: str | None = None,
) -> Pleno:
    """The area's committee holds its pleno (SPEC 8): PPS its village once coklit is at 100%
    with an empty queue, PPK/PPD its district once every village has, the KPU its regency once
    every district has (establishing the DPS: `sk_number` required). BA number required.

    Raises Refused (403), BadField (400), Changed or DomainError (409: the reason)."""
    transition, stage, expected = _start("hold", area, by, expected, stage)
    fields = _hold_fields(
        area,
        {
            "ba_number": ba_number,
            "sk_number": sk_number,
            "held_at": held_at,
            "place": place,
            "attendees": attendees,
            "note": note,
        },
    )
    ctx = _lock_and_check(transition, area, stage, expected)
    pleno, before = ctx.own, ctx.own.state
    pleno.state = transition.target
    pleno.state_since = timezone.now()
    pleno.ba_number, pleno.sk_number = fields.ba_number, fields.sk_number
    pleno.held_at, pleno.place, pleno.attendees = fields.held_at, fields.place, fields.attendees
    pleno.note, pleno.held_by = fields.note, by
    pleno.save()
    event = _record(
        pleno,
        action="hold",
        by=by,
        state_from=before,
        note=fields.note,
        ba_number=fields.ba_number,
        sk_number=fields.sk_number,
        held_at=fields.held_at,
        place=fields.place,
        attendees=fields.attendees,
    )
    # What the pleno recapped, stored with it (issue 12): its BA and "changed since" read this.
    snapshots.snapshot_take(hold=event)
    if area.level == Area.Level.REGENCY and stage == Stage.DPHP:
        from coklit.tanggapan import period_default_on_dps  # it reads the stage from here

        period_default_on_dps(regency=area, held_at=fields.held_at)
    return pleno


def _undo(pleno: Pleno, *, by: User, note: str, action: str, cause: str = "") -> None:
    before = pleno.state
    pleno.state = DIKEMBALIKAN
    pleno.state_since = timezone.now()
    pleno.returned_note, pleno.returned_by = note, by
    pleno.save()
    _record(pleno, action=action, by=by, state_from=before, note=note, cause=cause)


@transaction.atomic
def pleno_return(
    *, area: Area, by: User, note: str, expected: str | None = None, stage: str | None = None
) -> Pleno:
    """The level above returns a held pleno with a reason, before it holds its own (SPEC 8):
    PPK/PPD a village (whose voters can change again), the KPU a district (its villages stay
    held until the PPK returns one)."""
    transition, stage, expected = _start("return", area, by, expected, stage)
    note = _text(note, "note", MAX_NOTE, required=True, label=_("Alasan pengembalian"))
    ctx = _lock_and_check(transition, area, stage, expected)
    _undo(ctx.own, by=by, note=note, action="return")
    return ctx.own


@transaction.atomic
def pleno_reopen(
    *, area: Area, by: User, note: str, expected: str | None = None, stage: str | None = None
) -> Pleno:
    """The KPU, after its pleno, reopens one village for an error in its recap (SPEC 8): the
    village's pleno, its district's and the KPU's own of the last held stage are undone; each
    must be held again. Returns the village's pleno."""
    transition, stage, expected = _start("reopen", area, by, expected, stage)
    note = _text(note, "note", MAX_NOTE, required=True, label=_("Alasan membuka kembali"))
    ctx = _lock_and_check(transition, area, stage, expected)
    if stage == Stage.DPHP and (refusal := dps_reopen_refusal(area.regency_code)):
        raise DomainError(refusal)
    for code in (area.regency_code, area.parent_id, area.code):  # top down, as locked
        pleno = ctx.pleno(code)
        if pleno.pk and pleno.is_held:
            _undo(pleno, by=by, note=note, action="reopen", cause=area.code)
    return ctx.own


def dps_reopen_refusal(regency_code: str) -> str:
    """Why the DPS can no longer be reopened ('' while it can).

    Reopening the DPS un-establishes it for the whole regency (coklit open again, the DPS as
    posted gone): once a pleno of the second stage is held on it, the DPS has been corrected
    through responses, and a correction goes through one (SPEC 8b)."""
    second = (
        Pleno.objects.filter(stage=Stage.DPSHP, state=SUDAH, area__code__below=regency_code)
        .select_related("area")
        .order_by("area_id")
        .first()
    )
    if second is None:
        return ""
    return _(
        "DPS tidak dapat dibuka kembali: %(pleno)s sudah dilaksanakan. Perbaikan "
        "sekarang lewat tanggapan (halaman Tanggapan kelurahan/desa)."
    ) % {"pleno": pleno_name(second.level, second.stage) + " " + str(second.area)}


SERVICES = {"hold": pleno_hold, "return": pleno_return, "reopen": pleno_reopen}


def done_message(action: str, area: Area, pleno: Pleno) -> str:
    """What the user reads after a transition."""
    if action == "hold":
        if area.level == Area.Level.REGENCY:
            return _("%(name)s %(area)s tercatat: DPS ditetapkan (%(ba)s).") % {
                "name": pleno_name(area.level, pleno.stage),
                "area": area.title,
                "ba": _ba(pleno),
            }
        return _("%(name)s %(area)s tercatat (%(ba)s): data pemilihnya kini terkunci.") % {
            "name": pleno_name(area.level, pleno.stage),
            "area": area.title,
            "ba": _ba(pleno),
        }
    if action == "return":
        return _("%(pleno)s dikembalikan; %(committee)s harus melaksanakannya lagi.") % {
            "pleno": _cap(pleno_of(area)),
            "committee": area.committee,
        }
    return _(
        "%(area)s dibuka kembali: pleno PPS-nya, pleno %(ppk)s dan pleno KPU harus "
        "dilaksanakan lagi."
    ) % {"area": area.title, "ppk": area.district_committee}


# --- reads for pages ------------------------------------------------------------------------------


def pleno_for(*, area: Area, stage: str | None = None) -> Pleno:
    """The area's pleno of the stage (its current one by default); unsaved `belum` if none."""
    stage = stage or pleno_stage(area)
    return Pleno.objects.filter(stage=stage, area=area).first() or Pleno(
        stage=stage, area=area, level=area.level, state=BELUM
    )


@dataclass
class ActionView:
    transition: Transition
    allowed: bool  # the user has the role and the state allows it
    ready: bool  # every need met (else the POST answers 409 with the reason)
    missing: list[str]

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self.transition.action])


def actions_for(user: User, area: Area, ctx: Context) -> list[ActionView]:
    """The transitions this user could make on this area's pleno now (the buttons); each
    service decides again under its locks."""
    out = []
    pleno = ctx.own
    for t in TRANSITIONS:
        if t.level != area.level or not may_act(user, t, area):
            continue
        if pleno.state not in t.sources:
            continue
        missing = [m for need in t.needs if (m := need.check(ctx))]
        out.append(ActionView(t, True, not missing, missing))
    return out


def page_context(*, area: Area, user: User, stage: str | None = None) -> dict:
    """Everything `/pleno/<code>/` shows: the pleno, days at its state, what holding it needs,
    its children's states, the user's actions and the history.

    `stage`: another stage than the current one, shown as it stands (after the DPS, the first
    stage's plenos stay readable); hold and return act on the current stage only."""
    current = pleno_stage(area)
    stage = stage or current
    codes = [area.regency_code, area.code]
    if area.level == Area.Level.VILLAGE:
        codes.append(area.parent_id)
    children = list(Area.objects.filter(parent=area).order_by("code"))
    if area.level != Area.Level.VILLAGE:
        codes += [c.code for c in children]
    rows = _select_rows(stage, codes, lock=False)
    ctx = Context(area=area, stage=stage, rows=rows, children=children)
    pleno = ctx.own
    if not pleno.pk:
        pleno.level = area.level
    hold = transition_for("hold", area.level)
    needs = [(need.label(ctx), need.check(ctx)) for need in hold.needs] if hold else []
    reopen = transition_for("reopen", area.level)
    reopen_refusal = (
        dps_reopen_refusal(area.regency_code)
        if reopen is not None
        and may_act(user, reopen, area)
        and reopen_stage(area.regency_code) == Stage.DPHP
        else ""
    )
    tz = selectors.area_tz(area)
    child_rows = []
    if area.level != Area.Level.VILLAGE:
        for c in children:
            p = ctx.pleno(c.code)
            child_rows.append(
                {
                    "area": c,
                    "pleno": p,
                    "days": selectors.days_at_stage(p.state_since, c) if p.pk else None,
                }
            )
    history = list(
        PlenoEvent.objects.filter(pleno__area=area, pleno__stage=stage)
        .select_related("by")
        .order_by("-at", "-pk")
    )
    for h in history:
        h.at_local = timezone.localtime(h.at, tz)
        h.held_local = timezone.localtime(h.held_at, tz) if h.held_at else None
        h.role_name = role_label(h.role, area.code) if h.role else ""
    return {
        "area": area,
        "stage": stage,
        "pleno": pleno,
        "name": pleno_name(area.level, stage),
        "days": selectors.days_at_stage(pleno.state_since, area) if pleno.pk else None,
        "since": timezone.localtime(pleno.state_since, tz) if pleno.pk else None,
        "held_at": timezone.localtime(pleno.held_at, tz) if pleno.held_at else None,
        "zone": selectors.area_zone(area),
        "needs": needs,
        "ready": hold is not None and all(m is None for _label, m in needs),
        "children": child_rows,
        "actions": [
            a
            for a in actions_for(user, area, ctx)
            if (stage == current or a.action == "reopen")
            and not (a.action == "reopen" and reopen_refusal)
        ],
        "reopen_refusal": reopen_refusal,
        "current_stage": current,
        "stages": [(value, pleno_name(area.level, value)) for value in Stage.values]
        if current != Stage.DPHP
        else [],
        "history": history,
        "parent": ctx.pleno(area.parent_id) if area.level != Area.Level.REGENCY else None,
        "lock_message": lock_messages([area.code]).get(area.code, "")
        if area.level == Area.Level.VILLAGE
        else "",
    }


def village_panel(*, user: User, village: Area, figures=None) -> dict:
    """The pleno panel of a village page (a few queries): the pleno, days at its state, what
    holding it needs, the user's actions, the lock and, when returned, why, by whom and when.
    `figures`: the village's live sums, when the caller read them already."""
    stage = pleno_stage(village)
    # The district's and the regency's too: a return is possible only before their plenos.
    rows = _select_rows(stage, [village.regency_code, village.parent_id, village.code], lock=False)
    ctx = Context(area=village, stage=stage, rows=rows, figures=figures)
    pleno = ctx.own
    hold = transition_for("hold", village.level)
    needs = [(need.label(ctx), need.check(ctx)) for need in hold.needs]
    tz = selectors.area_tz(village)
    returned = None
    if pleno.state == DIKEMBALIKAN:
        returned = {
            "note": pleno.returned_note,
            "by": pleno.returned_by.display_name if pleno.returned_by_id else "",
            "at": timezone.localtime(pleno.state_since, tz),
        }
    return {
        "village": village,
        "pleno": pleno,
        "name": pleno_name(village.level, stage),
        "days": selectors.days_at_stage(pleno.state_since, village) if pleno.pk else None,
        "since": timezone.localtime(pleno.state_since, tz) if pleno.pk else None,
        "zone": selectors.area_zone(village),
        "needs": needs,
        "ready": all(m is None for _label, m in needs),
        "actions": actions_for(user, village, ctx),
        "lock_message": _lock_from_rows(village, ctx),
        "returned": returned,
    }


@dataclass(frozen=True)
class InboxRow:
    """A pleno waiting for the user, as the inbox shows it."""

    code: str
    title: str
    state: str
    state_label: str
    ba_number: str
    days: int | None


def inbox_rows(*, area: Area, stage: str | None = None) -> list[InboxRow]:
    """The plenos of the area's children (PPK: its villages; KPU: its districts), held ones first
    and oldest first, with days at their state. Two queries whatever the size."""
    stage = stage or pleno_stage(area)
    children = list(
        Area.objects.filter(parent=area).order_by("code").values_list("code", "level", "name")
    )
    plenos = {
        p["area_id"]: p
        for p in Pleno.objects.filter(stage=stage, area__parent=area).values(
            "area_id", "state", "state_since", "ba_number"
        )
    }
    tz = selectors.area_tz(area)
    today = timezone.localtime(timezone.now(), tz).date()
    labels = dict(State.choices)
    rows = []
    for code, level, name in children:
        p = plenos.get(code) or {"state": BELUM, "state_since": None, "ba_number": ""}
        since = p["state_since"]
        rows.append(
            InboxRow(
                code=code,
                title=Area(code=code, level=level, name=name).title,
                state=p["state"],
                state_label=str(labels[p["state"]]),
                ba_number=p["ba_number"] if p["state"] == SUDAH else "",
                days=(today - timezone.localtime(since, tz).date()).days if since else None,
            )
        )
    order = {SUDAH: 0, DIKEMBALIKAN: 1, BELUM: 2}
    return sorted(rows, key=lambda r: (order[r.state], -(r.days or 0), r.code))


def state_counts(*, area: Area, stage: str | None = None) -> dict[str, int]:
    """How many of the area's children are at each state (children without a row: belum)."""
    stage = stage or pleno_stage(area)
    counts = dict(
        Pleno.objects.filter(stage=stage, area__parent=area)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = Area.objects.filter(parent=area).count()
    counts[BELUM] = total - counts.get(SUDAH, 0) - counts.get(DIKEMBALIKAN, 0)
    return counts
