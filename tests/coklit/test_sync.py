"""Applying field results through the real sync API: accepted, duplicate, rejected, conflicts.

Every test ends with the kept figures equal to a recount from voter rows.
"""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coklit import figures, sync
from coklit.models import CoklitEvent, DailyProgress, TpsFigures, Voter
from kpu.models import Role
from kpu.services import user_create
from tests.coklit.conftest import Device, add_voters, event, new_voter
from tests.coklit.workflow import set_pleno

pytestmark = pytest.mark.django_db


def tps_figures(tps):
    return TpsFigures.objects.get(tps=tps)


def assert_exact(code="62.71"):
    assert figures.mismatches(code=code) == {}


def test_it_applies_ms_ubah_and_tms_and_counts_them_once(world, device):
    a, b, c = add_voters(world.tps1, 3)
    statuses = device.statuses(
        [
            event(a),
            event(b, changes={"nama": "Budi Santoso", "rt": "4"}),
            event(c, "TMS", tms_reason=4),
        ]
    )
    assert statuses == ["accepted"] * 3
    a, b, c = (Voter.objects.get(pk=v.pk) for v in (a, b, c))
    assert (a.status, a.verification) == ("MS", "")
    assert (b.status, b.verification, b.nama) == ("UBAH", "pending", "Pemilih 1")  # PPS applies
    assert (c.status, c.tms_reason, c.verification) == ("TMS", 4, "pending")
    f = tps_figures(world.tps1)
    assert (f.done, f.ms, f.ubah, f.tms_4, f.pending, f.results) == (3, 1, 1, 1, 2, 3)
    assert (f.app_version, f.last_sync_at is not None) == ("2.1.0", True)
    stored = CoklitEvent.objects.get(voter=b)
    # RT/RW are written with three digits, as the import writes them (RT 4 is RT 004).
    assert stored.changes == {"nama": "Budi Santoso", "rt": "004"}
    assert (stored.user, stored.app_version, stored.verification) == (
        world.pantarlih,
        "2.1.0",
        "pending",
    )
    assert DailyProgress.objects.get(area_code="62.71.01.1001.001").done == 3
    assert DailyProgress.objects.get(area_code="62.71").done == 3
    assert_exact()


def test_the_same_batch_twice_is_counted_once(world, device):
    voters = add_voters(world.tps1, 4)
    batch = [event(v, "TMS", tms_reason=2) if v.pk % 2 else event(v) for v in voters]
    assert device.statuses(batch) == ["accepted"] * 4
    first = tps_figures(world.tps1)
    device.version = "2.1.1"
    assert device.statuses(batch) == ["duplicate"] * 4
    again = tps_figures(world.tps1)
    assert (again.done, again.results, again.pending) == (first.done, first.results, 2)
    assert again.app_version == "2.1.1" and again.last_sync_at > first.last_sync_at
    assert CoklitEvent.objects.count() == 4
    assert DailyProgress.objects.get(area_code="62.71.01.1001").done == 4
    assert_exact()


def test_an_id_twice_in_one_batch_is_applied_once(world, device):
    (v,) = add_voters(world.tps1, 1)
    e = event(v)
    assert device.statuses([e, e]) == ["accepted", "duplicate"]
    assert tps_figures(world.tps1).results == 1


