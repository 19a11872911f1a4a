"""The second stage's lists against the first stage's, in peak memory (SPEC 9 "Exports stream").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_scratch \\
        .venv/bin/python bench/export_stage.py [--rows 20000 100000] [--repeat 1]

Use a scratch database: it imports Kabupaten Kotawaringin Barat (62.01; not 62.71, whose stage
bench/export_dps.py keeps in coklit) and puts a village of `n` synthetic voters per size into
the bench TPS of one village per size (62.01.01.xxxx.9xx, four TPS each; reused by later
runs). Then the DPS is established: the KPU's DPHP pleno held with its snapshot of every voter,
a few days into the response period. After it, as accepted responses would: 2% of the voters
corrected (name, in the audit log as a verification does), 1% TMS, 0.5% TMS 8 to the next TPS,
1% new voters.

Each export runs in a fresh subprocess through its real view (RequestFactory), read to its end:

- first: `dps.xlsx` of the village as in coklit (the DPHP), the KPU's pleno set back inside a
  transaction rolled back: the first stage's streamed list of the same voters, the yardstick;
- dps: `dps.xlsx?tahap=dps`, the DPS as established (snapshot, names restored from the log);
- dpshp: `dps.xlsx?tahap=dpshp`, the list now with the changes since the DPS marked;
- perubahan: `perubahan.xlsx`, the DPSHP pleno's change list (the changes since the DPS).

Memory is the peak of Python allocations (tracemalloc); time, wall clock and CPU, of an
untraced run, for information only (tracing slows everything down).
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpu.settings")

from bench import export_dps  # noqa: E402  (after sys.path: run as a script too)
from bench.export_dps import setup_django  # noqa: E402

REGENCY = "62.01"
TPS_PER_VILLAGE = 4
MODES = ("first", "dps", "dpshp", "perubahan")
LABELS = {
    "first": "dps.xlsx in coklit",
    "dps": "dps.xlsx?tahap=dps",
    "dpshp": "dps.xlsx?tahap=dpshp",
    "perubahan": "perubahan.xlsx (DPSHP)",
}
NAMES = "Rina Yusuf Dewi Agus Maria Hendra Sari Natalis Yohana Budi Siti Ahmad Putri Eko".split()
FAMILY = "Saputra Wijaya Lestari Hidayat Nugroho Pratama Kurniawan Simanjuntak Rahayu".split()


class Rollback(Exception):
    pass


def villages(sizes: list[int]) -> dict[int, str]:
    """A village of the regency per size, in the order of the sizes."""
    from kpu.models import Area

    codes = list(
        Area.objects.filter(code__below=REGENCY, level=Area.Level.VILLAGE)
        .order_by("code")
        .values_list("code", flat=True)[: len(sizes)]
    )
    return dict(zip(sorted(sizes), codes, strict=True))


def _person(rng: random.Random, i: int, village, tps, origin: str) -> "object":
    from coklit.models import Voter

    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 66))
    sex = rng.choice("LP")
    day = born.day + (40 if sex == "P" else 0)
    baru = origin == "BARU"
    return Voter(
        tps=tps,
        village=village,
        origin=origin,
        nkk=f"62010101{rng.randrange(10**8):08d}",
        nik=f"620101{day:02d}{born.month:02d}{born.year % 100:02d}{i % 10000:04d}",
        nama=f"{rng.choice(NAMES)} {rng.choice(FAMILY)}".upper(),
        tempat_lahir="Pangkalan Bun",
        tanggal_lahir=born,
        jenis_kelamin=sex,
        status_kawin=rng.choice("BSP"),
        alamat=f"Jl. Pangeran Antasari No. {rng.randrange(1, 300)}",
        rt=f"{rng.randrange(1, 30):03d}",
        rw=f"{rng.randrange(1, 10):03d}",
        status="BARU" if baru else ("UBAH" if rng.random() < 0.1 else "MS"),
        verification="approved",
    )


def prepare(sizes: list[int]) -> None:
    """The regency, its election in the response period, a village of `n` voters per size, the
    DPS established over them and the changes accepted since (kept for the next run)."""
    from django.db import transaction
    from django.utils import timezone

    from coklit import snapshots
    from coklit.figures import ensure_tps
    from coklit.models import Pleno, PlenoEvent, Voter
    from kpu.models import Area, AuditEntry, Role, User
    from kpu.services import pemilihan_create
    from kpu.wilayah import import_wilayah

    if not Area.objects.filter(code=REGENCY).exists():
        import_wilayah(prefix=REGENCY)
    regency = Area.objects.get(code=REGENCY)
    today = timezone.localdate()
    pemilihan_create(
        regency=regency,
        name="Pemilihan Serentak 2026 (bench)",
        voting_day=today + dt.timedelta(days=90),
        coklit_start=today - dt.timedelta(days=60),
        coklit_end=today - dt.timedelta(days=30),
        tanggapan_start=today - dt.timedelta(days=3),
        tanggapan_end=today + dt.timedelta(days=6),
    )
    kpu, _ = User.objects.get_or_create(
        username=f"bench-kpu-{REGENCY}", defaults={"role": Role.KPU, "area": regency}
    )
    held = Pleno.objects.filter(stage="dphp", area=regency, state="sudah").exists()
    wanted = villages(sizes)
    if held and all(
        Voter.objects.filter(village_id=code, origin="A").count() == n for n, code in wanted.items()
    ):
        return
    t0 = time.perf_counter()
    with transaction.atomic():
        Pleno.objects.filter(area__code__below=REGENCY).update(state="belum")
        for n, code in wanted.items():
            village = Area.objects.get(code=code)
            tps = list(ensure_tps(village, range(901, 901 + TPS_PER_VILLAGE)).values())
            Voter.objects.filter(village=village).delete()
            rng = random.Random(n)
            batch = []
            for i in range(n):
                batch.append(_person(rng, i, village, tps[i * len(tps) // n], "A"))
                if len(batch) == 5000:
                    Voter.objects.bulk_create(batch)
                    batch = []
            Voter.objects.bulk_create(batch)
        # The DPS established: the KPU's DPHP pleno held, its snapshot of every voter.
        pleno, _ = Pleno.objects.update_or_create(
            stage="dphp",
            area=regency,
            defaults={
                "level": regency.level,
                "state": "sudah",
                "ba_number": "bench/BA",
                "sk_number": "bench/SK",
                "held_at": timezone.now(),
            },
        )
        hold = PlenoEvent.objects.create(
            pleno=pleno,
            action="hold",
            by=kpu,
            state_from="belum",
            state_to="sudah",
            ba_number="bench/BA",
        )
        snapshots.snapshot_take(hold=hold)
    after = timezone.now() + dt.timedelta(seconds=1)
    with transaction.atomic():
        for n, code in wanted.items():
            rng = random.Random(-n)
            village = Area.objects.get(code=code)
            tps = sorted(Area.objects.filter(parent=village).values_list("code", flat=True))
            ids = list(
                Voter.objects.filter(village=village).order_by("id").values_list("id", "tps_id")
            )
            log, corrected, tms, moved = [], [], [], []
            for k, (vid, home) in enumerate(ids):
                if k % 50 == 1:
                    corrected.append(vid)
                elif k % 100 == 2:
                    tms.append(vid)
                elif k % 200 == 3:
                    moved.append((vid, tps[(tps.index(home) + 1) % len(tps)]))
            names = dict(Voter.objects.filter(pk__in=corrected).values_list("pk", "nama"))
            for vid in corrected:
                new = f"{names[vid]} BENAR"
                Voter.objects.filter(pk=vid).update(
                    nama=new, status="UBAH", verification="approved"
                )
                log.append(
                    AuditEntry(
                        at=after,
                        user=kpu,
                        role="pps",
                        area_code=code,
                        action="verify_approve",
                        target=str(vid),
                        data={"voter": vid, "changes": {"nama": [names[vid], new]}},
                    )
                )
            Voter.objects.filter(pk__in=tms).update(
                status="TMS", tms_reason=1, verification="approved"
            )
            for vid, target in moved:
                Voter.objects.filter(pk=vid).update(
                    status="TMS", tms_reason=8, dps_tps_id=target, verification="approved"
                )
            AuditEntry.objects.bulk_create(log, batch_size=2000)
            Voter.objects.bulk_create(
                [
                    _person(rng, n + i, village, Area.objects.get(code=rng.choice(tps)), "BARU")
                    for i in range(max(1, n // 100))
                ],
                batch_size=2000,
            )
    # As autovacuum would soon after: without statistics the planner takes the new tables
    # for empty and joins them by nested loops.
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("coklit_voter", "coklit_snapshotvoter", "kpu_auditentry"):
            cursor.execute(f"ANALYZE {table}")
    print(
        f"  made {sum(wanted):,} voters, the DPS and the changes in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )


def run(mode: str, code: str) -> int:
    from django.db import transaction
    from django.test import RequestFactory

    from coklit.models import Pleno
    from coklit.views_export import dps_xlsx, perubahan_xlsx
    from kpu.models import User

    user = User.objects.get(username=f"bench-kpu-{REGENCY}")
    view, query = {
        "first": (dps_xlsx, ""),
        "dps": (dps_xlsx, "?tahap=dps"),
        "dpshp": (dps_xlsx, "?tahap=dpshp"),
        "perubahan": (perubahan_xlsx, ""),
    }[mode]
    url = f"/wilayah/{code}/{'perubahan' if view is perubahan_xlsx else 'dps'}.xlsx{query}"
    request = RequestFactory().get(url)
    request.user = user
    size = 0
    try:
        with transaction.atomic():
            if mode == "first":  # coklit again: the DPS not yet established
                Pleno.objects.filter(area_id=REGENCY, stage="dphp").update(state="belum")
            response = view(request, code)
            for chunk in response.streaming_content:
                size += len(chunk)
            response.close()
            raise Rollback
    except Rollback:
        pass
    return size


def child(mode: str, code: str, trace: bool) -> None:
    setup_django()
    from django.db import connection

    connection.ensure_connection()
    if trace:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    size = run(mode, code)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "bytes": size}))


def measure(mode: str, code: str, *, trace: bool) -> dict:
    return export_dps.measure(mode, code, trace=trace, script=__file__)


def compare(sizes: list[int], repeat: int = 1, *, modes=MODES) -> dict:
    """{(rows, mode): {seconds, cpu, peak, bytes}}: time of the best of `repeat` untraced runs,
    peak of one traced run (`repeat` 0: that run only)."""
    from django.db import connection

    prepare(sizes)
    codes = villages(sizes)
    connection.close()
    results = {}
    for n in sizes:
        for mode in modes:
            runs = [measure(mode, codes[n], trace=False) for _ in range(repeat)]
            traced = measure(mode, codes[n], trace=True)
            runs = runs or [traced]  # repeat 0: memory only (the time is the traced run's)
            r = results[(n, mode)] = {
                "seconds": min(x["seconds"] for x in runs),
                "cpu": min(x["cpu"] for x in runs),
                "peak": traced["peak"],
                "bytes": runs[0]["bytes"],
            }
            print(
                f"  {n:>7,} {mode:<9} {r['seconds']:6.2f} s  cpu {r['cpu']:6.2f} s  "
                f"peak {r['peak'] / 2**20:6.1f} MiB  file {r['bytes'] / 2**20:5.1f} MiB",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VILLAGE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.trace)
        return
    setup_django()
    results = compare(args.rows, args.repeat)
    lo, hi = min(args.rows), max(args.rows)
    print()
    print(f"| list | peak MiB, {lo:,} | peak MiB, {hi:,} | {hi:,} / {lo:,} | / first stage |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode in MODES:
        a, b = results[(lo, mode)]["peak"], results[(hi, mode)]["peak"]
        first = results[(hi, "first")]["peak"]
        print(f"| {mode} | {a / 2**20:.1f} | {b / 2**20:.1f} | {b / a:.2f}x | {b / first:.2f}x |")


if __name__ == "__main__":
    main()
