"""What a pleno recapped, stored when it is held (issue 12, SPEC 8).

Holding a pleno stores, in the hold's transaction, the figures of every TPS of its area and the
state of every voter in it (`PlenoSnapshot`, `SnapshotTps`, `SnapshotVoter`). Its berita acara,
the recap annexed to it and "changed since last held" read the snapshot, never live figures:
what the committee signed stays what the page shows, whatever happens to the voters afterwards
(a return, a reopen, the next stage).

Cost: the voters' states are written by one `INSERT ... SELECT` (no row passes through Python),
so the KPU's pleno over a regency of 1,000,000 voters stays within seconds (`make bench`,
"pleno" part, measures it against a bare `INSERT ... SELECT` of the same rows). The figures are
one row per TPS (2,000 for a regency). Reading a snapshot back costs one row per TPS; comparing
two of them only reads the villages that could have changed in between (`changes_since`).
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from coklit import figures
from coklit.models import (
    FIGURE_FIELDS,
    Pleno,
    PlenoEvent,
    PlenoSnapshot,
    SnapshotTps,
    SnapshotVoter,
    TpsFigures,
    Voter,
)
from kpu.lookups import code_below
from kpu.models import Area

# On PostgreSQL (migration 0005), how a snapshot's voter rows are found.
BRIN_INDEX = "coklit_snapshotvoter_snapshot_brin"

# The voter columns a snapshot keeps: the state a pleno recaps (SPEC 8 "each voter's state").
# `tps` is the TPS of the list, `dps_tps` the TPS a verified TMS 8 moves the voter to; where the
# voter stands in the DPHP follows from these by `figures.dps_tps_of`, the one home of that rule.
STATE_FIELDS = ("status", "tms_reason", "tps", "dps_tps", "verification")


def _voters_in(area: Area) -> tuple[str, list]:
    """SQL (and its parameters) selecting the ids of the villages of an area: the voter table is
    reached by its village column, which the queue index covers."""
    area_table = Area._meta.db_table
    if area.level == Area.Level.VILLAGE:
        return "%s", [area.code]
    if area.level == Area.Level.DISTRICT:
        return f"SELECT code FROM {area_table} WHERE parent_id = %s", [area.code]
    if area.level == Area.Level.REGENCY:
        return (
            f"SELECT v.code FROM {area_table} v JOIN {area_table} d ON v.parent_id = d.code "
            f"WHERE d.parent_id = %s",
            [area.code],
        )
    raise ValueError(f"no pleno at level {area.level}")


def _tps_filter(area: Area) -> dict:
    column = {
        Area.Level.VILLAGE: "village_code",
        Area.Level.DISTRICT: "district_code",
        Area.Level.REGENCY: "regency_code",
    }[area.level]
    return {column: area.code}


def insert_voters_sql(snapshot_id: int, area: Area) -> tuple[str, list]:
    """The one statement that copies the state of every voter of the area into the snapshot."""
    villages, params = _voters_in(area)
    return (
        f"INSERT INTO {SnapshotVoter._meta.db_table} "
        "(snapshot_id, voter_id, status, tms_reason, tps, dps_tps, verification, level) "
        "SELECT %s, v.id, v.status, v.tms_reason, v.tps_id, v.dps_tps_id, v.verification, %s "
        f"FROM {Voter._meta.db_table} v WHERE v.village_id IN ({villages})",
        [snapshot_id, area.level, *params],
    )


def snapshot_take(*, hold: PlenoEvent) -> PlenoSnapshot:
    """Store what the pleno of `hold` recaps: the figures of every TPS of its area and every
    voter's state. Runs inside the hold's transaction (`plenos.pleno_hold`), after the pleno
    rows are locked: the villages under a held pleno are locked too, so nothing changes them
    between the two reads."""
    assert transaction.get_connection().in_atomic_block, "a snapshot is taken by its hold"
    pleno = hold.pleno
    area = pleno.area
    snapshot = PlenoSnapshot.objects.create(hold=hold, pleno=pleno, taken_at=timezone.now())
    rows = TpsFigures.objects.filter(**_tps_filter(area)).values_list("tps_id", *FIGURE_FIELDS)
    per_tps = {
        row[0]: {k: v for k, v in zip(FIGURE_FIELDS, row[1:], strict=True) if v}
        for row in rows.order_by("tps_id")
    }
    SnapshotTps.objects.bulk_create(
        [SnapshotTps(snapshot=snapshot, tps=code, figures=figs) for code, figs in per_tps.items()],
        batch_size=1000,
    )
    # The area's totals and its children's, summed once here: a BA page reads one row, not one
    # per TPS (2,000 for a regency).
    snapshot.summary = _summary(area, per_tps)
    sql, params = insert_voters_sql(snapshot.pk, area)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        snapshot.voters = cursor.rowcount
        if connection.vendor == "postgresql":
            # Make the new rows findable by the BRIN index at once; unsummarized pages would be
            # read by every lookup until autovacuum gets to them.
            cursor.execute("SELECT brin_summarize_new_values(%s::regclass)", [BRIN_INDEX])
    snapshot.save(update_fields=["voters", "summary"])
    return snapshot


# --- reading a snapshot back -------------------------------------------------------------------


def latest_snapshot(pleno: Pleno) -> PlenoSnapshot | None:
    """The snapshot of the pleno's last hold (None for a pleno never held)."""
    return (
        PlenoSnapshot.objects.filter(pleno=pleno)
        .select_related("hold", "hold__by")
        .order_by("-taken_at", "-pk")
        .first()
    )


