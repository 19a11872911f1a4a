"""Reads for the dashboard pages (selectors): totals, child rows, the chart, search, the TPS page.

Every read here is a fixed number of queries over `TpsFigures` (one row per TPS), `Pleno`,
`DailyProgress` and `Area`, whatever the number of children or voters: the page and its poll
must cost the same with 10,000 voters and with 1,000,000.
"""

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from coklit import figures
from coklit.models import (
    FIGURE_FIELDS,
    TMS_REASONS,
    AreaVersion,
    DailyProgress,
    Pleno,
    TpsFigures,
    Voter,
)
from coklit.plenos import current_stage
from coklit.selectors import percent
from kpu.models import Area, Pemilihan, Role, User, tzinfo_of, zone_of

# A TPS that has not synced for this long is an exception on the dashboard (SPEC 7).
STALE_AFTER = dt.timedelta(hours=48)

# The TpsFigures column that holds each level's code, and the one that groups its children.
_OWN_COL = figures.OWN_COLUMN
_CHILD_COL = figures.CHILD_COLUMN


def figures_of(*, area: Area):
    """The TpsFigures rows of an area (any level, a province included)."""
    if area.level in _OWN_COL:
        return TpsFigures.objects.filter(**{_OWN_COL[area.level]: area.code})
    return TpsFigures.objects.filter(regency_code__below=area.code)


@dataclass(frozen=True)
class Clock:
    """Now, in the election's zone, and where it stands in the coklit period."""

    now: dt.datetime
    zone: str
    tzinfo: object
    start: dt.date | None
    end: dt.date | None

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def period_start(self) -> dt.datetime | None:
        if self.start is None:
            return None
        return dt.datetime.combine(self.start, dt.time(), self.tzinfo)

    @property
    def expected(self) -> float | None:
        """Share of the coklit period elapsed (0..1), by the hour: the ideal progress by now.

        The ideal line runs straight from 0% at the start of the first day to 100% at the end of
        the last. Taken at the whole hour so that a poll's ETag (which holds the hour) stays true.
        """
        if self.start is None or self.end is None:
            return None
        total = (self.end - self.start).days + 1
        hour = self.now.replace(minute=0, second=0, microsecond=0)
        elapsed = (hour - self.period_start).total_seconds() / (total * 86400)
        return min(max(elapsed, 0.0), 1.0)

    @property
    def stale_cutoff(self) -> dt.datetime:
        return self.now - STALE_AFTER


def clock_for(*, area: Area, pemilihan: Pemilihan | None, now: dt.datetime | None = None) -> Clock:
    # The election is the area's regency's, so its zone is the area's (kpu.models.zone_of).
    zone, tz = zone_of(area.code), tzinfo_of(area.code)
    now = timezone.localtime(now or timezone.now(), tz)
    return Clock(
        now=now,
        zone=zone,
        tzinfo=tz,
        start=pemilihan.coklit_start if pemilihan else None,
        end=pemilihan.coklit_end if pemilihan else None,
    )


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


def grouped_figures(*, area: Area, clock: Clock) -> list[dict]:
    """`_aggregates` of the area's TPS rows per child, keyed by the child column, in code order.

    Plain SQL, prepared on PostgreSQL: the ORM spent more time building these 45 aggregates on
    every request than the database spends computing them. Same figures as
    `figures_of(area).values(child_col).annotate(**_aggregates(clock))`.
    """
    own_col, child_col = _OWN_COL[area.level], _CHILD_COL[area.level]
    connection = connections[router.db_for_read(TpsFigures)]
    cutoff = connection.ops.adapt_datetimefield_value(clock.stale_cutoff)
    start = clock.period_start
    never = " OR last_sync_at IS NULL" if start is not None and start <= clock.stale_cutoff else ""
    sums = ", ".join(f"SUM({k})" for k in FIGURE_FIELDS)
    sql = (
        f"SELECT {child_col}, COUNT(*), SUM(CASE WHEN (target_l > 0 OR target_p > 0) AND "
        f"(last_sync_at < %s{never}) THEN 1 ELSE 0 END), MAX(updated_at), MAX(last_sync_at), "
        f"MAX(app_version), {sums} FROM {_FIGURES} WHERE {own_col} = %s "
        f"GROUP BY {child_col} ORDER BY {child_col}"
    )
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [cutoff, area.code])
        rows = cursor.fetchall()
    names = [child_col, "tps_count", "stale", "as_of", "last_sync", "app_version", *FIGURE_FIELDS]
    groups = []
    for row in rows:
        g = dict(zip(names, row, strict=True))
        g["as_of"], g["last_sync"] = _aware(g["as_of"]), _aware(g["last_sync"])
        groups.append(g)
    return groups


