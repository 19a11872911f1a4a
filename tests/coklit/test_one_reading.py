"""One answer, one consistent reading (SPEC 6; issue 15: 18 of 719 progress answers disagreed
with themselves while simulate_coklit ran).

These tests commit for real (transactional database): devices sync from other threads, on
their own connections, while the answers are read.
"""

import datetime as dt
import random
import threading
import time
import uuid

import pytest
from django.core.management import call_command
from django.db import connections

from coklit import selectors, sync
from coklit.models import Voter
from tests.coklit.conftest import Device, add_voters, event

pytestmark = pytest.mark.django_db(transaction=True)

FIGURES = ("done", "ms", "ubah", "baru", "target")
SOAK_SECONDS = 20


def _self_consistent(body: dict) -> list[str]:
    """Where an answer's area figures differ from the sums of its children's."""
    wrong = []
    for key in FIGURES:
        total = sum(child[key] for child in body["children"])
        if body[key] != total:
            wrong.append(f"{body['code']} {key}: {body[key]} != {total} (children)")
    for reason, n in body["tms"].items():
        total = sum(child["tms"][reason] for child in body["children"])
        if n != total:
            wrong.append(f"{body['code']} tms {reason}: {n} != {total}")
    return wrong


def _in_thread(fn):
    """Run `fn` on its own thread (its own database connection, committing) and wait."""
    errors = []

    def run():
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not errors, errors


def test_a_sync_committed_between_the_two_reads_does_not_split_the_answer(
    world, login, monkeypatch
):
    """The race made certain: a device's batch commits after the area's figures were read and
    before its children's. In one snapshot the answer does not see it at all."""
    voters = add_voters(world.tps1, 3)
    device = Device(world.pantarlih)
    client = login(world.kpu)
    real = selectors.children_figures

    def children_after_a_sync(*, area):
        _in_thread(lambda: device.statuses([event(v) for v in voters]))
        return real(area=area)

    monkeypatch.setattr(selectors, "children_figures", children_after_a_sync)
    body = client.get("/api/v1/progress/62.71.01").json()
    assert _self_consistent(body) == []
    monkeypatch.setattr(selectors, "children_figures", real)
    after = client.get("/api/v1/progress/62.71.01").json()
    assert after["done"] == 3 and _self_consistent(after) == []


def test_soak_devices_syncing_while_progress_is_read(world, login):
    """A bounded soak (SOAK_SECONDS): a device per TPS syncs through sync_batch from its own
    thread (MS, ubah, TMS, new voters, retries, two pantarlih on one TPS) while officers read
    the progress API at every level. Every answer agrees with itself; afterwards the API
    agrees with a recount (check_figures) and with the village page."""
    tps_list = [world.tps1, world.tps2, world.tps_panarung]
    voters = {tps.code: [v.pk for v in add_voters(tps, 40)] for tps in tps_list}
    pantarlih = {
        world.tps1.code: [world.pantarlih],
        world.tps2.code: [world.pantarlih2],
        world.tps_panarung.code: [world.pantarlih],  # the test calls sync_batch directly
    }
    stop = time.monotonic() + SOAK_SECONDS
    errors: list = []
    answers: list[str] = []
    batches = [0]
    morning = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)

    def device(tps, seed):
        rng = random.Random(seed)
        sent: list[dict] = []
        try:
            while time.monotonic() < stop:
                events = []
                for _ in range(rng.randint(1, 8)):
                    kind = rng.random()
                    at = (morning + dt.timedelta(seconds=rng.randint(0, 7200))).isoformat()
                    base = {"id": str(uuid.uuid4()), "recorded_at": at}
                    voter = rng.choice(voters[tps.code])
                    if kind < 0.5:
                        events.append(base | {"voter": voter, "outcome": "MS"})
                    elif kind < 0.65:
                        events.append(
                            base | {"voter": voter, "outcome": "MS", "changes": {"rt": "7"}}
                        )
                    elif kind < 0.85:
                        events.append(
                            base
                            | {
                                "voter": voter,
                                "outcome": "TMS",
                                "tms_reason": rng.choice([2, 4, 5]),
                            }
                        )
                    elif kind < 0.92:
                        nik = f"627101{rng.randint(41, 71):02d}0199{rng.randint(0, 9999):04d}"
                        events.append(
                            base
                            | {
                                "voter": None,
                                "outcome": "BARU",
                                "new_voter": {
                                    "nkk": "6271010101990001",
                                    "nik": nik,
                                    "nama": "Warga Baru",
                                    "tanggal_lahir": "1999-01-01",
                                    "jenis_kelamin": "L",
                                    "status_kawin": "B",
                                    "ktp_el": "S",
                                },
                            }
                        )
                    elif sent:
                        events.append(rng.choice(sent))  # a retry: a duplicate
                sent.extend(e for e in events if e.get("outcome"))
                user = rng.choice(pantarlih[tps.code])
                sync.sync_batch(tps=tps, user=user, events=events, app_version="soak")
                batches[0] += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def officer(user, codes):
        client = login(user)
        try:
            while time.monotonic() < stop:
                for code in codes:
                    response = client.get(f"/api/v1/progress/{code}")
                    if response.status_code != 200:
                        errors.append(f"{code}: {response.status_code}")
                        continue
                    answers.append(code)
                    errors.extend(_self_consistent(response.json()))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=device, args=(tps, n)) for n, tps in enumerate(tps_list)] + [
        threading.Thread(target=officer, args=(world.kpu, ["62.71", "62.71.01"])),
        threading.Thread(target=officer, args=(world.pps, ["62.71.01.1001"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SOAK_SECONDS + 120)
    assert not any(t.is_alive() for t in threads), "the soak did not stop"
    assert not errors, errors[:10]
    assert answers and batches[0] >= len(tps_list), (len(answers), batches[0])

    # Afterwards: the API equals a recount, and the village page shows the same total.
    call_command("check_figures", "62.71")
    client = login(world.kpu)
    body = client.get("/api/v1/progress/62.71.01").json()
    done = Voter.objects.filter(tps__code__startswith="62.71.01.", origin="A").exclude(
        status="BELUM"
    )
    assert body["done"] == done.count()
    page = client.get("/wilayah/62.71.01.1001/").content.decode()
    village = client.get("/api/v1/progress/62.71.01.1001").json()
    assert f"{village['done']:,}".replace(",", ".") in page
