"""Reads for pages: keyword-only arguments, plain rows or querysets."""

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coklit import figures
from coklit.masking import mask_nik
from coklit.models import (
    DISABILITIES,
    FIGURE_FIELDS,
    TMS_REASONS,
    CoklitEvent,
    Flag,
    TpsFigures,
    Voter,
    change_new_value,
)
from coklit.voter_fields import CHANGEABLE
from kpu.models import Area, AuditEntry, Pemilihan, role_label, tzinfo_of, zone_of


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
    """The election timezone of an area (kpu.models.tzinfo_of)."""
    return tzinfo_of(area.code)


def area_zone(area: Area) -> str:
    """WIB, WITA or WIT (kpu.models.zone_of)."""
    return zone_of(area.code)


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
    if standing is None and voter.outcome_event_id:
        standing = next((e for e in events if e.pk == voter.outcome_event_id), None)
    if standing is None:
        standing = next((e for e in reversed(events) if e.stands), None)
    changes = []
    if standing is not None and standing.changes:
        for name, raw in standing.changes.items():
            if name not in CHANGEABLE:
                continue
            old = raw.get("old") if isinstance(raw, dict) and "old" in raw else None
            old = getattr(voter, name, "") if old is None else old
            new = change_new_value(raw)
            if name in MASKED_FIELDS:
                old, new = mask_nik(old), mask_nik(new)
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


# The queue's filters by outcome (SPEC 8: TMS, BARU and ubah wait; conflicts apart, since each
# needs the PPS to look at both results). A conflict counts under `konflik` only, so the counts
# add up to the total.
QUEUE_KINDS = {
    "tms": (_("TMS"), {"status": Voter.Status.TMS, "conflict": False}),
    "baru": (_("Baru"), {"status": Voter.Status.BARU, "conflict": False}),
    "ubah": (_("Ubah"), {"status": Voter.Status.UBAH, "conflict": False}),
    "konflik": (_("Konflik"), {"conflict": True}),
}
QUEUE_PAGE_SIZE = 30


@dataclass
class QueuePage:
    """One page of a village's queue, oldest result first, with the counts of every filter."""

    rows: list[QueueRow]
    kind: str
    tps_code: str
    after: str
    next_after: str | None
    counts: dict[str, int]
    total: int
    tps_options: list[tuple[Area, int]]

    @property
    def kinds(self) -> list[tuple[str, str, int]]:
        return [(k, str(label), self.counts.get(k, 0)) for k, (label, _f) in QUEUE_KINDS.items()]


def _queue_cursor(after: str):
    """`<outcome_at as ISO 8601>_<voter id>` -> (time, id); a bad cursor is the first page."""
    at, _sep, pk = after.rpartition("_")
    try:
        parsed = dt.datetime.fromisoformat(at)
        return (parsed, int(pk)) if parsed.tzinfo else None
    except ValueError:
        return None


def queue_page(*, village: Area, kind: str = "", tps_code: str = "", after: str = "") -> QueuePage:
    """The page of the queue after the cursor `after`, oldest result (by the time the pantarlih
    recorded it) first: the PPS works from the longest-waiting end.

    Keyset paging on (outcome_at, id) over partial indexes of the waiting voters only, so a
    page costs the same on a queue of 10 results or of 10,000, and so does every later page
    (an OFFSET would read every row before it). The counts per filter are one grouped count
    over the same index; the TPS list's counts are the kept per-TPS figures.
    """
    kind = kind if kind in QUEUE_KINDS else ""
    pending = Voter.objects.filter(village=village, verification=Voter.Verification.PENDING)
    tps_options = []
    for tps in (
        Area.objects.filter(parent=village, level=Area.Level.TPS)
        .select_related("figures")
        .order_by("code")
    ):
        kept = getattr(tps, "figures", None)
        n = kept.pending if kept is not None else 0
        if n or tps.code == tps_code:
            tps_options.append((tps, n))
    if tps_code and not any(t.code == tps_code for t, _n in tps_options):
        tps_code = ""
    scoped = pending.filter(tps_id=tps_code) if tps_code else pending
    counts = {k: 0 for k in QUEUE_KINDS}
    total = 0
    for status, conflict, n in (
        scoped.order_by().values_list("status", "conflict").annotate(n=Count("pk"))
    ):
        total += n
        if conflict:
            counts["konflik"] += n
        elif status in ("TMS", "BARU", "UBAH"):
            counts[status.lower()] += n
    rows_qs = scoped.filter(**QUEUE_KINDS[kind][1]) if kind else scoped
    cursor = _queue_cursor(after) if after else None
    if cursor is None:
        after = ""
    else:
        at, pk = cursor
        rows_qs = rows_qs.filter(Q(outcome_at__gt=at) | Q(outcome_at=at, pk__gt=pk))
    voters = list(
        rows_qs.select_related("dps_tps", "tps")
        .prefetch_related(_events_prefetch())
        .order_by("outcome_at", "pk")[: QUEUE_PAGE_SIZE + 1]
    )
    next_after = None
    if len(voters) > QUEUE_PAGE_SIZE:
        voters = voters[:QUEUE_PAGE_SIZE]
        last = voters[-1]
        next_after = f"{last.outcome_at.isoformat()}_{last.pk}" if last.outcome_at else None
    return QueuePage(
        rows=[_queue_row(v, v.event_list) for v in voters],
        kind=kind,
        tps_code=tps_code,
        after=after,
        next_after=next_after,
        counts=counts,
        total=total,
        tps_options=tps_options,
    )