def _aware(value):
    """A datetime from raw SQL as the ORM gives it: SQLite returns text, naive in UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _level_of(code: str) -> int:
    return code.count(".") + 1


def live_version(*, code: str) -> tuple[Callable[[], Area], tuple] | None:
    """The area with this code and a cheap version of what its live partial shows, in one query
    (None: no such area). This is all an unchanged poll (a 304) reads besides who is asking.
    The area comes as a function making it from the row: a 304 never needs it.

    The figures: a TPS's own `version`, bumped on every change of its figures; above it the
    area's `AreaVersion` counter, bumped in the same transaction (figures.apply, ensure_tps),
    so one row is read where a regency has 2,000 TPS (a province, rare: the sum of its rows).
    Plenos change on their own, so the count and latest `updated_at` of the plenos of the area,
    the areas above it and those below it are part of it, and so is the election's coklit
    period (the expected progress and the chart follow it).

    Plain SQL, one statement, prepared on PostgreSQL (`prepared_cursor`).
    """
    level = _level_of(code)
    if level == Area.Level.TPS:
        figures_sql, figures_param = f"SELECT version AS v FROM {_FIGURES} WHERE tps_id = %s", code
    elif level in _OWN_COL:
        figures_sql, figures_param = f"SELECT version AS v FROM {_VERSIONS} WHERE code = %s", code
    else:
        figures_sql = f"SELECT SUM(version) AS v FROM {_VERSIONS} WHERE code LIKE %s"
        figures_param = code + ".%"
    # The plenos of the area's regency, district and village (a TPS: its village's), padded to
    # three so the statement keeps one shape, and of everything below the area.
    parts = code.split(".")
    chain = [".".join(parts[:i]) for i in range(2, min(len(parts), 4) + 1)] or [code]
    chain += [chain[-1]] * (3 - len(chain))
    sql = (
        "SELECT a.parent_id, a.level, a.name, f.v, d.n, d.m, p.n, p.s0, p.s1, p.e0, p.e1 "
        f"FROM (SELECT parent_id, level, name FROM {_AREAS} WHERE code = %s) AS a "
        f"LEFT JOIN ({figures_sql}) AS f ON TRUE, "
        f"(SELECT COUNT(*) AS n, MAX(updated_at) AS m FROM {_PLENOS} "
        "WHERE area_id IN (%s, %s, %s) OR area_id LIKE %s) AS d, "
        "(SELECT COUNT(*) AS n, MIN(coklit_start) AS s0, MAX(coklit_start) AS s1, "
        f"MIN(coklit_end) AS e0, MAX(coklit_end) AS e1 FROM {_ELECTIONS} WHERE regency_id = %s) "
        "AS p"
    )
    regency = ".".join(code.split(".")[:2])
    db = router.db_for_read(TpsFigures)
    with prepared_cursor(connections[db]) as cursor:
        cursor.execute(sql, [code, figures_param, *chain, code + ".%", regency])
        row = cursor.fetchone()
    if row is None:
        return None
    parent_id, area_level, name, figures_version, plenos, plenos_at, *election = row
    if area_level != level:  # never, as codes nest; but a wrong column must not go unnoticed
        return None
    version = (int(figures_version or 0), plenos, str(plenos_at), *map(str, election))
    return lambda: Area.from_db(db, _AREA_FIELDS, [code, parent_id, level, name]), version


@contextmanager
def prepared_cursor(connection):
    """A cursor whose statements PostgreSQL keeps prepared, when the connection allows it.

    Django's cursors bind parameters on the client and never prepare, so PostgreSQL parses and
    plans a statement every time; a server-binding cursor lets psycopg prepare it, once per
    connection (settings: `prepare_threshold`, DATABASE_PREPARED_STATEMENTS). Used
    for the two plain-SQL reads every poll makes: the version query, most of what an unchanged
    poll costs (prepared, it takes half the time), and the children's figures. Wrapped like any
    Django cursor, so query logging and execute wrappers see it.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    if getattr(connection.connection, "prepare_threshold", None) is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    cursor = connection._prepare_cursor(ServerBindingCursor(connection.connection))
    try:
        yield cursor
    finally:
        cursor.close()


