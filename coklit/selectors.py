"""Reads for pages: keyword-only arguments, plain rows or querysets."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coklit import figures
from coklit.models import (
    DISABILITIES,
    FIGURE_FIELDS,
    TMS_REASONS,
    CoklitEvent,
    DpsDraft,
    Flag,
    TpsFigures,
    Voter,
    draft_status_label,
)
from kpu.models import ZONES, Area, AuditEntry, Pemilihan, Role, role_label, zone_for_province


def area_breadcrumbs(*, area: Area) -> list[Area]:
    """The area's ancestors from the province down, then the area itself."""
    ancestors = {a.code: a for a in Area.objects.filter(code__in=area.ancestor_codes)}
    return [ancestors[c] for c in area.ancestor_codes if c in ancestors] + [area]


def area_children(*, area: Area):
    return Area.objects.filter(parent=area).order_by("code")


def pemilihan_for(*, area: Area) -> Pemilihan | None:
    """The current election of the area's regency (the latest by voting day)."""
    if area.level < Area.Level.REGENCY:
        return None
    return Pemilihan.objects.filter(regency_id=area.regency_code).select_related("regency").first()


# Completion in percent, rounded down (defined once, in `figures`).
percent = figures.percent


def area_figures(*, area: Area) -> dict[str, int]:
    """The summed figures of an area from its TPS rows (plus `tps_count`)."""
    return figures.area_totals(area=area)


def children_figures(*, area: Area) -> list[tuple[Area, dict[str, int]]]:
    """Each child area with its summed figures, in code order: two queries whatever the size.

    Children without TPS yet get zero figures. TPS have no children: an empty list.
    """
    if area.level not in figures.CHILD_COLUMN:
        return []
    own_col = figures.OWN_COLUMN[area.level]
    child_col = figures.CHILD_COLUMN[area.level]
    rows = (
        TpsFigures.objects.filter(**{own_col: area.code})
        .values(child_col)
        .annotate(tps_count=Count("tps_id"), **{k: Sum(k) for k in FIGURE_FIELDS})
        .order_by()
    )
    by_code = {r.pop(child_col): r for r in rows}
    zero = dict.fromkeys(FIGURE_FIELDS, 0) | {"tps_count": 0}
    return [(child, by_code.get(child.code, zero)) for child in area_children(area=area)]


# --- Verification and DPS drafts (SPEC 8) ---------------------------------------------------------


def area_tz(area: Area) -> zoneinfo.ZoneInfo:
    """The election timezone of an area's province (WIB, WITA or WIT)."""
    return zoneinfo.ZoneInfo(ZONES[zone_for_province(area.province_code)])


def area_zone(area: Area) -> str:
    return zone_for_province(area.province_code)


def days_at_stage(since: dt.datetime, area: Area) -> int:
    """Whole days a draft has waited at its stage, counted in the election's calendar."""
    tz = area_tz(area)
    return (
        timezone.localtime(timezone.now(), tz).date() - timezone.localtime(since, tz).date()
    ).days


def dps_draft_of(*, village: Area) -> DpsDraft:
    """The village's draft; an unsaved `draft` when nobody has acted on it yet (rows are lazy)."""
    return DpsDraft.objects.filter(village=village).first() or DpsDraft(village=village)


def village_figures(
    village: Area, *, draft: DpsDraft | None = None, live: dict | None = None
) -> dict[str, int]:
    """The figures to show for a village: the ones frozen at submission while its draft is
    locked (SPEC 8), else the live sums of its TPS rows (`live`: those sums, when the caller
    has them already, as `area_figures` gives them)."""
    if draft is None:
        draft = DpsDraft.objects.filter(village=village).only("status", "frozen").first()
    if draft and draft.is_locked and draft.frozen.get("village"):
        return dict(draft.frozen["village"])
    return dict(live) if live is not None else area_figures(area=village)


def village_tps_figures(village: Area) -> list[tuple[Area, dict[str, int]]]:
    """Like `children_figures` for a village, from the frozen figures while it is locked."""
    live = children_figures(area=village)
    draft = DpsDraft.objects.filter(village=village).only("status", "frozen").first()
    if not (draft and draft.is_locked and draft.frozen.get("tps")):
        return live
    frozen = draft.frozen["tps"]
    return [(tps, dict(frozen.get(tps.code, figs))) for tps, figs in live]


