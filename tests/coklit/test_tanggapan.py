"""Public responses and saran perbaikan (SPEC 8b): recorded, answered by the PPS, accepted as
the change a verified field result would make, rejected with the reason the supervisor reads."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from coklit import plenos, services
from coklit import tanggapan as svc
from coklit.models import CoklitEvent, Tanggapan, TpsFigures, Voter
from coklit.selectors import area_figures
from kpu.models import AuditEntry, Pemilihan
from kpu.services import DomainError, pemilihan_create
from tests.coklit.conftest import Device, add_voters, event
from tests.coklit.workflow import hold_stage, set_pleno

pytestmark = pytest.mark.django_db


def _url(world):
    return reverse("coklit-tanggapan", args=[world.village.code])


def _recount_ok():
    out = StringIO()
    call_command("check_figures", "62.71", stdout=out)
    return out.getvalue()


def _saran(world, **kw):
    return svc.tanggapan_record(village=world.village, by=world.pkd, **kw)


def _establish(village):
    """The KPU's DPHP pleno held: the DPS established, coklit closed (SPEC 8b)."""
    set_pleno(village.parent.parent, "sudah")


# --- recording ---------------------------------------------------------------------------------


def test_the_pkd_files_a_saran_during_coklit(world, login):
    voter = add_voters(world.tps1, 2)[0]
    client = login(world.pkd)
    response = client.post(
        _url(world),
        {
            "kind": "tms",
            "voter": voter.pk,
            "tms_reason": "1",
            "note": "meninggal Juni 2024",
            "evidence": "surat keterangan kematian",
            "reporter": "PKD Pahandut",
        },
    )
    assert response.status_code == 302
    item = Tanggapan.objects.get()
    assert (item.source, item.kind, item.stage, item.state) == ("saran", "tms", "dphp", "pending")
    assert item.received_area_id == world.village.code and item.recorded_by == world.pkd
    assert AuditEntry.objects.filter(action="tanggapan_record", target=str(item.pk)).exists()
    page = client.get(_url(world)).content.decode()
    assert "TMS 1" in page and voter.nama in page and voter.nik not in page


def test_a_panwaslu_kecamatan_or_bawaslu_files_for_a_village_of_its_area(world):
    voter = add_voters(world.tps1, 1)[0]
    item = svc.tanggapan_record(
        village=world.village,
        by=world.bawaslu,
        kind="data_salah",
        voter_id=voter.pk,
        fields={"nama": "Nama Benar"},
    )
    assert item.source == "saran" and item.received_area_id == "62.71"


def test_the_committees_record_public_responses_only_after_the_dps(world, login):
    voter = add_voters(world.tps1, 1)[0]
    response = login(world.pps).post(
        _url(world), {"kind": "tms", "voter": voter.pk, "tms_reason": "4"}
    )
    assert response.status_code == 409
    assert "belum ditetapkan" in response.content.decode()
    _establish(world.village)
    for user in (world.pps, world.ppk, world.kpu):
        item = svc.tanggapan_record(
            village=world.village, by=user, kind="tms", voter_id=voter.pk, tms_reason=4
        )
        assert item.source == "masyarakat" and item.stage == "dpshp"
    assert Tanggapan.objects.filter(source="masyarakat").count() == 3


