"""seed_demo's voters and progress, and simulate_coklit (SPEC 5)."""

import datetime as dt
import uuid
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from coklit import demo, figures
from coklit.importer import nik_flags
from coklit.models import Voter
from kpu.models import Area, Pemilihan, User

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def fake_sync(monkeypatch):
    """Records every batch the demo sends and accepts it, instead of applying it."""
    calls = []

    def sync_batch(*, tps, user, events, app_version):
        calls.append({"tps": tps, "user": user, "events": events, "app_version": app_version})
        return [{"id": e["id"], "status": "accepted", "error": ""} for e in events]

    monkeypatch.setattr("coklit.sync.sync_batch", sync_batch)
    # Nothing is applied, so no village can be walked along the DPS chain.
    monkeypatch.setattr("coklit.demo.seed_workflow", lambda **kwargs: [])
    return calls


def test_it_fills_every_tps_of_the_city_and_a_second_run_adds_nothing():
    out = seed("--voters-per-tps", "5", "--progress", "0")
    tps = Area.objects.filter(level=Area.Level.TPS, code__startswith="62.71.")
    assert tps.count() == 415
    assert Voter.objects.count() == 415 * 5
    assert "Voters: 2075 on the list (2075 added now" in out
    assert "Demo logins" in out and "pantarlih-62.71.01.1001.001" in out
    assert figures.mismatches(code="62.71") == {}
    assert not tps.exclude(voters__isnull=False).exists()  # none empty

    out = seed("--voters-per-tps", "5", "--progress", "0")
    assert "Voters: 2075 on the list (0 added now" in out
    assert Voter.objects.count() == 2075


def test_synthetic_voters_look_real():
    seed("--voters-per-tps", "30", "--progress", "0")
    voters = list(Voter.objects.select_related("village"))
    assert len({v.nik for v in voters}) == len(voters)
    sound = [v for v in voters if not nik_flags(v.nik, v.tanggal_lahir, v.jenis_kelamin)]
    assert len(sound) > 0.99 * len(voters)
    # Most NIKs were issued in the voter's own kecamatan; the rest elsewhere, not rejected.
    local = sum(v.nik[:6] == v.village_id[:8].replace(".", "") for v in voters)
    assert 0.8 * len(voters) < local < len(voters)
    families = Counter(v.nkk for v in voters)
    assert max(families.values()) >= 4 and len(families) < 0.6 * len(voters)
    assert all(len(v.nkk) == 16 and v.nkk.isdigit() for v in voters)
    assert 0 < sum(bool(v.disabilitas) for v in voters) < 0.05 * len(voters)
    assert 0 < sum(not v.ktp_el for v in voters) < 0.1 * len(voters)
    assert all(v.rt and v.rw and v.alamat.startswith("Jl. ") for v in voters)
    voting_day = Pemilihan.objects.get().voting_day
    adults = sum(
        (voting_day - v.tanggal_lahir).days >= 17 * 365 or v.status_kawin != "B" for v in voters
    )
    assert adults == len(voters)


def test_progress_goes_through_the_sync_service_as_pantarlih_devices(fake_sync):
    out = seed("--voters-per-tps", "20", "--progress", "0.6")
    sent = [e for call in fake_sync for e in call["events"]]
    assert f"Coklit progress: {len(sent)} field results sent" in out
    listed = [e for e in sent if e["outcome"] != "BARU"]
    # round(0.6 * n) per TPS: about 60% of the list, each voter once.
    assert abs(len(listed) - 0.6 * Voter.objects.count()) < 0.01 * Voter.objects.count()
    assert len({e["voter"] for e in listed}) == len(listed)
    pemilihan = Pemilihan.objects.get()
    now = dt.datetime.now(dt.UTC)
    for call in fake_sync:
        assert call["user"].username == f"pantarlih-{call['tps'].code}"
        assert call["app_version"] == "demo-seed" and len(call["events"]) <= 1000
        voters = {e["voter"] for e in call["events"] if e["voter"]}
        assert set(Voter.objects.filter(pk__in=voters).values_list("tps_id", flat=True)) == {
            call["tps"].code
        }
    days = set()
    for e in sent:
        assert set(e) == {
            "id",
            "voter",
            "outcome",
            "tms_reason",
            "target_tps",
            "note",
            "changes",
            "new_voter",
            "recorded_at",
        }
        uuid.UUID(e["id"])
        when = dt.datetime.fromisoformat(e["recorded_at"])
        assert when <= now
        days.add(pemilihan.localtime(when).date())
        if e["outcome"] == "TMS":
            assert 1 <= e["tms_reason"] <= 9
            assert bool(e["note"]) or e["tms_reason"] not in (1, 9)
            assert (e["target_tps"] is not None) == (e["tms_reason"] == 8)
        if e["outcome"] == "BARU":
            assert e["voter"] is None and len(e["new_voter"]["nik"]) == 16
            dt.date.fromisoformat(e["new_voter"]["tanggal_lahir"])
    assert min(days) >= pemilihan.coklit_start and max(days) <= pemilihan.today()
    assert len(days) > 10  # spread over the period so far, not all today
    mix = Counter("UBAH" if e["changes"] else e["outcome"] for e in sent if e["outcome"] != "BARU")
    assert 0.8 < mix["MS"] / len(listed) < 0.92
    assert 0.02 < mix["UBAH"] / len(listed) < 0.08
    assert 0.05 < mix["TMS"] / len(listed) < 0.11
    assert 0 < sum(e["outcome"] == "BARU" for e in sent) < 0.05 * len(listed)
    assert len({e["tms_reason"] for e in sent if e["tms_reason"]}) >= 6


