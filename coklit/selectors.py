"""Reads for pages: keyword-only arguments, plain rows or querysets."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coklit import figures
from coklit.models import (
    DISABILITIES,
    FIGURE_FIELDS,
    TMS_REASONS,
    CoklitEvent,
    Flag,
    TpsFigures,
    Voter,
)
from kpu.models import ZONES, Area, AuditEntry, Pemilihan, role_label, zone_for_province


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


# --- Verification and plenos (SPEC 8) ---------------------------------------------------------


def area_tz(area: Area) -> zoneinfo.ZoneInfo:
    """The election timezone of an area's province (WIB, WITA or WIT)."""
    return zoneinfo.ZoneInfo(ZONES[zone_for_province(area.province_code)])


def area_zone(area: Area) -> str:
    return zone_for_province(area.province_code)


def days_at_stage(since: dt.datetime, area: Area) -> int:
    """Whole days an area has waited at its pleno state, counted in the election's calendar."""
    tz = area_tz(area)
    return (
        timezone.localtime(timezone.now(), tz).date() - timezone.localtime(since, tz).date()
    ).days


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


AUDIT_LABELS = {
    "verify_approve": _("menyetujui hasil coklit"),
    "verify_reject": _("menolak hasil coklit"),
    "verify_approve_all": _("menyetujui semua hasil"),
    "pleno_hold": _("melaksanakan rapat pleno"),
    "pleno_return": _("mengembalikan pleno"),
    "pleno_reopen": _("membuka kembali pleno"),
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
        # (tokens, users) are not part of the list's story.
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