def previous_snapshot(snapshot: PlenoSnapshot) -> PlenoSnapshot | None:
    """The snapshot of the hold before this one, of the same pleno."""
    return (
        PlenoSnapshot.objects.filter(pleno_id=snapshot.pleno_id)
        .filter(taken_at__lt=snapshot.taken_at)
        .order_by("-taken_at", "-pk")
        .first()
    )


def tps_figures(snapshot: PlenoSnapshot) -> dict[str, dict[str, int]]:
    """{TPS code: its counters} as the pleno recapped them (missing counters are 0)."""
    return {
        code: {k: int(figs.get(k) or 0) for k in FIGURE_FIELDS}
        for code, figs in SnapshotTps.objects.filter(snapshot=snapshot)
        .order_by("tps")
        .values_list("tps", "figures")
    }


def _sum(rows) -> dict[str, int]:
    total: Counter = Counter()
    n = 0
    for figs in rows:
        n += 1
        for k, v in figs.items():
            total[k] += v
    out = {k: int(total.get(k, 0)) for k in FIGURE_FIELDS}
    out["tps_count"] = n
    return out


def _group(area: Area, per_tps: dict[str, dict]) -> tuple[dict, dict[str, dict]]:
    """(the area's totals, {child code: its totals}) from the figures of the TPS under it."""
    depth = area.code.count(".") + 2  # parts in a child's code
    grouped: dict[str, list] = {}
    mine = {c: f for c, f in per_tps.items() if code_below(c, area.code)}
    for code, figs in mine.items():
        grouped.setdefault(".".join(code.split(".")[:depth]), []).append(figs)
    return _sum(mine.values()), {code: _sum(rows) for code, rows in grouped.items()}


def _summary(area: Area, per_tps: dict[str, dict]) -> dict:
    totals, children = _group(area, per_tps)
    nonzero = lambda f: {k: v for k, v in f.items() if v}  # noqa: E731
    return {"totals": nonzero(totals), "children": {c: nonzero(f) for c, f in children.items()}}


def _full(figs: dict) -> dict[str, int]:
    out = {k: int(figs.get(k) or 0) for k in FIGURE_FIELDS}
    out["tps_count"] = int(figs.get("tps_count") or 0)
    return out


@dataclass
class SnapshotFigures:
    """The figures of a held pleno: its area's totals and one row per child area (the TPS of
    a village), every child listed, with zeros where it has no TPS."""

    area: Area
    totals: dict[str, int]
    children: list[tuple[Area, dict[str, int]]] = field(default_factory=list)


def snapshot_figures(snapshot: PlenoSnapshot, *, area: Area | None = None) -> SnapshotFigures:
    """The totals and the children's rows of the snapshot's area (or of `area` under it)."""
    own = snapshot.pleno.area
    area = area or own
    if area.code == own.code and snapshot.summary:
        totals = _full(snapshot.summary["totals"])
        children_figs = {c: _full(f) for c, f in snapshot.summary["children"].items()}
    else:
        totals, children_figs = _group(area, tps_figures(snapshot))
    children = Area.objects.filter(parent=area).order_by("code")
    if area.level == Area.Level.VILLAGE:
        # A TPS row counts itself; TPS made after the pleno are not in its recap.
        children = children.filter(code__in=list(children_figs))
    return SnapshotFigures(
        area=area,
        totals=totals,
        children=[(child, children_figs.get(child.code) or _full({})) for child in children],
    )


