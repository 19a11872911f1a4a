"""The DPS draft chain (SPEC 8): draft → submitted → approved | returned → established, reopen."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from coklit import selectors, services
from coklit.models import DpsDraft, TpsFigures, Voter
from kpu.models import AuditEntry
from kpu.services import DomainError
from tests.base import build_world
from tests.coklit.workflow import complete_village, make_voter, record, record_conflict

pytestmark = pytest.mark.django_db
S = DpsDraft.Status


def act(client, action, code, **data):
    return client.post(reverse(f"coklit-dps-{action}", args=[code]), data)


def status(world):
    """The draft's state; rows are made lazily, so no row is a draft nobody acted on."""
    return selectors.dps_draft_of(village=world.village).status


def set_status(world, value, **kw):
    DpsDraft.objects.update_or_create(village=world.village, defaults={"status": value, **kw})


def test_the_urls_are_the_ones_of_spec_8(world):
    for action in ("submit", "approve", "return", "establish", "reopen"):
        url = reverse(f"coklit-dps-{action}", args=["62.71.01.1001"])
        assert url == f"/dps/62.71.01.1001/{action}/"


def test_the_whole_chain_by_pps_ppk_and_kpu(world, login):
    complete_village(world)
    code = world.village.code
    r = act(
        login(world.pps),
        "submit",
        code,
        ba_number="BA-01/PPS/2026",
        note="Pleno 1",
        expected="draft",
    )
    assert r.status_code == 302 and r["Location"] == f"/wilayah/{code}/"
    draft = DpsDraft.objects.get(village=world.village)
    assert (draft.status, draft.ba_number, draft.note) == ("submitted", "BA-01/PPS/2026", "Pleno 1")
    assert draft.frozen["village"]["done"] == 4 and set(draft.frozen["tps"]) == {
        world.tps1.code,
        world.tps2.code,
    }
    act(login(world.ppk), "approve", code, ba_number="BA-02/PPK", expected="submitted")
    draft.refresh_from_db()
    assert draft.status == "approved" and len(draft.approved_snapshot) == 4
    assert set(map(tuple, draft.approved_snapshot.values())) == {
        ("MS", None, world.tps1.code),
        ("MS", None, world.tps2.code),
    }
    act(login(world.kpu), "establish", code, ba_number="BA-03/KPU", expected="approved")
    assert status(world) == "established"
    actions = list(AuditEntry.objects.order_by("at", "pk").values_list("action", "role", "data"))
    assert [(a, r) for a, r, _ in actions] == [
        ("dps_submit", "pps"),
        ("dps_approve", "ppk"),
        ("dps_establish", "kpu"),
    ]
    assert [d["ba_number"] for _, _, d in actions] == ["BA-01/PPS/2026", "BA-02/PPK", "BA-03/KPU"]


def test_each_step_restarts_the_days_at_the_stage(world):
    complete_village(world)
    set_status(world, S.DRAFT, stage_since=timezone.now() - dt.timedelta(days=9))
    services.dps_draft_submit(village=world.village, by=world.pps)
    draft = DpsDraft.objects.get(village=world.village)
    assert timezone.now() - draft.stage_since < dt.timedelta(minutes=1)


def test_submission_needs_every_voter_done(world, login):
    complete_village(world)
    make_voter(world.tps2)  # not visited yet
    client = login(world.pps)
    r = act(client, "submit", world.village.code)
    assert "Coklit belum 100%: 1 dari 5 pemilih belum dicoklit" in client.get(r["Location"]).text
    assert status(world) == "draft" and not AuditEntry.objects.exists()


def test_submission_needs_an_empty_queue(world):
    complete_village(world)
    record(make_voter(world.tps1), "TMS", tms_reason=4)
    with pytest.raises(DomainError, match="Antrean verifikasi belum kosong: 1 hasil"):
        services.dps_draft_submit(village=world.village, by=world.pps)
    assert status(world) == "draft"


def test_submission_needs_no_conflict_left(world):
    complete_village(world)
    record_conflict(make_voter(world.tps1), {"outcome": "MS"}, {"outcome": "MS"})
    with pytest.raises(DomainError, match="konflik"):
        services.dps_draft_submit(village=world.village, by=world.pps)


