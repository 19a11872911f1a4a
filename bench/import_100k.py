"""Import of a 100,000-row voter list, against the bare minimum: reading the file and COPY.

    DATABASE_URL=postgres://... .venv/bin/python bench/import_100k.py [--rows 100000] [--runs 2]

Writes a realistic synthetic list for Kota Palangka Raya (about 300 voters a TPS) as CSV and as
XLSX (openpyxl write-only), then times, in the same run and on the same database:
  - bare read: csv.reader / python-calamine `to_python`, nothing else;
  - bare COPY: the same rows, already parsed, COPY'd into the voter table;
  - import_pemilih: the whole thing (read, every check, flags, TPS, COPY, figures).
Wall-clock seconds, and the CPU seconds of this process (the Python side, whatever the load on
the database server).
Each timed step runs in a transaction that is rolled back after its deferred foreign key checks
have run, so the database is left as it was (the TPS areas it needs are created once and kept).
Best of --runs is reported. The bar (issue 3): an import within 3x of read + COPY.
"""

import argparse
import csv
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpu.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from coklit import importer  # noqa: E402
from coklit.figures import ensure_tps  # noqa: E402
from coklit.synthetic import VoterFactory, write_csv, write_xlsx  # noqa: E402
from kpu.models import Area  # noqa: E402
from kpu.wilayah import import_wilayah  # noqa: E402

PER_TPS = 300


class Rollback(Exception):
    pass


CPU: dict[str, float] = {}  # seconds of this process's CPU (the Python side), best run per step


def timed(fn) -> float:
    """Seconds fn takes inside a transaction that is then rolled back."""
    cpu = time.process_time()
    start = time.perf_counter()
    try:
        with transaction.atomic():
            fn()
            # Run the deferred foreign key checks now: a commit would, a rollback skips them.
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            elapsed = time.perf_counter() - start
            name = getattr(fn, "__name__", "")
            CPU[name] = min(CPU.get(name, 1e9), time.process_time() - cpu)
            raise Rollback
    except Rollback:
        pass
    return elapsed


def best(fn, runs: int, pick=min) -> float:
    return pick([timed(fn) for _ in range(runs)])


def plan(rows: int) -> list[tuple[Area, int, int]]:
    """(village, TPS number, voters) over the villages of 62.71 until `rows` voters."""
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE, code__below="62.71"))
    out, left, i = [], rows, 0
    while left > 0:
        village = villages[i % len(villages)]
        n = min(PER_TPS, left)
        out.append((village, i // len(villages) + 1, n))
        left -= n
        i += 1
    return out


def measure(rows_wanted: int, runs: int, *, xlsx: bool = True, pick=min) -> dict:
    """Time the import of `rows_wanted` synthetic rows against bare read + COPY (see above).

    `pick` chooses among the runs: min (best of, the default) or statistics.median.
    """
    import_wilayah(prefix="62.71")
    tps_plan = plan(rows_wanted)
    by_village: dict[Area, list[int]] = {}
    for village, number, _n in tps_plan:
        by_village.setdefault(village, []).append(number)
    for village, numbers in by_village.items():
        ensure_tps(village, numbers)

    t0 = time.perf_counter()
    factory = VoterFactory(seed=100, voting_day=dt.date(2026, 11, 27))
    rows = [
        r
        for village, number, n in tps_plan
        for r in factory.tps_voters(
            village=village.code, village_name=village.name, tps=number, n=n
        )
    ]
    generate = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="pc-bench-"))
    csv_path, xlsx_path = tmp / "pemilih.csv", tmp / "pemilih.xlsx"
    t0 = time.perf_counter()
    write_csv(csv_path, rows)
    write_csv_s = time.perf_counter() - t0
    write_xlsx_s = 0.0
    if xlsx:
        t0 = time.perf_counter()
        write_xlsx(xlsx_path, rows)
        write_xlsx_s = time.perf_counter() - t0

    def read_csv():
        with open(csv_path, newline="", encoding="utf-8") as f:
            return list(csv.reader(f))

    def read_xlsx():
        from python_calamine import CalamineWorkbook

        return CalamineWorkbook.from_path(str(xlsx_path)).get_sheet_by_index(0).to_python()

    def bare_read(fn) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return pick(times)

    # Rows already parsed, as the importer hands them to COPY.
    parsed = []
    for r in rows:
        p = importer._Row()
        for k in importer._Row.__slots__:
            if k not in ("line", "flags", "tps_code"):
                setattr(p, k, r[k])
        p.ktp_el, p.flags = r["ktp_el"] == "S", []
        p.tps_code = f"{p.village}.{p.tps:03d}"
        parsed.append(p)

    def bare_copy():
        importer._copy_voters(parsed, timezone.now())

    def run_import(path):
        def go():
            result = importer.import_pemilih(path)
            assert result.voters == len(rows), result

        go.__name__ = f"import_{path.suffix[1:]}"
        return go

    figures = {
        "rows": len(rows),
        "tps": len(tps_plan),
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
        "generate_s": round(generate, 2),
        "write_csv_s": round(write_csv_s, 2),
        "read_csv_s": bare_read(read_csv),
        "copy_s": best(bare_copy, runs, pick),
        "import_csv_s": best(run_import(csv_path), runs, pick),
    }
    figures["ratio_csv"] = figures["import_csv_s"] / (figures["read_csv_s"] + figures["copy_s"])
    if xlsx:
        figures |= {
            "xlsx_mb": round(xlsx_path.stat().st_size / 1e6, 1),
            "write_xlsx_openpyxl_write_only_s": round(write_xlsx_s, 2),
            "read_xlsx_calamine_s": bare_read(read_xlsx),
            "import_xlsx_s": best(run_import(xlsx_path), runs, pick),
        }
        figures["ratio_xlsx"] = figures["import_xlsx_s"] / (
            figures["read_xlsx_calamine_s"] + figures["copy_s"]
        )
    for name, seconds in CPU.items():
        figures[f"{name}_client_cpu_s"] = seconds
    for p in (csv_path, xlsx_path):
        p.unlink(missing_ok=True)
    tmp.rmdir()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the fast path is COPY.")

    figures = measure(args.rows, args.runs)
    figures = {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}
    for k, v in figures.items():
        print(f"{k:<36} {v}")
    print(
        f"\nimport_pemilih of {figures['rows']:,} rows: CSV {figures['import_csv_s']} s "
        f"({figures['ratio_csv']}x read + COPY), XLSX {figures['import_xlsx_s']} s "
        f"({figures['ratio_xlsx']}x calamine + COPY); bar: 3x."
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"import_100k": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