def test_progress_with_the_real_sync_service_keeps_figures_exact(monkeypatch):
    from coklit.models import TpsFigures

    # The walk along the plenos has its own test (it completes most villages).
    monkeypatch.setattr("coklit.demo.seed_workflow", lambda **kwargs: [])
    out = seed("--voters-per-tps", "5", "--progress", "0.6")
    assert "Coklit progress:" in out
    # round(0.6 * 5) on each TPS.
    rest = TpsFigures.objects.filter(regency_code="62.71")
    assert rest.count() > 300 and {r.done for r in rest} == {3}
    assert figures.mismatches(code="62.71") == {}
    out = seed("--voters-per-tps", "5", "--progress", "0.6")
    assert "Coklit progress: 0 field results sent" in out


def test_simulate_coklit_sends_small_batches_until_the_minutes_are_up(fake_sync):
    call_command("seed_demo", "--voters-per-tps", "5", "--progress", "0", stdout=StringIO())
    out = StringIO()
    call_command(
        "simulate_coklit", "--per-minute", "600", "--minutes", "0.004", "--seed", "2", stdout=out
    )
    sent = sum(len(c["events"]) for c in fake_sync)
    assert 10 <= sent <= 12  # the first second's share of 600 a minute
    assert f"{sent} results sent in {len(fake_sync)} batches, {sent} accepted." in out.getvalue()
    for call in fake_sync:
        assert len(call["events"]) <= 9 and call["app_version"] == "demo-simulator"
        assert call["user"] == User.objects.get(username=f"pantarlih-{call['tps'].code}")
        when = dt.datetime.fromisoformat(call["events"][0]["recorded_at"])
        assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 60


def test_planned_voters_stay_within_the_limit():
    sizes = [demo.planned_voters(f"62.71.01.1001.{n:03d}", 580, 1) for n in range(1, 200)]
    assert max(sizes) == 600 and min(sizes) >= 522


def test_the_demo_walks_the_plenos_and_a_rerun_keeps_them():
    """Every role finds its next step (SPEC 8): PPS Pahandut verifies three late new voters and
    holds its pleno; PPS Panarung holds again after the PPK's return; Pahandut's last villages
    are still in coklit; every other kecamatan has held its PPK pleno, so the KPU's pleno is
    ready once Pahandut's PPK holds its own."""
    from coklit.models import Pleno, TpsFigures
    from kpu.models import AuditEntry

    out = seed("--voters-per-tps", "4", "--progress", "0.3")
    states = dict(Pleno.objects.values_list("area_id", "state"))
    pahandut = {
        a.code: states.get(a.code, "belum")  # syncs make a village's row: still `belum`
        for a in Area.objects.filter(parent_id="62.71.01")
    }
    assert pahandut == {
        "62.71.01.1001": "belum",
        "62.71.01.1002": "dikembalikan",
        "62.71.01.1003": "sudah",
        "62.71.01.1004": "sudah",
        "62.71.01.1005": "belum",
        "62.71.01.1006": "belum",
    }
    others = Area.objects.filter(code__startswith="62.71.", level__in=[3, 4]).exclude(
        code__startswith="62.71.01"
    )
    assert {states.get(a.code) for a in others} == {"sudah"}
    assert "62.71.01" not in states or states["62.71.01"] == "belum"
    assert "62.71" not in states or states["62.71"] == "belum"
    returned = Pleno.objects.get(area_id="62.71.01.1002")
    assert returned.returned_note == demo.RETURN_REASON and returned.returned_by.role == "ppk"
    # The first village is complete and waits only for the PPS to verify three late new voters.
    ready = TpsFigures.objects.filter(village_code="62.71.01.1001")
    assert sum(r.done for r in ready) == sum(r.target_l + r.target_p for r in ready)
    assert sum(r.pending for r in ready) == 3
    assert "Kelurahan Pahandut (62.71.01.1001): coklit complete" in out
    assert "Kecamatan Bukit Batu (62.71.02): PPK pleno held" in out
    assert figures.mismatches(code="62.71") == {}
    entries = AuditEntry.objects.count()

    seed("--voters-per-tps", "4", "--progress", "0.3")
    assert dict(Pleno.objects.values_list("area_id", "state")) == states
    assert sum(r.pending for r in TpsFigures.objects.filter(village_code="62.71.01.1001")) == 3
    assert AuditEntry.objects.count() == entries


def test_the_printed_logins_are_demo_accounts_with_the_demo_password():
    """The printout says every listed login has the demo password: never list an account
    someone made before (add_user) with a password of their own; in Papua the PPK is PPD."""
    from kpu.models import Role
    from kpu.services import user_create
    from kpu.wilayah import import_wilayah

    import_wilayah(prefix="94.04")
    user_create(username="aaa-kpu", role=Role.KPU, area_code="94.04", password="own-pw-123")
    demo.seed_structure(regency=Area.objects.get(code="94.04"))
    logins = dict(demo.example_logins(Area.objects.get(code="94.04")))
    assert "aaa-kpu" not in logins
    assert logins["kpu-94.04"] == "KPU · Kabupaten Mimika"
    assert logins["ppk-94.04.01"] == "PPD · Distrik Mimika Baru"
    assert User.objects.get(username="ppk-94.04.01").last_name == "(PPD Mimika Baru)"
    assert User.objects.get(username="kpu-94.04").check_password(demo.DEMO_PASSWORD)
