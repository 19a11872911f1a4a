"""Public responses and the supervisor's saran perbaikan (SPEC 8b): recording, answering, the
response period and the counts the pages show.

One rule per question, called from the views, the plenos' preconditions and the exports:
- who may record what (`record_source`): a PPS, PPK or KPU records a *tanggapan masyarakat*
  once the DPS is posted; a `bawaslu` user files a *saran perbaikan* at any stage from coklit
  on, and may give kind `prosedur`;
- who answers (`tanggapan_accept`, `tanggapan_reject`): the village's PPS;
- what an accepted one becomes: a field result sent through the sync service (the same checks
  as a device's event: a new voter's data, a correction's fields, a TMS code) and verified at
  once by the PPS through `services.event_verify` (the same lock, figures and audit log as the
  queue). The change is therefore exactly what verifying that result would have made it.
"""

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Count, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from coklit import figures, plenos, selectors, services, snapshots, sync
from coklit.models import (
    FIGURE_FIELDS,
    TMS_NOTE_REQUIRED,
    TMS_REASONS,
    CoklitEvent,
    Pleno,
    PlenoSnapshot,
    Tanggapan,
    TpsFigures,
    Voter,
)
from coklit.voter_fields import CHANGEABLE, clean_changes, clean_new_voter
from kpu.lookups import code_below
from kpu.models import Area, Pemilihan, Role, User, audit, mask_personal
from kpu.scoping import can_act, in_scope
from kpu.services import DomainError

# After the DPS pleno, the public respond for ten days unless the schedule says otherwise.
DEFAULT_PERIOD_DAYS = 10
MAX_TEXT = 2000


class Invalid(DomainError):
    """A missing or bad field (answered 400, the form shown again with the reason)."""


class Refused(services.Refused):
    """A role in scope that may not do this (403)."""


# --- the stage and the period ----------------------------------------------------------------


def dps_established_at(village: Area | str) -> dt.datetime | None:
    """When the KPU established the DPS covering this village (its DPHP pleno held), or None."""
    code = village if isinstance(village, str) else village.code
    regency = ".".join(code.split(".")[:2])
    pleno = (
        Pleno.objects.filter(stage=Pleno.Stage.DPHP, area_id=regency, state=Pleno.State.SUDAH)
        .values_list("held_at", "state_since")
        .first()
    )
    return (pleno[0] or pleno[1]) if pleno else None


def village_stage(village: Area | str) -> str:
    """The list a response of this village asks to correct: the DPHP during coklit, the DPS
    (into the DPSHP) once the DPS is established."""
    return (
        Tanggapan.Stage.DPSHP
        if plenos.pleno_stage(village) == Pleno.Stage.DPSHP
        else Tanggapan.Stage.DPHP
    )


@dataclass
class Period:
    start: dt.date
    end: dt.date
    today: dt.date
    # Set when the period comes from the schedule; derived from the DPS pleno otherwise.
    scheduled: bool

    @property
    def open(self) -> bool:
        return self.start <= self.today <= self.end

    @property
    def days_left(self) -> int:
        """Days left including today (the last day shows 1)."""
        return (self.end - self.today).days + 1 if self.open else 0

    @property
    def upcoming(self) -> bool:
        return self.today < self.start

    @property
    def over(self) -> bool:
        return self.today > self.end


def response_period(
    pemilihan: Pemilihan | None, *, established_at: dt.datetime | None = None
) -> Period | None:
    """The election's response period (SPEC 5): from its schedule, else the ten days after the
    DPS pleno (`established_at`), else unknown (None)."""
    if pemilihan is None:
        return None
    today = pemilihan.today()
    if pemilihan.tanggapan_start and pemilihan.tanggapan_end:
        return Period(pemilihan.tanggapan_start, pemilihan.tanggapan_end, today, True)
    if established_at is None:
        return None
    day = pemilihan.localtime(established_at).date()
    start = day + dt.timedelta(days=1)
    return Period(start, start + dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today, False)