def test_prosedur_is_the_supervisors_own_kind(world):
    _establish(world.village)
    with pytest.raises(svc.Refused, match="prosedur"):
        svc.tanggapan_record(village=world.village, by=world.pps, kind="prosedur")
    item = _saran(world, kind="prosedur", note="rumah tanpa stiker coklit di RT 004")
    assert item.kind == "prosedur"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "bogus"}, "Pilih jenis"),
        ({"kind": "tms", "voter": "999999", "tms_reason": "2"}, "Pilih pemilih"),
        ({"kind": "tms", "voter": "abc", "tms_reason": "2"}, "harus angka"),
        ({"kind": "tms", "tms_reason": "12"}, "Pilih pemilih"),
        ({"kind": "data_salah"}, "Pilih pemilih"),
        ({"kind": "belum_terdaftar", "tps": "1", "nama": "X", "nik": "123"}, "nik"),
        ({"kind": "belum_terdaftar", "tps": "9", "nama": "X"}, "TPS 009 tidak ada"),
        ({"kind": "belum_terdaftar", "nama": "X"}, "Pilih TPS"),
        ({"kind": "prosedur", "note": "a\x00b"}, "tidak sah"),
    ],
)
def test_a_bad_field_is_answered_400_and_nothing_is_recorded(world, login, data, message):
    response = login(world.pkd).post(_url(world), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Tanggapan.objects.exists()


def test_a_voter_of_another_village_cannot_be_named(world):
    other = add_voters(world.tps_panarung, 1)[0]
    with pytest.raises(svc.Invalid, match="Pilih pemilih"):
        _saran(world, kind="tms", voter_id=other.pk, tms_reason=2)


def test_tms_1_and_9_need_a_note_and_tms_8_a_tps_of_the_village(world):
    voter = add_voters(world.tps1, 1)[0]
    with pytest.raises(svc.Invalid, match="perlu keterangan"):
        _saran(world, kind="tms", voter_id=voter.pk, tms_reason=1)
    with pytest.raises(svc.Invalid, match="TPS tujuan harus TPS lain"):
        _saran(world, kind="tms", voter_id=voter.pk, tms_reason=8, target_tps=1)
    assert _saran(world, kind="tms", voter_id=voter.pk, tms_reason=8, target_tps=2).target_tps == 2


def test_outsiders_get_404_and_a_pantarlih_too(world, login):
    for user in (world.pps_panarung, world.ppk_bukit_batu, world.kpu_mimika, world.pantarlih):
        client = login(user)
        assert client.get(_url(world)).status_code == 404
        assert client.post(_url(world), {"kind": "prosedur"}).status_code == 404
    assert not Tanggapan.objects.exists()


# --- answering ---------------------------------------------------------------------------------


def test_an_accepted_tms_makes_the_voter_tms_verified(world, login):
    voter = add_voters(world.tps1, 3)[0]
    item = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=4)
    response = login(world.pps).post(reverse("coklit-tanggapan-accept", args=[item.pk]))
    assert response.status_code == 302
    voter.refresh_from_db()
    item.refresh_from_db()
    assert (voter.status, voter.tms_reason, voter.verification) == ("TMS", 4, "approved")
    assert item.state == "accepted" and item.answered_by == world.pps and item.event_id
    assert item.event.verification == "approved" and item.event.user == world.pps
    figures = area_figures(area=world.village)
    assert figures["tms_4"] == 1 and figures["pending"] == 0 and figures["done"] == 1
    assert set(
        AuditEntry.objects.filter(area_code=world.village.code).values_list("action", flat=True)
    ) >= {"tanggapan_record", "tanggapan_accept", "verify_approve"}
    _recount_ok()
    # The device's reconciliation figures are the device's: an office change is no sync.
    assert TpsFigures.objects.get(tps=world.tps1).last_sync_at is None