def test_a_replay_that_races_past_the_lookup_is_still_a_duplicate(
    world, device, device2, monkeypatch
):
    """Another request may commit the same id after this one looked: the insert's unique key
    catches it, the batch's savepoint is rolled back (with the new voter made before the
    insert), and the batch is applied again with that id a duplicate."""
    (v,) = add_voters(world.tps1, 1)
    ubah = event(v, changes={"alamat": "Jl. Kinibalu 3"})
    baru = event(None, "BARU", new_voter=new_voter())
    assert device.statuses([ubah, baru]) == ["accepted", "accepted"]
    real = sync.known_event_ids
    looks = []

    def first_look_misses(ids):
        looks.append(ids)
        return set() if len(looks) == 1 else real(ids)

    monkeypatch.setattr(sync, "known_event_ids", first_look_misses)
    (w,) = add_voters(world.tps1, 1)
    assert device.statuses([ubah, event(w)]) == ["duplicate", "accepted"]
    assert len(looks) == 2
    looks.clear()
    assert device2.statuses([baru, event(None, "BARU", new_voter=new_voter())]) == [
        "duplicate",
        "accepted",
    ]
    assert len(looks) == 2
    f = tps_figures(world.tps1)
    assert (f.results, f.ubah, f.baru, f.ms) == (3, 1, 1, 1)
    assert (tps_figures(world.tps2).results, tps_figures(world.tps2).baru) == (1, 1)
    assert Voter.objects.filter(origin="BARU").count() == 2
    assert_exact()


@pytest.fixture
def voter(world):
    return add_voters(world.tps1, 1)[0]


REJECTIONS = [
    ("unknown voter", dict(voter=999_999), "tidak ada di daftar TPS 62.71.01.1001.001"),
    ("bad outcome", dict(outcome="OK"), "`outcome` harus MS, TMS atau BARU"),
    ("TMS without reason", dict(outcome="TMS"), "perlu `tms_reason` 1 sampai 9"),
    ("TMS reason 10", dict(outcome="TMS", tms_reason=10), "perlu `tms_reason` 1 sampai 9"),
    ("TMS 1 without note", dict(outcome="TMS", tms_reason=1), "bukti kematian"),
    ("TMS 9 blank note", dict(outcome="TMS", tms_reason=9, note="  "), "perlu catatan"),
    ("TMS 8 without target", dict(outcome="TMS", tms_reason=8), "perlu `target_tps`"),
    ("TMS 8 to its own TPS", dict(outcome="TMS", tms_reason=8, target_tps=1), "TPS lain"),
    ("TMS 8 to no TPS", dict(outcome="TMS", tms_reason=8, target_tps=7), "TPS 007 tidak ada"),
    ("target for TMS 4", dict(outcome="TMS", tms_reason=4, target_tps=2), "hanya untuk TMS 8"),
    ("TMS with changes", dict(outcome="TMS", tms_reason=2, changes={"rt": "1"}), "hanya untuk"),
    ("MS with a reason", dict(tms_reason=3), "hanya untuk hasil TMS"),
    ("unknown change", dict(changes={"agama": "x"}), "kolom perubahan tidak dikenal: agama"),
    ("short NIK", dict(changes={"nik": "627101"}), "perubahan nik harus 16 angka"),
    ("bad sex", dict(changes={"jenis_kelamin": "X"}), "perubahan jenis_kelamin harus salah"),
    ("bad date", dict(changes={"tanggal_lahir": "31-02-1990"}), "tanggal_lahir harus tanggal"),
    ("bad disability", dict(changes={"disabilitas": "1,7"}), "harus kode 1-6"),
    ("MS without voter", dict(voter=None), "perlu `voter`"),
    ("voter id beyond any id", dict(voter=10**30), "tidak ada di daftar TPS"),
    ("negative voter id", dict(voter=-1), "tidak ada di daftar TPS"),
    ("BARU with a voter", dict(outcome="BARU", new_voter=new_voter()), "tidak memakai `voter`"),
    ("BARU without data", dict(outcome="BARU", voter=None), "perlu `new_voter`"),
    (
        "BARU incomplete",
        dict(outcome="BARU", voter=None, new_voter={"nama": "Ani"}),
        "belum lengkap: nkk, nik, tanggal_lahir, jenis_kelamin, status_kawin",
    ),
    (
        "BARU bad NIK",
        dict(outcome="BARU", voter=None, new_voter=new_voter(nik="12")),
        "pemilih baru: nik harus 16 angka",
    ),
    (
        "BARU for another TPS",
        dict(outcome="BARU", voter=None, new_voter=new_voter(tps=2)),
        "bukan TPS 2",
    ),
    ("bad recorded_at", dict(recorded_at="kemarin sore"), "`recorded_at` harus waktu ISO 8601"),
    ("future recorded_at", dict(recorded_at="2099-01-01T08:00:00+07:00"), "masa depan"),
    ("ancient recorded_at", dict(recorded_at="1970-01-01T08:00:00+07:00"), "lima tahun"),
    ("id not a UUID", dict(id="abc"), "`id` harus UUID"),
]