def period_for(area: Area) -> Period | None:
    """The response period shown on an area's pages: the election's schedule (the KPU's DPS
    pleno writes the default ten days into it when the schedule has none)."""
    return response_period(selectors.pemilihan_for(area=area))


def period_default_on_dps(*, regency: Area, held_at: dt.datetime) -> None:
    """The KPU's DPS pleno held: an election without a response period in its schedule gets
    the ten days after it (SPEC 5), so every page can show the period from then on."""
    pemilihan = selectors.pemilihan_for(area=regency)
    if pemilihan is None or (pemilihan.tanggapan_start and pemilihan.tanggapan_end):
        return
    period = response_period(pemilihan, established_at=held_at)
    Pemilihan.objects.filter(pk=pemilihan.pk).update(
        tanggapan_start=period.start, tanggapan_end=period.end
    )


# The regency's stage, in order (SPEC 8b; shown on every page).
STAGES = (
    ("coklit", _lazy("Coklit")),
    ("dps", _lazy("DPS ditetapkan")),
    ("tanggapan", _lazy("Pengumuman dan tanggapan")),
    ("dpshp", _lazy("DPSHP")),
    ("dpt", _lazy("DPT ditetapkan")),
)


@dataclass
class RegencyStage:
    key: str
    period: Period | None

    @property
    def label(self) -> str:
        return str(dict(STAGES)[self.key])

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        """(key, label, "done" | "current" | "") for the stepper of every page."""
        keys = [k for k, _label in STAGES]
        here = keys.index(self.key)
        return [
            (k, str(label), "done" if i < here else "current" if i == here else "")
            for i, (k, label) in enumerate(STAGES)
        ]

    @property
    def list_key(self) -> str:
        """The list this stage shows (`STAGE_LIST`): `dphp`, `dps`, `dpshp` or `dpt`."""
        return STAGE_LIST[self.key]

    @property
    def list_name(self) -> str:
        return self.list_key.upper()

    @property
    def recap_name(self) -> str:
        """The list this stage's recap ends with (`RECAP_LIST`)."""
        return RECAP_LIST[self.list_key].upper()


def regency_stage(regency_code: str) -> RegencyStage | None:
    """Where the regency is: coklit → DPS (established, not yet posted) → pengumuman dan
    tanggapan (the response period) → DPSHP (after it, the second plenos) → DPT (established).
    Two queries: the regency's held plenos and its election."""
    held = set(
        Pleno.objects.filter(area_id=regency_code, state=Pleno.State.SUDAH).values_list(
            "stage", flat=True
        )
    )
    pemilihan = Pemilihan.objects.filter(regency_id=regency_code).order_by("-voting_day").first()
    if pemilihan is None and not held:
        return None
    period = response_period(pemilihan)
    if Pleno.Stage.DPSHP in held:
        return RegencyStage("dpt", period)
    if Pleno.Stage.DPHP not in held:
        return RegencyStage("coklit", period)
    if period and period.upcoming:
        return RegencyStage("dps", period)
    if period and period.over:
        return RegencyStage("dpshp", period)
    return RegencyStage("tanggapan", period)


# The list each stage shows (SPEC 8b, 9): the DPS stays the DPS as established while it is
# posted; after the period the list is the DPSHP being recapped, then the DPT.
STAGE_LIST = {"coklit": "dphp", "dps": "dps", "tanggapan": "dps", "dpshp": "dpshp", "dpt": "dpt"}


def current_list(area: Area) -> str:
    """`dphp`, `dps`, `dpshp` or `dpt`: the list the regency's current stage shows. The one
    place that decides it: the stage bar, the exports' names and the recaps read it from here.

    Not the same question as `plenos.pleno_stage` (which plenos `hold` and `return` act on:
    `dphp` or `dpshp`), though both turn on one fact, the KPU's DPHP pleno held: the list also
    follows the response period (the DPS while it is posted, the DPSHP after)."""
    stage = regency_stage(area.regency_code)
    return stage.list_key if stage else "dphp"


# The list a recap ends with: in the second stage it recaps the DPS's corrections, so its list
# is the DPSHP (while the DPS is posted too), then the DPT.
RECAP_LIST = {"dphp": "dphp", "dps": "dpshp", "dpshp": "dpshp", "dpt": "dpt"}


