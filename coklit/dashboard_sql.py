"""The dashboard's two plain-SQL reads, made on every poll, and the prepared cursor they use.

`grouped_figures` gives the children's summed figures; `live_version`, what an unchanged poll
(a 304) costs. Both are plain SQL, one statement each, which `prepared_cursor` lets PostgreSQL
keep prepared.
"""

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager

from django.db import connections, router
from django.utils import timezone

from coklit import figures
from coklit.clock import Clock
from coklit.models import FIGURE_FIELDS, AreaVersion, Pleno, TpsFigures
from kpu.models import Area, Pemilihan

_OWN_COL = figures.OWN_COLUMN
_CHILD_COL = figures.CHILD_COLUMN


def grouped_figures(*, area: Area, clock: Clock) -> list[dict]:
    """`dashboard._aggregates` of the area's TPS per child, keyed by the child column, in order.

    Plain SQL, prepared on PostgreSQL: the ORM spent more time building these 45 aggregates on
    every request than the database spends computing them. Same figures as
    `dashboard.figures_of(area).values(child_col).annotate(**dashboard._aggregates(clock))`.
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