def test_an_accepted_response_changes_the_list_as_its_verification_would(world):
    """The same TMS 8, correction and new voter through a device and the queue, and through
    responses: the two TPS end with the same figures."""
    a = add_voters(world.tps1, 2, nik="6271014101900001")  # through a device and the queue
    b = add_voters(world.tps1, 2)
    new = {
        "nkk": "6271010101990001",
        "nik": "6271015507990002",
        "nama": "Siti Aminah",
        "tanggal_lahir": "1999-07-15",
        "jenis_kelamin": "P",
        "status_kawin": "B",
        "ktp_el": "S",
    }
    before = area_figures(area=world.tps1)
    device = Device(world.pantarlih)
    events = [
        event(a[0], "TMS", tms_reason=8, target_tps=2),
        event(a[1], "MS", changes={"alamat": "Jl. Baru 1", "rt": "4"}),
        event(None, "BARU", new_voter=new),
    ]
    assert device.statuses(events) == ["accepted"] * 3
    for e in events:
        services.event_verify(
            event=CoklitEvent.objects.get(pk=e["id"]), by=world.pps, decision="approve"
        )
    by_device = {
        k: area_figures(area=world.tps1)[k] - before[k]
        for k in before
        if isinstance(before[k], int)
    }
    made = [
        _saran(world, kind="tms", voter_id=b[0].pk, tms_reason=8, target_tps=2),
        _saran(
            world, kind="data_salah", voter_id=b[1].pk, fields={"alamat": "Jl. Baru 1", "rt": "4"}
        ),
        _saran(world, kind="belum_terdaftar", tps="1", fields=new | {"nik": "6271015507990003"}),
    ]
    middle = area_figures(area=world.tps1)
    for item in made:
        svc.tanggapan_accept(tanggapan=item, by=world.pps)
    by_response = {k: area_figures(area=world.tps1)[k] - middle[k] for k in by_device}
    by_response["results"] = by_device["results"]  # the device's own count of its results
    assert by_response == by_device
    b[0].refresh_from_db(), b[1].refresh_from_db()
    assert b[0].dps_tps_id == world.tps2.code and b[0].verification == "approved"
    assert (b[1].status, b[1].alamat, b[1].rt) == ("UBAH", "Jl. Baru 1", "004")
    newcomer = Voter.objects.get(nik="6271015507990003")
    assert (newcomer.status, newcomer.verification) == ("BARU", "approved")
    _recount_ok()


def test_a_rejection_needs_a_reason_and_the_supervisor_reads_it(world, login):
    voter = add_voters(world.tps1, 1)[0]
    item = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=5)
    pps = login(world.pps)
    response = pps.post(reverse("coklit-tanggapan-reject", args=[item.pk]), {"note": " "})
    assert response.status_code == 400 and "alasan" in response.content.decode().lower()
    item.refresh_from_db()
    assert item.state == "pending"
    response = pps.post(
        reverse("coklit-tanggapan-reject", args=[item.pk]),
        {"note": "Pemilih dikenal, tinggal di RT 003"},
    )
    assert response.status_code == 302
    voter.refresh_from_db()
    assert voter.status == "BELUM"
    pkd = login(world.pkd)
    home = pkd.get(reverse("coklit-area", args=[world.village.code])).content.decode()
    assert "Pemilih dikenal, tinggal di RT 003" in home and "Ditolak" in home
    assert "Pemilih dikenal, tinggal di RT 003" in pkd.get(_url(world)).content.decode()


def test_only_the_pps_of_the_village_answers(world, login):
    voter = add_voters(world.tps1, 1)[0]
    item = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=5)
    for user in (world.pkd, world.ppk, world.kpu, world.bawaslu):
        response = login(user).post(reverse("coklit-tanggapan-accept", args=[item.pk]))
        assert response.status_code == 403, user
    for user in (world.pps_panarung, world.kpu_mimika, world.pantarlih):
        response = login(user).post(
            reverse("coklit-tanggapan-reject", args=[item.pk]), {"note": "x"}
        )
        assert response.status_code == 404, user
    item.refresh_from_db()
    assert item.state == "pending"


def test_an_answered_one_is_not_answered_twice(world, login):
    item = _saran(world, kind="prosedur", note="tanpa tanda bukti")
    client = login(world.pps)
    assert client.post(reverse("coklit-tanggapan-accept", args=[item.pk])).status_code == 302
    response = client.post(reverse("coklit-tanggapan-reject", args=[item.pk]), {"note": "x"})
    assert response.status_code == 409 and "sudah dijawab" in response.content.decode()
    item.refresh_from_db()
    assert item.state == "accepted" and item.event_id is None