@dataclass
class BulkSummary:
    """What an "approve all" covers, told before it acts: counts per outcome."""

    event_ids: list[str]
    lines: list[tuple[str, int]]

    @property
    def count(self) -> int:
        return len(self.event_ids)


def queue_bulk_summary(*, tps: Area, event_ids: list[str]) -> BulkSummary:
    """The listed results of this TPS that "approve all" would approve (waiting, standing, no
    conflict), counted per outcome, TMS per reason: the confirmation says what it includes."""
    ids = []
    for raw in event_ids:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    events = (
        CoklitEvent.objects.filter(
            pk__in=ids,
            tps=tps,
            stands=True,
            voter__verification=Voter.Verification.PENDING,
            voter__conflict=False,
        )
        .exclude(verification__in=[Voter.Verification.APPROVED, Voter.Verification.REJECTED])
        .order_by("recorded_at")
    )
    tally: dict[tuple, int] = {}
    kept = []
    for e in events:
        kept.append(str(e.pk))
        if e.outcome == CoklitEvent.Outcome.TMS:
            key = (0, e.tms_reason or 0)
        elif e.outcome == CoklitEvent.Outcome.BARU:
            key = (1, 0)
        else:
            key = (2, 0)
        tally[key] = tally.get(key, 0) + 1
    lines = []
    for (group, reason), n in sorted(tally.items()):
        if group == 0:
            label = f"TMS {reason} · {TMS_REASONS.get(reason, '?')}"
        else:
            label = str(Voter.Status.BARU.label if group == 1 else Voter.Status.UBAH.label)
        lines.append((label, n))
    return BulkSummary(event_ids=kept, lines=lines)


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
    "model_a_nik": _("mengunduh Model A dengan NIK lengkap"),
    "model_a_upload": _("mengunggah hasil coklit Model A"),
    "paper_entry": _("memasukkan hasil coklit dari kertas"),
    # Responses and saran perbaikan (SPEC 8b, coklit/tanggapan.py).
    "tanggapan_record": _("mencatat tanggapan/saran perbaikan"),
    "tanggapan_accept": _("menerima tanggapan/saran perbaikan"),
    "tanggapan_reject": _("menolak tanggapan/saran perbaikan"),
}


@dataclass
class TimelineEntry:
    entry: AuditEntry
    at_local: dt.datetime
    zone: str
    label: str
    voter_name: str = ""  # the voter a verification or a NIK reveal was about

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
    entries = [
        TimelineEntry(
            e, timezone.localtime(e.at, tz), zone, str(AUDIT_LABELS.get(e.action, e.action))
        )
        for e in qs
    ]
    _name_voters(entries)
    return entries


def _voter_of(entry: AuditEntry) -> int | None:
    """The voter an audit entry is about: `voter` in a verification's data, the target of a
    NIK reveal."""
    raw = (entry.data or {}).get("voter")
    if raw is None and entry.action == "nik_reveal":
        raw = entry.target
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _name_voters(entries: list[TimelineEntry]) -> None:
    """Each entry's voter by name (one query for the page), so a decision reads "menyetujui hasil
    coklit · Siti Aminah" instead of an id. Names only: NIKs never reach the timeline."""
    ids = {pk for t in entries if (pk := _voter_of(t.entry)) is not None}
    if not ids:
        return
    names = dict(Voter.objects.filter(pk__in=ids).values_list("pk", "nama"))
    for t in entries:
        pk = _voter_of(t.entry)
        if pk is not None:
            t.voter_name = names.get(pk, "")


def results_by_source(*, tps: Area) -> list[tuple[str, int]]:
    """How many results the server holds for a TPS per source (device, entry, workbook), for
    the reconciliation: a count that differs from the phone may be the paper's (SPEC 6b).
    One grouped count on the TPS's events (indexed by TPS)."""
    counts = dict(
        CoklitEvent.objects.filter(tps=tps).values_list("source").annotate(n=Count("pk")).order_by()
    )
    return [(str(label), counts.get(value, 0)) for value, label in CoklitEvent.Source.choices]