_FIGURES = TpsFigures._meta.db_table
_PLENOS = Pleno._meta.db_table
_AREAS = Area._meta.db_table
_VERSIONS = AreaVersion._meta.db_table
_AREA_FIELDS = ["code", "parent_id", "level", "name"]
_ELECTIONS = Pemilihan._meta.db_table


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
    stage = current_stage(area)
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
        Pleno.objects.filter(stage=current_stage(village), area=village)
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


@dataclass(frozen=True)
class Chart:
    """The cumulative-progress chart as SVG coordinates (drawn by the template)."""

    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    actual: str  # polyline points
    ideal: str
    today_x: float | None
    last_point: tuple[float, float] | None
    last_percent: float
    grid: list  # [(y, label)]
    start: dt.date
    end: dt.date
    days: int


def progress_chart(*, area: Area, clock: Clock, target: int) -> Chart | None:
    """Cumulative % done per day over the coklit period, against the ideal straight line.

    Each point is the end of a day: done results recorded up to and including that day (from
    DailyProgress, in the election's zone), over the voters on the list. One query.
    """
    if clock.start is None or clock.end is None:
        return None
    start, end = clock.start, clock.end
    days = (end - start).days + 1
    # Narrower than wide screens need and taller than it looks: on a 360 px phone the plot is
    # still ~170 px tall (at 640 x 230 it was ~90 px).
    width, height, left, top, right, bottom = 480, 280, 46, 14, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day_index: float) -> float:  # 0 = start of the first day, days = end of the last
        return round(left + plot_w * day_index / days, 1)

    def y(pct: float) -> float:
        return round(top + plot_h * (1 - min(pct, 100.0) / 100), 1)

    daily = dict(
        DailyProgress.objects.filter(area_code=area.code, day__lte=end).values_list("day", "done")
    )
    before = sum(n for d, n in daily.items() if d < start)
    last_day = min(clock.today, end)
    points = [(x(0), y(0.0))]
    cumulative = before
    pct = 0.0
    if clock.today >= start:
        for i in range((last_day - start).days + 1):
            cumulative += daily.get(start + dt.timedelta(days=i), 0)
            pct = percent(cumulative, target)
            # Today is drawn up to now, the days before to their end.
            at = i + 1
            if start + dt.timedelta(days=i) == clock.today:
                at = i + (clock.now.hour * 60 + clock.now.minute) / 1440
            points.append((x(at), y(pct)))
    today_x = None
    if start <= clock.today <= end:
        today_x = points[-1][0]
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        actual=" ".join(f"{a},{b}" for a, b in points),
        ideal=f"{x(0)},{y(0)} {x(days)},{y(100)}",
        today_x=today_x,
        last_point=points[-1] if len(points) > 1 else None,
        last_percent=pct,
        grid=[(y(p), p) for p in (0, 25, 50, 75, 100)],
        start=start,
        end=end,
        days=days,
    )


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