@pytest.mark.parametrize("case,changes,error", REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_a_bad_event_is_rejected_with_a_reason_and_changes_nothing(
    world, device, voter, case, changes, error
):
    bad = event(voter) | changes
    good = event(add_voters(world.tps1, 1)[0])
    response = device.sync([bad, good])
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and error.lower() in first["error"].lower(), first
    assert first["id"] == bad["id"]
    assert second["status"] == "accepted"
    assert Voter.objects.get(pk=voter.pk).status == "BELUM"
    assert CoklitEvent.objects.count() == 1
    assert tps_figures(world.tps1).results == 1
    assert_exact()


def test_a_voter_of_another_tps_is_rejected_like_an_unknown_one(world, device2, voter):
    """The pantarlih of TPS 002 cannot touch (or learn about) a voter of TPS 001."""
    response = device2.sync([event(voter, "TMS", tms_reason=5)])
    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["error"] == f"Pemilih {voter.pk} tidak ada di daftar TPS 62.71.01.1001.002."
    assert Voter.objects.get(pk=voter.pk).status == "BELUM"
    assert tps_figures(world.tps2).results == 0 and not CoklitEvent.objects.exists()


def test_tms_8_names_the_tps_the_voter_moves_to(world, device, voter):
    assert device.statuses([event(voter, "TMS", tms_reason=8, target_tps=2)]) == ["accepted"]
    voter.refresh_from_db()
    assert (voter.status, voter.tms_reason, voter.dps_tps_id) == ("TMS", 8, world.tps2.code)
    assert voter.verification == "pending"
    assert tps_figures(world.tps1).tms_8 == 1
    assert tps_figures(world.tps2).dps_l + tps_figures(world.tps2).dps_p == 0  # once verified
    assert_exact()


def test_a_new_voter_is_added_to_the_tokens_tps_and_waits_for_the_pps(world, device):
    e = event(None, "BARU", new_voter=new_voter(disabilitas="6,1", village="62.71.01.1001", tps=1))
    assert device.statuses([e]) == ["accepted"]
    v = Voter.objects.get(origin="BARU")
    assert (v.tps, v.village, v.status, v.verification) == (
        world.tps1,
        world.village,
        "BARU",
        "pending",
    )
    assert (v.nik, v.disabilitas, v.ktp_el, str(v.tanggal_lahir)) == (
        "6271015507990001",
        "1,6",
        True,
        "1999-07-15",
    )
    logged = CoklitEvent.objects.get(pk=e["id"])
    assert logged.voter == v and v.outcome_event_id == logged.pk
    f = tps_figures(world.tps1)
    assert (f.baru, f.done, f.pending, f.results) == (1, 0, 1, 1)
    # The same person again (a new event id) is not a second voter.
    again = device.sync([event(None, "BARU", new_voter=new_voter())]).json()["results"][0]
    assert again["status"] == "rejected" and "NIK ini sudah ada" in again["error"]
    # A new voter is not re-coklitted through the API.
    later = device.sync([event(v, "TMS", tms_reason=2)]).json()["results"][0]
    assert later["status"] == "rejected" and "pemilih baru" in later["error"]
    assert_exact()


@pytest.fixture
def second_pantarlih(world):
    """A TPS of over 400 voters has two pantarlih: the second one of TPS 001."""
    user = user_create(username="pantarlih-b", role=Role.PANTARLIH, area_code=world.tps1.code)
    return Device(user, version="2.0.9")


def test_different_outcomes_for_one_voter_are_a_conflict_for_the_pps(
    world, device, second_pantarlih, voter
):
    first, second = event(voter, at=10), event(voter, "TMS", tms_reason=5, at=20)
    assert device.statuses([first]) == ["accepted"]
    assert second_pantarlih.statuses([second]) == ["accepted"]
    voter.refresh_from_db()
    assert (voter.status, voter.tms_reason, voter.conflict, voter.verification) == (
        "TMS",
        5,
        True,
        "pending",
    )
    a, b = CoklitEvent.objects.get(pk=first["id"]), CoklitEvent.objects.get(pk=second["id"])
    assert (a.stands, a.conflict, a.verification) == (False, True, "pending")
    assert (b.stands, b.conflict, b.verification) == (True, True, "pending")
    assert voter.outcome_event_id == b.pk
    f = tps_figures(world.tps1)
    assert (f.done, f.ms, f.tms_5, f.conflicts, f.pending, f.results) == (1, 0, 1, 1, 1, 2)
    assert_exact()


def test_an_older_event_arriving_late_is_kept_but_does_not_stand(world, device, voter):
    later, earlier = event(voter, "TMS", tms_reason=4, at=30), event(voter, at=5)
    assert device.statuses([later]) == ["accepted"]
    assert device.statuses([earlier]) == ["accepted"]
    voter.refresh_from_db()
    assert (voter.status, voter.tms_reason, voter.conflict) == ("TMS", 4, True)
    assert voter.outcome_event_id == uuid.UUID(later["id"])
    old = CoklitEvent.objects.get(pk=earlier["id"])
    assert (old.stands, old.conflict) == (False, True)
    assert_exact()


def test_out_of_order_and_in_order_end_the_same(world, device, device2):
    """The result recorded last stands, whatever order the batches arrive in."""
    a, b = add_voters(world.tps1, 2)
    events_a = [event(a, at=1), event(a, changes={"rw": "2"}, at=2), event(a, at=3)]
    events_b = [event(b, at=1), event(b, "TMS", tms_reason=3, at=2)]
    device.statuses(events_a + events_b)
    device.statuses(list(reversed(events_a)))  # duplicates: nothing changes
    reordered = add_voters(world.tps1, 2)
    c, d = reordered
    rebuilt_c = [event(c, at=3), event(c, changes={"rw": "2"}, at=2), event(c, at=1)]
    rebuilt_d = [event(d, "TMS", tms_reason=3, at=2), event(d, at=1)]
    for e in rebuilt_c + rebuilt_d:  # one by one, newest first
        device.statuses([e])
    fields = ("status", "tms_reason", "conflict", "verification", "outcome_at")
    for x, y in ((a, c), (b, d)):
        x.refresh_from_db()
        y.refresh_from_db()
        assert [getattr(x, f) for f in fields] == [getattr(y, f) for f in fields]
    assert (a.status, b.status, b.tms_reason) == ("MS", "TMS", 3)
    assert_exact()


def test_the_same_outcome_again_is_not_a_conflict(world, device, second_pantarlih, voter):
    first = event(voter, "TMS", tms_reason=6, at=10)
    again = event(voter, "TMS", tms_reason=6, at=40)
    older = event(voter, "TMS", tms_reason=6, at=0)
    device.statuses([first])
    second_pantarlih.statuses([again, older])
    voter.refresh_from_db()
    assert (voter.status, voter.conflict, voter.verification) == ("TMS", False, "pending")
    assert voter.outcome_event_id == uuid.UUID(again["id"])
    rows = {str(e.pk): e for e in CoklitEvent.objects.all()}
    assert [rows[e["id"]].stands for e in (first, again, older)] == [False, True, False]
    assert not any(e.conflict for e in rows.values())
    # One entry in the PPS's queue for one outcome.
    assert [e for e in rows if rows[e].verification == "pending"] == [again["id"]]
    f = tps_figures(world.tps1)
    assert (f.done, f.tms_6, f.pending, f.conflicts, f.results) == (1, 1, 1, 0, 3)
    assert_exact()


@pytest.mark.parametrize(
    "level,words",
    [
        (4, "Rapat pleno PPS Kelurahan Pahandut sudah dilaksanakan"),
        (3, "Rapat pleno PPK Kecamatan Pahandut sudah dilaksanakan"),
        (2, "DPS Kota Palangka"),
    ],
)
def test_a_held_pleno_refuses_every_change(world, device, voter, level, words):
    """The village's own pleno, its district's, or the DPS established (coklit closed)."""
    done = event(voter)
    device.statuses([done])
    set_pleno({4: world.village, 3: world.district, 2: world.regency}[level])
    other = add_voters(world.tps1, 1)[0]  # added behind the lock, figures included
    response = device.sync([done, event(other), event(None, "BARU", new_voter=new_voter())])
    duplicate, *rejected = response.json()["results"]
    assert duplicate["status"] == "duplicate"
    for r in rejected:
        assert r["status"] == "rejected"
        assert r["error"].startswith(words)
    assert Voter.objects.get(pk=other.pk).status == "BELUM"
    assert not Voter.objects.filter(origin="BARU").exists()
    assert tps_figures(world.tps1).results == 1


def test_a_returned_pleno_accepts_changes_again(world, device, voter):
    set_pleno(world.village, "dikembalikan")
    assert device.statuses([event(voter)]) == ["accepted"]


def test_a_batch_of_more_than_1000_is_refused_by_the_service(world):
    from kpu.services import DomainError

    with pytest.raises(DomainError, match="Paling banyak 1.000"):
        sync.sync_batch(tps=world.tps1, user=world.pantarlih, events=[{}] * 1001, app_version="x")


def _at_once(*calls):
    """Run the calls in threads released together; each thread uses its own connection."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises all writers; the race needs PostgreSQL (set DATABASE_URL)",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_events_from_two_threads_at_once_are_counted_once(world, device):
    voters = add_voters(world.tps1, 60)
    batch = [event(v, "TMS", tms_reason=5) if i % 3 else event(v) for i, v in enumerate(voters)]
    batch.append(event(None, "BARU", new_voter=new_voter()))
    retry = Device(world.pantarlih)  # the same phone retrying on a second connection
    retry.token = device.token
    one, two = _at_once(lambda: device.statuses(batch), lambda: retry.statuses(batch))
    assert sorted([one, two]) == [["accepted"] * 61, ["duplicate"] * 61]
    f = tps_figures(world.tps1)
    assert (f.done, f.results, f.baru, f.tms_5) == (60, 61, 1, 40)
    assert CoklitEvent.objects.count() == 61
    assert DailyProgress.objects.get(area_code=world.tps1.code).done == 60
    assert_exact()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_pantarlih_of_one_tps_syncing_at_once_lose_nothing(world, device):
    other = Device(
        user_create(username="pantarlih-c", role=Role.PANTARLIH, area_code=world.tps1.code)
    )
    voters = add_voters(world.tps1, 40)
    mine = [event(v, at=i) for i, v in enumerate(voters)]
    theirs = [event(v, "TMS", tms_reason=4, at=100 + i) for i, v in enumerate(reversed(voters))]
    one, two = _at_once(lambda: device.statuses(mine), lambda: other.statuses(theirs))
    assert one == two == ["accepted"] * 40
    f = tps_figures(world.tps1)
    assert (f.done, f.tms_4, f.conflicts, f.results) == (40, 40, 40, 80)
    assert_exact()


def _approve(voter_id):
    """What the PPS's verification does to a voter (with its figures), as the workflow will."""
    from django.db import transaction

    with transaction.atomic():
        v = Voter.objects.select_for_update().get(pk=voter_id)
        before = Voter.objects.get(pk=voter_id)
        v.verification, v.conflict = "approved", False
        v.save()
        figures.apply(figures.delta([before], [v]))


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["send", "replay", "approve"]),
        st.integers(0, 3),  # which voter (3: a new voter)
        st.sampled_from(
            [
                {"outcome": "MS"},
                {"outcome": "MS", "changes": {"rt": "7"}},
                {"outcome": "MS", "changes": {"nama": "Lain"}},
                {"outcome": "TMS", "tms_reason": 2},
                {"outcome": "TMS", "tms_reason": 8, "target_tps": 2},
                {"outcome": "TMS", "tms_reason": 1},  # rejected: no note
                {"outcome": "TMS", "tms_reason": 9, "note": "WNA"},
            ]
        ),
        st.integers(0, 50),  # minutes: out of order on purpose
        st.booleans(),  # which of two devices
    ),
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_after_any_events_replays_and_conflicts_the_figures_equal_a_recount(
    world, device, device2, actions
):
    """Examples share the database: the property must hold on whatever earlier ones left."""
    voters = add_voters(world.tps1, 3, disabilitas="2", ktp_el=False)
    sent: list[tuple[Device, dict]] = []
    for kind, which, payload, minute, use_other in actions:
        phone = device2 if use_other else device
        if kind == "replay" and sent:
            phone, e = sent[which % len(sent)]
        elif kind == "approve":
            if which < 3:
                _approve(voters[which].pk)
            continue
        elif which == 3:
            e = event(None, "BARU", at=minute, new_voter=new_voter(nik=f"{minute:016d}"))
        else:
            e = event(voters[which], at=minute, **payload)
        phone.statuses([e])
        sent.append((phone, e))
    assert_exact()
    kept = TpsFigures.objects.get(tps=world.tps1).results
    assert kept == CoklitEvent.objects.filter(tps=world.tps1).count()