def village_snapshot(*, village: Area) -> dict[str, list]:
    """{voter id: [status, TMS reason, DPS TPS]} of every voter of the village."""
    rows = (
        Voter.objects.filter(village=village)
        .order_by("pk")
        .values_list("pk", "status", "tms_reason", "dps_tps_id", "tps_id", "verification")
    )
    return {
        str(pk): [st, reason, _dps_code(st, reason, dps, tps, ver)]
        for pk, st, reason, dps, tps, ver in rows
    }


def _dps_code(status, reason, dps_tps, tps, verification) -> str | None:
    probe = Voter(
        status=status, tms_reason=reason, dps_tps_id=dps_tps, tps_id=tps, verification=verification
    )
    return figures.dps_tps_of(probe)


@dataclass
class Change:
    voter: Voter
    before: list | None  # None: the voter was not there at approval (a new voter)
    after: list


def changed_since_approval(*, draft: DpsDraft) -> list[Change]:
    """Voters whose [status, reason, DPS TPS] differ from the snapshot of the last approval."""
    if not draft.approved_snapshot:
        return []
    snapshot = draft.approved_snapshot
    now = village_snapshot(village=draft.village)
    ids = [int(pk) for pk, row in now.items() if snapshot.get(pk) != row]
    gone = [pk for pk in snapshot if pk not in now]
    voters = {v.pk: v for v in Voter.objects.filter(pk__in=ids).select_related("tps")}
    out = [Change(voters[i], snapshot.get(str(i)), now[str(i)]) for i in ids if i in voters]
    out += [Change(Voter(pk=int(pk), nama="?"), snapshot[pk], []) for pk in gone]
    return sorted(out, key=lambda c: (c.voter.tps_id or "", c.voter.nama))


@dataclass
class QueueRow:
    voter: Voter
    event: CoklitEvent | None
    conflict_events: list[CoklitEvent] = field(default_factory=list)
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return outcome_label(self.event) if self.event else ""

    @property
    def pending(self) -> bool:
        return (
            self.event is not None
            and self.voter.verification == Voter.Verification.PENDING
            and self.event.verification not in ("approved", "rejected")
        )


def outcome_label(event: CoklitEvent) -> str:
    """`TMS 8 · Salah penempatan TPS → TPS 002`, `MS (ubah)`, `Baru`, `MS`."""
    if event.outcome == CoklitEvent.Outcome.TMS:
        label = f"TMS {event.tms_reason} · {TMS_REASONS.get(event.tms_reason, '?')}"
        if event.tms_reason == 8 and event.target_tps:
            label += f" → TPS {event.target_tps:03d}"
        return label
    if event.outcome == CoklitEvent.Outcome.MS and event.changes:
        return str(Voter.Status.UBAH.label)
    if event.outcome == CoklitEvent.Outcome.BARU:
        return str(Voter.Status.BARU.label)
    return "MS"


MASKED_FIELDS = ("nik", "nkk")


def mask_id(value: str | None) -> str:
    """NIK/NKK as KPU publishes them: 10 of 16 digits starred (`6271**********01`)."""
    value = str(value or "")
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


# How a correction's field and values read in the queue (the PPS reads words, not codes).
CHANGE_LABELS = {
    "nkk": "NKK",
    "nik": "NIK",
    "tempat_lahir": _("tempat lahir"),
    "tanggal_lahir": _("tanggal lahir"),
    "jenis_kelamin": _("jenis kelamin"),
    "status_kawin": _("status kawin"),
    "rt": "RT",
    "rw": "RW",
    "ktp_el": "KTP-el",
}


def _change_text(name: str, value) -> str:
    if name == "ktp_el":
        if isinstance(value, str):
            value = value.strip().upper() in ("S", "1", "TRUE", "YA")
        return str(_("sudah") if value else _("belum"))
    if name == "status_kawin" and value in Voter.Marital.values:
        return str(Voter.Marital(value).label).lower()
    if name == "disabilitas":
        codes = value if isinstance(value, list) else str(value or "").split(",")
        codes = [str(c).strip() for c in codes if str(c).strip()]
        words = [str(DISABILITIES.get(int(c), c) if c.isdigit() else c).lower() for c in codes]
        return ", ".join(words) or "–"
    return "" if value is None else str(value)


