"""The tiered plenos (SPEC 8): the services, their preconditions, the refusal codes, the lock on
a village's voters, and two officers acting at once."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from coklit import plenos, services
from coklit.models import Pleno, PlenoEvent, Voter
from kpu.models import Area, AuditEntry
from kpu.services import DomainError, Refused
from tests.base import build_world
from tests.coklit.workflow import (
    complete_village,
    hold_all,
    make_voter,
    record,
    record_conflict,
    set_pleno,
)

pytestmark = pytest.mark.django_db


def state(area, stage="dphp") -> str:
    # The first stage's (after the KPU's pleno the current stage is DPSHP: issue 18).
    return plenos.pleno_for(area=area, stage=stage).state


def post(client, action, area, **data):
    return client.post(reverse(f"coklit-pleno-{action}", args=[area.code]), data)


def siblings(area):
    return list(Area.objects.filter(parent_id=area.parent_id).exclude(code=area.code))


def test_the_urls_are_the_ones_of_spec_8(world):
    assert reverse("coklit-pleno", args=["62.71.01"]) == "/pleno/62.71.01/"
    for action in ("hold", "return", "reopen"):
        url = reverse(f"coklit-pleno-{action}", args=["62.71.01.1001"])
        assert url == f"/pleno/62.71.01.1001/{action}/"


def test_the_table_has_one_row_per_level_and_action_as_spec_8_gives_them():
    rows = {
        (t.action, t.level): (t.role, set(t.sources), t.target, t.reason)
        for t in plenos.TRANSITIONS
    }
    assert rows == {
        ("hold", 4): ("pps", {"belum", "dikembalikan"}, "sudah", False),
        ("hold", 3): ("ppk", {"belum", "dikembalikan"}, "sudah", False),
        ("hold", 2): ("kpu", {"belum", "dikembalikan"}, "sudah", False),
        ("return", 4): ("ppk", {"sudah"}, "dikembalikan", True),
        ("return", 3): ("kpu", {"sudah"}, "dikembalikan", True),
        ("reopen", 4): ("kpu", {"sudah"}, "dikembalikan", True),
    }


def test_the_whole_chain_by_pps_ppk_and_kpu(world, login):
    complete_village(world)
    code = world.village.code
    r = post(
        login(world.pps),
        "hold",
        world.village,
        ba_number="01/PL.01.2-BA/PPS/2026",
        held_at="2026-08-03T09:30",
        place="Kantor Kelurahan Pahandut",
        attendees="Ani (Ketua PPS)\n\n  Budi (Panwaslu Kelurahan)  ",
        note="Rekap DPHP",
        expected="belum",
    )
    assert r.status_code == 302 and r["Location"] == f"/pleno/{code}/?tahap=dphp"
    pleno = Pleno.objects.get(area=world.village)
    assert (pleno.state, pleno.ba_number, pleno.place) == (
        "sudah",
        "01/PL.01.2-BA/PPS/2026",
        "Kantor Kelurahan Pahandut",
    )
    assert pleno.attendees == "Ani (Ketua PPS)\nBudi (Panwaslu Kelurahan)"
    assert (
        timezone.localtime(pleno.held_at, plenos.selectors.area_tz(world.village)).strftime(
            "%Y-%m-%d %H:%M"
        )
        == "2026-08-03 09:30"
    )
    assert pleno.held_by == world.pps
    hold_all(siblings(world.village))
    r = post(login(world.ppk), "hold", world.district, ba_number="02/BA/PPK", expected="belum")
    assert r.status_code == 302 and state(world.district) == "sudah"
    hold_all(siblings(world.district))
    r = post(login(world.kpu), "hold", world.regency, ba_number="03/BA/KPU", sk_number="123/2026")
    assert r.status_code == 302 and state(world.regency) == "sudah"
    assert Pleno.objects.get(area=world.regency).sk_number == "123/2026"
    actions = list(
        AuditEntry.objects.filter(action__startswith="pleno_")
        .order_by("at", "pk")
        .values_list("action", "role", "area_code", "data__ba_number")
    )
    assert actions == [
        ("pleno_hold", "pps", code, "01/PL.01.2-BA/PPS/2026"),
        ("pleno_hold", "ppk", world.district.code, "02/BA/PPK"),
        ("pleno_hold", "kpu", world.regency.code, "03/BA/KPU"),
    ]
    assert PlenoEvent.objects.filter(action="hold", by__isnull=False).count() == 3
    message = plenos.lock_messages([code])[code]
    assert f"DPS {world.regency.title} sudah ditetapkan" in message
    assert "03/BA/KPU" in message and "123/2026" in message and "Hanya KPU" in message


# --- preconditions, with what is missing named --------------------------------------------------


def test_a_village_needs_every_voter_done(world):
    complete_village(world)
    make_voter(world.tps1)
    with pytest.raises(DomainError, match=r"Coklit belum 100%: 1 dari 5 pemilih belum dicoklit"):
        plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA")
    assert not Pleno.objects.filter(state="sudah").exists()
    assert not AuditEntry.objects.filter(action__startswith="pleno_").exists()


def test_a_village_needs_an_empty_queue_and_no_conflict(world):
    complete_village(world)
    record(make_voter(world.tps1), "TMS", tms_reason=4)
    record_conflict(make_voter(world.tps2), {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 5})
    with pytest.raises(DomainError) as e:
        plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA")
    assert "Antrean verifikasi belum kosong: 2 hasil menunggu verifikasi, 1 konflik" in str(e.value)


def test_an_empty_village_holds_no_pleno(world):
    with pytest.raises(DomainError, match="Belum ada pemilih di daftar Kelurahan Pahandut"):
        plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA")


def test_a_district_names_the_villages_that_have_not_held_theirs(world):
    hold_all(Area.objects.filter(code__in=["62.71.01.1001", "62.71.01.1004", "62.71.01.1005"]))
    set_pleno(world.village_panarung, "dikembalikan")
    with pytest.raises(DomainError) as e:
        plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="BA")
    assert str(e.value) == "3 kelurahan belum pleno: Langkai, Panarung, Tanjung Pinang."


def test_the_regency_names_the_districts_that_have_not_held_theirs(world):
    hold_all(siblings(world.district))
    with pytest.raises(DomainError, match="^1 kecamatan belum pleno: Pahandut.$"):
        plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number="BA", sk_number="SK")


def test_a_return_comes_before_the_returners_own_pleno(world):
    set_pleno(world.village)
    set_pleno(world.district)
    with pytest.raises(DomainError, match="Pleno PPK sudah dilaksanakan.*KPU dapat mengembalikan"):
        plenos.pleno_return(area=world.village, by=world.ppk, note="salah")
    set_pleno(world.regency)
    with pytest.raises(DomainError, match="DPS sudah ditetapkan.*Buka kembali"):
        plenos.pleno_return(area=world.district, by=world.kpu, note="salah")
    assert state(world.village) == state(world.district) == "sudah"


def test_reopen_is_for_after_the_kpus_pleno(world):
    set_pleno(world.village)
    with pytest.raises(DomainError, match="Pleno KPU belum dilaksanakan"):
        plenos.pleno_reopen(area=world.village, by=world.kpu, note="salah rekap")


# --- the transitions ------------------------------------------------------------------------------


def test_a_ppk_return_unlocks_the_village_with_the_reason_on_the_pps_page(world, login):
    voters = complete_village(world)
    plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA-1")
    with pytest.raises(plenos.VillageLocked):
        services.village_editable_or_raise(world.village)
    r = post(
        login(world.ppk), "return", world.village, note="TMS TPS 001 tidak cocok", expected="sudah"
    )
    assert r.status_code == 302
    pleno = Pleno.objects.get(area=world.village)
    assert (pleno.state, pleno.returned_note, pleno.returned_by) == (
        "dikembalikan",
        "TMS TPS 001 tidak cocok",
        world.ppk,
    )
    services.village_editable_or_raise(world.village)  # editable again
    e = record(voters[0], "TMS", tms_reason=1, note="surat kematian")
    services.event_verify(event=e, by=world.pps, decision="approve")
    page = login(world.pps).get(reverse("coklit-area", args=[world.village.code])).text
    top = page.split('id="inbox"')[1].split("</section>")[0]
    assert "Pleno PPS dikembalikan" in top and "TMS TPS 001 tidak cocok" in top
    assert "oleh Ppk" in top
    # And it is held again by its PPS.
    plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA-2", expected="dikembalikan")
    assert state(world.village) == "sudah"


def test_a_kpu_return_undoes_the_district_pleno_only(world):
    hold_all([world.village, *siblings(world.village), world.district])
    plenos.pleno_return(area=world.district, by=world.kpu, note="rekap kecamatan keliru")
    assert state(world.district) == "dikembalikan"
    assert {state(v) for v in [world.village, *siblings(world.village)]} == {"sudah"}
    # Its villages stay locked until the PPK returns one, which it now can.
    assert world.village.code in plenos.lock_messages([world.village.code])
    plenos.pleno_return(area=world.village, by=world.ppk, note="perbaiki")
    assert plenos.lock_messages([world.village.code]) == {}
    # The PPK holds again once the village has.
    complete_village(world)
    plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA-2")
    plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="BA-3")
    assert state(world.district) == "sudah"


def test_reopen_undoes_the_kpu_the_district_and_the_village_plenos(world, login):
    complete_village(world)
    hold_all([world.village, *siblings(world.village), world.district, world.regency])
    hold_all(siblings(world.district))
    r = post(login(world.kpu), "reopen", world.village, note="salah rekap TPS 002")
    assert r.status_code == 302
    undone = {p.area_id: p.state for p in Pleno.objects.filter(state="dikembalikan")}
    assert undone == {
        world.village.code: "dikembalikan",
        world.district.code: "dikembalikan",
        world.regency.code: "dikembalikan",
    }
    events = PlenoEvent.objects.filter(action="reopen")
    assert {(e.pleno.area_id, e.cause, e.note) for e in events} == {
        (c, world.village.code, "salah rekap TPS 002")
        for c in (world.village.code, world.district.code, world.regency.code)
    }
    # The village can change again; its neighbours stay held.
    assert plenos.lock_messages([world.village.code]) == {}
    assert world.village_panarung.code in plenos.lock_messages([world.village_panarung.code])
    # Each is held again, bottom up.
    plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA-4")
    plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="BA-5")
    plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number="BA-6", sk_number="SK-2")
    assert Pleno.objects.filter(state="sudah").count() == Pleno.objects.count()


@pytest.mark.parametrize(
    "action,level,start",
    [
        ("hold", 4, "sudah"),
        ("return", 4, "belum"),
        ("return", 4, "dikembalikan"),
        ("return", 3, "belum"),
        ("reopen", 4, "dikembalikan"),
    ],
)
def test_a_transition_from_another_state_is_a_409_that_says_what_it_is(
    world, login, action, level, start
):
    area = {4: world.village, 3: world.district}[level]
    user = {("hold", 4): world.pps, ("return", 4): world.ppk, ("return", 3): world.kpu}.get(
        (action, level), world.kpu
    )
    complete_village(world)
    set_pleno(area, start)
    if action == "reopen":
        set_pleno(world.regency)
    r = post(login(user), action, area, note="alasan", ba_number="BA")
    assert r.status_code == 409
    assert ("sudah dilaksanakan" if start == "sudah" else "belum dilaksanakan") in r.text
    assert state(area) == start


def test_the_loser_of_two_users_is_told_the_pleno_changed(world, login):
    set_pleno(world.village)
    first = post(login(world.ppk), "return", world.village, note="a", expected="sudah")
    second = post(login(world.ppk), "return", world.village, note="b", expected="sudah")
    assert first.status_code == 302 and second.status_code == 409
    assert "sudah berubah sejak halaman dibuka: kini dikembalikan" in second.text
    assert PlenoEvent.objects.filter(action="return").count() == 1


# --- the refusal codes ---------------------------------------------------------------------------


def test_bad_fields_are_400_and_change_nothing(world, login):
    complete_village(world)
    pps, kpu = login(world.pps), login(world.kpu)
    cases = [
        (pps, "hold", world.village, {}, "Nomor BA wajib diisi"),
        (pps, "hold", world.village, {"ba_number": "  "}, "Nomor BA wajib diisi"),
        (pps, "hold", world.village, {"ba_number": "x" * 101}, "terlalu panjang"),
        (pps, "hold", world.village, {"ba_number": "BA", "held_at": "kemarin"}, "Waktu pleno"),
        (pps, "hold", world.village, {"ba_number": "BA", "held_at": "2999-01-01"}, "masa depan"),
        (pps, "hold", world.village, {"ba_number": "BA", "expected": "ya"}, "tidak dikenal"),
        (kpu, "hold", world.regency, {"ba_number": "BA"}, "Nomor Keputusan KPU wajib diisi"),
    ]
    for client, action, area, data, message in cases:
        r = post(client, action, area, **data)
        assert r.status_code == 400 and message in r.text, (data, r.status_code)
    set_pleno(world.village)
    r = post(login(world.ppk), "return", world.village, note="")
    assert r.status_code == 400 and "Alasan pengembalian wajib diisi" in r.text
    assert Pleno.objects.get(area=world.village).state == "sudah"
    assert not PlenoEvent.objects.exists()


def test_a_role_in_scope_that_may_not_act_is_403_with_who_may(world, login):
    complete_village(world)
    r = post(login(world.ppk), "hold", world.village, ba_number="BA")
    assert r.status_code == 403
    assert "Hanya PPS Kelurahan Pahandut yang dapat melaksanakan pleno PPS" in r.text
    set_pleno(world.village)
    r = post(login(world.kpu), "return", world.village, note="x")
    assert (
        r.status_code == 403 and "Hanya PPK Kecamatan Pahandut yang dapat mengembalikan" in r.text
    )
    r = post(login(world.kpu), "return", world.regency, note="x")
    assert r.status_code == 403 and "tidak dapat dikembalikan di aplikasi ini" in r.text
    assert state(world.village) == "sudah"


def test_outside_the_scope_is_404_and_a_tps_has_no_pleno(world, login):
    set_pleno(world.village)
    assert post(login(world.pps_panarung), "return", world.village, note="x").status_code == 404
    assert post(login(world.ppk_bukit_batu), "return", world.village, note="x").status_code == 404
    assert post(login(world.pps), "hold", world.tps1, ba_number="x").status_code == 404
    assert login(world.pps).get(reverse("coklit-pleno", args=[world.tps1.code])).status_code == 404
    with pytest.raises(Refused):
        plenos.pleno_return(area=world.village, by=world.pps_panarung, note="x")


def test_a_refusal_shows_the_reason_where_the_user_acted(world, login):
    complete_village(world)
    make_voter(world.tps1)
    r = post(login(world.pps), "hold", world.village, ba_number="BA-9", place="Aula")
    assert r.status_code == 409
    form = r.text.split('id="form-hold"')[1].split("</form>")[0]
    assert "Coklit belum 100%" in form and 'value="BA-9"' in form and 'value="Aula"' in form


# --- the lock on the village's voters ------------------------------------------------------------


def test_the_lock_refuses_verification_sync_and_import(world, login, tmp_path):
    from coklit.importer import ImportRejected, import_pemilih
    from tests.coklit.conftest import Device, event

    voters = complete_village(world)
    pending = record(make_voter(world.tps1), "TMS", tms_reason=4)
    set_pleno(world.village, ba_number="07/BA/PPS")  # held while one result waits (forced)
    message = plenos.lock_messages([world.village.code])[world.village.code]
    assert message == (
        "Rapat pleno PPS Kelurahan Pahandut sudah dilaksanakan (BA 07/BA/PPS): data pemilihnya "
        "terkunci. Hanya PPK Kecamatan Pahandut yang dapat mengembalikan pleno ini, dengan alasan."
    )
    # UI: the verification service and its page.
    with pytest.raises(plenos.VillageLocked) as e:
        services.event_verify(event=pending, by=world.pps, decision="approve")
    assert str(e.value) == message
    r = login(world.pps).post(
        reverse("coklit-event-verify", args=[pending.pk]), {"decision": "approve"}
    )
    assert r.status_code == 302
    page = login(world.pps).get(reverse("coklit-queue", args=[world.village.code])).text
    assert "Rapat pleno PPS Kelurahan Pahandut sudah dilaksanakan" in page
    # API: the sync rejects the event with the reason.
    device = Device(world.pantarlih)
    body = device.sync([event(voters[0], "TMS", tms_reason=5)]).json()
    assert body["results"][0]["status"] == "rejected" and body["results"][0]["error"] == message
    # Import: the village's rows are refused with the reason.
    f = tmp_path / "a.csv"
    f.write_text(
        "village,tps,nkk,nik,nama,tempat_lahir,tanggal_lahir,jenis_kelamin,status_kawin,"
        "alamat,rt,rw,disabilitas,ktp_el\n"
        f"{world.village.code},1,6271010101990001,6271014101900001,Ani,Palangka Raya,"
        "1990-01-01,P,S,Jl. Kinibalu,001,002,,S\n"
    )
    with pytest.raises(ImportRejected) as e:
        import_pemilih(f)
    assert message in str(e.value.errors[0])
    assert Voter.objects.get(pk=voters[0].pk).status == "MS"


def test_a_held_pleno_above_locks_the_village_and_names_who_acts(world):
    set_pleno(world.district, ba_number="BA-K")
    message = plenos.lock_messages([world.village.code])[world.village.code]
    assert "Rapat pleno PPK Kecamatan Pahandut sudah dilaksanakan (BA BA-K)" in message
    assert "KPU dapat mengembalikan pleno Kecamatan Pahandut" in message
    assert plenos.lock_messages([world.tps_mimika.parent_id]) == {}


def test_a_papua_village_names_the_ppd(world):
    village = world.tps_mimika.parent
    set_pleno(village)
    message = plenos.lock_messages([village.code])[village.code]
    assert "Hanya PPD Distrik Mimika Baru" in message and "PPK" not in message
    with pytest.raises(Refused, match="Hanya PPD Distrik Mimika Baru yang dapat mengembalikan"):
        plenos.pleno_return(area=village, by=world.kpu_mimika, note="x")


# --- two officers at once (PostgreSQL row locks) ------------------------------------------------


def _race(monkeypatch, calls):
    """Run the calls in two threads at once, with a pause between each one's checks and its
    write: without the row locks both would pass their checks."""
    record = plenos._record

    def slow_record(*args, **kwargs):
        time.sleep(0.3)
        return record(*args, **kwargs)

    monkeypatch.setattr(plenos, "_record", slow_record)
    barrier = threading.Barrier(len(calls))
    results: list = []

    def run(call):
        try:
            barrier.wait()
            call()
            results.append("ok")
        except DomainError as e:
            results.append(str(e))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_returns_at_once_end_in_one_transition(monkeypatch):
    world = build_world()
    set_pleno(world.village)

    def back():
        plenos.pleno_return(area=world.village, by=world.ppk, note="x", expected="sudah")

    results = _race(monkeypatch, [back, back])
    assert sorted(results)[0].startswith("Pleno PPS Kelurahan Pahandut sudah berubah")
    assert sorted(results)[1] == "ok"
    assert PlenoEvent.objects.filter(action="return").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_district_hold_and_a_village_return_at_once_end_in_one_transition(monkeypatch):
    world = build_world()
    hold_all([world.village, *siblings(world.village)])
    results = _race(
        monkeypatch,
        [
            lambda: plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="BA"),
            lambda: plenos.pleno_return(area=world.village, by=world.ppk, note="x"),
        ],
    )
    assert results.count("ok") == 1 and len(results) == 2
    assert PlenoEvent.objects.count() == 1
    held, returned = state(world.district) == "sudah", state(world.village) == "dikembalikan"
    assert held != returned


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_sync_and_a_hold_at_once_never_both_land(monkeypatch):
    """A device's new result and the PPS's pleno at the same moment: the result lands first (and
    the pleno is refused: a result waits in the queue) or the pleno does (and the result is
    rejected): never a result in a held village."""
    from coklit import sync
    from tests.coklit.conftest import event

    world = build_world()
    voters = complete_village(world)
    outcome = {}

    def device():
        [result] = sync.sync_batch(
            tps=world.tps1,
            user=world.pantarlih,
            events=[event(voters[0], "TMS", tms_reason=5, at=180)],  # after the MS result
            app_version="t",
        )
        outcome["sync"] = result["status"]

    results = _race(
        monkeypatch,
        [lambda: plenos.pleno_hold(area=world.village, by=world.pps, ba_number="BA"), device],
    )
    held = state(world.village) == "sudah"
    assert held != (outcome["sync"] == "accepted"), (results, outcome)
    assert Voter.objects.get(pk=voters[0].pk).status == ("MS" if held else "TMS")


def test_the_history_is_append_only(world):
    set_pleno(world.village)
    plenos.pleno_return(area=world.village, by=world.ppk, note="x")
    entry = PlenoEvent.objects.get()
    entry.note = "diubah"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_held_at_is_read_in_the_elections_zone(world):
    when = plenos.parse_held_at("2026-08-11 09:00", world.tps_mimika.parent)
    assert when == dt.datetime(2026, 8, 11, 0, 0, tzinfo=dt.UTC)  # 09.00 WIT


def test_the_page_says_what_was_done_once(world, login):
    complete_village(world)
    client = login(world.pps)
    response = client.post(
        reverse("coklit-pleno-hold", args=[world.village.code]),
        {"ba_number": "01/BA/PPS", "expected": "belum"},
        follow=True,
    )
    # base.html shows the messages of every page; the pleno page showed them a second time.
    assert response.content.decode().count("01/BA/PPS): data pemilihnya kini terkunci") == 1
