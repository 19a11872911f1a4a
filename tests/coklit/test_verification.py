"""The PPS's verification queue: one by one, in bulk, conflicts, the lock, and who may act."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coklit import figures, selectors, services
from coklit.models import CoklitEvent, Voter
from kpu.models import AuditEntry
from kpu.services import DomainError
from tests.coklit.workflow import make_voter, record, record_baru, record_conflict, set_pleno

pytestmark = pytest.mark.django_db


def verify(client, event, decision="approve", note="", **headers):
    return client.post(
        reverse("coklit-event-verify", args=[event.pk]),
        {"decision": decision, "note": note},
        **headers,
    )


def figs(area):
    return selectors.area_figures(area=area)


def test_the_url_is_the_one_of_spec_8():
    uuid = "00000000-0000-0000-0000-000000000001"
    assert reverse("coklit-event-verify", args=[uuid]) == f"/verifikasi/{uuid}/"


def test_it_approves_a_tms_8_and_the_voter_moves_into_the_other_tps(world, login):
    v = make_voter(world.tps1, jenis_kelamin="L")
    e = record(v, "TMS", tms_reason=8, target_tps=2, note="tinggal dekat TPS 2")
    assert figs(world.tps1)["pending"] == 1 and figs(world.tps2)["dps_l"] == 0
    response = verify(login(world.pps), e)
    assert response.status_code == 302
    assert (
        response["Location"] == f"/wilayah/{world.village.code}/verifikasi/?tps={world.tps1.code}"
    )
    v.refresh_from_db()
    assert (v.status, v.verification, v.dps_tps_id) == ("TMS", "approved", world.tps2.code)
    assert figs(world.tps1)["pending"] == 0 and figs(world.tps2)["dps_l"] == 1
    e.refresh_from_db()
    assert (e.verification, e.verified_by_id) == ("approved", world.pps.pk)
    entry = AuditEntry.objects.get(action="verify_approve")
    assert (entry.area_code, entry.target, entry.role) == (world.village.code, str(e.pk), "pps")
    assert figures.mismatches(code=world.village.code) == {}


def test_it_approves_an_ubah_and_applies_the_changes(world, login):
    v = make_voter(world.tps1, nama="Rina", jenis_kelamin="P", disabilitas="")
    e = record(v, "MS", changes={"nama": "Rina Wati", "jenis_kelamin": "L", "disabilitas": [1, 6]})
    verify(login(world.pps), e)
    v.refresh_from_db()
    assert (v.nama, v.jenis_kelamin, v.disabilitas) == ("Rina Wati", "L", "1,6")
    assert (v.status, v.verification) == ("UBAH", "approved")
    tps = figs(world.tps1)
    assert (tps["dps_l"], tps["dps_p"], tps["dis_6"], tps["ubah"]) == (1, 0, 1, 1)
    assert figures.mismatches(code=world.village.code) == {}
    entry = AuditEntry.objects.get(action="verify_approve")
    assert entry.data["changes"]["nama"] == ["Rina", "Rina Wati"]


def test_it_approves_a_new_voter_into_the_dps(world, login):
    e = record_baru(world.tps1)
    assert figs(world.tps1)["dps_l"] == 0
    verify(login(world.pps), e)
    assert figs(world.tps1)["dps_l"] == 1 and figs(world.tps1)["baru"] == 1
    assert figures.mismatches(code=world.village.code) == {}


def test_a_rejection_needs_a_note_and_changes_nothing_without_it(world, login):
    e = record(make_voter(world.tps1), "TMS", tms_reason=5)
    client = login(world.pps)
    response = verify(client, e, "reject", note="  ")
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.verification == "pending" and not AuditEntry.objects.exists()
    assert "Tulis alasan penolakan" in client.get(response["Location"]).text


def test_rejecting_a_tms_sends_the_voter_back_to_belum(world, login):
    v = make_voter(world.tps1)
    e = record(v, "TMS", tms_reason=5)
    assert figs(world.tps1)["done"] == 1
    verify(login(world.pps), e, "reject", note="Warga masih tinggal di alamat ini")
    v.refresh_from_db()
    e.refresh_from_db()
    assert (v.status, v.tms_reason, v.verification, v.outcome_event_id) == ("BELUM", None, "", None)
    assert (e.verification, e.stands, e.verification_note) == (
        "rejected",
        False,
        "Warga masih tinggal di alamat ini",
    )
    tps = figs(world.tps1)
    assert (tps["done"], tps["tms_5"], tps["pending"]) == (0, 0, 0)
    assert (
        AuditEntry.objects.get(action="verify_reject").note == "Warga masih tinggal di alamat ini"
    )


def test_rejecting_an_ubah_keeps_the_voter_ms_without_the_changes(world, login):
    v = make_voter(world.tps1, nama="Rina")
    e = record(v, "MS", changes={"nama": "Rini"})
    verify(login(world.pps), e, "reject", note="KTP tetap Rina")
    v.refresh_from_db()
    assert (v.nama, v.status, v.verification) == ("Rina", "MS", "")
    assert figs(world.tps1)["ms"] == 1 and figs(world.tps1)["ubah"] == 0


def test_rejecting_a_new_voter_keeps_them_out_of_every_count(world, login):
    e = record_baru(world.tps1)
    verify(login(world.pps), e, "reject", note="Belum 17 tahun")
    assert e.voter.__class__.objects.get(pk=e.voter_id).verification == "rejected"
    tps = figs(world.tps1)
    assert (tps["baru"], tps["dps_l"], tps["pending"]) == (0, 0, 0)
    assert figures.mismatches(code=world.village.code) == {}


def test_approving_a_conflict_settles_it_and_keeps_the_standing_outcome(world, login):
    v = make_voter(world.tps1)
    a, b = record_conflict(
        v, {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 1, "note": "wafat"}
    )
    assert figs(world.tps1)["conflicts"] == 1
    verify(login(world.pps), b)
    v.refresh_from_db()
    assert (v.status, v.tms_reason, v.conflict, v.verification) == ("TMS", 1, False, "approved")
    assert not CoklitEvent.objects.filter(voter=v, conflict=True).exists()
    assert CoklitEvent.objects.filter(voter=v).count() == 2  # both stay in the log
    assert figs(world.tps1)["conflicts"] == 0 and figs(world.tps1)["pending"] == 0


def test_a_conflict_settled_on_a_plain_ms_needs_no_further_verification(world, login):
    v = make_voter(world.tps1)
    a, b = record_conflict(v, {"outcome": "TMS", "tms_reason": 5}, {"outcome": "MS"})
    verify(login(world.pps), b)
    v.refresh_from_db()
    assert (v.status, v.conflict, v.verification) == ("MS", False, "")


def test_only_the_standing_result_can_be_verified(world, login):
    v = make_voter(world.tps1)
    a, b = record_conflict(v, {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 4})
    verify(login(world.pps), a)
    a.refresh_from_db()
    assert a.verification == "" and Voter.objects.get(pk=v.pk).conflict


def test_verifying_twice_is_refused(world, login):
    e = record(make_voter(world.tps1), "TMS", tms_reason=4)
    client = login(world.pps)
    verify(client, e)
    response = verify(client, e, **{"HTTP_HX_REQUEST": "true"})
    assert "tidak lagi menunggu verifikasi" in response.text
    assert AuditEntry.objects.filter(action="verify_approve").count() == 1


def test_htmx_answers_the_row_and_the_counts_out_of_band(world, login):
    e = record(make_voter(world.tps1), "TMS", tms_reason=2)
    record(make_voter(world.tps1), "TMS", tms_reason=3)
    response = verify(login(world.pps), e, **{"HTTP_HX_REQUEST": "true"})
    assert response.status_code == 200
    html = response.text
    assert f'id="row-{e.pk}"' in html and "Disetujui" in html
    assert 'id="queue-total" class="queue-total" hx-swap-oob="true"' in html
    assert "<b>1</b> hasil menunggu verifikasi" in html
    assert "<html" not in html


@pytest.mark.parametrize(
    "persona,status",
    [
        ("ppk", 403),  # inside scope, wrong role: told who may act
        ("kpu", 403),
        ("pantarlih", 403),  # the event's own TPS: in scope, but pantarlih do not verify
        ("pantarlih2", 404),  # another TPS
        ("pps_panarung", 404),  # the village next door
        ("ppk_bukit_batu", 404),
        ("kpu_mimika", 404),
    ],
)
def test_only_the_pps_of_the_village_verifies(world, login, persona, status):
    e = record(make_voter(world.tps1), "TMS", tms_reason=4)
    for decision in ("approve", "reject"):
        response = verify(login(getattr(world, persona)), e, decision, note="x")
        assert response.status_code == status
        if status == 403:
            assert "Hanya PPS Kelurahan Pahandut" in response.text
    e.refresh_from_db()
    assert e.verification == "pending" and not AuditEntry.objects.exists()


def test_an_unknown_event_is_404_and_get_is_not_allowed(world, login):
    client = login(world.pps)
    assert client.post("/verifikasi/00000000-0000-0000-0000-000000000001/").status_code == 404
    e = record(make_voter(world.tps1), "TMS", tms_reason=4)
    assert client.get(reverse("coklit-event-verify", args=[e.pk])).status_code == 405


def test_the_lock_refuses_verification_and_says_why(world, login):
    e = record(make_voter(world.tps1), "TMS", tms_reason=4)
    set_pleno(world.village)
    response = verify(login(world.pps), e, **{"HTTP_HX_REQUEST": "true"})
    assert "Rapat pleno PPS Kelurahan Pahandut sudah dilaksanakan" in response.text
    assert "data pemilihnya terkunci" in response.text
    with pytest.raises(DomainError, match="terkunci"):
        services.event_verify(event=e, by=world.pps, decision="approve")
    with pytest.raises(DomainError, match="terkunci"):
        services.tps_queue_approve_all(tps=world.tps1, by=world.pps)
    e.refresh_from_db()
    assert e.verification == "pending"
    page = login(world.pps).get(reverse("coklit-queue", args=[world.village.code]))
    assert "terkunci" in page.text and 'name="decision"' not in page.text


def test_bulk_approves_the_rows_of_one_tps_but_leaves_conflicts(world, login):
    e1 = record(make_voter(world.tps1), "TMS", tms_reason=4)
    e2 = record_baru(world.tps1)
    _, c = record_conflict(
        make_voter(world.tps1), {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 1}
    )
    other = record(make_voter(world.tps2), "TMS", tms_reason=4)
    response = login(world.pps).post(
        reverse("coklit-queue-approve-all", args=[world.tps1.code]),
        {"event": [str(e1.pk), str(e2.pk), str(c.pk)], "confirm": "1"},
    )
    assert response.status_code == 302
    states = dict(CoklitEvent.objects.values_list("pk", "verification"))
    assert states[e1.pk] == states[e2.pk] == "approved"
    assert states[c.pk] == "pending" and states[other.pk] == "pending"
    entry = AuditEntry.objects.get(action="verify_approve_all")
    assert entry.data["count"] == 2 and entry.target == world.tps1.code
    assert figs(world.tps1)["pending"] == 1 and figures.mismatches(code=world.village.code) == {}


def test_bulk_never_approves_a_result_the_pps_did_not_see(world, login):
    seen = record(make_voter(world.tps1), "TMS", tms_reason=4)
    unseen = record(make_voter(world.tps1), "TMS", tms_reason=5)  # synced after the page loaded
    login(world.pps).post(
        reverse("coklit-queue-approve-all", args=[world.tps1.code]),
        {"event": [str(seen.pk)], "confirm": "1"},
    )
    unseen.refresh_from_db()
    assert unseen.verification == "pending"


def test_the_queue_shows_each_result_with_masked_nik_flags_and_both_sides_of_a_conflict(
    world, login
):
    v = make_voter(world.tps1, nik="6271014101900001", flags="nik_tgl,tps_600", nama="Siti")
    record(v, "TMS", tms_reason=1, note="surat kematian dari kelurahan")
    u = make_voter(world.tps2, nama="Yusuf", nik="6271010101800002")
    record(u, "MS", changes={"nik": "6271010101800099", "alamat": "Jl. Kenanga 2"})
    c = make_voter(world.tps2, nama="Agus")
    record_conflict(
        c, {"outcome": "MS", "note": "ada"}, {"outcome": "TMS", "tms_reason": 4, "note": "pindah"}
    )
    page = login(world.pps).get(reverse("coklit-queue", args=[world.village.code])).text
    assert "6271**********01" in page and "6271014101900001" not in page
    assert "6271010101800099" not in page and "6271**********99" in page
    assert "Jl. Kenanga 2" in page
    assert "Tanggal lahir pada NIK tidak cocok" in page and "TPS lebih dari 600 pemilih" in page
    assert "surat kematian dari kelurahan" in page and "TMS 1 · Meninggal" in page
    assert "pindah" in page and "ada" in page and "berlaku" in page
    assert page.count('name="decision" value="approve"') == 3


def test_the_queue_costs_the_same_queries_for_few_and_many_rows(world, login):
    client = login(world.pps)
    url = reverse("coklit-queue", args=[world.village.code])
    record(make_voter(world.tps1), "TMS", tms_reason=4)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(8):
        record(make_voter(world.tps1 if i % 2 else world.tps2), "TMS", tms_reason=4)
    record_baru(world.tps2)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_ppk_sees_the_queue_without_buttons_and_outsiders_get_404(world, login):
    record(make_voter(world.tps1), "TMS", tms_reason=4)
    url = reverse("coklit-queue", args=[world.village.code])
    page = login(world.ppk).get(url)
    assert page.status_code == 200 and 'name="decision"' not in page.text
    assert login(world.pps_panarung).get(url).status_code == 404


def test_queue_times_are_in_the_election_zone_and_say_it(world, login):
    """SPEC 5: every time shown is in the election's zone and carries it (`14.05 WIT`)."""
    import datetime as dt

    at = dt.datetime(2024, 7, 1, 2, 5, tzinfo=dt.UTC)  # 09.05 WIB, 11.05 WIT
    a, b = record_conflict(make_voter(world.tps1), {}, dict(outcome="TMS", tms_reason=5))
    CoklitEvent.objects.filter(pk=a.pk).update(recorded_at=at - dt.timedelta(hours=1))
    CoklitEvent.objects.filter(pk=b.pk).update(recorded_at=at)
    html = login(world.pps).get(reverse("coklit-queue", args=[world.village.code])).text
    assert "1 Jul, 09.05 WIB" in html and "1 Jul, 08.05 WIB" in html

    v = make_voter(world.tps_mimika)
    record(v, "TMS", tms_reason=4, recorded_at=at)
    html = login(world.kpu_mimika).get(reverse("coklit-queue", args=["94.04.01.1001"])).text
    assert "1 Jul, 11.05 WIT" in html


def test_the_queue_shows_corrections_in_words_not_python_values(world, login):
    """An ubah of KTP-el or marital status reads `KTP-el: sudah → belum`, never True/False."""
    v = make_voter(world.tps1, ktp_el=True, status_kawin="B")
    record(v, changes={"ktp_el": False, "status_kawin": "S", "rt": "004"})
    html = login(world.pps).get(reverse("coklit-queue", args=[world.village.code])).text
    assert "True" not in html and "False" not in html
    assert "KTP-el: <del>sudah</del> → <ins>belum</ins>" in html
    assert "status kawin: <del>belum kawin</del> → <ins>sudah kawin</ins>" in html