def test_an_empty_village_cannot_be_submitted(world):
    with pytest.raises(DomainError, match="Belum ada pemilih"):
        services.dps_draft_submit(village=world.village, by=world.pps)


def test_return_needs_a_reason_and_makes_the_village_editable_again(world, login):
    complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps)
    with pytest.raises(DomainError, match="Alasan wajib diisi"):
        services.dps_draft_return_(village=world.village, by=world.ppk, note=" ")
    assert status(world) == "submitted"
    act(login(world.ppk), "return", world.village.code, note="TPS 002 perlu dicek ulang")
    draft = DpsDraft.objects.get(village=world.village)
    assert (draft.status, draft.note, draft.is_locked) == (
        "returned",
        "TPS 002 perlu dicek ulang",
        False,
    )
    e = record(make_voter(world.tps2), "TMS", tms_reason=2)
    services.event_verify(event=e, by=world.pps, decision="approve")  # editable again
    services.dps_draft_submit(village=world.village, by=world.pps, ba_number="BA-01b")
    assert status(world) == "submitted"


def test_reopen_needs_a_reason_and_works_from_approved_and_established(world):
    complete_village(world)
    for final in (S.APPROVED, S.ESTABLISHED):
        set_status(world, final)
        with pytest.raises(DomainError, match="Alasan wajib diisi"):
            services.dps_draft_reopen(village=world.village, by=world.kpu)
        services.dps_draft_reopen(village=world.village, by=world.kpu, note="Tanggapan masyarakat")
        assert status(world) == "draft"


@pytest.mark.parametrize(
    "action,source",
    [
        ("submit", S.SUBMITTED),
        ("submit", S.APPROVED),
        ("submit", S.ESTABLISHED),
        ("approve", S.DRAFT),
        ("approve", S.RETURNED),
        ("approve", S.APPROVED),
        ("return", S.DRAFT),
        ("return", S.APPROVED),
        ("establish", S.SUBMITTED),
        ("establish", S.ESTABLISHED),
        ("reopen", S.DRAFT),
        ("reopen", S.SUBMITTED),
        ("reopen", S.RETURNED),
    ],
)
def test_a_transition_from_the_wrong_state_is_refused(world, action, source):
    complete_village(world)
    set_status(world, source)
    actor = {"submit": world.pps, "approve": world.ppk, "return": world.ppk}.get(action, world.kpu)
    with pytest.raises(DomainError, match="tidak dapat"):
        services.DPS_ACTIONS[action](village=world.village, by=actor, note="alasan")
    assert status(world) == source and not AuditEntry.objects.exists()


# Who may do what: the right role of the right area; every other role inside the scope gets a
# clear refusal (403 naming who may act); everyone outside gets 404.
RIGHT = {"submit": "pps", "approve": "ppk", "return": "ppk", "establish": "kpu", "reopen": "kpu"}
SOURCE = {"submit": S.DRAFT, "approve": S.SUBMITTED, "return": S.SUBMITTED}
INSIDE = ["pps", "ppk", "kpu"]
OUTSIDE = ["pps_panarung", "ppk_bukit_batu", "kpu_mimika", "pantarlih", "pantarlih2"]


@pytest.mark.parametrize("action", list(RIGHT))
def test_only_the_right_role_moves_the_draft(world, login, action):
    complete_village(world)
    source = SOURCE.get(action, S.APPROVED)
    set_status(world, source)
    form = {"note": "alasan", "expected": source}
    for persona in INSIDE + OUTSIDE:
        if persona == RIGHT[action]:
            continue
        r = act(login(getattr(world, persona)), action, world.village.code, **form)
        expected = 403 if persona in INSIDE else 404
        assert r.status_code == expected, persona
        if expected == 403:
            assert "Hanya" in r.text
        assert status(world) == source
    assert not AuditEntry.objects.exists()
    r = act(login(getattr(world, RIGHT[action])), action, world.village.code, **form)
    assert r.status_code == 302 and status(world) != source
    assert AuditEntry.objects.get().action == f"dps_{action}"


def test_a_draft_is_only_acted_on_at_village_level(world, login):
    assert act(login(world.ppk), "approve", world.district.code).status_code == 404
    assert act(login(world.pps), "submit", world.tps1.code).status_code == 404


