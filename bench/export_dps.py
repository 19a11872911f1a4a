"""A DPS export against bare openpyxl write-only mode on the same rows, in one run (SPEC 10).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_scratch DJANGO_DEBUG=1 \\
        .venv/bin/python bench/export_dps.py [--rows 10000 100000] [--repeat 3]

Use a scratch database: it imports Kota Palangkaraya's areas if missing and puts synthetic
voters into bench TPS (62.71.05.1001.9xx, one per size, reused by later runs). Every measurement
runs in a fresh subprocess, so peak memory is that run's alone:

- export: the real view (`/wilayah/<tps>/dps.xlsx` through RequestFactory): scope, the DPS query,
  masking, ages, styled title/header/signature, write-only workbook into a temporary file, and
  the response read to its end as a client would.
- bare: the very rows the export writes (masked NIK/NKK, age, remarks), built into a list
  before the clock starts, appended to a write-only workbook with no styles or title and saved
  to a temporary file: openpyxl's own cost, the floor any export pays. So export/bare is all of
  our overhead together (database, masking, styling, the response).

Time is the best of `--repeat` interleaved runs, wall clock (database included) and this
process's CPU time (steadier on a shared machine; the database's sort is not in it). Memory is
the peak of Python allocations (tracemalloc, in a separate run since tracing slows things; for
bare, above the prebuilt list) and the process's max RSS (Django loaded; for bare, the list
included).
"""

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpu.settings")

VILLAGE = "62.71.05.1001"  # Rakumpit, a village the demo's examples do not use
NAMES = "Rina Yusuf Dewi Agus Maria Hendra Sari Natalis Yohana Budi Siti Ahmad Putri Eko".split()
FAMILY = "Saputra Wijaya Lestari Hidayat Nugroho Pratama Kurniawan Simanjuntak Rahayu".split()


def setup_django():
    import django

    django.setup()


def tps_code(rows: int) -> str:
    return f"{VILLAGE}.{900 + len(str(rows))}"  # 10,000 -> .905, 100,000 -> .906


def prepare(sizes: list[int]) -> None:
    """Areas, an election and `n` voters in a bench TPS per size (kept for the next run)."""
    from django.db import transaction

    from coklit.figures import ensure_tps
    from coklit.models import Voter
    from kpu.models import Area, Pemilihan, Role, User
    from kpu.services import pemilihan_create
    from kpu.wilayah import import_wilayah

    if not Area.objects.filter(code=VILLAGE).exists():
        import_wilayah(prefix="62.71")
    regency = Area.objects.get(code="62.71")
    if not Pemilihan.objects.filter(regency=regency).exists():
        pemilihan_create(
            regency=regency,
            name="Pemilihan Serentak 2026 (bench)",
            voting_day=dt.date(2026, 11, 27),
            coklit_start=dt.date(2026, 6, 24),
            coklit_end=dt.date(2026, 7, 24),
        )
    User.objects.get_or_create(username="bench-kpu", defaults={"role": Role.KPU, "area": regency})
    village = Area.objects.get(code=VILLAGE)
    for n in sizes:
        code = tps_code(n)
        tps = ensure_tps(village, [int(code.rsplit(".", 1)[1])])
        tps = next(iter(tps.values()))
        if Voter.objects.filter(tps=tps).count() == n:
            continue
        t0 = time.perf_counter()
        rng = random.Random(n)
        with transaction.atomic():
            Voter.objects.filter(tps=tps).delete()
            batch = []
            for i in range(n):
                born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 66))
                sex = rng.choice("LP")
                day = born.day + (40 if sex == "P" else 0)
                nik = f"627105{day:02d}{born.month:02d}{born.year % 100:02d}{i % 10000:04d}"
                baru = rng.random() < 0.03
                batch.append(
                    Voter(
                        tps=tps,
                        village=village,
                        origin="BARU" if baru else "A",
                        nkk=f"62710501{rng.randrange(10**8):08d}",
                        nik=nik,
                        nama=f"{rng.choice(NAMES)} {rng.choice(FAMILY)}".upper(),
                        tempat_lahir="Palangka Raya",
                        tanggal_lahir=born,
                        jenis_kelamin=sex,
                        status_kawin=rng.choice("BSP"),
                        alamat=f"Jl. Tjilik Riwut Km {rng.randrange(1, 40)} "
                        f"No. {rng.randrange(1, 200)}",
                        rt=f"{rng.randrange(1, 30):03d}",
                        rw=f"{rng.randrange(1, 10):03d}",
                        status="BARU" if baru else ("UBAH" if rng.random() < 0.1 else "MS"),
                        verification="approved" if baru else "",
                    )
                )
                if len(batch) == 5000:
                    Voter.objects.bulk_create(batch)
                    batch = []
            Voter.objects.bulk_create(batch)
        print(f"  made {n:,} voters in {code} in {time.perf_counter() - t0:.1f} s", flush=True)