# --- changed since last held --------------------------------------------------------------------


@dataclass
class VoterChange:
    voter_id: int
    nama: str
    jenis_kelamin: str
    tps: str  # the TPS of the list
    before: dict | None  # None: the voter was not in the earlier snapshot (a new voter)
    after: dict

    @staticmethod
    def describe(state: dict | None) -> str:
        """`MS`, `TMS 4`, `TMS 8 → TPS 003`, `BARU`, with `(menunggu verifikasi)` and the
        like; `–` for a voter who was not there."""
        if not state:
            return "–"
        text = state["status"]
        if state["status"] == Voter.Status.TMS:
            text += f" {state['tms_reason']}"
            if state["tms_reason"] == 8 and state["dps_tps"]:
                text += f" → TPS {state['dps_tps'].rsplit('.', 1)[1]}"
        verification = {
            Voter.Verification.PENDING: "menunggu verifikasi",
            Voter.Verification.REJECTED: "ditolak",
        }.get(state["verification"])
        if verification:
            text += f" ({verification})"
        return text

    @property
    def tps_number(self) -> str:
        return self.tps.rsplit(".", 1)[1]

    @property
    def before_text(self) -> str:
        return self.describe(self.before)

    @property
    def after_text(self) -> str:
        return self.describe(self.after)

    @property
    def dphp_before(self) -> str | None:
        return _dphp_tps(self.before)

    @property
    def dphp_after(self) -> str | None:
        return _dphp_tps(self.after)


def _dphp_tps(state: dict | None) -> str | None:
    if not state:
        return None
    probe = Voter(
        origin=state.get("origin", Voter.Origin.LIST),
        status=state["status"],
        tms_reason=state["tms_reason"],
        tps_id=state["tps"],
        dps_tps_id=state["dps_tps"],
        verification=state["verification"],
    )
    return figures.dps_tps_of(probe)


@dataclass
class Changes:
    """What differs between a pleno's earlier snapshot and now (or its later snapshot)."""

    since: PlenoSnapshot
    until: PlenoSnapshot | None  # None: compared with the voters as they are now
    voters: list[VoterChange]
    count: int  # all changed voters (`voters` stops at the limit)
    before: dict[str, int]
    after: dict[str, int]
    villages: list[str]  # the villages that could have changed (and were compared)

    @property
    def truncated(self) -> bool:
        return self.count > len(self.voters)

    @property
    def total_rows(self) -> list["TotalChange"]:
        """The totals of a BA before and after, for L, P and L+P."""
        # Imported here: exports reads the plenos, which take snapshots.
        from coklit.exports import STAGES, pleno_list

        b, a = figures.derive(self.before), figures.derive(self.after)
        pleno = self.since.pleno
        listed = STAGES[pleno_list(level=pleno.level, stage=pleno.stage)][0]
        names = {"model_a": "Model A", "baru": "Baru", "tms": "TMS", "dphp": listed}
        sexes = {"l": "L", "p": "P", "lp": "L+P"}
        return [
            TotalChange(f"{name} {sex}", b[f"{key}_{s}"], a[f"{key}_{s}"])
            for key, name in names.items()
            for s, sex in sexes.items()
        ]


@dataclass
class TotalChange:
    label: str
    before: int
    after: int

    @property
    def diff(self) -> int:
        return self.after - self.before

    @property
    def diff_text(self) -> str:
        return f"{self.diff:+,}".replace(",", ".") if self.diff else "0"


def reopened_villages(
    *, pleno: Pleno, since: dt.datetime, until: dt.datetime | None = None
) -> list[str]:
    """The villages under the pleno whose own pleno was returned or reopened after `since`:
    the only ones whose voters can have changed, since every other village stayed held (a
    district or regency pleno needs all of them held; a village pleno is its own village)."""
    area = pleno.area
    qs = PlenoEvent.objects.filter(
        pleno__stage=pleno.stage,
        pleno__level=Area.Level.VILLAGE,
        action__in=[PlenoEvent.Action.RETURN, PlenoEvent.Action.REOPEN],
        at__gt=since,
    )
    if until is not None:
        qs = qs.filter(at__lt=until)
    if area.level == Area.Level.VILLAGE:
        qs = qs.filter(pleno__area_id=area.code)
    else:
        qs = qs.filter(pleno__area__code__below=area.code)
    return sorted(set(qs.values_list("pleno__area_id", flat=True)))