def test_the_loser_of_two_users_is_told_the_draft_changed(world, login):
    complete_village(world)
    set_status(world, S.SUBMITTED)
    first, second = login(world.ppk), login(world.ppk)
    act(first, "approve", world.village.code, expected="submitted")
    r = act(second, "return", world.village.code, expected="submitted", note="cek lagi")
    assert "Draf DPS ini sudah berubah; muat ulang halaman." in second.get(r["Location"]).text
    assert status(world) == "approved"


def test_the_loser_is_told_the_draft_changed_even_without_the_state_it_saw(world, login):
    """SPEC 8: two users act at once, one wins, the other is told it changed meanwhile; also
    when the form does not carry the state the user saw (a plain POST with `note` only)."""
    complete_village(world)
    set_status(world, S.SUBMITTED)
    first, second = login(world.ppk), login(world.ppk)
    act(first, "approve", world.village.code, note="ok")
    r = act(second, "approve", world.village.code, note="ok")
    page = second.get(r["Location"]).text
    assert "Draf DPS ini sudah berubah" in page and "Disetujui" in page
    assert AuditEntry.objects.filter(action="dps_approve").count() == 1


def test_htmx_answers_the_panel_with_the_refusal_next_to_it(world, login):
    complete_village(world)
    set_status(world, S.APPROVED)
    r = login(world.ppk).post(
        reverse("coklit-dps-approve", args=[world.village.code]),
        {"expected": "submitted"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and 'id="dps-panel"' in r.text and "<html" not in r.text
    assert "sudah berubah" in r.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.parametrize("second", ["approve", "return"])
def test_two_concurrent_actions_end_in_exactly_one_transition(second, monkeypatch):
    # Widen the window between reading the state and writing the new one, so that without
    # the row lock both threads would read `submitted` and both would move the draft.
    save = services._save_transition

    def slow_save(*args, **kwargs):
        time.sleep(0.3)
        return save(*args, **kwargs)

    monkeypatch.setattr(services, "_save_transition", slow_save)
    world = build_world()
    complete_village(world)
    set_status(world, S.SUBMITTED)
    barrier = threading.Barrier(2)
    results: list = []

    def run(action):
        try:
            barrier.wait()
            services.DPS_ACTIONS[action](
                village=world.village, by=world.ppk, note="alasan", expected_status="submitted"
            )
            results.append("ok")
        except DomainError as e:
            results.append(str(e))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in ("approve", second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(["ok", "Draf DPS ini sudah berubah; muat ulang halaman."])
    assert AuditEntry.objects.filter(action__startswith="dps_").count() == 1
    assert status(world) in ("approved", "returned")


def test_the_figures_of_a_locked_village_are_the_frozen_ones(world):
    complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps)
    frozen = selectors.village_figures(world.village)
    TpsFigures.objects.filter(tps=world.tps1).update(done=999)  # anything moving underneath
    assert selectors.village_figures(world.village) == frozen
    assert dict(selectors.village_tps_figures(world.village))[world.tps1]["done"] == 2
    services.dps_draft_return_(village=world.village, by=world.ppk, note="cek")
    assert selectors.village_figures(world.village)["done"] == 999 + 2


def test_a_reopened_draft_shows_what_changed_since_approval(world, login):
    voters = complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps)
    services.dps_draft_approve(village=world.village, by=world.ppk)
    page = login(world.pps).get(reverse("coklit-area", args=[world.village.code])).text
    assert "Berubah sejak disetujui" not in page
    services.dps_draft_reopen(village=world.village, by=world.kpu, note="Laporan warga")
    moved = voters[0]
    e = record(moved, "TMS", tms_reason=1, note="meninggal")  # a later visit
    services.event_verify(event=e, by=world.pps, decision="approve")
    draft = DpsDraft.objects.get(village=world.village)
    changes = selectors.changed_since_approval(draft=draft)
    assert [(c.voter.pk, c.before, c.after) for c in changes] == [
        (moved.pk, ["MS", None, world.tps1.code], ["TMS", 1, None])
    ]
    page = login(world.pps).get(reverse("coklit-area", args=[world.village.code])).text
    assert "Berubah sejak disetujui (1)" in page and moved.nama in page


def test_the_village_page_shows_the_panel_and_the_timeline_in_the_election_zone(world, login):
    complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps, ba_number="BA-7", note="pleno")
    entry = AuditEntry.objects.get(action="dps_submit")
    local = timezone.localtime(entry.at, selectors.area_tz(world.village))
    page = login(world.ppk).get(reverse("coklit-area", args=[world.village.code])).text
    assert 'id="dps-panel"' in page and "Diajukan" in page
    assert f"{local:%H.%M} WIB" in page and "BA-7" in page and "pleno" in page
    assert "mengajukan draf DPS" in page and "(PPS)" in page
    assert 'id="dps-approve"' in page and 'id="dps-submit"' not in page


