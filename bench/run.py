"""`make bench`: SPEC 10's performance bars, measured in one run as ratios against yardsticks.

    DATABASE_URL=postgres://... .venv/bin/python bench/run.py [--quick] [--out bench-results.json]

PostgreSQL only. Never touches the database DATABASE_URL names: it makes two scratch databases
beside it, `<name>_big` and `<name>_small`, and drops them at the end (`--keep` keeps them and
a later `--reuse` run skips the seeding). Both hold Kabupaten Banyumas (33.02: 27 kecamatan, 331
desa/kelurahan) with the same 2,000 TPS, the same users, election, plenos and chart days;
`big` has 1,000,000 voters (and an event per coklit result), `small` 10,000. So big/small
isolates the one thing SPEC 10 says must not matter: the number of voters.

Seeding is COPY in text format, with the per-TPS figures computed while the rows are made (by
`figures.contributions`, once per kind of voter) and checked against a recount of a village.

Everything is timed several times and the median kept, interleaved with its yardstick, since the
machine is shared and noisy; what is compared is a ratio. The yardsticks (`bench/views.py`,
reachable only under `bench.settings`): a logged-in view returning a constant, and one rendering
the base template with a 30-row table. Sync, import and export are compared with bare psycopg
inserts, csv + COPY and bare openpyxl write-only (bench/sync_batch.py, import_100k.py and
export_dps.py, reused here). Writes that are timed run in a transaction that is rolled back
after its deferred foreign-key checks, so every run starts from the same database.

Prints a table and writes `bench-results.json`: a list of {"metric", "value", "unit", "goal",
"ok"}; `goal` is an upper bound (`ok` is value <= goal), null for figures reported for
information (sizes, absolute times).
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
# Measured as in production (DEBUG off), with the test conveniences (local secret and hosts).
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_TESTING", "1")

REGENCY = "33.02"  # Kabupaten Banyumas
SYNC_TPS_SIZE = 1000  # the synced TPS holds 1,000 voters: a 1,000-event batch for one TPS
MiB = 2**20


def die(message: str) -> None:
    print(f"make bench: {message}", file=sys.stderr)
    sys.exit(2)


def database_or_die() -> dict:
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        die(
            "DATABASE_URL is not set. The bench needs PostgreSQL, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/pantau make bench\n"
            "(it makes and drops scratch databases <name>_big and <name>_small beside it)."
        )
    db = dj_database_url.parse(url)
    if db["ENGINE"] != "django.db.backends.postgresql":
        die(
            f"DATABASE_URL is {db['ENGINE'].rsplit('.', 1)[-1]}, not PostgreSQL: SPEC 10's bars "
            "are for PostgreSQL (COPY, server-side cursors)."
        )
    return db


# --- Scratch databases ----------------------------------------------------------------------


def admin(db: dict):
    """An autocommit connection to the database DATABASE_URL names (for CREATE DATABASE)."""
    import psycopg

    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )


def use(name: str) -> None:
    """Point Django's default connection at another database (reconnects on the next query)."""
    from django.db import connections

    conn = connections["default"]
    conn.close()
    conn.settings_dict["NAME"] = name


def exists(db: dict, name: str) -> bool:
    with admin(db) as c:
        return c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def drop(db: dict, *names: str) -> None:
    with admin(db) as c:
        for name in names:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Seeding --------------------------------------------------------------------------------

FIRST = (
    "Agus Budi Siti Sri Dewi Eko Joko Wahyu Tri Dwi Rina Yuli Nur Ahmad Slamet Sugeng Endang "
    "Suparman Sutrisno Wati Ani Yanto Heru Bambang Puji Lestari Rahayu Setyo Hadi Kusuma"
).split()
FAMILY = (
    "Santoso Wibowo Susanto Hartono Purnomo Saputra Wijaya Lestari Hidayat Nugroho Pratama "
    "Kurniawan Rahayu Setiawan Prasetyo Handayani Utomo Suryadi Wardani Kristanto"
).split()
PLACES = "Purwokerto Banyumas Sokaraja Ajibarang Wangon Cilacap Purbalingga Kebumen".split()
STREETS = "Jl. Jend. Sudirman|Jl. Gatot Subroto|Jl. Overste Isdiman|Jl. Kampus|Dusun".split("|")