def _queue_row(voter: Voter, events: list[CoklitEvent], standing=None) -> QueueRow:
    from coklit.services import EDITABLE_FIELDS, change_new_value

    if standing is None and voter.outcome_event_id:
        standing = next((e for e in events if e.pk == voter.outcome_event_id), None)
    if standing is None:
        standing = next((e for e in reversed(events) if e.stands), None)
    changes = []
    if standing is not None and standing.changes:
        for name, raw in standing.changes.items():
            if name not in EDITABLE_FIELDS:
                continue
            old = raw.get("old") if isinstance(raw, dict) and "old" in raw else None
            old = getattr(voter, name, "") if old is None else old
            new = change_new_value(raw)
            if name in MASKED_FIELDS:
                old, new = mask_id(old), mask_id(new)
            label = CHANGE_LABELS.get(name) or name.replace("_", " ")
            changes.append((str(label), _change_text(name, old), _change_text(name, new)))
    flag_labels = dict(Flag.choices)
    return QueueRow(
        voter=voter,
        event=standing,
        conflict_events=[e for e in events if e.conflict] if voter.conflict else [],
        changes=changes,
        flags=[str(flag_labels[f]) for f in voter.flag_list if f in flag_labels],
    )


def _events_prefetch() -> Prefetch:
    return Prefetch(
        "events",
        queryset=CoklitEvent.objects.select_related("user").order_by("recorded_at", "received_at"),
        to_attr="event_list",
    )


def verification_queue(*, village: Area) -> list[tuple[Area, list[QueueRow]]]:
    """The PPS's queue, grouped by TPS: every voter waiting for verification, conflicts first.

    Three queries whatever the length: TPS, voters, and all their events.
    """
    voters = (
        Voter.objects.filter(village=village, verification=Voter.Verification.PENDING)
        .select_related("dps_tps")
        .prefetch_related(_events_prefetch())
        .order_by("tps_id", "-conflict", "nama", "pk")
    )
    by_tps: dict[str, list[QueueRow]] = {}
    for v in voters:
        by_tps.setdefault(v.tps_id, []).append(_queue_row(v, v.event_list))
    tps_list = Area.objects.filter(code__in=by_tps).order_by("code")
    return [(tps, by_tps[tps.code]) for tps in tps_list]


def queue_row(*, event: CoklitEvent) -> QueueRow:
    """One row of the queue for this event, as it is now (after a decision, too)."""
    voter = (
        Voter.objects.select_related("dps_tps", "tps")
        .prefetch_related(_events_prefetch())
        .get(pk=event.voter_id)
    )
    standing = next((e for e in voter.event_list if e.pk == event.pk), None)
    return _queue_row(voter, voter.event_list, standing)


def queue_counts(*, village: Area) -> dict:
    """Pending and conflicts per TPS number and in total, from the kept figures."""
    rows = TpsFigures.objects.filter(village_code=village.code).values_list(
        "tps_id", "pending", "conflicts"
    )
    per_tps = {code: {"pending": p, "conflicts": c} for code, p, c in rows}
    return {
        "pending": sum(r["pending"] for r in per_tps.values()),
        "conflicts": sum(r["conflicts"] for r in per_tps.values()),
        "tps": per_tps,
    }


@dataclass
class DraftRow:
    village: Area
    draft: DpsDraft
    days: int | None
    figures: dict


def drafts_in_area(*, area: Area, statuses: tuple[str, ...] | None = None) -> list[DraftRow]:
    """The DPS draft of every village within an area, with days waiting at its stage.

    Three queries whatever the size: villages, drafts, figures summed per village.
    """
    if area.level == Area.Level.VILLAGE:
        villages = [area]
    else:
        villages = list(
            Area.objects.filter(
                level=Area.Level.VILLAGE, code__startswith=area.code + "."
            ).order_by("code")
        )
    codes = [v.code for v in villages]
    drafts = {d.village_id: d for d in DpsDraft.objects.filter(village_id__in=codes)}
    sums = {
        r.pop("village_code"): r
        for r in TpsFigures.objects.filter(village_code__in=codes)
        .values("village_code")
        .annotate(
            target_l=Sum("target_l"),
            target_p=Sum("target_p"),
            done=Sum("done"),
            pending=Sum("pending"),
            conflicts=Sum("conflicts"),
        )
        .order_by()
    }
    zero = {"target_l": 0, "target_p": 0, "done": 0, "pending": 0, "conflicts": 0}
    rows = []
    for v in villages:
        draft = drafts.get(v.code) or DpsDraft(village=v)
        if statuses and draft.status not in statuses:
            continue
        waiting = not draft._state.adding
        figs = dict(sums.get(v.code, zero))
        figs["target"] = figs["target_l"] + figs["target_p"]
        figs["percent"] = percent(figs["done"], figs["target"])
        rows.append(
            DraftRow(v, draft, days_at_stage(draft.stage_since, v) if waiting else None, figs)
        )
    return rows