def test_htmx_answers_with_the_row(world, login):
    voter = add_voters(world.tps1, 1)[0]
    item = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=5)
    response = login(world.pps).post(
        reverse("coklit-tanggapan-reject", args=[item.pk]),
        {"note": "tidak terbukti"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith(f'<tr id="t-{item.pk}"')
    assert "tidak terbukti" in html and "<html" not in html


def test_a_refused_change_leaves_the_response_pending(world):
    """An accept that the sync rules refuse (the TPS's list changed meanwhile: here the NIK of
    the new person was added since) writes nothing."""
    new = {
        "nkk": "6271010101990001",
        "nik": "6271015507990004",
        "nama": "Ani",
        "tanggal_lahir": "1999-07-15",
        "jenis_kelamin": "P",
        "status_kawin": "B",
    }
    item = _saran(world, kind="belum_terdaftar", tps="1", fields=new)
    add_voters(world.tps1, 1, nik="6271015507990004")
    with pytest.raises(DomainError, match="NIK ini sudah ada"):
        svc.tanggapan_accept(tanggapan=item, by=world.pps)
    item.refresh_from_db()
    assert item.state == "pending" and not CoklitEvent.objects.exists()


# --- the lists, counts, period and plenos ------------------------------------------------------


def test_the_list_filters_by_kind_and_state(world, login):
    voter = add_voters(world.tps1, 1)[0]
    a = _saran(world, kind="prosedur", note="stiker")
    b = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=5)
    svc.tanggapan_reject(tanggapan=b, by=world.pps, note="tidak terbukti")
    client = login(world.pkd)

    def ids(**params):
        html = client.get(
            _url(world), params, headers={"HX-Request": "true", "HX-Target": "tanggapan"}
        ).content.decode()
        return {pk for pk in (a.pk, b.pk) if f'id="t-{pk}"' in html}

    assert ids() == {a.pk, b.pk}
    assert ids(jenis="prosedur") == {a.pk}
    assert ids(status="rejected") == {b.pk}
    assert ids(jenis="tms", status="pending") == set()
    assert ids(jenis="<script>", status="x") == {a.pk, b.pk}


def test_area_pages_count_per_kind_and_state(world, login):
    voter = add_voters(world.tps1, 1)[0]
    _saran(world, kind="prosedur", note="stiker")
    b = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=5)
    svc.tanggapan_reject(tanggapan=b, by=world.pps, note="tidak terbukti")
    table = svc.counts(area=world.district)
    assert table["prosedur"]["pending"] == 1 and table["tms"]["rejected"] == 1
    assert table["total"]["total"] == 2
    assert svc.counts(area=world.district_bukit_batu)["total"]["total"] == 0
    page = login(world.ppk).get(reverse("coklit-area", args=[world.district.code])).content.decode()
    assert "Tanggapan dan saran perbaikan" in page and "tanggapan-counts" in page
    assert reverse("coklit-tanggapan", args=[world.village.code]) in page
    [row] = svc.counts_by_village(area=world.regency)
    assert (row["area"], row["pending"], row["rejected"], row["total"]) == (world.village, 1, 1, 2)


def test_the_pps_inbox_lists_the_oldest_first_with_days_waiting(world, login):
    old = _saran(world, kind="prosedur", note="pertama")
    Tanggapan.objects.filter(pk=old.pk).update(recorded_at=timezone.now() - dt.timedelta(days=3))
    new = _saran(world, kind="prosedur", note="kedua")
    inbox = svc.pending_inbox(village=world.village)
    assert [t.pk for t in inbox] == [old.pk, new.pk] and inbox[0].days == 3
    page = login(world.pps).get(reverse("coklit-area", args=[world.village.code])).content.decode()
    assert "menunggu 3 hari" in page


def test_the_dphp_pleno_waits_for_every_saran(world):
    voter = add_voters(world.tps1, 1)[0]
    Device(world.pantarlih).statuses([event(voter, "MS")])
    item = _saran(world, kind="prosedur", note="stiker")
    with pytest.raises(DomainError, match="1 saran perbaikan Bawaslu/Panwaslu belum dijawab"):
        plenos.pleno_hold(area=world.village, by=world.pps, ba_number="1/BA")
    svc.tanggapan_accept(tanggapan=item, by=world.pps)
    assert plenos.pleno_hold(area=world.village, by=world.pps, ba_number="1/BA").is_held