def _village_snapshot(village: str, stage: str, at: dt.datetime) -> PlenoSnapshot | None:
    """The village's own snapshot that stood at `at`: its last hold up to then."""
    return (
        PlenoSnapshot.objects.filter(pleno__area_id=village, pleno__stage=stage, taken_at__lte=at)
        .order_by("-taken_at", "-pk")
        .first()
    )


def village_states(snapshot: PlenoSnapshot, village: str):
    """The rows (`voter_id`, *STATE_FIELDS) of one village in a snapshot, as a queryset: a
    village's own snapshot through its partial index, else (a district's or regency's) its rows
    whose TPS is in the village. The lists of the second stage join it in SQL (`exports`)."""
    qs = SnapshotVoter.objects.filter(snapshot_id=snapshot.pk)
    if snapshot.pleno.level == Area.Level.VILLAGE:
        qs = qs.filter(level=Area.Level.VILLAGE)
    else:
        qs = qs.filter(tps__gte=village + ".", tps__lt=village + "/")
    return qs.values_list("voter_id", *STATE_FIELDS)


def _snapshot_states(snapshot: PlenoSnapshot, village: str) -> dict[int, tuple]:
    """{voter id: state} of one village in a snapshot."""
    return {row[0]: row[1:] for row in village_states(snapshot, village)}


def _live_states(village: str) -> dict[int, tuple]:
    rows = Voter.objects.filter(village_id=village).values_list(
        "id", "status", "tms_reason", "tps_id", "dps_tps_id", "verification"
    )
    return {row[0]: row[1:] for row in rows}


def _village_changes(
    village: str, old: PlenoSnapshot, new: PlenoSnapshot | None
) -> list[VoterChange]:
    """The voters of one village whose state differs between the snapshot `old` and the
    snapshot `new` (None: the voters as they are now). A village's few thousand states are
    compared here rather than by a join whose plan depends on fresh statistics."""
    before = _snapshot_states(old, village)
    after = _snapshot_states(new, village) if new is not None else _live_states(village)
    changed = [vid for vid, state in after.items() if before.get(vid) != state]
    people = Voter.objects.filter(pk__in=changed).values_list(
        "id", "nama", "jenis_kelamin", "tps_id", "origin"
    )
    out = []
    for vid, nama, jk, tps, origin in people:
        states = []
        for state in (before.get(vid), after[vid]):
            states.append(
                None
                if state is None
                else dict(zip(STATE_FIELDS, state, strict=True), origin=origin)
            )
        out.append(VoterChange(vid, nama, jk, tps, states[0], states[1]))
    return out


def changes_since(
    since: PlenoSnapshot, *, until: PlenoSnapshot | None = None, limit: int = 500
) -> Changes:
    """The voters whose state differs between the snapshot `since` and `until` (a later hold
    of the same pleno) or, without `until`, the voters as they are now; and the area's totals
    before and after.

    Only the villages returned or reopened in between are read, each from its own village
    snapshots where it has them (a few thousand rows, not the regency's million): the village
    was held when `since` was taken, so its snapshot then holds the same states."""
    pleno = since.pleno
    area = pleno.area
    villages = reopened_villages(
        pleno=pleno, since=since.taken_at, until=until.taken_at if until else None
    )
    before = snapshot_figures(since).totals
    after = snapshot_figures(until).totals if until else figures.area_totals(area=area)
    voters: list[VoterChange] = []
    for village in villages:
        if area.level == Area.Level.VILLAGE:
            old, new = since, until
        else:
            old = _village_snapshot(village, pleno.stage, since.taken_at) or since
            new = (
                (_village_snapshot(village, pleno.stage, until.taken_at) or until)
                if until
                else None
            )
        voters += _village_changes(village, old, new)
    count = len(voters)
    voters.sort(key=lambda c: (c.tps, c.nama, c.voter_id))
    return Changes(
        since=since,
        until=until,
        voters=voters[:limit],
        count=count,
        before=before,
        after=after,
        villages=villages,
    )


def pleno_changes(pleno: Pleno, *, limit: int = 500) -> Changes | None:
    """ "Changed since last held" for a pleno's pages: held again after a return or reopen, the
    change between its last two holds; returned or reopened, the change since its last hold
    (what it will recap when held again); else None."""
    latest = latest_snapshot(pleno)
    if latest is None:
        return None
    if pleno.state == Pleno.State.SUDAH:
        previous = previous_snapshot(latest)
        if previous is None:
            return None
        return changes_since(previous, until=latest, limit=limit)
    if pleno.state == Pleno.State.DIKEMBALIKAN:
        return changes_since(latest, limit=limit)
    return None