def inbox(
    *,
    user,
    area: Area | None = None,
    draft: DpsDraft | None = None,
    figures: dict | None = None,
) -> dict:
    """What waits for this user: PPK the submitted drafts of its district, KPU the approved
    drafts of its regency (oldest first, with days waiting), PPS its queue and draft state.

    What the caller has already, to save queries: `area` the user's own area; for a PPS, `draft`
    its village's draft (as `dps_draft_of`) and `figures` its live sums (as `area_figures`)."""
    if area is None or area.code != user.area_id:
        area, draft, figures = user.area, None, None
    if user.role == Role.PPK:
        waiting = DpsDraft.Status.SUBMITTED
    elif user.role == Role.KPU:
        waiting = DpsDraft.Status.APPROVED
    elif user.role == Role.PPS:
        draft = draft if draft is not None else dps_draft_of(village=area)
        counts = figures if figures is not None else area_figures(area=area)
        return {
            "role": user.role,
            "draft": draft,
            "days": days_at_stage(draft.stage_since, area)
            if draft.pk and not draft._state.adding
            else None,
            "pending": counts["pending"],
            "conflicts": counts["conflicts"],
        }
    else:
        return {"role": user.role}
    # Plain values, not model rows (never the frozen figures or snapshot: a village's snapshot
    # holds every voter), and one zone: the user's whole area lies in one province.
    drafts = (
        DpsDraft.objects.filter(status=waiting, village__code__startswith=area.code + ".")
        .order_by("stage_since")
        .values_list("village_id", "village__level", "village__name", "ba_number", "stage_since")
    )
    tz = area_tz(area)
    today = timezone.localtime(timezone.now(), tz).date()
    label = draft_status_label(waiting, area.code)  # PPD in Papua
    url_before, _code, url_after = reverse("coklit-area", args=["__area__"]).partition("__area__")
    rows = [
        InboxRow(
            village_id=code,
            title=Area(code=code, level=level, name=name).title,
            url=url_before + code + url_after,
            status=waiting,
            status_label=label,
            ba_number=ba_number,
            days=(today - timezone.localtime(since, tz).date()).days,
        )
        for code, level, name, ba_number, since in drafts
    ]
    return {"role": user.role, "waiting_status": waiting, "rows": rows}


@dataclass(frozen=True)
class InboxRow:
    """A draft waiting for the user, as the inbox shows it."""

    village_id: str
    title: str
    url: str
    status: str
    status_label: str
    ba_number: str
    days: int


AUDIT_LABELS = {
    "verify_approve": _("menyetujui hasil coklit"),
    "verify_reject": _("menolak hasil coklit"),
    "verify_approve_all": _("menyetujui semua hasil"),
    "dps_submit": _("mengajukan draf DPS"),
    "dps_approve": _("menyetujui draf DPS"),
    "dps_return": _("mengembalikan draf DPS"),
    "dps_establish": _("menetapkan DPS"),
    "dps_reopen": _("membuka kembali draf DPS"),
    "nik_reveal": _("membuka NIK lengkap"),
}


@dataclass
class TimelineEntry:
    entry: AuditEntry
    at_local: dt.datetime
    zone: str
    label: str

    @property
    def role_label(self) -> str:
        return role_label(self.entry.role, self.entry.area_code)


def village_timeline(*, village: Area, limit: int | None = 30) -> list[TimelineEntry]:
    """The audit entries of a village and its TPS, newest first, times in the election zone."""
    qs = (
        # Only what this feature writes, all of it under the village's code: account actions
        # (tokens, users) are not part of the DPS story.
        AuditEntry.objects.filter(area_code=village.code, action__in=list(AUDIT_LABELS))
        .select_related("user")
        .order_by("-at", "-pk")
    )
    if limit:
        qs = qs[:limit]
    tz, zone = area_tz(village), area_zone(village)
    return [
        TimelineEntry(
            e, timezone.localtime(e.at, tz), zone, str(AUDIT_LABELS.get(e.action, e.action))
        )
        for e in qs
    ]