def test_the_timeline_of_a_papua_village_is_in_wit(world, login):
    tps = world.tps_mimika
    village = tps.parent
    AuditEntry.objects.create(
        user=world.kpu_mimika, role="kpu", area_code=village.code, action="dps_reopen", note="x"
    )
    page = login(world.kpu_mimika).get(reverse("coklit-area", args=[village.code])).text
    assert " WIT</time>" in page


def test_the_inboxes_show_what_waits_with_days_at_the_stage(world, login):
    complete_village(world)
    set_status(world, S.SUBMITTED, stage_since=timezone.now() - dt.timedelta(days=3))
    DpsDraft.objects.create(village=world.village_panarung, status=S.APPROVED)

    def inbox(user, area):
        page = login(user).get(reverse("coklit-area", args=[area.code])).text
        return page.split('id="inbox"')[1].split("</section>")[0] if 'id="inbox"' in page else ""

    ppk_home = inbox(world.ppk, world.district)
    assert "Kelurahan Pahandut" in ppk_home
    assert '<td class="num">3</td>' in ppk_home and "Panarung</a>" not in ppk_home
    kpu_home = inbox(world.kpu, world.regency)
    assert "Panarung</a>" in kpu_home and "Kelurahan Pahandut</a>" not in kpu_home
    record(make_voter(world.tps1), "TMS", tms_reason=4)
    pps_home = inbox(world.pps, world.village)
    assert '<b id="inbox-pending">1</b>' in pps_home
    # The inbox is for one's own page: the KPU looking at a district sees no KPU inbox there.
    assert (
        'id="inbox"'
        not in login(world.kpu).get(reverse("coklit-area", args=[world.district.code])).text
    )


def test_the_drafts_page_lists_states_and_days_waiting(world, login):
    set_status(world, S.SUBMITTED, stage_since=timezone.now() - dt.timedelta(days=5))
    url = reverse("coklit-dps-list", args=[world.district.code])
    page = login(world.ppk).get(url).text
    assert "Kelurahan Pahandut" in page and "Diajukan" in page and '<td class="num">5</td>' in page
    assert page.count("<tr>") == 1 + world.district.children.count()
    only = login(world.ppk).get(url, {"status": "submitted"}).text
    assert only.count("<tr>") == 2
    village_page = login(world.ppk).get(reverse("coklit-dps-list", args=[world.village.code])).text
    assert 'id="dps-panel"' in village_page and 'name="back" value="dps"' in village_page
    assert login(world.pps_panarung).get(url).status_code == 404