def seed_structure(tps_total: int, today: dt.date) -> dict:
    """Areas, 2,000 TPS, the election, users and plenos: what both databases share."""
    from django.core.management import call_command

    from coklit.models import Pleno
    from kpu.models import Area, Role, User
    from kpu.services import pemilihan_create
    from kpu.wilayah import import_wilayah

    call_command("migrate", verbosity=0)
    import_wilayah(prefix=REGENCY)
    regency = Area.objects.get(code=REGENCY)
    pemilihan, _ = pemilihan_create(
        regency=regency,
        name="Pemilihan Serentak (bench)",
        voting_day=today + dt.timedelta(days=120),
        coklit_start=today - dt.timedelta(days=20),
        coklit_end=today + dt.timedelta(days=10),
    )
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE, parent__parent=regency))
    villages.sort(key=lambda a: a.code)
    # At least two TPS a village (a TMS 8 result moves a voter to another TPS of the village).
    villages = villages[: max(1, min(len(villages), tps_total // 2))]
    per, extra = divmod(tps_total, len(villages))
    tps = []
    for i, village in enumerate(villages):
        for n in range(1, per + (1 if i < extra else 0) + 1):
            tps.append(
                Area(code=f"{village.code}.{n:03d}", parent=village, level=5, name=f"TPS {n:03d}")
            )
    Area.objects.bulk_create(tps, batch_size=5000)
    kpu = User(username=f"kpu-{REGENCY}", role=Role.KPU, area=regency)
    kpu.set_unusable_password()
    kpu.save()
    pantarlih = User(username=f"pantarlih-{tps[0].code}", role=Role.PANTARLIH, area=tps[0])
    pantarlih.set_unusable_password()
    pantarlih.save()
    rng = random.Random(7)
    states = ["belum"] * 5 + ["sudah", "sudah", "dikembalikan", "sudah"]
    tz = pemilihan.tzinfo
    Pleno.objects.bulk_create(
        [
            Pleno(
                area=v,
                level=Area.Level.VILLAGE,
                state=(state := rng.choice(states)),
                ba_number="01/BA/bench" if state == "sudah" else "",
                state_since=dt.datetime.combine(
                    today - dt.timedelta(days=rng.randint(0, 6)), dt.time(9), tz
                ),
            )
            for v in villages[1:]  # the synced TPS's village stays open for results
        ]
    )
    return {"tps": [t.code for t in tps], "days": (pemilihan.coklit_start, today), "tz": tz}


def seed_voters(plan: dict, total: int, *, sync_tps: bool) -> dict:
    """COPY `total` voters (and their coklit events) into the 2,000 TPS; the per-TPS figures and
    the chart's daily progress are computed on the way and COPY'd too. One transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from coklit import figures
    from coklit.models import FIGURE_FIELDS, CoklitEvent, DailyProgress, TpsFigures, Voter

    rng = random.Random(total)
    codes = plan["tps"]
    start, today = plan["days"]
    tz = plan["tz"]
    sizes = [total // len(codes)] * len(codes)
    if sync_tps:
        sizes[0] = min(SYNC_TPS_SIZE, total)
        rest, extra = divmod(total - sizes[0], len(codes) - 1)
        sizes[1:] = [rest + (1 if i < extra else 0) for i in range(len(codes) - 1)]
    else:
        for i in range(total - sum(sizes)):
            sizes[i] += 1
    # Result times: every day of the coklit so far, office hours, in the election's zone.
    span = (today - start).days + 1
    moments = [
        dt.datetime.combine(start + dt.timedelta(days=d), dt.time(h, m), tz)
        for d in range(span)
        for h in range(8, 17)
        for m in (0, 20, 40)
    ]
    now = timezone.now()
    moments = [m for m in moments if m < now] or [now - dt.timedelta(hours=1)]
    stamp = {m: m.isoformat(sep=" ") for m in moments}
    now_s = now.isoformat(sep=" ")

    kinds: dict[str, Counter] = defaultdict(Counter)
    daily: Counter = Counter()
    events = []
    vid = 0
    vcols = (
        "id tps_id village_id origin nkk nik nama tempat_lahir tanggal_lahir jenis_kelamin "
        "status_kawin alamat rt rw disabilitas ktp_el flags status tms_reason dps_tps_id "
        "verification conflict outcome_at outcome_event_id updated_at"
    ).split()
    ecols = (
        "id tps_id voter_id outcome tms_reason target_tps note changes new_voter recorded_at "
        "received_at user_id app_version stands conflict verification verified_by_id "
        "verified_at verification_note"
    ).split()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        vcopy = f"COPY {Voter._meta.db_table} ({', '.join(vcols)}) FROM STDIN"
        ecopy = f"COPY {CoklitEvent._meta.db_table} ({', '.join(ecols)}) FROM STDIN"
        with cur.copy(vcopy) as copy:
            for i, (code, size) in enumerate(zip(codes, sizes, strict=True)):
                village = code.rsplit(".", 1)[0]
                share = 0.0 if (sync_tps and i == 0) else rng.uniform(0.35, 0.9)
                lines = []
                for _k in range(size):
                    vid += 1
                    r = rng.random()
                    origin, status, reason, verification = "A", "BELUM", "\\N", ""
                    if r < share * 0.02:
                        origin, status = "BARU", "BARU"
                        verification = "approved" if r < share * 0.015 else "pending"
                    elif r < share:
                        s = rng.random()
                        if s < 0.87:
                            status = "MS"
                        elif s < 0.92:
                            status = "UBAH"
                        else:
                            status, reason = "TMS", str(rng.choice((1, 2, 2, 3, 4, 4, 4, 5)))
                        if status != "MS":
                            verification = "pending" if rng.random() < 0.3 else "approved"
                    sex = "L" if rng.random() < 0.5 else "P"
                    conflict = status != "BELUM" and rng.random() < 0.002
                    if conflict:
                        verification = "pending"
                    u = rng.random()
                    dis = "" if u > 0.015 else ("1" if u < 0.008 else "6")
                    ktp = "f" if rng.random() < 0.03 else "t"
                    flags = "nik_tgl" if rng.random() < 0.005 else ""
                    nik = f"3302{(vid * 982451653) % 10**12:012d}"
                    nkk = f"3302{(vid // 4 * 104729) % 10**12:012d}"
                    nama = f"{rng.choice(FIRST)} {rng.choice(FAMILY)}"
                    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
                    alamat = f"{rng.choice(STREETS)} No. {rng.randrange(1, 200)}"
                    rt, rw = f"{rng.randrange(1, 12):03d}", f"{rng.randrange(1, 6):03d}"
                    if status == "BELUM":
                        at = event = "\\N"
                    else:
                        moment = rng.choice(moments)
                        at = stamp[moment]
                        event = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                        outcome = "MS" if status in ("MS", "UBAH") else status
                        changes = '{"rt": "004"}' if status == "UBAH" else "{}"
                        events.append(
                            f"{event}\t{code}\t{vid}\t{outcome}\t{reason}\t\\N\t\t{changes}\t"
                            f"{{}}\t{at}\t{at}\t\\N\t1.4.2\tt\t{'t' if conflict else 'f'}\t"
                            f"{verification}\t\\N\t\\N\t"
                        )
                        if origin == "A":
                            daily[(code, moment.date())] += 1
                    lines.append(
                        f"{vid}\t{code}\t{village}\t{origin}\t{nkk}\t{nik}\t{nama.upper()}\t"
                        f"{rng.choice(PLACES)}\t{born}\t{sex}\tS\t{alamat}\t{rt}\t{rw}\t{dis}\t"
                        f"{ktp}\t{flags}\t{status}\t{reason}\t\\N\t{verification}\t"
                        f"{'t' if conflict else 'f'}\t{at}\t{event}\t{now_s}\n"
                    )
                    kinds[code][
                        (origin, status, reason, sex, verification, conflict, flags, dis, ktp)
                    ] += 1
                copy.write("".join(lines))
        made_voters = time.perf_counter() - t0
        with cur.copy(ecopy) as copy:
            for i in range(0, len(events), 20000):
                copy.write("\n".join(events[i : i + 20000]) + "\n")
        n_events = len(events)
        del events

        # The figures of each TPS: each kind of voter's contributions times how many there are.
        fig_rows = []
        parts = {c: c.split(".") for c in codes}
        for code in codes:
            change: figures.Delta = {}
            for (origin, status, reason, sex, verif, conflict, flags, dis, ktp), n in kinds[
                code
            ].items():
                sample = Voter(
                    tps_id=code,
                    origin=origin,
                    status=status,
                    tms_reason=None if reason == "\\N" else int(reason),
                    jenis_kelamin=sex,
                    verification=verif,
                    conflict=conflict,
                    flags=flags,
                    disabilitas=dis,
                    ktp_el=ktp == "t",
                )
                figures.add_into(change, figures.contributions(sample), n)
            f = change.get(code, Counter())
            f["results"] = f["done"] + f["baru"]
            p = parts[code]
            synced = rng.choice((1, 2, 5, 20, 30, 60))
            fig_rows.append(
                (
                    code,
                    ".".join(p[:4]),
                    ".".join(p[:3]),
                    ".".join(p[:2]),
                    1,
                    now,
                    now - dt.timedelta(hours=synced),
                    "1.4.2",
                    *(f[k] for k in FIGURE_FIELDS),
                )
            )
        fcols = [
            "tps_id",
            "village_code",
            "district_code",
            "regency_code",
            "version",
            "updated_at",
            "last_sync_at",
            "app_version",
            *FIGURE_FIELDS,
        ]
        with cur.copy(f"COPY {TpsFigures._meta.db_table} ({', '.join(fcols)}) FROM STDIN") as cp:
            for row in fig_rows:
                cp.write_row(row)
        per_area: Counter = Counter()
        for (code, day), n in daily.items():
            p = code.split(".")
            for k in range(2, len(p) + 1):
                per_area[(".".join(p[:k]), day)] += n
        with cur.copy(
            f"COPY {DailyProgress._meta.db_table} (area_code, day, done) FROM STDIN"
        ) as cp:
            for (code, day), n in per_area.items():
                cp.write_row((code, day, n))
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{Voter._meta.db_table}', 'id'), %s)", [vid]
        )
    return {
        "voters": vid,
        "events": n_events,
        "seconds": time.perf_counter() - t0,
        "generate_and_copy_voters_s": made_voters,
    }


def vacuum(db: dict, name: str) -> None:
    import psycopg

    with psycopg.connect(
        dbname=name,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    ) as c:
        c.execute("VACUUM (ANALYZE)")


def sizes_of() -> dict:
    """Bytes per voter and event row, and each table's and index's size (for docs/SCALING.md)."""
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for table in ("coklit_voter", "coklit_coklitevent", "coklit_tpsfigures"):
            cur.execute(
                f"SELECT count(*), pg_relation_size(%s), pg_indexes_size(%s), "
                f"pg_total_relation_size(%s), coalesce(avg(pg_column_size(t.*)), 0) "
                f"FROM {table} t",
                [table] * 3,
            )
            n, heap, idx, total, avg = cur.fetchone()
            out[table] = {
                "rows": n,
                "heap": heap,
                "indexes": idx,
                "total": total,
                "avg_row": float(avg),
            }
            cur.execute(
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass ORDER BY 2 DESC",
                [table],
            )
            out[table]["each_index"] = dict(cur.fetchall())
        cur.execute("SELECT pg_database_size(current_database())")
        out["database"] = cur.fetchone()[0]
    return out


# --- Timing helpers -------------------------------------------------------------------------


def clock(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def get(client, url, expect=200, **headers):
    def go():
        response = client.get(url, headers=headers)
        assert response.status_code == expect, (url, response.status_code)
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
        response.close()

    return go


def med(values) -> float:
    return statistics.median(values)


# --- The run --------------------------------------------------------------------------------

PRESETS = {
    # voters (big), voters (small), TPS, rounds x samples per round, sync runs, import rows,
    # import runs, export sizes, export repeats, recap runs
    "full": dict(
        big=1_000_000,
        small=10_000,
        tps=2000,
        rounds=5,
        samples=8,
        sync_runs=5,
        import_rows=100_000,
        import_runs=3,
        export=[10_000, 100_000],
        export_repeat=3,
        stage=[20_000, 100_000],
        rekap_runs=7,
        queue=10_000,
    ),
    "quick": dict(
        big=100_000,
        small=10_000,
        tps=2000,
        rounds=3,
        samples=5,
        sync_runs=3,
        import_rows=20_000,
        import_runs=3,
        export=[2_000, 20_000],
        export_repeat=3,
        stage=[2_000, 20_000],
        rekap_runs=5,
        queue=10_000,
    ),
    "smoke": dict(
        big=3_000,
        small=300,
        tps=40,
        rounds=1,
        samples=2,
        sync_runs=1,
        import_rows=600,
        import_runs=1,
        export=[100, 1000],
        export_repeat=1,
        stage=[100, 1000],
        rekap_runs=1,
        queue=1_000,
    ),
}


class Results:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, metric, value, unit, goal=None):
        value = round(value, 4) if isinstance(value, float) else value
        ok = None if goal is None else bool(value <= goal)
        self.rows.append({"metric": metric, "value": value, "unit": unit, "goal": goal, "ok": ok})

    def table(self) -> str:
        out = [f"{'metric':<44} {'value':>12} {'unit':<6} {'goal':>8}  ok"]
        for r in self.rows:
            v = r["value"]
            v = f"{v:,.3f}" if isinstance(v, float) else f"{v:,}"
            goal = "" if r["goal"] is None else f"<= {r['goal']:g}"
            ok = {True: "yes", False: "NO", None: ""}[r["ok"]]
            out.append(f"{r['metric']:<44} {v:>12} {r['unit']:<6} {goal:>8}  {ok}")
        return "\n".join(out)


def main() -> None:  # noqa: C901 (one straight run, in the order it prints)
    parser = argparse.ArgumentParser(description="make bench: SPEC 10 measured as ratios")
    parser.add_argument("--quick", action="store_true", help="smaller (also BENCH_QUICK=1)")
    parser.add_argument("--smoke", action="store_true", help="tiny: proves the driver works")
    parser.add_argument("--out", default=str(ROOT / "bench-results.json"))
    parser.add_argument("--scratch", help="scratch database prefix (default: DATABASE_URL's)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--reuse", action="store_true", help="reuse kept scratch databases")
    parser.add_argument(
        "--only",
        nargs="*",
        help="run only these parts (pages queue sync import export stage rekap pleno)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a goal is missed")
    parser.add_argument(
        "--queue-size", type=int, help="results in the big verification queue (default 10,000)"
    )
    args = parser.parse_args()
    preset = (
        "smoke"
        if args.smoke
        else "quick"
        if (args.quick or os.environ.get("BENCH_QUICK", "") not in ("", "0"))
        else "full"
    )
    P = dict(PRESETS[preset])
    if args.queue_size:
        P["queue"] = args.queue_size
    parts = set(
        args.only or ["pages", "queue", "sync", "import", "export", "stage", "rekap", "pleno"]
    )

    db = database_or_die()
    import django

    django.setup()

    started = time.perf_counter()
    prefix = args.scratch or db["NAME"]
    big, small = f"{prefix}_big", f"{prefix}_small"
    res = Results()
    print(
        f"make bench ({preset}): PostgreSQL at {db.get('HOST') or 'socket'}, scratch "
        f"databases {big} ({P['big']:,} voters) and {small} ({P['small']:,}), {P['tps']:,} TPS",
        flush=True,
    )

    try:
        missed = measure_all(args, P, db, big, small, res, parts, started)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop(db, big, small)
    if missed and args.strict:
        sys.exit(1)


def measure_all(args, P, db, big, small, res, parts, started) -> list[str]:
    """Seed (unless reusing) and measure; the caller drops the scratch databases."""
    from django.test import Client
    from django.utils import timezone

    from kpu.models import User

    reuse = args.reuse and exists(db, big) and exists(db, small)
    if not reuse:
        drop(db, big, small)
        with admin(db) as c:
            c.execute(f'CREATE DATABASE "{big}"')
        use(big)
        t0 = time.perf_counter()
        today = timezone.localdate()
        plan = seed_structure(P["tps"], today)
        use(small)  # closes the connection to big, so it can be a template
        with admin(db) as c:
            c.execute(f'CREATE DATABASE "{small}" TEMPLATE "{big}"')
        structure_s = time.perf_counter() - t0
        seeded = {}
        for name, n, sync in ((big, P["big"], True), (small, P["small"], False)):
            use(name)
            seeded[name] = seed_voters(plan, n, sync_tps=sync)
            vacuum(db, name)
        s = seeded[big]
        print(
            f"seeded in {time.perf_counter() - t0:.0f} s: structure {structure_s:.1f} s, "
            f"{s['voters']:,} voters and {s['events']:,} events in {s['seconds']:.1f} s "
            f"(voters generated and COPY'd in {s['generate_and_copy_voters_s']:.1f} s)",
            flush=True,
        )
        res.add("seed: voters (big database)", s["voters"], "rows")
        res.add("seed: voters + events COPY'd", s["seconds"], "s")
    use(big)

    from coklit import figures
    from kpu.models import Area

    regency = Area.objects.get(code=REGENCY)
    village = Area.objects.filter(parent__parent=regency, level=4).order_by("code")[1]
    bad = figures.mismatches(code=village.code)
    assert not bad, f"seeded figures differ from a recount: {list(bad.items())[:3]}"
    sz = sizes_of()
    v, e = sz["coklit_voter"], sz["coklit_coklitevent"]
    res.add("size: voter row (heap bytes / rows)", v["heap"] / max(v["rows"], 1), "B")
    res.add("size: voter row (avg pg_column_size)", v["avg_row"], "B")
    res.add("size: voter indexes per row", v["indexes"] / max(v["rows"], 1), "B")
    res.add("size: event row (heap bytes / rows)", e["heap"] / max(e["rows"], 1), "B")
    res.add("size: event indexes per row", e["indexes"] / max(e["rows"], 1), "B")
    res.add("size: database (big)", sz["database"] / MiB, "MiB")
    print(
        f"figures of {village.code} agree with a recount; sizes: "
        + json.dumps({k: v for k, v in sz.items() if k != "database"}, default=str),
        flush=True,
    )

    url = f"/wilayah/{REGENCY}/"
    live = {"HX-Request": "true", "HX-Target": "live"}
    kpu = f"kpu-{REGENCY}"

    if "pages" in parts:
        clients = {}
        for name in (big, small):
            use(name)
            clients[name] = Client()
            clients[name].force_login(User.objects.get(username=kpu))
        t = defaultdict(list)
        for r in range(P["rounds"]):
            for name in (big, small) if r % 2 == 0 else (small, big):
                use(name)
                c = clients[name]
                get(c, url)()  # reconnect and warm up
                etag = c.get(url, headers=live)["ETag"]
                for _ in range(P["samples"]):
                    t[(name, "page")].append(clock(get(c, url)))
                    t[(name, "partial")].append(clock(get(c, url, **live)))
                    if name == big:
                        t["table"].append(clock(get(c, "/bench/tabel/")))
                        t["304"].append(
                            clock(get(c, url, expect=304, **live, **{"If-None-Match": etag}))
                        )
                        t["constant"].append(clock(get(c, "/bench/konstan/")))
        ms = {k: med(v) * 1000 for k, v in t.items()}
        res.add("page: regency page, 1M voters", ms[(big, "page")], "ms")
        res.add("page: regency page, 10k voters", ms[(small, "page")], "ms")
        res.add("page: ratio 1M / 10k", ms[(big, "page")] / ms[(small, "page")], "x", 1.2)
        res.add("partial: poll partial, 1M voters", ms[(big, "partial")], "ms")
        res.add("partial: poll partial, 10k voters", ms[(small, "partial")], "ms")
        res.add("partial: ratio 1M / 10k", ms[(big, "partial")] / ms[(small, "partial")], "x", 1.2)
        res.add("bare: 30-row template page", ms["table"], "ms")
        res.add("page: regency page / bare 30-row page", ms[(big, "page")] / ms["table"], "x", 4)
        res.add("304: unchanged poll", ms["304"], "ms")
        res.add("bare: constant view", ms["constant"], "ms")
        res.add("304: unchanged poll / bare constant view", ms["304"] / ms["constant"], "x", 1.5)
        print(res.table(), flush=True)
        use(big)

    if "queue" in parts:
        queue_part(res, P, regency)
    if "sync" in parts:
        sync_part(res, P, regency)
    if "pleno" in parts:
        from bench.pleno import pleno_part

        pleno_part(res, P)
        print(res.table(), flush=True)
    if "rekap" in parts:
        c = Client()
        c.force_login(User.objects.get(username=kpu))
        go = get(c, f"/wilayah/{REGENCY}/rekap.xlsx")
        go()
        res.add(
            "rekap: regency recap (rekap.xlsx)",
            med([clock(go) for _ in range(P["rekap_runs"])]),
            "s",
            1.0,
        )
    if "import" in parts:
        import_part(res, P)
    if "export" in parts:
        export_part(res, P, big)
    if "stage" in parts:
        stage_part(res, P, big)

    res.add("bench: total run time", time.perf_counter() - started, "s")
    print()
    print(res.table())
    Path(args.out).write_text(json.dumps(res.rows, indent=2) + "\n")
    missed = [r["metric"] for r in res.rows if r["ok"] is False]
    print(
        f"\nwrote {args.out}; {len(missed)} goal(s) missed"
        + (": " + "; ".join(missed) if missed else "")
    )
    return missed


QUEUE_SMALL = 30


def queue_part(res: Results, P: dict, regency) -> None:
    """A village's verification queue of 30 results, then of 10,000: its first page, a page deep
    in it and a filtered page, timed and weighed (SPEC 10: a page costs the same whatever the size
    of what it lists, under 150 KB). The results are deleted again at the end (figures too), so
    the database is as it was."""
    from django.db import transaction
    from django.utils import timezone

    from coklit import figures
    from coklit.models import CoklitEvent, Voter
    from kpu.models import Area, User

    village = Area.objects.filter(parent__parent=regency, level=4).order_by("code").first()
    tps_codes = list(village.children.filter(level=5).order_by("code").values_list("code", flat=1))
    rng = random.Random(11)
    now = timezone.now()
    made = [0]

    def add(n: int) -> None:
        voters, events = [], []
        for i in range(made[0], made[0] + n):
            at = now - dt.timedelta(minutes=n * 3 - i)
            tps = tps_codes[i % len(tps_codes)]
            kind = rng.random()
            event = CoklitEvent(
                id=uuid.uuid4(), tps_id=tps, recorded_at=at, verification="pending", outcome="TMS"
            )
            voter = Voter(
                tps_id=tps,
                village=village,
                nkk=f"3302{i:012d}",
                nik=f"3302{i:012d}",
                nama=f"Pemilih Antrean {i}",
                tanggal_lahir=dt.date(1980, 1, 1) + dt.timedelta(days=i % 9000),
                jenis_kelamin="LP"[i % 2],
                status_kawin="S",
                alamat=f"Jl. Antrean No. {i}",
                rt="001",
                rw="002",
                verification="pending",
                outcome_at=at,
                outcome_event_id=event.id,
            )
            if kind < 0.5:
                voter.status, voter.tms_reason = "TMS", rng.choice((1, 2, 4, 5))
                event.tms_reason = voter.tms_reason
                event.note = "surat keterangan" if voter.tms_reason == 1 else ""
            elif kind < 0.8:
                voter.status, voter.origin, event.outcome = "BARU", "BARU", "BARU"
            else:
                voter.status, event.outcome = "UBAH", "MS"
                event.changes = {"alamat": {"old": voter.alamat, "new": "Jl. Baru 1"}}
            voters.append(voter)
            events.append(event)
        made[0] += n
        with transaction.atomic():
            Voter.objects.bulk_create(voters, batch_size=2000)
            for v, e in zip(voters, events, strict=True):
                e.voter_id = v.pk
            CoklitEvent.objects.bulk_create(events, batch_size=2000)
            figures.apply(figures.delta([], voters))

    def weigh(client, url) -> int:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        return len(r.content)

    big_n = P["queue"]
    out = {}
    try:
        _queue_measure(P, village, tps_codes, add, weigh, big_n, out)
    finally:
        # Gone again, figures included, so a --reuse run starts from the same database.
        with transaction.atomic():
            queued = list(Voter.objects.filter(village=village, nama__startswith="Pemilih Antrean"))
            CoklitEvent.objects.filter(voter__in=queued).delete()
            Voter.objects.filter(pk__in=[v.pk for v in queued]).delete()
            figures.apply(figures.delta(queued, []))
            User.objects.filter(username=f"pps-{village.code}").delete()
    big, small = out[("big", "first")], out[("small", "first")]

    res.add(f"queue: first page, {big_n:,} results", big[0], "ms")
    res.add(f"queue: first page, {QUEUE_SMALL} results", small[0], "ms")
    res.add(f"queue: ratio {big_n:,} / {QUEUE_SMALL} results", big[0] / small[0], "x", 1.2)
    res.add(f"queue: page after 90% of {big_n:,}", out[("big", "deep")][0], "ms")
    res.add(f"queue: one TPS's TMS of {big_n:,}", out[("big", "tps")][0], "ms")
    res.add(f"queue: first page weight, {big_n:,} results", big[1] / 1024, "KiB", 150)
    res.add("queue: deep page weight", out[("big", "deep")][1] / 1024, "KiB", 150)
    print(res.table(), flush=True)


def _queue_measure(P, village, tps_codes, add, weigh, big_n, out) -> None:
    from django.test import Client

    from coklit.models import Voter
    from kpu.models import Role, User

    pps = User.objects.create(username=f"pps-{village.code}", role=Role.PPS, area=village)
    client = Client()
    client.force_login(pps)
    base = f"/wilayah/{village.code}/verifikasi/"
    for size, n in (("small", QUEUE_SMALL), ("big", big_n - QUEUE_SMALL)):
        add(n)
        urls = {"first": base, "tps": f"{base}?tps={tps_codes[0]}&hasil=tms"}
        if size == "big":  # a page deep in the queue: the cursor after 90% of it
            v = Voter.objects.filter(village=village, verification="pending").order_by(
                "outcome_at", "pk"
            )[big_n * 9 // 10]
            urls["deep"] = f"{base}?sesudah={v.outcome_at.isoformat()}_{v.pk}".replace("+", "%2B")
        for key, url in urls.items():
            go = get(client, url)
            go()
            out[(size, key)] = (
                med([clock(go) for _ in range(P["samples"] * 2)]) * 1000,
                weigh(client, url),
            )


def sync_part(res: Results, P: dict, regency) -> None:
    """A 1,000-event batch through the sync service (and over HTTP), against bare psycopg."""
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from bench import sync_batch as sb
    from bench.import_100k import timed
    from coklit.sync import sync_batch
    from kpu.models import Area, User
    from kpu.services import token_issue

    tps = Area.objects.filter(parent__parent__parent=regency, level=5).order_by("code").first()
    user = User.objects.get(username=f"pantarlih-{tps.code}")
    pemilihan_tz = timezone.get_fixed_timezone(7 * 60)
    start = timezone.now().astimezone(pemilihan_tz) - dt.timedelta(hours=3)
    n = min(SYNC_TPS_SIZE, tps.voters.count())
    events = sb.batch(tps, random.Random(3), start=start, target_tps=2)
    if n < 950:  # the smoke run's TPS is smaller: as many results as it has voters
        events = events[:n] + events[950:]
    bare_rows = bare_sync_rows(tps, user, events)

    def product():
        out = sync_batch(tps=tps, user=user, events=events, app_version="bench")
        assert all(r["status"] == "accepted" for r in out), [r for r in out if r["error"]][:3]

    def bare():
        bare_sync(bare_rows)

    client = Client()
    headers = {"Authorization": f"Bearer {token_issue(user=user)}", "X-App-Version": "bench"}
    body = json.dumps({"events": events})

    def http():
        r = client.post(
            "/api/v1/coklit/sync", body, content_type="application/json", headers=headers
        )
        assert r.status_code == 200, r.content[:300]

    few = events[:10]  # what a device sends most of the time: a few results since last sync

    def small():
        out = sync_batch(tps=tps, user=user, events=few, app_version="bench")
        assert all(r["status"] == "accepted" for r in out), out

    # The same results from paper (SPEC 6b): the PPS uploads the TPS's Model A worksheet with
    # these marks typed in, and types one row on the entry page.
    pps, content, entry_voter = paper_upload_setup(tps, events)
    paper_client = Client()
    paper_client.force_login(pps)
    upload_url = f"/wilayah/{tps.code}/model-a/"
    entry_url = f"/wilayah/{tps.code}/entri/"

    def upload():
        from django.core.files.uploadedfile import SimpleUploadedFile

        r = paper_client.post(upload_url, {"file": SimpleUploadedFile("model-a.xlsx", content)})
        assert r.status_code == 200 and b"Berkas diterima" in r.content, r.content[-2000:]

    def entry():
        r = paper_client.post(
            entry_url, {"pemilih": entry_voter, "tanda": "S"}, headers={"HX-Request": "true"}
        )
        assert r.status_code == 200 and b"saved" in r.content, r.content[-1000:]

    times = defaultdict(list)
    timed(product)  # warm up
    for _ in range(P["sync_runs"]):
        times["product"].append(timed(product))
        times["bare"].append(timed(bare))
        times["http"].append(timed(http))
        times["small"].append(timed(small))
        times["upload"].append(timed(upload))
        times["entry"].append(timed(entry))
    assert connection.vendor == "postgresql"
    res.add(f"sync: {len(events):,}-event batch (service)", med(times["product"]), "s")
    res.add(f"sync: {len(events):,}-event batch over HTTP", med(times["http"]), "s", 1.0)
    res.add("bare: psycopg inserts + counter updates", med(times["bare"]), "s")
    res.add("sync: 10-event batch (service)", med(times["small"]) * 1000, "ms")
    res.add("sync: batch / bare psycopg", med(times["product"]) / med(times["bare"]), "x", 3)
    res.add(f"paper: Model A upload, {len(events):,} rows", med(times["upload"]), "s")
    res.add(
        "paper: upload / same events over HTTP", med(times["upload"]) / med(times["http"]), "x", 2
    )
    res.add("paper: one row on the entry page", med(times["entry"]) * 1000, "ms")
    print(res.table(), flush=True)


def paper_upload_setup(tps, events) -> tuple:
    """The TPS's worksheet as downloaded, with the batch's results typed in as marks (and its
    new voters on the second sheet): what a PPS operator uploads. Built once, not timed."""
    from io import BytesIO

    from openpyxl import load_workbook

    from coklit import paper, xlsx
    from kpu.models import Role, User

    pps, _ = User.objects.get_or_create(
        username=f"pps-{tps.parent_id}", defaults={"role": Role.PPS, "area_id": tps.parent_id}
    )
    wb = load_workbook(xlsx.model_a_workbook(paper.worksheet_for(tps=tps)))
    ws = wb[paper.SHEET_LIST]
    head = next(r for r in range(1, 30) if ws.cell(r, 2).value == "ID")
    cols = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, 2).value: r for r in range(head + 1, ws.max_row + 1) if ws.cell(r, 2).value}
    new = wb[paper.SHEET_NEW]
    ncols = {new.cell(head, c).value: c for c in range(1, new.max_column + 1)}
    n_new = 0
    for e in events:
        if e["outcome"] == "BARU":
            n_new += 1
            nv = e["new_voter"]
            for label, key in (
                ("NKK", "nkk"),
                ("NIK", "nik"),
                ("Nama", "nama"),
                ("Tanggal Lahir", "tanggal_lahir"),
                ("Jenis Kelamin (L/P)", "jenis_kelamin"),
                ("Status Kawin (B/S/P)", "status_kawin"),
            ):
                new.cell(head + n_new, ncols[label]).value = nv[key]
            continue
        r = rows[str(e["voter"])] if str(e["voter"]) in rows else rows[e["voter"]]
        if e["outcome"] == "TMS":
            mark = str(e["tms_reason"])
            if e["tms_reason"] == 8:
                mark += f"/{e['target_tps']:03d}"
        elif e.get("changes"):
            mark = "U"
            ws.cell(r, cols["Alamat"]).value = e["changes"]["alamat"]
            ws.cell(r, cols["RT"]).value = e["changes"]["rt"]
        else:
            mark = "S"
        ws.cell(r, cols["Keterangan"]).value = mark
    out = BytesIO()
    wb.save(out)
    listed = {e["voter"] for e in events if e.get("voter")}
    spare = tps.voters.exclude(pk__in=listed).filter(origin="A").values_list("pk", flat=True)[:1]
    entry_voter = spare[0] if spare else events[0]["voter"]
    return pps, out.getvalue(), entry_voter


def bare_sync_rows(tps, user, events) -> dict:
    """The rows a batch writes, built in advance: events, voter updates, new voters, counters.

    What the service must write whatever it is made of; the bare side pays none of the checks.
    """
    from coklit import figures
    from coklit.models import Voter

    now = dt.datetime.now(dt.UTC)
    voters = {v.pk: v for v in Voter.objects.filter(tps=tps)}
    before = {
        pk: Voter(**{f: getattr(v, f) for f in figures.CONTRIBUTION_FIELDS})
        for pk, v in voters.items()
    }
    event_rows, voter_rows, new_rows, after = [], [], [], []
    village = tps.parent_id
    for e in events:
        at = dt.datetime.fromisoformat(e["recorded_at"])
        if e["outcome"] == "BARU":
            nv = e["new_voter"]
            new_rows.append(
                (
                    tps.code,
                    village,
                    "BARU",
                    nv["nkk"],
                    nv["nik"],
                    nv["nama"],
                    nv["tanggal_lahir"],
                    nv["jenis_kelamin"],
                    nv["status_kawin"],
                    "BARU",
                    "pending",
                    at,
                    e["id"],
                    now,
                )
            )
            event_rows.append(
                (
                    e["id"],
                    tps.code,
                    None,
                    "BARU",
                    None,
                    None,
                    "",
                    "{}",
                    json.dumps(nv),
                    at,
                    now,
                    user.pk,
                    "bench",
                    True,
                    False,
                    "pending",
                )
            )
            after.append(
                Voter(
                    tps_id=tps.code,
                    origin="BARU",
                    status="BARU",
                    verification="pending",
                    jenis_kelamin=nv["jenis_kelamin"],
                )
            )
            continue
        v = voters[e["voter"]]
        reason = e.get("tms_reason")
        status = "TMS" if e["outcome"] == "TMS" else ("UBAH" if e.get("changes") else "MS")
        verification = "" if status == "MS" else "pending"
        dps = f"{village}.{e['target_tps']:03d}" if reason == 8 else None
        event_rows.append(
            (
                e["id"],
                tps.code,
                v.pk,
                e["outcome"],
                reason,
                e.get("target_tps"),
                "",
                json.dumps(e.get("changes") or {}),
                "{}",
                at,
                now,
                user.pk,
                "bench",
                True,
                False,
                verification,
            )
        )
        voter_rows.append((status, reason, dps, verification, at, e["id"], now, v.pk))
        v.status, v.tms_reason, v.dps_tps_id, v.verification = status, reason, dps, verification
        after.append(v)
    change = figures.delta([before[v.pk] for v in after if v.pk], after)
    counters = []
    for code, counts in change.items():
        counts = {k: n for k, n in counts.items() if n}
        if code == tps.code:
            counts["results"] = counts.get("results", 0) + len(events)
        counters.append((code, counts))
    done = Counter()
    for e in events:
        if e["outcome"] != "BARU":
            day = dt.datetime.fromisoformat(e["recorded_at"]).date()
            for k in range(2, 6):
                done[(".".join(tps.code.split(".")[:k]), day)] += 1
    return {
        "events": event_rows,
        "voters": voter_rows,
        "new": new_rows,
        "counters": counters,
        "daily": [(code, day, n) for (code, day), n in done.items()],
    }


def bare_sync(rows: dict) -> None:
    """The same rows with plain psycopg: executemany (pipelined), no checks, no ORM."""
    from django.db import connection

    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # the psycopg cursor itself
        cur.executemany(
            "INSERT INTO coklit_voter (tps_id, village_id, origin, nkk, nik, nama, tempat_lahir, "
            "tanggal_lahir, jenis_kelamin, status_kawin, alamat, rt, rw, disabilitas, ktp_el, "
            "flags, status, verification, conflict, outcome_at, outcome_event_id, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s, %s, '', '', '', '', true, '', %s, %s, "
            "false, %s, %s, %s)",
            rows["new"],
        )
        cur.execute(
            "SELECT id, outcome_event_id FROM coklit_voter WHERE outcome_event_id = ANY(%s)",
            [[r[12] for r in rows["new"]]],
        )
        new_ids = {str(event): pk for pk, event in cur.fetchall()}
        cur.executemany(
            "INSERT INTO coklit_coklitevent (id, tps_id, voter_id, outcome, tms_reason, "
            "target_tps, note, changes, new_voter, recorded_at, received_at, user_id, "
            "app_version, stands, conflict, verification, verification_note) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '')",
            [r if r[2] is not None else (*r[:2], new_ids[r[0]], *r[3:]) for r in rows["events"]],
        )
        cur.executemany(
            "UPDATE coklit_voter SET status = %s, tms_reason = %s, dps_tps_id = %s, "
            "verification = %s, outcome_at = %s, outcome_event_id = %s, updated_at = %s "
            "WHERE id = %s",
            rows["voters"],
        )
        for code, counts in rows["counters"]:
            sets = ", ".join(f"{k} = {k} + %s" for k in counts)
            cur.execute(
                f"UPDATE coklit_tpsfigures SET {sets}, version = version + 1, "
                "updated_at = now(), last_sync_at = now() WHERE tps_id = %s",
                [*counts.values(), code],
            )
        # The poll's version counters of the TPS's village, district and regency.
        areas = sorted(
            {".".join(c.split(".")[:k]) for c, _n in rows["counters"] for k in (2, 3, 4)}
        )
        cur.execute(
            "INSERT INTO coklit_areaversion (code, version) VALUES "
            + ", ".join(["(%s, 1)"] * len(areas))
            + " ON CONFLICT (code) DO UPDATE SET version = coklit_areaversion.version + 1",
            areas,
        )
        cur.executemany(
            "INSERT INTO coklit_dailyprogress (area_code, day, done) VALUES (%s, %s, %s) "
            "ON CONFLICT (area_code, day) DO UPDATE SET done = coklit_dailyprogress.done + "
            "excluded.done",
            rows["daily"],
        )


def import_part(res: Results, P: dict) -> None:
    from bench import import_100k

    f = import_100k.measure(P["import_rows"], P["import_runs"], xlsx=False, pick=med)
    bare = f["read_csv_s"] + f["copy_s"]
    rows = f"{f['rows']:,}"
    res.add(f"import: {rows} rows (CSV, import_pemilih)", f["import_csv_s"], "s")
    res.add(f"bare: csv.reader + COPY of {rows} rows", bare, "s")
    res.add("import: import_pemilih / bare", f["import_csv_s"] / bare, "x", 3)
    print(res.table(), flush=True)


def _children_use(big: str) -> None:
    """The children read DATABASE_URL: the same server and user, the big scratch database."""
    from urllib.parse import urlsplit

    os.environ["DATABASE_URL"] = (
        urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{big}").geturl()
    )


def export_part(res: Results, P: dict, big: str) -> None:
    """bench/export_dps.py in subprocesses, pointed at the big scratch database."""
    from bench import export_dps

    _children_use(big)
    lo, hi = P["export"]
    r = export_dps.compare([lo, hi], P["export_repeat"], pick=med)
    for n in (lo, hi):
        res.add(f"export: DPS of {n:,} rows", r[(n, "export")]["seconds"], "s")
        res.add(f"bare: openpyxl write-only, {n:,} rows", r[(n, "bare")]["seconds"], "s")
    ratio = r[(hi, "export")]["seconds"] / r[(hi, "bare")]["seconds"]
    res.add(f"export: {hi:,} rows / bare openpyxl", ratio, "x", 1.2)
    res.add(
        f"export: {hi:,} rows / bare openpyxl (CPU)",
        r[(hi, "export")]["cpu"] / r[(hi, "bare")]["cpu"],
        "x",
    )
    for n in (lo, hi):
        res.add(f"export: peak Python memory, {n:,} rows", r[(n, "export")]["peak"] / MiB, "MiB")
    res.add(
        f"export: memory {hi:,} / {lo:,} rows",
        r[(hi, "export")]["peak"] / r[(lo, "export")]["peak"],
        "x",
        1.2,
    )
    # No RSS here: Linux keeps a child's max RSS across exec, so it would be this process's.


def stage_part(res: Results, P: dict, big: str) -> None:
    """bench/export_stage.py: the second stage's lists of a village, in peak memory at two
    sizes and against the first stage's list of the same village (each in a subprocess)."""
    from bench import export_stage

    _children_use(big)
    lo, hi = P["stage"]
    r = export_stage.compare([lo, hi], repeat=0)
    for mode, label in export_stage.LABELS.items():
        for n in (lo, hi):
            res.add(f"stage: peak Python memory, {label}, {n:,}", r[(n, mode)]["peak"] / MiB, "MiB")
    first = r[(hi, "first")]["peak"]
    for mode, label in export_stage.LABELS.items():
        if mode == "first":
            continue
        # The change list reads the changes only (4.5% of the voters here): at 20,000 voters
        # fewer than one cursor chunk (2,000 rows), so its growth to 100,000 is that chunk
        # filling up, not the list; for information.
        res.add(
            f"stage: memory {hi:,} / {lo:,} voters, {label}",
            r[(hi, mode)]["peak"] / r[(lo, mode)]["peak"],
            "x",
            None if mode == "perubahan" else 1.2,
        )
        res.add(
            f"stage: {label} / the first stage's list, {hi:,}", r[(hi, mode)]["peak"] / first, "x"
        )
    print(res.table(), flush=True)


if __name__ == "__main__":
    main()