def test_create_pemilihan_takes_the_response_period(world):
    call_command(
        "create_pemilihan",
        regency="62.71",
        name="Pemilihan Serentak 2024",
        voting_day="2024-11-27",
        coklit_start="2024-06-24",
        coklit_end="2024-07-24",
        tanggapan_start="2024-08-18",
        tanggapan_end="2024-08-27",
        stdout=StringIO(),
    )
    p = Pemilihan.objects.get()
    assert (p.tanggapan_start, p.tanggapan_end) == (dt.date(2024, 8, 18), dt.date(2024, 8, 27))
    with pytest.raises(DomainError, match="awal dan akhir"):
        pemilihan_create(
            regency=world.regency,
            name="X",
            voting_day=dt.date(2024, 11, 27),
            coklit_start=dt.date(2024, 6, 24),
            coklit_end=dt.date(2024, 7, 24),
            tanggapan_start=dt.date(2024, 8, 18),
        )


def test_the_period_shows_days_left_and_late_ones_are_marked(world, login):
    today = timezone.localdate()
    p, _ = pemilihan_create(
        regency=world.regency,
        name="Uji",
        voting_day=today + dt.timedelta(days=60),
        coklit_start=today - dt.timedelta(days=60),
        coklit_end=today - dt.timedelta(days=30),
        tanggapan_start=today - dt.timedelta(days=2),
        tanggapan_end=today + dt.timedelta(days=2),
    )
    _establish(world.village)
    page = login(world.pps).get(reverse("coklit-area", args=[world.village.code])).content.decode()
    assert "Masa tanggapan" in page and "3 hari lagi" in page
    on_time = svc.tanggapan_record(
        village=world.village,
        by=world.pps,
        kind="tms",
        voter_id=add_voters(world.tps1, 1)[0].pk,
        tms_reason=5,
    )
    assert not on_time.late
    Pemilihan.objects.filter(pk=p.pk).update(
        tanggapan_start=today - dt.timedelta(days=12), tanggapan_end=today - dt.timedelta(days=3)
    )
    late = svc.tanggapan_record(
        village=world.village,
        by=world.pps,
        kind="tms",
        voter_id=add_voters(world.tps1, 1)[0].pk,
        tms_reason=5,
    )
    assert late.late
    assert "terlambat" in login(world.pkd).get(_url(world)).content.decode()


def test_without_a_schedule_the_period_is_the_ten_days_after_the_dps(world):
    p, _ = pemilihan_create(
        regency=world.regency,
        name="Uji",
        voting_day=dt.date(2024, 11, 27),
        coklit_start=dt.date(2024, 6, 24),
        coklit_end=dt.date(2024, 7, 24),
    )
    assert svc.response_period(p) is None
    period = svc.response_period(p, established_at=dt.datetime(2024, 8, 11, 10, tzinfo=dt.UTC))
    assert (period.start, period.end) == (dt.date(2024, 8, 12), dt.date(2024, 8, 21))


# --- the second stage: DPS → DPSHP → DPT (SPEC 8b) ---------------------------------------------


def _dps_established(world, n=2):
    """Pahandut done and verified, every pleno of the DPHP stage held: the DPS established."""
    voters = add_voters(world.tps1, n)
    Device(world.pantarlih).statuses([event(v, "MS") for v in voters])
    hold_stage(world)
    return voters


def test_after_the_dps_coklit_is_closed_but_responses_change_the_list(world, login):
    voters = _dps_established(world)
    assert plenos.pleno_stage(world.village) == "dpshp"
    [result] = (
        Device(world.pantarlih).sync([event(voters[0], "TMS", tms_reason=4)]).json()["results"]
    )
    assert result["status"] == "rejected" and "coklit ditutup" in result["error"]
    item = svc.tanggapan_record(
        village=world.village,
        by=world.pps,
        kind="tms",
        voter_id=voters[0].pk,
        tms_reason=4,
        reporter="Ketua RT 003",
        note="pindah ke Sampit",
    )
    assert item.stage == "dpshp" and item.source == "masyarakat"
    svc.tanggapan_accept(tanggapan=item, by=world.pps)
    voters[0].refresh_from_db()
    assert (voters[0].status, voters[0].tms_reason, voters[0].verification) == (
        "TMS",
        4,
        "approved",
    )