def test_results_of_an_election_held_years_ago_are_accepted(world, device):
    """SPEC 5's example election is Pemilihan Serentak 2024 (coklit June-July 2024): results
    recorded in its coklit period are accepted whenever they are synced, not refused for being
    more than a year old. Only a reset device clock (decades off) is refused."""
    from kpu.services import pemilihan_create

    pemilihan_create(
        regency=world.regency,
        name="Pemilihan Serentak 2024",
        voting_day=dt.date(2024, 11, 27),
        coklit_start=dt.date(2024, 6, 24),
        coklit_end=dt.date(2024, 7, 24),
    )
    a, b = add_voters(world.tps1, 2)
    two_years_ago = (timezone.now() - dt.timedelta(days=2 * 365)).isoformat()
    assert device.statuses(
        [
            event(a) | {"recorded_at": "2024-07-01T09:30:00+07:00"},
            event(b) | {"recorded_at": two_years_ago},
        ]
    ) == ["accepted", "accepted"]
    assert Voter.objects.get(pk=a.pk).status == "MS"
    assert_exact()


def test_a_new_voter_under_17_and_unmarried_is_flagged_for_the_pps(world, device):
    """SPEC 4: aged 17 on voting day or married. A BARU that is not (or whose NIK disagrees
    with the birth date) is kept for the PPS, flagged as an imported row would be."""
    from kpu.services import pemilihan_create

    pemilihan_create(
        regency=world.regency,
        name="Pemilihan Serentak 2024",
        voting_day=dt.date(2024, 11, 27),
        coklit_start=dt.date(2024, 6, 24),
        coklit_end=dt.date(2024, 7, 24),
    )
    child = new_voter(nik="6271015501150001", tanggal_lahir="2015-01-15")
    adult = new_voter()  # 1999-07-15, a woman: NIK 150799 + 40
    assert device.statuses(
        [event(None, "BARU", new_voter=child), event(None, "BARU", new_voter=adult)]
    ) == ["accepted", "accepted"]
    flags = dict(Voter.objects.filter(origin="BARU").values_list("nik", "flags"))
    assert flags == {child["nik"]: "bawah_umur", adult["nik"]: ""}
    assert tps_figures(world.tps1).flagged == 1
    assert_exact()