def test_the_audit_log_cannot_be_changed(world):
    complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps)
    entry = AuditEntry.objects.get()
    entry.note = "diubah"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(note="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().note == ""


def test_no_url_changes_or_deletes_an_audit_entry(world, login, admin_client):
    """Post to every URL of the app (and the admin's change and delete pages of the entry):
    existing entries stay as they were."""
    from django.urls import URLPattern, URLResolver, get_resolver

    complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps, note="asli")
    before = list(AuditEntry.objects.values())

    def patterns(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                if getattr(p, "app_name", None) == "admin":
                    continue
                yield from patterns(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    entry = AuditEntry.objects.get()
    values = {
        "<str:code>": world.village.code,
        "<uuid:event_id>": "00000000-0000-0000-0000-000000000001",
        "<int:voter_id>": str(entry.pk),
    }
    for client in (login(world.kpu), login(world.pps), admin_client):
        for route in patterns(get_resolver()):
            url = "/" + route
            for k, v in values.items():
                url = url.replace(k, v)
            if "<" in url or url.startswith(("/admin", "/keluar")):
                continue
            client.post(url, {"note": "diubah", "action": "delete", "id": entry.pk})
    admin = f"/admin/kpu/auditentry/{entry.pk}"
    assert admin_client.post(f"{admin}/change/", {"note": "diubah"}).status_code == 403
    assert admin_client.post(f"{admin}/delete/", {"post": "yes"}).status_code == 403
    assert [e for e in AuditEntry.objects.values() if e["id"] == entry.pk] == [before[0]]


def test_voters_of_a_locked_village_stay_as_they_are(world):
    voters = complete_village(world)
    services.dps_draft_submit(village=world.village, by=world.pps)
    with pytest.raises(DomainError, match="terkunci"):
        services.village_editable_or_raise(world.village)
    assert Voter.objects.get(pk=voters[0].pk).status == "MS"


def test_the_drafts_page_costs_the_same_queries_for_few_and_many_drafts(world, login):
    from django.test.utils import CaptureQueriesContext

    client = login(world.kpu)
    url = reverse("coklit-dps-list", args=[world.regency.code])
    DpsDraft.objects.create(village=world.village, status=S.SUBMITTED)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for village in world.district.children.exclude(code=world.village.code):
        DpsDraft.objects.create(village=village, status=S.APPROVED)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_htmx_tells_the_page_to_refresh_its_figures_after_a_step(world, login):
    complete_village(world)
    response = login(world.pps).post(
        reverse("coklit-dps-submit", args=[world.village.code]),
        {"expected": "draft", "ba_number": "BA-01"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Trigger"] == '{"dpsChanged": {}}'
    page = login(world.pps).get(f"/wilayah/{world.village.code}/").content.decode()
    assert 'hx-trigger="every 20s, dpsChanged from:body"' in page


def test_the_drafts_page_of_a_papua_village_shows_wit_times(world, login):
    """The village's drafts page (timeline, days at the stage) in WIT, not WIB labelled WIT."""
    village = world.tps_mimika.parent
    make_voter(world.tps_mimika)
    draft = selectors.dps_draft_of(village=village)
    draft.save()
    entry = AuditEntry.objects.create(
        user=world.kpu_mimika, role="kpu", area_code=village.code, action="dps_reopen", note="x"
    )
    wit = timezone.localtime(entry.at, selectors.area_tz(village))
    since = timezone.localtime(DpsDraft.objects.get(pk=village.code).stage_since, wit.tzinfo)
    for url in (
        reverse("coklit-area", args=[village.code]),
        reverse("coklit-dps-list", args=[village.code]),
    ):
        page = login(world.kpu_mimika).get(url).text
        assert f"{wit:%H.%M} WIT</time>" in page, url
        assert f"{since:%H.%M} WIT (" in page, url


def test_a_papua_village_names_its_district_committee_ppd(world, login):
    """SPEC 3: in Papua the district's committee is the PPD: the draft panel, its state, the
    lock message and the refusal name the PPD, and the frozen figures are the village's
    (Koperapoka, 94.04.01.1001, is a kelurahan: coded 1xxx)."""
    from kpu.models import Role, User
    from tests.base import PASSWORD

    tps = world.tps_mimika
    village = tps.parent
    pps = User(username="pps_mimika", role=Role.PPS, area=village)
    pps.set_password(PASSWORD)
    pps.save()
    record(make_voter(tps), "MS")
    page = login(pps).get(reverse("coklit-area", args=[village.code])).text
    assert "Ajukan draf DPS ke PPD" in page and "ke PPK" not in page
    services.dps_draft_submit(village=village, by=pps)
    page = login(pps).get(reverse("coklit-area", args=[village.code])).text
    assert "angka kelurahan ini dibekukan" in page
    assert "diajukan ke PPD" in services.lock_message(selectors.dps_draft_of(village=village))
    with pytest.raises(services.Refused, match="Hanya PPD distrik ini"):
        services.dps_draft_approve(village=village, by=pps)
    DpsDraft.objects.filter(pk=village.code).update(status=S.APPROVED)
    page = login(world.kpu_mimika).get(reverse("coklit-dps-list", args=["94.04"])).text
    assert "Disetujui PPD" in page and "Disetujui PPK" not in page
    page = login(world.kpu_mimika).get(reverse("coklit-area", args=[village.code])).text
    assert "Disetujui PPD" in page and "Disetujui PPK" not in page
    assert "disetujui PPD" in services.lock_message(selectors.dps_draft_of(village=village))
