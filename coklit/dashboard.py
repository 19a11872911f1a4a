"""Reads for the dashboard pages (selectors): totals, child rows, search, the TPS page.

Every read here is a fixed number of queries over `TpsFigures` (one row per TPS), `Pleno`,
`DailyProgress` and `Area`, whatever the number of children or voters: the page and its poll
must cost the same with 10,000 voters and with 1,000,000. Beside it: the election clock
(`clock.py`), the progress chart (`chart.py`) and the two plain-SQL reads of every poll
(`dashboard_sql.py`).
"""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, Sum

from coklit import figures
from coklit.clock import Clock
from coklit.dashboard_sql import grouped_figures
from coklit.models import FIGURE_FIELDS, TMS_REASONS, Pleno, TpsFigures, Voter
from coklit.plenos import pleno_stage
from kpu.models import Area, Role, User

# The TpsFigures column that holds each level's code, and the one that groups its children.
_OWN_COL = figures.OWN_COLUMN
_CHILD_COL = figures.CHILD_COLUMN


def figures_of(*, area: Area):
    """The TpsFigures rows of an area (any level, a province included)."""
    if area.level in _OWN_COL:
        return TpsFigures.objects.filter(**{_OWN_COL[area.level]: area.code})
    return TpsFigures.objects.filter(regency_code__below=area.code)


def _stale_filter(clock: Clock) -> Q:
    """TPS with voters to visit that have not synced for 48 h.

    A TPS that never synced counts too once the coklit has run for 48 h: silence from a TPS with
    voters is exactly what an officer must chase. Before that it is not yet late.
    """
    has_target = Q(target_l__gt=0) | Q(target_p__gt=0)
    late = Q(last_sync_at__lt=clock.stale_cutoff)
    start = clock.period_start
    if start is not None and start <= clock.stale_cutoff:
        late |= Q(last_sync_at__isnull=True)
    return has_target & late


def _aggregates(clock: Clock) -> dict:
    return {
        "tps_count": Count("tps_id"),
        "stale": Count("tps_id", filter=_stale_filter(clock)),
        "as_of": Max("updated_at"),
        "last_sync": Max("last_sync_at"),
        "app_version": Max("app_version"),
        **{k: Sum(k) for k in FIGURE_FIELDS},
    }


def _complete(row: dict) -> dict:
    """Derived figures of one summed row: target, percent (rounded down), TMS total, DPS."""
    out = {k: (row.get(k) or 0) for k in FIGURE_FIELDS} | {
        "tps_count": row.get("tps_count") or 0,
        "stale": row.get("stale") or 0,
        "as_of": row.get("as_of"),
        "last_sync": row.get("last_sync"),
        "app_version": row.get("app_version") or "",
    }
    out |= figures.derive(out)
    out["ratio"] = out["done"] / out["target"] if out["target"] else 0.0
    return out


def area_totals(*, area: Area, clock: Clock) -> dict:
    """The area's summed figures and their derived values, in one query."""
    return _with_reasons(_complete(figures_of(area=area).aggregate(**_aggregates(clock))))


def _with_reasons(totals: dict) -> dict:
    totals["tms_by_reason"] = [(r, label, totals[f"tms_{r}"]) for r, label in TMS_REASONS.items()]
    return totals


def _sum_of(groups: list[dict]) -> dict:
    """What `_aggregates` gives for the whole area, from its rows grouped by child."""
    out = {k: 0 for k in FIGURE_FIELDS} | {"tps_count": 0, "stale": 0}
    as_of = last_sync = None
    app_version = ""
    for g in groups:
        for k in out:
            out[k] += g.get(k) or 0
        if g.get("as_of") is not None and (as_of is None or g["as_of"] > as_of):
            as_of = g["as_of"]
        if g.get("last_sync") is not None and (last_sync is None or g["last_sync"] > last_sync):
            last_sync = g["last_sync"]
        app_version = max(app_version, g.get("app_version") or "")
    return out | {"as_of": as_of, "last_sync": last_sync, "app_version": app_version}


def live_figures(*, area: Area, clock: Clock, behind_only: bool = False):
    """The live partial's figures: the area's totals and its children's rows.

    Above a TPS both come from one query (the rows grouped by child, summed here for the
    totals); a TPS has no children and its totals are one query too.
    """
    if area.level not in _CHILD_COL:
        return area_totals(area=area, clock=clock), []
    groups = grouped_figures(area=area, clock=clock)
    totals = _with_reasons(_complete(_sum_of(groups)))
    rows = children_rows(area=area, clock=clock, behind_only=behind_only, groups=groups)
    return totals, rows


@dataclass
class ChildRow:
    """One row of the children table."""

    area: Area
    figures: dict
    behind: bool
    pleno_state: str = ""  # villages and districts: their own pleno's state
    pleno_label: str = ""
    pleno_days: int | None = None  # days at that state (None: never acted on)
    pleno_held: int | None = None  # districts: villages whose pleno is held, of `villages`
    pantarlih: str = ""  # TPS: their names

    # Flat accessors for django-tables2 sorting.
    @property
    def name(self) -> str:
        return self.area.title

    @property
    def code(self) -> str:
        return self.area.code

    @property
    def attention(self) -> int:
        return sum(self.figures.get(k, 0) for k in ("pending", "conflicts", "flagged", "stale"))

    def __getattr__(self, item):
        figures = self.__dict__.get("figures")
        if figures is not None and item in figures:
            return figures[item]
        raise AttributeError(item)


def _days_since(stage_since: dt.datetime, clock: Clock) -> int:
    return max((clock.now - stage_since).days, 0)


