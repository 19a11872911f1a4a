"""`make bench`, part "pleno": the KPU's pleno over the whole regency (SPEC 10: "the KPU's pleno
over 1,000,000 voters completes in seconds").

Timed: `plenos.pleno_hold` of the regency, whose snapshot copies every voter's state with one
`INSERT ... SELECT` (`coklit.snapshots`), against the yardstick of a bare `INSERT ... SELECT` of
the same rows into a table of the same columns without key or index. Then the regency's berita
acara (from that snapshot) and its "changed since" after a village is reopened and held again.
Each run is one transaction rolled back at the end, so every run starts from the same database:
every village and district pleno is set held inside it (not timed), then the regency's is held.
"""

import statistics
import time

from django.db import connection, transaction
from django.test import Client

REGENCY = "33.02"


class Rollback(Exception):
    pass


def _hold_below(regency) -> None:
    """Every village and district pleno of the regency held, set straight (not what is timed)."""
    from coklit.models import Pleno
    from kpu.models import Area

    areas = list(Area.objects.filter(code__below=regency.code, level__in=(3, 4)))
    Pleno.objects.bulk_create(
        [Pleno(stage="dphp", area=a, level=a.level, state="sudah", ba_number="b") for a in areas],
        ignore_conflicts=True,
    )
    Pleno.objects.filter(stage="dphp", area__in=areas).update(state="sudah", ba_number="b")


def _village_hold(village, by) -> None:
    """The village's pleno held with its snapshot (its preconditions are not what is timed)."""
    from coklit import snapshots
    from coklit.models import Pleno, PlenoEvent

    pleno = Pleno.objects.get(stage="dphp", area=village)
    Pleno.objects.filter(pk=pleno.pk).update(state="sudah", ba_number="b")
    hold = PlenoEvent.objects.create(
        pleno=pleno, action="hold", by=by, state_from="belum", state_to="sudah", ba_number="b"
    )
    snapshots.snapshot_take(hold=hold)


def _bare(regency) -> float:
    from coklit import snapshots

    sql, params = snapshots.insert_voters_sql(0, regency)
    sql = sql.replace(snapshots.SnapshotVoter._meta.db_table + " ", "bench_bare_snapshot ", 1)
    with connection.cursor() as cur:
        # A plain table (WAL-logged like the real one; a TEMP table is not), without key or index,
        # made in the transaction the caller rolls back.
        cur.execute(
            "CREATE TABLE bench_bare_snapshot (snapshot_id bigint, voter_id bigint, "
            "status varchar(5), tms_reason smallint, tps varchar(20), dps_tps varchar(20), "
            "verification varchar(8), level smallint)"
        )
        start = time.perf_counter()
        cur.execute(sql, params)
        return time.perf_counter() - start


def pleno_part(res, P: dict) -> None:
    from coklit import plenos, snapshots
    from coklit.models import Pleno
    from kpu.models import Area, User

    regency = Area.objects.get(code=REGENCY)
    kpu = User.objects.get(username=f"kpu-{REGENCY}")
    village = Area.objects.filter(code__below=REGENCY, level=4).order_by("code")[0]
    client = Client()
    client.force_login(kpu)
    runs = max(1, P.get("rekap_runs", 3) // 2)
    # Earlier runs' rolled-back rows are dead tuples: vacuumed, as autovacuum would in time.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE coklit_snapshotvoter")
    t = {"hold": [], "bare": [], "ba": [], "changes": [], "voters": 0}
    for _ in range(runs):
        try:
            with transaction.atomic():
                t["bare"].append(_bare(regency))
                raise Rollback
        except Rollback:
            pass
        try:
            with transaction.atomic():
                _hold_below(regency)
                # The village that will be reopened holds its pleno with its own snapshot, as
                # every village does before its district's pleno.
                _village_hold(village, kpu)
                start = time.perf_counter()
                pleno = plenos.pleno_hold(
                    area=regency, by=kpu, ba_number="bench/KPU", sk_number="bench/SK"
                )
                with connection.cursor() as cur:
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                t["hold"].append(time.perf_counter() - start)
                t["voters"] = snapshots.latest_snapshot(pleno).voters
                url = f"/pleno/{REGENCY}/berita-acara/"
                start = time.perf_counter()
                response = client.get(url)
                t["ba"].append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
                # A village reopened and held again, then the regency held again: its
                # "changed since" reads the reopened village only.
                plenos.pleno_reopen(area=village, by=kpu, note="bench")
                _village_hold(village, kpu)
                Pleno.objects.filter(area_id=village.parent_id).update(
                    state="sudah", ba_number="b2"
                )
                pleno = plenos.pleno_hold(
                    area=regency, by=kpu, ba_number="bench/KPU-2", sk_number="bench/SK"
                )
                start = time.perf_counter()
                changes = snapshots.pleno_changes(pleno)
                t["changes"].append(time.perf_counter() - start)
                assert changes is not None
                raise Rollback
        except Rollback:
            pass
    med = statistics.median
    res.add("pleno: voters in the regency's snapshot", t["voters"], "rows")
    res.add("pleno: KPU pleno hold with snapshot", med(t["hold"]), "s")
    res.add("bare: INSERT ... SELECT of the same rows", med(t["bare"]), "s")
    res.add("pleno: hold / bare INSERT ... SELECT", med(t["hold"]) / med(t["bare"]), "x", 3)
    res.add("pleno: regency berita acara page", med(t["ba"]) * 1000, "ms")
    if t["changes"]:
        res.add("pleno: changed since (one village reopened)", med(t["changes"]) * 1000, "ms")
