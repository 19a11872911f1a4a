"""Measure the dashboard on demo-like data: page weight, queries, server time of page and poll.

    [DATABASE_URL=...] .venv/bin/python bench/dashboard.py [--regency 62.71] [--runs 20]

Seeds the demo structure (seed_demo) and, when the regency has no voters yet, synthetic voters
with coklit outcomes spread over the coklit period (figures recounted from them), plenos in
every state, and a pantarlih sync time per TPS. Then asks each level's page, its live partial and
an unchanged poll (304) through Django's test client, as the KPU user, and prints the figures.
"""

import argparse
import datetime as dt
import gzip
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpu.settings")
# Measured as in production (DEBUG off), with the test conveniences (local secret, hosts).
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from coklit import figures  # noqa: E402
from coklit.models import Pleno, TpsFigures, Voter  # noqa: E402
from kpu.models import Area, Pemilihan, User  # noqa: E402


def seed_voters(regency: Area, per_tps: int, progress: float, rng: random.Random) -> int:
    pemilihan = Pemilihan.objects.filter(regency=regency).first()
    tz = pemilihan.tzinfo
    today = pemilihan.today()
    start = pemilihan.coklit_start
    span = max((min(today, pemilihan.coklit_end) - start).days, 0)
    tps_list = list(Area.objects.filter(level=Area.Level.TPS, code__below=regency.code))
    batch, daily = [], {}
    n = 0
    for tps in tps_list:
        size = max(1, int(per_tps * rng.uniform(0.6, 1.4)))
        share = min(1.0, max(0.0, rng.gauss(progress, 0.2)))
        for i in range(size):
            status, reason, verification, day = "BELUM", None, "", None
            if rng.random() < share:
                r = rng.random()
                status = "MS" if r < 0.85 else "UBAH" if r < 0.92 else "TMS"
                if status == "TMS":
                    reason = rng.choice([1, 1, 2, 3, 4, 4, 4, 5, 8])
                if status != "MS":
                    verification = "pending" if rng.random() < 0.4 else "approved"
                day = start + dt.timedelta(days=int(span * rng.random() ** 0.8))
                daily[(tps.code, day)] = daily.get((tps.code, day), 0) + 1
            nik = f"{tps.code[:2]}{tps.code[3:5]}{rng.randint(10**11, 10**12 - 1)}"
            batch.append(
                Voter(
                    tps=tps,
                    village_id=tps.parent_id,
                    nkk=nik,
                    nik=nik,
                    nama=f"Pemilih {n}",
                    tanggal_lahir=dt.date(1960 + rng.randint(0, 45), 1 + i % 12, 1 + i % 28),
                    jenis_kelamin=rng.choice("LP"),
                    status_kawin="S",
                    alamat=f"Jl. Contoh {i % 40}",
                    rt=f"{1 + i % 9:03d}",
                    rw="001",
                    status=status,
                    tms_reason=reason,
                    verification=verification,
                    conflict=rng.random() < 0.002,
                    flags="nik_tgl" if rng.random() < 0.01 else "",
                    outcome_at=timezone.now() if day else None,
                )
            )
            n += 1
        if len(batch) > 20000:
            Voter.objects.bulk_create(batch, batch_size=5000)
            batch = []
    Voter.objects.bulk_create(batch, batch_size=5000)
    counted = figures.recount(code=regency.code)
    now = timezone.now()
    rows = []
    for tf in TpsFigures.objects.filter(regency_code=regency.code):
        c = counted.get(tf.tps_id, {})
        for k in figures.FIGURE_FIELDS:
            setattr(tf, k, c.get(k, 0))
        tf.results = tf.done
        tf.version = 1
        tf.last_sync_at = now - dt.timedelta(hours=rng.choice([1, 2, 5, 20, 30, 60]))
        tf.app_version = rng.choice(["1.4.2", "1.4.2", "1.4.1"])
        rows.append(tf)
    TpsFigures.objects.bulk_update(
        rows, [*figures.FIGURE_FIELDS, "version", "last_sync_at", "app_version"], batch_size=500
    )
    with transaction.atomic():
        figures.record_daily(daily)
    villages = Area.objects.filter(level=Area.Level.VILLAGE, code__below=regency.code)
    states = ["belum", "belum", "sudah", "sudah", "dikembalikan", "sudah"]
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
            for v in villages
        ]
    )
    return n


class Counter:
    """Counts the queries run inside it (whatever DEBUG says)."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)

    def __len__(self):
        return self.n


def timed(client: Client, url: str, runs: int, **headers) -> tuple[float, object]:
    times = []
    response = None
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), response


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--regency", default="62.71")
    p.add_argument("--voters-per-tps", type=int, default=300)
    p.add_argument("--progress", type=float, default=0.6)
    p.add_argument("--runs", type=int, default=20)
    args = p.parse_args()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", regency=args.regency, stdout=open(os.devnull, "w"))
    regency = Area.objects.get(code=args.regency)
    if not Voter.objects.filter(tps__code__below=args.regency).exists():
        t0 = time.perf_counter()
        n = seed_voters(regency, args.voters_per_tps, args.progress, random.Random(1))
        print(f"seeded {n:,} voters in {time.perf_counter() - t0:.0f} s")
    voters = Voter.objects.filter(tps__code__below=args.regency).count()
    tps_n = TpsFigures.objects.filter(regency_code=args.regency).count()
    print(f"{connection.vendor}: {voters:,} voters in {tps_n} TPS")

    client = Client()
    client.force_login(User.objects.get(username=f"kpu-{args.regency}"))
    assets = [
        Path(finders.find(f)).read_bytes()
        for f in ("css/app.css", "vendor/htmx-2.0.8.min.js", "js/dashboard.js")
    ]
    css = len(assets[0])
    js = len(assets[1]) + len(assets[2])
    assets_gz = sum(len(gzip.compress(a)) for a in assets)
    district = Area.objects.filter(parent=regency).order_by("code").first()
    village = Area.objects.filter(parent=district).order_by("code").first()
    tps = Area.objects.filter(parent=village).order_by("code").first()
    live = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live"}
    print(
        f"{'page':<28}{'HTML B':>8}{'total B':>9}{'gzip B':>8}{'queries':>8}{'page ms':>9}"
        f"{'partial ms':>11}{'304 ms':>8}{'304 q':>6}"
    )
    for area in (regency, district, village, tps):
        url = f"/wilayah/{area.code}/"
        client.get(url)  # warm up templates and connections
        with Counter() as q:
            page = client.get(url)
        assert page.status_code == 200, page.status_code
        ms_page, _ = timed(client, url, args.runs)
        ms_part, part = timed(client, url, args.runs, **live)
        etag = part["ETag"]
        with Counter() as q304:
            r = client.get(url, HTTP_IF_NONE_MATCH=etag, **live)
        assert r.status_code == 304, r.status_code
        ms_304, _ = timed(client, url, args.runs, HTTP_IF_NONE_MATCH=etag, **live)
        html = len(page.content)
        print(
            f"{area.title[:27]:<28}{html:>8,}{html + css + js:>9,}"
            f"{len(gzip.compress(page.content)) + assets_gz:>8,}{len(q):>8}{ms_page:>9.1f}"
            f"{ms_part:>11.1f}{ms_304:>8.1f}{len(q304):>6}"
        )
    print(f"assets: app.css {css:,} B, JS (htmx + dashboard.js) {js:,} B; DEBUG={settings.DEBUG}")


if __name__ == "__main__":
    main()