def recap_list(area: Area) -> str:
    return RECAP_LIST[current_list(area)]


# --- recording -------------------------------------------------------------------------------

RECORDING_ROLES = (Role.PPS, Role.PPK, Role.KPU)


def record_source(user: User) -> str | None:
    """What this user records: a saran perbaikan (the supervisor), a public response (the
    committees), or nothing (None)."""
    if user.role == Role.BAWASLU:
        return Tanggapan.Source.SARAN
    if user.role in RECORDING_ROLES:
        return Tanggapan.Source.MASYARAKAT
    return None


def kinds_for(user: User) -> list[tuple[str, str]]:
    """The kinds this user may give, with their labels (`prosedur` is the supervisor's)."""
    source = record_source(user)
    return [
        (value, label)
        for value, label in Tanggapan.Kind.choices
        if value != Tanggapan.Kind.PROSEDUR or source == Tanggapan.Source.SARAN
    ]


def _text(value, name: str, *, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(_("%(name)s paling panjang %(n)s karakter.") % {"name": name, "n": limit})
    if "\x00" in value:
        raise Invalid(_("%(name)s berisi karakter yang tidak sah.") % {"name": name})
    # A NIK typed into a note, the evidence or an answer is stored masked, as the audit log
    # stores it: the supervisor reads every response of its area (SPEC 2, 10). The person's
    # own NIK goes in the `nik` field, kept whole for the list and shown masked.
    return mask_personal(value)


def _int(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise Invalid(_("%(name)s harus angka.") % {"name": name}) from None
    if not 0 < number < 2**31:
        raise Invalid(_("%(name)s tidak valid.") % {"name": name})
    return number


def _tps_of(village: Area, number: int | None, what: str) -> Area:
    if number is None:
        raise Invalid(_("Pilih TPS %(what)s.") % {"what": what})
    code = f"{village.code}.{number:03d}"
    tps = Area.objects.filter(code=code, parent=village).first() if number < 1000 else None
    if tps is None:
        raise Invalid(
            _("TPS %(n)s tidak ada di %(village)s.") % {"n": f"{number:03d}", "village": village}
        )
    return tps


def _refuse_listed_nik(village: Area, nik: str | None, *, voter: Voter | None = None) -> None:
    """A new person, or a corrected NIK, whose NIK another voter of the village already has:
    refused when recorded (400, naming that voter), not accepted into a list with the NIK
    twice (the sync refuses it in the same TPS; elsewhere in the village it only flags it)."""
    listed = (
        Voter.objects.filter(village=village, nik=nik)
        .exclude(pk=voter.pk if voter else None)
        .select_related("tps")
        .first()
    )
    if nik and listed is not None:
        raise Invalid(
            _(
                "NIK ini sudah terdaftar di %(tps)s atas nama %(name)s (#%(pk)s): bila "
                "datanya salah, catat sebagai data salah; bila terdaftar dua kali, TMS 2."
            )
            % {"tps": listed.tps.title, "name": listed.nama, "pk": listed.pk}
        )


@transaction.atomic
def tanggapan_record(
    *,
    village: Area,
    by: User,
    kind: str,
    voter_id=None,
    tms_reason=None,
    target_tps=None,
    tps=None,
    fields: dict | None = None,
    reporter: str = "",
    reporter_contact: str = "",
    note: str = "",
    evidence: str = "",
) -> Tanggapan:
    """Record a public response or a saran perbaikan for a village (SPEC 8b).

    `fields`: the import columns of SPEC 5 as given (a new person's data for
    `belum_terdaftar`; only the corrected ones for `data_salah`). Checked here with the sync
    API's rules, so an accepted one is never refused later for its data.
    """
    if not in_scope(by, village.code) or village.level != Area.Level.VILLAGE:
        raise Refused(_("Wilayah ini di luar wilayah Anda."))
    source = record_source(by)
    if source is None:
        raise Refused(
            _("Tanggapan dicatat oleh PPS, PPK atau KPU; saran perbaikan oleh Bawaslu/Panwaslu.")
        )
    stage = village_stage(village)
    if source == Tanggapan.Source.MASYARAKAT and stage == Tanggapan.Stage.DPHP:
        raise DomainError(
            _(
                "DPS %(village)s belum ditetapkan: tanggapan masyarakat dicatat setelah DPS "
                "diumumkan. Selama coklit, laporan warga diteruskan ke pantarlih."
            )
            % {"village": village.title}
        )
    if kind not in Tanggapan.Kind.values:
        raise Invalid(_("Pilih jenis tanggapan."))
    if kind == Tanggapan.Kind.PROSEDUR and source != Tanggapan.Source.SARAN:
        # A role in scope that may not give this kind (SPEC 8: 403), not a bad field.
        raise Refused(_("Jenis prosedur hanya untuk saran perbaikan Bawaslu/Panwaslu."))
    fields = {k: v for k, v in (fields or {}).items() if k in CHANGEABLE and v not in (None, "")}
    item = Tanggapan(
        village=village,
        kind=kind,
        source=source,
        stage=stage,
        reporter=_text(reporter, _("Nama pelapor"), limit=200),
        reporter_contact=_text(reporter_contact, _("Kontak pelapor"), limit=100),
        note=_text(note, _("Keterangan")),
        evidence=_text(evidence, _("Bukti"), limit=300),
        received_area_id=by.area_id,
        recorded_by=by,
    )
    if kind in (Tanggapan.Kind.DATA_SALAH, Tanggapan.Kind.TMS):
        number = _int(voter_id, _("Pemilih"))
        voter = (
            Voter.objects.filter(pk=number, village=village).select_related("tps").first()
            if number
            else None
        )
        if voter is None:
            raise Invalid(_("Pilih pemilih yang dimaksud dari daftar kelurahan ini."))
        item.voter, item.tps = voter, voter.tps
        if voter.origin == Voter.Origin.BARU:
            # A new voter of this coklit is not on the starting list that a TMS or a correction
            # is counted against; the sync service refuses to re-coklit one, and so do we.
            raise Invalid(
                _(
                    "%(name)s adalah pemilih baru hasil coklit: datanya diperiksa PPS di antrean "
                    "verifikasi, bukan lewat tanggapan TMS atau data salah."
                )
                % {"name": voter.nama}
            )
    if kind == Tanggapan.Kind.TMS:
        reason = _int(tms_reason, _("Alasan TMS"))
        if reason not in TMS_REASONS:
            raise Invalid(_("Pilih alasan TMS 1 sampai 9."))
        if reason in TMS_NOTE_REQUIRED and not item.note:
            raise Invalid(
                _("TMS %(n)s perlu keterangan: tuliskan buktinya atau alasannya.") % {"n": reason}
            )
        item.tms_reason = reason
        if reason == 8:
            target = _tps_of(village, _int(target_tps, _("TPS tujuan")), _("tujuan (TMS 8)"))
            if target.pk == item.voter.tps_id:
                raise Invalid(_("TMS 8: TPS tujuan harus TPS lain, bukan TPS pemilih sekarang."))
            item.target_tps = target.tps_number
    elif kind == Tanggapan.Kind.DATA_SALAH:
        if not fields:
            raise Invalid(_("Isi kolom yang diperbaiki saja (mis. nama, alamat, RT)."))
        try:
            item.changes = clean_changes(fields)
        except ValueError as exc:
            raise Invalid(str(exc)[0].upper() + str(exc)[1:] + ".") from None
        if "nik" in item.changes:
            _refuse_listed_nik(village, item.changes["nik"], voter=item.voter)
    elif kind == Tanggapan.Kind.BELUM_TERDAFTAR:
        item.tps = _tps_of(village, _int(tps, "TPS"), _("tempat orang ini terdaftar"))
        try:
            data = clean_new_voter(fields or {"nama": ""})
        except ValueError as exc:
            raise Invalid(str(exc)[0].upper() + str(exc)[1:] + ".") from None
        item.new_voter = {
            k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()
        }
        _refuse_listed_nik(village, data.get("nik"))
    # Late: after the period of the posted DPS (a saran during coklit answers no period).
    period = period_for(village) if stage == Tanggapan.Stage.DPSHP else None
    item.late = bool(period and period.over)
    item.save()
    audit(
        user=by,
        action="tanggapan_record",
        area_code=village.code,
        target=str(item.pk),
        note=item.note,
        kind=item.kind,
        source=item.source,
        voter=item.voter_id,
        late=item.late,
    )
    return item


# --- answering -------------------------------------------------------------------------------


def _lock_pending(item: Tanggapan, by: User) -> Tanggapan:
    village = Area.objects.get(pk=item.village_id)
    if not can_act(by, Role.PPS, village):
        raise Refused(
            _("Hanya PPS %(village)s yang menjawab tanggapan dan saran perbaikan di sini.")
            % {"village": village.title}
        )
    item = (
        Tanggapan.objects.select_for_update(of=("self",))
        .select_related("village", "voter")
        .get(pk=item.pk)
    )
    if item.state != Tanggapan.State.PENDING:
        raise DomainError(
            _("Tanggapan ini sudah dijawab (%(state)s); muat ulang halaman.")
            % {"state": item.get_state_display().lower()}
        )
    return item


def _event_of(item: Tanggapan) -> dict:
    """The field result an accepted response becomes, as a device would send it."""
    event = {
        "id": str(uuid.uuid4()),
        "recorded_at": timezone.now().isoformat(),
        "note": _("%(source)s #%(pk)s: %(note)s")
        % {"source": item.get_source_display(), "pk": item.pk, "note": item.note},
    }
    if item.kind == Tanggapan.Kind.BELUM_TERDAFTAR:
        return event | {"voter": None, "outcome": "BARU", "new_voter": item.new_voter}
    if item.kind == Tanggapan.Kind.DATA_SALAH:
        return event | {"voter": item.voter_id, "outcome": "MS", "changes": item.changes}
    tms = {"voter": item.voter_id, "outcome": "TMS", "tms_reason": item.tms_reason}
    if item.tms_reason == 8:
        tms["target_tps"] = item.target_tps
    return event | tms


def _already_so(item: Tanggapan) -> bool:
    """The voter already stands as the response asks, verified (nothing left to change)."""
    voter = item.voter
    if voter is None or voter.verification == Voter.Verification.PENDING:
        return False
    if item.kind == Tanggapan.Kind.TMS:
        return voter.status == Voter.Status.TMS and voter.tms_reason == item.tms_reason
    if item.kind == Tanggapan.Kind.DATA_SALAH:
        current = {}
        for name in item.changes:
            mine = getattr(voter, name)
            current[name] = mine.isoformat() if isinstance(mine, dt.date) else mine
        return current == item.changes
    return False


@transaction.atomic
def tanggapan_accept(*, tanggapan: Tanggapan, by: User, note: str = "") -> Tanggapan:
    """The PPS accepts: the response becomes the change (a new voter, a correction or a TMS),
    verified at once, in the audit log; a `prosedur` saran is acknowledged (no voter changes)."""
    item = _lock_pending(tanggapan, by)
    note = _text(note, _("Catatan"))
    if item.kind != Tanggapan.Kind.PROSEDUR and not _already_so(item):
        tps = Area.objects.get(pk=item.tps_id)
        raw = _event_of(item)
        [result] = sync.sync_batch(
            tps=tps,
            user=by,
            events=[raw],
            app_version="",
            source=CoklitEvent.Source.TANGGAPAN,
            tanggapan=True,
        )
        if result["status"] != "accepted":
            raise DomainError(
                _("Tanggapan tidak dapat diterapkan: %(why)s") % {"why": result["error"]}
            )
        event = CoklitEvent.objects.select_related("tps").get(pk=raw["id"])
        services.event_verify(
            event=event, by=by, decision="approve", note=raw["note"], tanggapan=True
        )
        item.event = event
    return _answer(
        item,
        Tanggapan.State.ACCEPTED,
        by=by,
        note=note,
        voter=item.voter_id or (item.event.voter_id if item.event else None),
        event=str(item.event_id or ""),
    )


def _answer(item: Tanggapan, state: str, *, by: User, note: str, **logged) -> Tanggapan:
    """The PPS's answer, accepted or rejected, kept on the response and in the audit log."""
    item.state = state
    item.answer_note = note
    item.answered_by = by
    item.answered_at = timezone.now()
    item.save()
    audit(
        user=by,
        action="tanggapan_accept" if state == Tanggapan.State.ACCEPTED else "tanggapan_reject",
        area_code=item.village_id,
        target=str(item.pk),
        note=note,
        kind=item.kind,
        source=item.source,
        **logged,
    )
    return item


@transaction.atomic
def tanggapan_reject(*, tanggapan: Tanggapan, by: User, note: str) -> Tanggapan:
    """The PPS rejects with the reason (required): the reporter and the supervisor read it.
    Changes no voter, so it is possible even while the village is locked by a pleno."""
    note = _text(note, _("Alasan"))
    if not note:
        raise Invalid(_("Tulis alasan penolakan: pelapor dan pengawas membacanya."))
    return _answer(_lock_pending(tanggapan, by), Tanggapan.State.REJECTED, by=by, note=note)


# --- preconditions of the plenos -------------------------------------------------------------


def unanswered_message(*, village: Area, stage: str) -> str:
    """Why the PPS may not hold its pleno of `stage` yet, or "" (SPEC 8, 8b): before the DPHP
    pleno every saran perbaikan is answered; before the DPSHP pleno every response and saran."""
    qs = Tanggapan.objects.filter(village=village, state=Tanggapan.State.PENDING)
    if stage == Tanggapan.Stage.DPHP:
        n = qs.filter(source=Tanggapan.Source.SARAN).count()
        if n:
            return _(
                "%(n)s saran perbaikan Bawaslu/Panwaslu belum dijawab: jawab dulu di halaman "
                "Tanggapan."
            ) % {"n": n}
        return ""
    n = qs.count()
    if n:
        return _(
            "%(n)s tanggapan masyarakat dan saran perbaikan belum dijawab: jawab dulu di "
            "halaman Tanggapan."
        ) % {"n": n}
    return ""


# --- reads -----------------------------------------------------------------------------------


def tanggapan_in_village(
    *, village: Area, kind: str = "", state: str = "", source: str = ""
) -> list[Tanggapan]:
    qs = Tanggapan.objects.filter(village=village).select_related(
        "voter", "tps", "recorded_by", "answered_by", "received_area"
    )
    if kind in Tanggapan.Kind.values:
        qs = qs.filter(kind=kind)
    if state in Tanggapan.State.values:
        qs = qs.filter(state=state)
    if source in Tanggapan.Source.values:
        qs = qs.filter(source=source)
    return list(qs.order_by("-recorded_at", "-pk")[:500])


def counts(*, area: Area) -> dict:
    """Responses under an area per kind and state: {kind: {state: n, "total": n}}, plus a
    `total` row; one grouped query."""
    qs = Tanggapan.objects.all()
    if area.level != Area.Level.VILLAGE:
        qs = qs.filter(village__code__below=area.code)
    else:
        qs = qs.filter(village=area)
    table = {
        k: {s: 0 for s in [*Tanggapan.State.values, "total"]}
        for k in [*Tanggapan.Kind.values, "total"]
    }
    for row in qs.values("kind", "state").annotate(n=Count("pk")):
        for k in (row["kind"], "total"):
            table[k][row["state"]] += row["n"]
            table[k]["total"] += row["n"]
    return table


def counts_by_village(*, area: Area) -> list[dict]:
    """The villages under a district or regency that have responses: code, title, received,
    accepted, rejected, pending; one grouped query and one for the names."""
    rows: dict[str, dict] = {}
    qs = Tanggapan.objects.filter(village__code__below=area.code)
    for row in qs.values("village_id", "state").annotate(n=Count("pk")):
        r = rows.setdefault(row["village_id"], {s: 0 for s in [*Tanggapan.State.values, "total"]})
        r[row["state"]] += row["n"]
        r["total"] += row["n"]
    names = {a.code: a for a in Area.objects.filter(code__in=list(rows))}
    return [{"area": names[c], **rows[c]} for c in sorted(rows) if c in names]


def counts_rows(table: dict) -> list[tuple[str, str, dict]]:
    return [(k, label, table[k]) for k, label in Tanggapan.Kind.choices] + [
        ("total", _("Jumlah"), table["total"])
    ]


def pending_inbox(*, village: Area, limit: int = 20) -> list[Tanggapan]:
    """The PPS's inbox: what waits for an answer, the oldest first, with `days` waiting."""
    items = list(
        Tanggapan.objects.filter(village=village, state=Tanggapan.State.PENDING)
        .select_related("voter")
        .order_by("recorded_at", "pk")[:limit]
    )
    now = timezone.now()
    for item in items:
        item.days = (now - item.recorded_at).days
    return items


def supervisor_items(*, user: User, limit: int = 20) -> list[Tanggapan]:
    """The supervisor's own saran perbaikan under its area, the latest answered first. Under
    its area now: an account moved to another area no longer reads its old area's (SPEC 2)."""
    if not user.area_id:
        return []
    own = Q(village_id=user.area_id) | Q(village__code__below=user.area_id)
    return list(
        Tanggapan.objects.filter(own, recorded_by=user)
        .select_related("village", "voter", "answered_by")
        .order_by(
            Case(When(state=Tanggapan.State.PENDING, then=0), default=1),
            F("answered_at").desc(nulls_last=True),
            "-recorded_at",
        )[:limit]
    )


def pending_count(*, area: Area) -> int:
    qs = Tanggapan.objects.filter(state=Tanggapan.State.PENDING)
    if area.level == Area.Level.VILLAGE:
        return qs.filter(village=area).count()
    return qs.filter(village__code__below=area.code).count()


# --- the recap of the second stage (SPEC 8b) -------------------------------------------------

SECOND_STAGE_KEYS = ("dps", "baru", "pindah", "tms", "ubah", "dpshp")
SEXES = ("l", "p", "lp")
# The counters a second-stage row shows as "since the DPS": live less the DPS's snapshot.
_SINCE_DPS = ("tms", "baru", "pindah", "vbaru", "ubah") + tuple(f"vtms_{r}" for r in TMS_REASONS)


def dps_snapshot(regency_code: str) -> PlenoSnapshot | None:
    """The DPS as established: the snapshot of the KPU's DPHP pleno (its last hold), or None
    while the DPS is not established (or was established before plenos kept snapshots)."""
    pleno = Pleno.objects.filter(
        stage=Pleno.Stage.DPHP, area_id=regency_code, state=Pleno.State.SUDAH
    ).first()
    return snapshots.latest_snapshot(pleno) if pleno else None


def _child_code(tps_code: str, level: int) -> str:
    """The code of the child of an area of `level` that holds this TPS."""
    return ".".join(tps_code.split(".")[: level + 1])


def second_stage_values(live: dict, dps: dict) -> dict:
    """One row of the second stage from the summed counters now (`live`) and as the DPS was
    established (`dps`): DPS, then what changed since (TMS per reason, Baru with its pindahan
    antar-TPS, Ubah) and the list now (DPSHP; the DPT once established), for L, P and L+P.

    Since the DPS a village's voters change only through accepted responses (coklit is
    closed), so the difference of the counters is what the accepted responses made, and
    DPSHP = DPS - TMS + Baru holds on every row (Model A does not change after the DPS).
    Disabilities and KTP-el are of the list now."""
    now, then = figures.derive(live), figures.derive(dps)
    out = dict(now)
    for s in SEXES:
        out[f"dps_{s}"] = then[f"dphp_{s}"]
        out[f"dpshp_{s}"] = now[f"dphp_{s}"]
        for key in _SINCE_DPS:
            out[f"{key}_{s}"] = now[f"{key}_{s}"] - then[f"{key}_{s}"]
    out["dps"] = out["dps_lp"]
    return out


def _kind_counts(area: Area, level: int) -> dict[str, Counter]:
    """{child code: {"<kind>_in|ok|no": n}} of the second stage's responses; one grouped query.
    A response without a TPS (a `prosedur` saran) counts in its village, under a TPS row in
    the total only (key "")."""
    qs = Tanggapan.objects.filter(stage=Tanggapan.Stage.DPSHP)
    qs = (
        qs.filter(village=area)
        if level == Area.Level.VILLAGE
        else qs.filter(village__code__below=area.code)
    )
    out: dict[str, Counter] = {}
    for row in qs.values("village_id", "tps_id", "kind", "state").annotate(n=Count("pk")):
        code = row["tps_id"] if level == Area.Level.VILLAGE else row["village_id"]
        child = _child_code(code, level) if code else ""
        c = out.setdefault(child, Counter())
        for kind in (row["kind"], "all"):
            c[f"{kind}_in"] += row["n"]
            if row["state"] == Tanggapan.State.ACCEPTED:
                c[f"{kind}_ok"] += row["n"]
            elif row["state"] == Tanggapan.State.REJECTED:
                c[f"{kind}_no"] += row["n"]
    return out


def second_stage_recap(
    *, area: Area, live_tps: dict[str, dict[str, int]] | None = None
) -> tuple[list[dict], dict]:
    """Per child area (regency → districts, district → villages, village → TPS) and in total:
    the row of `second_stage_values` and the responses per kind (`<kind>_in`, `_ok`, `_no`:
    received, accepted, rejected; `all_*` over the kinds).

    The DPS comes from the KPU's DPS pleno's snapshot (as established, whatever changed
    after); the list now from the live counters, so the DPSHP is what a recount finds. Without
    a snapshot (a DPS established before plenos kept one) the DPS is taken as the list now.
    Four queries whatever the size of the area (the snapshot's TPS rows are one of them).

    `live_tps` ({TPS code: counters}, `snapshots.tps_figures` of a DPSHP pleno's snapshot) stands
    for the list now: what that pleno recapped, for its berita acara."""
    level = area.level
    children = list(Area.objects.filter(parent=area).order_by("code"))
    live: dict[str, Counter] = {c.code: Counter() for c in children}
    dps: dict[str, Counter] = {c.code: Counter() for c in children}
    tps_count: Counter = Counter()
    if live_tps is None:
        column = {2: "regency_code", 3: "district_code", 4: "village_code"}[level]
        rows = (
            (tps_id, dict(zip(FIGURE_FIELDS, values, strict=True)))
            for tps_id, *values in TpsFigures.objects.filter(**{column: area.code})
            .values_list("tps_id", *FIGURE_FIELDS)
            .order_by()
        )
    else:
        rows = ((code, figs) for code, figs in live_tps.items() if area.contains(code))
    for tps_id, figs in rows:
        code = _child_code(tps_id, level)
        if code in live:
            live[code].update(figs)
            tps_count[code] += 1
    snapshot = dps_snapshot(area.regency_code)
    if snapshot is None:
        dps = live
    else:
        for tps_id, figs in snapshots.tps_figures(snapshot).items():
            code = _child_code(tps_id, level) if code_below(tps_id, area.code) else None
            if code in dps:
                dps[code].update(figs)
    kinds = _kind_counts(area, level)
    keys = [f"{k}_{n}" for k in [*Tanggapan.Kind.values, "all"] for n in ("in", "ok", "no")]
    out = []
    for child in children:
        row = second_stage_values(live[child.code], dps[child.code])
        row |= {k: kinds.get(child.code, Counter())[k] for k in keys}
        # The count of TPS after the row: the counters carry no `tps_count` (derived as 0).
        out.append({"area": child, **row, "tps_count": tps_count[child.code]})
    total = second_stage_values(sum(live.values(), Counter()), sum(dps.values(), Counter())) | {
        k: sum(c[k] for c in kinds.values()) for k in keys
    }
    total["tps_count"] = sum(tps_count.values())
    return out, total