def run_export(code: str) -> int:
    from django.test import RequestFactory

    from coklit.views_export import dps_xlsx
    from kpu.models import User

    request = RequestFactory().get(f"/wilayah/{code}/dps.xlsx")
    request.user = User.objects.get(username="bench-kpu")
    response = dps_xlsx(request, code)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    response.close()
    return size


def rows_of(code: str) -> list[tuple]:
    """The exact rows the export writes for this TPS, built in advance (not timed)."""
    from coklit.exports import dps_rows
    from kpu.models import Area, Pemilihan

    tps = Area.objects.get(code=code)
    voting_day = Pemilihan.objects.get(regency_id=tps.regency_code).voting_day
    return list(dps_rows(tps=tps, voting_day=voting_day))


def run_bare(rows: list[tuple]) -> int:
    """Bare openpyxl write-only mode: the same rows, no styles, no title, no database."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("TPS")
    for row in rows:
        ws.append(row)
    with tempfile.TemporaryFile() as f:
        wb.save(f)
        return f.tell()


def child(mode: str, code: str, trace: bool) -> None:
    setup_django()
    from django.db import connection

    connection.ensure_connection()
    rows = rows_of(code) if mode == "bare" else None
    if trace:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0] if trace else 0
    t0, c0 = time.perf_counter(), time.process_time()
    size = run_bare(rows) if mode == "bare" else run_export(code)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    # The bare run's rows are held in a list before it starts: count only what writing adds.
    peak = tracemalloc.get_traced_memory()[1] - base if trace else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "rss": rss, "bytes": size}))


def measure(mode: str, code: str, *, trace: bool, script: str = __file__) -> dict:
    """One run of `script --child MODE CODE` in a fresh process (so its peak memory is its
    own): the JSON its child prints. bench/export_stage.py measures through this too."""
    out = subprocess.run(
        [sys.executable, script, "--child", mode, code] + (["--trace"] if trace else []),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(sizes: list[int], repeat: int, *, pick=min) -> dict:
    """{(rows, "bare"|"export"): {seconds, cpu, peak, rss, bytes}} for each size.

    `pick` chooses among the `repeat` timed runs: min (best of, the default) or
    statistics.median. Memory comes from one more, traced, run of each.
    """
    from django.db import connection

    prepare(sizes)
    connection.close()
    results = {}
    for n in sizes:
        # Interleaved: the machine is shared, noise only ever adds time.
        runs = {"bare": [], "export": []}
        for _ in range(repeat):
            for mode in runs:
                runs[mode].append(measure(mode, tps_code(n), trace=False))
        for mode in runs:
            traced = measure(mode, tps_code(n), trace=True)
            seconds = pick([r["seconds"] for r in runs[mode]])
            cpu = pick([r["cpu"] for r in runs[mode]])
            rss = max(r["rss"] for r in runs[mode])
            results[(n, mode)] = {
                "seconds": seconds,
                "cpu": cpu,
                "peak": traced["peak"],
                "rss": rss,
                "bytes": runs[mode][0]["bytes"],
            }
            print(
                f"  {n:>7,} {mode:<6} {seconds:6.2f} s  cpu {cpu:6.2f} s  "
                f"peak {traced['peak'] / 2**20:6.1f} MiB  rss {rss / 2**20:6.1f} MiB  "
                f"file {runs[mode][0]['bytes'] / 2**20:5.1f} MiB",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "TPS"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.trace)
        return

    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor}; preparing voters", flush=True)
    results = compare(args.rows, args.repeat)

    print()
    print(
        "| rows | bare s | export s | export/bare | bare CPU s | export CPU s | CPU ratio "
        "| bare peak MiB | export peak MiB | export RSS MiB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.rows:
        b, e = results[(n, "bare")], results[(n, "export")]
        print(
            f"| {n:,} | {b['seconds']:.2f} | {e['seconds']:.2f} | "
            f"{e['seconds'] / b['seconds']:.2f}x | {b['cpu']:.2f} | {e['cpu']:.2f} | "
            f"{e['cpu'] / b['cpu']:.2f}x | {b['peak'] / 2**20:.1f} | "
            f"{e['peak'] / 2**20:.1f} | {e['rss'] / 2**20:.0f} |"
        )
    lo, hi = min(args.rows), max(args.rows)
    if lo != hi:
        grow = results[(hi, "export")]["peak"] / results[(lo, "export")]["peak"]
        rss = results[(hi, "export")]["rss"] / results[(lo, "export")]["rss"]
        print(f"\nexport memory at {hi:,} rows / at {lo:,} rows: peak {grow:.2f}x, RSS {rss:.2f}x")


if __name__ == "__main__":
    main()