def children_rows(
    *, area: Area, clock: Clock, behind_only: bool = False, groups: list[dict] | None = None
) -> list[ChildRow]:
    """The area's children with their figures, pleno state and exceptions.

    A fixed number of queries: children (for a regency with their number of villages), their
    summed figures (unless `groups` already holds them, see `live_figures`), and the plenos
    below (a regency: counted per district and state) or the pantarlih of a village's TPS.
    """
    child_col = _CHILD_COL.get(area.level)
    if child_col is None:
        return []
    children = Area.objects.filter(parent=area).order_by("code")
    if area.level == Area.Level.REGENCY:
        villages = Count("children", filter=Q(children__level=Area.Level.VILLAGE))
        children = children.annotate(villages=villages)
    if groups is None:
        groups = grouped_figures(area=area, clock=clock)
    by_code = {r[child_col]: _complete(r) for r in groups}
    zero = _complete({})
    expected = clock.expected
    rows = []
    for child in children:
        f = by_code.get(child.code, zero)
        behind = expected is not None and f["target"] > 0 and f["ratio"] < expected
        rows.append(ChildRow(area=child, figures=f, behind=behind))
    if area.level in (Area.Level.DISTRICT, Area.Level.REGENCY):
        _pleno_states(area, rows, clock)
    if area.level == Area.Level.VILLAGE:
        names = pantarlih_names(codes=[c.code for c in children])
        for row in rows:
            row.pantarlih = ", ".join(names.get(row.area.code, []))
    if behind_only:
        rows = [r for r in rows if r.behind]
    return rows


def _pleno_states(area: Area, rows: list[ChildRow], clock: Clock) -> None:
    """Each child's own pleno (state, days at it) and, for a regency's districts, how many of
    their villages have held theirs: two queries whatever the size (SPEC 7 "Bottlenecks")."""
    stage = pleno_stage(area)
    labels = {state: str(label) for state, label in Pleno.State.choices}
    own = {
        code: (state, since)
        for code, state, since in Pleno.objects.filter(stage=stage, area__parent=area).values_list(
            "area_id", "state", "state_since"
        )
    }
    held: dict[str, int] = {}
    if area.level == Area.Level.REGENCY:
        held = dict(
            Pleno.objects.filter(
                stage=stage,
                level=Area.Level.VILLAGE,
                state=Pleno.State.SUDAH,
                area__code__below=area.code,
            )
            .values_list("area__parent_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
    for row in rows:
        state, since = own.get(row.area.code, (Pleno.State.BELUM, None))
        row.pleno_state, row.pleno_label = state, labels[state]
        row.pleno_days = _days_since(since, clock) if since else None
        if area.level == Area.Level.REGENCY:
            row.pleno_held = held.get(row.area.code, 0)


def village_pleno(*, village: Area) -> Pleno | None:
    """The village's pleno of the current stage: its state and since when (None: not acted on)."""
    return (
        Pleno.objects.filter(stage=pleno_stage(village), area=village)
        .only("area_id", "state", "state_since", "stage", "ba_number")
        .first()
    )


def pantarlih_names(*, codes: list[str]) -> dict[str, list[str]]:
    """The names of the pantarlih of each TPS (a TPS of over 400 voters has two)."""
    out: dict[str, list[str]] = {}
    users = User.objects.filter(role=Role.PANTARLIH, area_id__in=codes, is_active=True)
    for u in users.order_by("area_id", "username").only(
        "area_id", "username", "first_name", "last_name"
    ):
        out.setdefault(u.area_id, []).append(u.display_name)
    return out


# Search: villages and TPS (and districts) by name or code, inside one area.
SEARCH_LIMIT = 20


def search_areas(*, area: Area, q: str) -> list[Area]:
    """Areas below `area` whose name contains `q` or whose code starts with it.

    "TPS 7" or "tps 007" finds TPS number 7 of every village in the area. Never leaves the area:
    every result's code starts with the area's own.
    """
    q = " ".join(q.split())[:60]
    if len(q) < 2:
        return []
    below = Area.objects.filter(
        code__below=area.code,
        level__in=[Area.Level.DISTRICT, Area.Level.VILLAGE, Area.Level.TPS],
    )
    match = Q(name__icontains=q)
    if q[0].isdigit():
        match |= Q(code__startswith=q) | Q(code__startswith=f"{area.code}.{q}")
    words = q.lower().split()
    if len(words) == 2 and words[0] == "tps" and words[1].isdecimal() and words[1].isascii():
        match |= Q(level=Area.Level.TPS, code__endswith=f".{int(words[1]):03d}")
    return list(
        below.filter(match).select_related("parent").order_by("level", "code")[:SEARCH_LIMIT]
    )


# The voter list of a TPS: paginated, hand-rendered (a tables2 table of 600 rows costs 10x).
VOTERS_PER_PAGE = 50


FLAGGED = "ditandai"


def tps_voters(*, tps: Area, page: str | int | None, status: str = ""):
    """One page of the TPS's voters (those of its list and those added there), in list order."""
    qs = Voter.objects.filter(tps=tps).order_by("origin", "id")
    if status in Voter.Status.values:
        qs = qs.filter(status=status)
    elif status == FLAGGED:  # what the row's "ditandai" count links to
        qs = qs.exclude(flags="")
    qs = qs.only(
        "id",
        "nama",
        "nik",
        "jenis_kelamin",
        "tanggal_lahir",
        "alamat",
        "rt",
        "rw",
        "origin",
        "status",
        "tms_reason",
        "verification",
        "conflict",
        "flags",
    )
    return Paginator(qs, VOTERS_PER_PAGE).get_page(page)