def test_the_dpshp_pleno_waits_for_every_response_then_locks(world):
    voters = _dps_established(world)
    item = svc.tanggapan_record(
        village=world.village,
        by=world.pps,
        kind="data_salah",
        voter_id=voters[1].pk,
        fields={"nama": "Nama Diperbaiki"},
    )
    with pytest.raises(DomainError, match="1 tanggapan masyarakat dan saran perbaikan belum"):
        plenos.pleno_hold(area=world.village, by=world.pps, ba_number="2/BA/PPS")
    svc.tanggapan_reject(tanggapan=item, by=world.pps, note="KTP-el menunjukkan nama yang sama")
    pleno = plenos.pleno_hold(area=world.village, by=world.pps, ba_number="2/BA/PPS")
    assert (pleno.stage, pleno.is_held) == ("dpshp", True)
    late = svc.tanggapan_record(
        village=world.village,
        by=world.pkd,
        kind="tms",
        voter_id=voters[1].pk,
        tms_reason=5,
    )
    with pytest.raises(DomainError, match="sudah dilaksanakan"):
        svc.tanggapan_accept(tanggapan=late, by=world.pps)
    late.refresh_from_db()
    assert late.state == "pending"
    # A rejection changes no voter: possible while the pleno holds the village.
    svc.tanggapan_reject(tanggapan=late, by=world.pps, note="sudah pleno DPSHP")


def test_the_kpu_establishes_the_dpt_in_the_second_stage(world):
    _dps_established(world)
    hold_stage(world, stage="dpshp", pps="2/BA/PPS", ppk="2/BA/PPK", kpu=None)
    with pytest.raises(plenos.BadField):
        plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number="2/BA/KPU")
    dpt = plenos.pleno_hold(
        area=world.regency, by=world.kpu, ba_number="2/BA/KPU", sk_number="99/PL.01.2-Kpt/2024"
    )
    assert (dpt.stage, dpt.is_held) == ("dpshp", True)
    assert "DPT" in plenos.lock_messages([world.village.code])[world.village.code]


def _current_step(html):
    import re

    return re.search(r'<li class="current" aria-current="step">([^<]+)</li>', html).group(1)


def test_every_page_shows_the_regencys_stage_and_the_period(world, login):
    pemilihan_create(
        regency=world.regency,
        name="Uji",
        voting_day=dt.date(2030, 11, 27),
        coklit_start=timezone.localdate() - dt.timedelta(days=20),
        coklit_end=timezone.localdate() + dt.timedelta(days=10),
    )
    client = login(world.pkd)
    assert _current_step(client.get(_url(world)).content.decode()) == "Coklit"
    _dps_established(world, n=1)
    # No period in the schedule: the ten days after the DPS pleno, from tomorrow.
    p = Pemilihan.objects.get()
    assert p.tanggapan_end - p.tanggapan_start == dt.timedelta(days=9)
    for url in (
        _url(world),
        reverse("coklit-area", args=[world.village.code]),
        reverse("coklit-queue", args=[world.village.code]),
    ):
        html = client.get(url).content.decode()
        assert _current_step(html) == "DPS ditetapkan" and "belum dimulai" in html, url
    Pemilihan.objects.update(
        tanggapan_start=timezone.localdate() - dt.timedelta(days=1),
        tanggapan_end=timezone.localdate() + dt.timedelta(days=4),
    )
    html = login(world.kpu).get(reverse("coklit-area", args=[world.regency.code])).content.decode()
    assert _current_step(html) == "Pengumuman dan tanggapan" and "5 hari lagi" in html


