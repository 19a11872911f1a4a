"""Time one 1,000-event sync batch (SPEC 10: "well under a second").

    DATABASE_URL=postgres://... python bench/sync_batch.py [--voters 100000] [--runs 3]

Works in a scratch database (`<name>_bench`, made and dropped here), never in the one named by
DATABASE_URL. It fills a regency (Kota Palangka Raya) with voters in TPS of 1,000 (an upper
bound: real TPS hold at most 600, so a 1,000-event batch for one TPS is the worst case), then
for each run takes a fresh TPS and times:

- first:   1,000 new results (70% MS, 10% ubah, 15% TMS incl. TMS 8, 5% BARU), service call;
- http:    the same kind of batch through POST /api/v1/coklit/sync (JSON, auth, validation);
- replay:  the first batch again (all duplicates);
- revisit: 1,000 new events on the same voters, a third of them conflicting.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpu.settings")
os.environ.setdefault("DJANGO_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

TPS_SIZE = 1000


def build(voters_total: int, runs: int):
    from coklit import figures
    from coklit.models import Voter
    from kpu.models import Area, Role, User
    from kpu.wilayah import import_wilayah

    import_wilayah(prefix="62.71")
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE, code__below="62.71"))
    n_tps = max(voters_total // TPS_SIZE, runs * 2)
    tps = []
    for i in range(n_tps):
        village = villages[i % len(villages)]
        tps.append(
            figures.ensure_tps(village, [1 + i // len(villages), 50])[1 + i // len(villages)]
        )
    rng = random.Random(1)
    born = dt.date(1960, 1, 1)
    for t in tps:
        rows = [
            Voter(
                tps=t,
                village_id=t.parent_id,
                nkk=f"6271{rng.randrange(10**12):012d}",
                nik=f"6271{rng.randrange(10**12):012d}",
                nama=f"Pemilih {k}",
                tanggal_lahir=born + dt.timedelta(days=rng.randrange(15000)),
                jenis_kelamin="LP"[k % 2],
                status_kawin="S",
                alamat="Jl. Tjilik Riwut",
            )
            for k in range(TPS_SIZE)
        ]
        with transaction.atomic():
            Voter.objects.bulk_create(rows, batch_size=2000)
            figures.apply(figures.delta([], rows))
    users = []
    for t in tps[: runs * 2]:
        u = User(username=f"bench-{t.code}", role=Role.PANTARLIH, area=t)
        u.set_unusable_password()
        u.save()
        users.append(u)
    return tps, users


def batch(tps, rng: random.Random, *, start: dt.datetime, conflicting=0.0, target_tps=50):
    """950 results on the TPS's first voters and 50 new voters; TMS 8 moves to `target_tps`."""
    from coklit.models import Voter

    ids = list(Voter.objects.filter(tps=tps).order_by("pk").values_list("pk", flat=True))
    events = []
    for k, vid in enumerate(ids[:950]):
        at = (start + dt.timedelta(seconds=k)).isoformat()
        e = {"id": str(uuid.uuid4()), "voter": vid, "recorded_at": at, "outcome": "MS"}
        r = rng.random()
        if conflicting and r < conflicting:
            e |= {"outcome": "TMS", "tms_reason": 5}
        elif r < 0.10:
            e |= {"changes": {"alamat": "Jl. G. Obos 12", "rt": "3"}}
        elif r < 0.22:
            e |= {"outcome": "TMS", "tms_reason": rng.choice([2, 3, 4, 5, 6, 7])}
        elif r < 0.25:
            e |= {"outcome": "TMS", "tms_reason": 8, "target_tps": target_tps}
        events.append(e)
    for k in range(50):
        events.append(
            {
                "id": str(uuid.uuid4()),
                "outcome": "BARU",
                "recorded_at": start.isoformat(),
                "new_voter": {
                    "nkk": f"62710101{k:08d}",
                    "nik": f"{rng.randrange(10**15, 10**16)}",
                    "nama": f"Baru {k}",
                    "tanggal_lahir": "2007-05-01",
                    "jenis_kelamin": "LP"[k % 2],
                    "status_kawin": "B",
                },
            }
        )
    return events


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; figures are not comparable", file=sys.stderr)
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_bench"
    old_name = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args):
    from coklit import figures
    from coklit.models import CoklitEvent, Voter
    from coklit.sync import sync_batch
    from kpu.services import token_issue

    t0 = time.perf_counter()
    tps, users = build(args.voters, args.runs)
    total = Voter.objects.count()
    print(
        f"database: {connection.vendor}, {total:,} voters in {len(tps)} TPS "
        f"({TPS_SIZE} per TPS); built in {time.perf_counter() - t0:.1f} s"
    )
    rng = random.Random(2)
    start = timezone.now() - dt.timedelta(hours=3)
    times: dict[str, list[float]] = {"first": [], "http": [], "replay": [], "revisit": []}
    for i in range(args.runs):
        t, user = tps[i * 2], users[i * 2]
        events = batch(t, rng, start=start)
        s = time.perf_counter()
        res = sync_batch(tps=t, user=user, events=events, app_version="bench")
        times["first"].append(time.perf_counter() - s)
        assert [r["status"] for r in res].count("accepted") == 1000, res[:3]

        s = time.perf_counter()
        res = sync_batch(tps=t, user=user, events=events, app_version="bench")
        times["replay"].append(time.perf_counter() - s)
        assert {r["status"] for r in res} == {"duplicate"}

        later = batch(t, rng, start=start + dt.timedelta(hours=1), conflicting=0.33)[:950]
        later += batch(t, rng, start=start)[950:]  # 50 more new voters
        s = time.perf_counter()
        res = sync_batch(tps=t, user=user, events=later, app_version="bench")
        times["revisit"].append(time.perf_counter() - s)
        assert [r["status"] for r in res].count("accepted") == 1000

        t2, user2 = tps[i * 2 + 1], users[i * 2 + 1]
        client = Client()
        body = json.dumps({"events": batch(t2, rng, start=start)})
        headers = {"Authorization": f"Bearer {token_issue(user=user2)}", "X-App-Version": "b"}
        s = time.perf_counter()
        response = client.post(
            "/api/v1/coklit/sync", body, content_type="application/json", headers=headers
        )
        times["http"].append(time.perf_counter() - s)
        assert response.status_code == 200, response.content[:300]
        assert [r["status"] for r in response.json()["results"]].count("accepted") == 1000
    for name, values in times.items():
        print(
            f"{name:8s} 1,000 events: median {statistics.median(values):.3f} s "
            f"(runs: {', '.join(f'{v:.3f}' for v in values)})"
        )
    events = CoklitEvent.objects.count()
    bad = figures.mismatches(code="62.71")
    print(f"events stored: {events:,}; figures agree with a recount: {not bad}")


if __name__ == "__main__":
    main()