def test_the_second_stage_recap_holds_dpshp_is_dps_less_tms_plus_baru_on_every_row(world, login):
    voters = _dps_established(world, n=4)
    before, _ = svc.second_stage_recap(area=world.district)
    pahandut = next(r for r in before if r["area"] == world.village)
    assert pahandut["dps_lp"] == pahandut["dpshp_lp"] == 4
    new = {
        "nkk": "6271010101990001",
        "nik": "6271015507990009",
        "nama": "Rahmat",
        "tanggal_lahir": "2007-01-01",
        "jenis_kelamin": "L",
        "status_kawin": "B",
    }
    accepted = [
        svc.tanggapan_record(
            village=world.village,
            by=world.pps,
            kind="tms",
            voter_id=voters[0].pk,
            tms_reason=1,
            note="surat kematian",
        ),
        svc.tanggapan_record(
            village=world.village,
            by=world.pps,
            kind="tms",
            voter_id=voters[1].pk,
            tms_reason=8,
            target_tps=2,
        ),
        svc.tanggapan_record(
            village=world.village, by=world.pps, kind="belum_terdaftar", tps="2", fields=new
        ),
        svc.tanggapan_record(
            village=world.village,
            by=world.pps,
            kind="data_salah",
            voter_id=voters[2].pk,
            fields={"alamat": "Jl. Baru"},
        ),
    ]
    for item in accepted:
        svc.tanggapan_accept(tanggapan=item, by=world.pps)
    svc.tanggapan_reject(
        tanggapan=svc.tanggapan_record(
            village=world.village, by=world.pkd, kind="tms", voter_id=voters[3].pk, tms_reason=5
        ),
        by=world.pps,
        note="dikenal",
    )
    for area in (world.regency, world.district, world.village):
        rows, total = svc.second_stage_recap(area=area)
        for row in [*rows, total]:
            for s in "lp":
                assert row[f"dpshp_{s}"] == row[f"dps_{s}"] - row[f"tms_{s}"] + row[f"baru_{s}"]
    rows, total = svc.second_stage_recap(area=world.village)
    tps1, tps2 = rows[0], rows[1]
    assert (tps1["dps_lp"], tps1["tms_lp"], tps1["baru_lp"], tps1["dpshp_lp"]) == (4, 2, 0, 2)
    assert (tps2["dps_lp"], tps2["baru_lp"], tps2["dpshp_lp"]) == (0, 2, 2)
    assert total["ubah_lp"] == 1 and total["dps_lp"] == 4 and total["dpshp_lp"] == 4
    assert (total["all_in"], total["all_ok"], total["all_no"]) == (5, 4, 1)
    assert (total["tms_in"], total["tms_ok"], total["tms_no"]) == (3, 2, 1)
    # The DPSHP is the live list: what a recount finds.
    live = area_figures(area=world.village)
    assert total["dpshp_l"] == live["dps_l"] and total["dpshp_p"] == live["dps_p"]
    html = login(world.kpu).get(reverse("coklit-area", args=[world.district.code])).content.decode()
    assert "Rekap tahap kedua: DPS → DPSHP" in html and "second-stage-recap" in html


def test_ids_over_999_are_written_plain(world, login):
    """A voter's id in the search's radio and a response's row id carry no thousands separator
    (`1.234` is not an id the form can send back, nor `#t-1.234` a selector htmx finds)."""
    [voter] = add_voters(world.tps1, 1, id=123456, nama="Seribu Dua")
    client = login(world.pkd)
    html = client.get(
        _url(world),
        {"cari": "Seribu"},
        headers={"HX-Request": "true", "HX-Target": "voter-choices"},
    ).content.decode()
    assert 'value="123456"' in html
    item = _saran(world, kind="tms", voter_id=voter.pk, tms_reason=5)
    Tanggapan.objects.filter(pk=item.pk).update(id=98765)
    html = login(world.pps).get(_url(world)).content.decode()
    assert 'id="t-98765"' in html and 'hx-target="#t-98765"' in html


def test_the_kpus_pleno_page_asks_for_the_keputusan_of_the_stage(world, login):
    client = login(world.kpu)
    url = reverse("coklit-pleno", args=[world.regency.code])
    assert "Nomor Keputusan KPU penetapan DPS" in client.get(url).content.decode()
    _dps_established(world)
    html = client.get(url).content.decode()
    assert "Nomor Keputusan KPU penetapan DPT" in html and "penetapan DPS (wajib)" not in html
