"""Today's attacker's pass over the second stage (issues 12, 18; SPEC 2, 8, 8b, 9).

Users of other areas and roles against the berita acara, the supervisor's role, responses and
saran perbaikan, the second-stage plenos and the second stage in the exports: 404 outside the
scope, 403 for a role in scope that may not act, NIK masked for the supervisor everywhere it
reads, bad input answered 400/409 with nothing written, junk `?tahap=` a 404, CSRF on every
POST, the BA and the exports never cached and their text cells text.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from coklit import plenos
from coklit import tanggapan as svc
from coklit.models import CoklitEvent, Pleno, Tanggapan, Voter
from kpu.models import AuditEntry, Role
from tests.base import _user
from tests.coklit.conftest import Device, add_voters, event, new_voter
from tests.coklit.workflow import set_pleno
from tests.security.conftest import body_text
from tests.security.test_nik_exposure import leaks

CORRECTED_NIK = "6271014107880009"
NEW_NIK = "6271015507990001"
NOTE_NIK = "6271010303030003"
FORMULA = '=HYPERLINK("http://x.invalid","klik")'

HX = [
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "tanggapan"},
    {"HX-Request": "true", "HX-Target": "voter-choices"},
    {"HX-Request": "true", "HX-Target": "live"},
    {"HX-Request": "true", "HX-Target": "voters"},
]


def _dps_established(world, n=4):
    """Pahandut done and verified, every pleno of the DPHP stage held: the DPS established."""
    w = world
    voters = add_voters(w.tps1, n)
    Device(w.pantarlih).statuses([event(v, "MS") for v in voters])
    plenos.pleno_hold(area=w.village, by=w.pps, ba_number="1/BA/PPS")
    for village in w.district.children.exclude(code=w.village.code):
        set_pleno(village, "sudah")
    plenos.pleno_hold(area=w.district, by=w.ppk, ba_number="1/BA/PPK")
    for district in w.regency.children.exclude(code=w.district.code):
        set_pleno(district, "sudah")
    plenos.pleno_hold(area=w.regency, by=w.kpu, ba_number="1/BA/KPU", sk_number="1/SK")
    return voters


@pytest.fixture
def stage2(world):
    """The second stage in Pahandut: a new voter named like a formula, a NIK corrected, a TMS,
    a rejected saran, all answered and the DPSHP pleno held; then a late saran, pending.
    Also a Panwascam (district) and the PKD next door."""
    w = world
    voters = _dps_established(w)
    w.panwascam = _user("panwascam", Role.BAWASLU, w.district)
    w.pkd_panarung = _user("pkd_panarung", Role.BAWASLU, w.village_panarung)
    rec = lambda by, **kw: svc.tanggapan_record(village=w.village, by=by, **kw)  # noqa: E731
    made = [
        rec(w.pps, kind="belum_terdaftar", tps=1, fields=new_voter(nik=NEW_NIK, nama=FORMULA)),
        rec(w.pkd, kind="data_salah", voter_id=voters[1].pk, fields={"nik": CORRECTED_NIK}),
        rec(w.ppk, kind="tms", voter_id=voters[2].pk, tms_reason=4, note=f"NIK {NOTE_NIK}"),
    ]
    for item in made:
        svc.tanggapan_accept(tanggapan=item, by=w.pps)
    rejected = rec(w.pkd, kind="prosedur", note="rumah tanpa stiker")
    svc.tanggapan_reject(tanggapan=rejected, by=w.pps, note="stiker ada")
    plenos.pleno_hold(
        area=w.village,
        by=w.pps,
        ba_number="2/BA/PPS",
        attendees="<script>alert(1)</script> Panwaslu",
        note=f"{FORMULA} NIK {NOTE_NIK}",
    )
    w.late = rec(w.pkd, kind="tms", voter_id=voters[3].pk, tms_reason=5)
    w.voters = voters
    return w


def _secrets() -> set[str]:
    out = {CORRECTED_NIK, NEW_NIK, NOTE_NIK}
    for nik, nkk in Voter.objects.values_list("nik", "nkk"):
        out |= {nik, nkk}
    return out


def _urls(w, code):
    """Every GET a user may ask of an area in the second stage, by level."""
    level = code.count(".") + 1
    out = [reverse("coklit-area", args=[code]), reverse("coklit-area-search", args=[code])]
    if level in (2, 3, 4):
        out += [
            reverse("coklit-pleno", args=[code]),
            reverse("coklit-pleno-berita-acara", args=[code]),
            reverse("coklit-rekap-xlsx", args=[code]),
            reverse("coklit-rekap-cetak", args=[code]),
            reverse("coklit-progres-xlsx", args=[code]),
        ]
    if level == 4:
        out += [
            reverse("coklit-tanggapan", args=[code]),
            reverse("coklit-tanggapan", args=[code]) + "?cari=Pemilih",
            reverse("coklit-tanggapan", args=[code]) + "?cari=HYPERLINK",
            reverse("coklit-pleno-berita-acara", args=[code]) + "?tahap=dphp",
            reverse("coklit-pleno-berita-acara", args=[code]) + "?tahap=dpshp",
            reverse("coklit-queue", args=[code]),
        ]
    if level in (4, 5):
        out += [reverse("coklit-perubahan-xlsx", args=[code])]
        out += [
            reverse("coklit-dps-xlsx", args=[code]) + f"?tahap={t}"
            for t in ("", "dphp", "dps", "dpshp")
        ]
    return out


# --- NIK masked everywhere the supervisor reads --------------------------------------------


def test_the_supervisor_reads_every_second_stage_page_with_nik_masked(stage2):
    w = stage2
    secrets = _secrets()
    walked, found = 0, []
    for user, codes in (
        (w.pkd, [w.village.code, w.tps1.code]),
        (w.panwascam, [w.district.code, w.village.code]),
        (w.bawaslu, [w.regency.code, w.village.code, w.tps1.code]),
    ):
        client = Client()
        client.force_login(user)
        for code in codes:
            for url in _urls(w, code):
                for headers in HX[:4] if "tanggapan" in url else HX[:2]:
                    if "cari=" in url and headers.get("HX-Target") != "voter-choices":
                        continue
                    response = client.get(url, headers=headers)
                    assert response.status_code == 200, (user.username, url, headers)
                    if seen := leaks(body_text(response), secrets):
                        found.append((user.username, url, headers.get("HX-Target"), seen))
                    walked += 1
    # The voter search by NIK: the one typed is known to the supervisor, the others are not.
    client = Client()
    client.force_login(w.pkd)
    for voter in Voter.objects.filter(village=w.village, origin=Voter.Origin.LIST):
        response = client.get(
            reverse("coklit-tanggapan", args=[w.village.code]) + f"?cari={voter.nik}",
            headers=HX[3],
        )
        assert voter.nama in response.content.decode()
        if seen := leaks(body_text(response), secrets):
            found.append(("pkd", "voter search by NIK", "voter-choices", seen))
    assert not found, "\n".join(map(str, found))
    assert walked > 80


# --- scope: 404 outside, on every page, partial, export and POST ---------------------------


def test_users_of_other_areas_get_404_everywhere(stage2):
    w = stage2
    item = Tanggapan.objects.filter(village=w.village).first()
    before = (Tanggapan.objects.count(), AuditEntry.objects.count())
    wrong = []
    for user in (w.pps_panarung, w.pkd_panarung, w.ppk_bukit_batu, w.kpu_mimika, w.pantarlih):
        client = Client()
        client.force_login(user)
        for code in (w.village.code, w.district.code, w.regency.code):
            if user.area_id.startswith(code):
                continue
            for url in _urls(w, code):
                for headers in HX:
                    status = client.get(url, headers=headers).status_code
                    if status != 404:
                        wrong.append((user.username, url, headers, status))
        posts = [
            (reverse("coklit-tanggapan", args=[w.village.code]), {"kind": "prosedur"}),
            (reverse("coklit-tanggapan-accept", args=[item.pk]), {}),
            (reverse("coklit-tanggapan-reject", args=[item.pk]), {"note": "x"}),
            (reverse("coklit-tanggapan-accept", args=[w.late.pk]), {}),
            (reverse("coklit-pleno-hold", args=[w.village.code]), {"ba_number": "9"}),
        ]
        for url, data in posts:
            for headers in HX[:3]:
                status = client.post(url, data, headers=headers).status_code
                if status != 404:
                    wrong.append((user.username, "POST " + url, headers, status))
    assert not wrong, "\n".join(map(str, wrong))
    assert (Tanggapan.objects.count(), AuditEntry.objects.count()) == before


# --- roles in scope that may not act: 403, nothing written ---------------------------------


def test_the_supervisor_acts_on_nothing_but_its_own_saran(stage2):
    w = stage2
    own = w.late  # the PKD's own saran, pending
    others = Tanggapan.objects.exclude(pk=own.pk).first()
    voter = w.voters[3]
    wrong = []
    for user in (w.pkd, w.panwascam, w.bawaslu):
        client = Client()
        client.force_login(user)
        for url, data in [
            (reverse("coklit-tanggapan-accept", args=[own.pk]), {}),
            (reverse("coklit-tanggapan-reject", args=[own.pk]), {"note": "batal"}),
            (reverse("coklit-tanggapan-accept", args=[others.pk]), {}),
            (reverse("coklit-pleno-hold", args=[w.village.code]), {"ba_number": "9"}),
            (reverse("coklit-pleno-return", args=[w.village.code]), {"note": "x"}),
            (reverse("coklit-pleno-reopen", args=[w.village.code]), {"note": "x"}),
            (reverse("coklit-nik-reveal", args=[voter.pk]), {"reason": "cek"}),
            (reverse("coklit-queue-approve-all", args=[w.tps1.code]), {}),
            (reverse("coklit-model-a-upload", args=[w.tps1.code]), {}),
            (reverse("coklit-entry", args=[w.tps1.code]), {}),
        ]:
            for headers in HX[:2]:
                status = client.post(url, data, headers=headers).status_code
                if status != 403:
                    wrong.append((user.username, url, headers, status))
    assert not wrong, "\n".join(map(str, wrong))
    own.refresh_from_db()
    assert own.state == Tanggapan.State.PENDING


def test_a_committee_may_not_file_prosedur_403(stage2):
    """`prosedur` is the supervisor's kind (SPEC 8b): a PPS, PPK or KPU giving it is a role in
    scope that may not act, 403, not a bad field."""
    w = stage2
    before = Tanggapan.objects.count()
    for user in (w.pps, w.ppk, w.kpu):
        client = Client()
        client.force_login(user)
        url = reverse("coklit-tanggapan", args=[w.village.code])
        for headers in HX[:2]:
            response = client.post(url, {"kind": "prosedur", "note": "x"}, headers=headers)
            assert response.status_code == 403, (user.username, headers)
            assert "prosedur" in response.content.decode()
    assert Tanggapan.objects.count() == before


# --- bad input: 400/409 with the reason, nothing half-written ------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "tms", "tms_reason": "0"},
        {"kind": "tms", "tms_reason": "10"},
        {"kind": "tms", "tms_reason": "x"},
        {"kind": "tms", "tms_reason": "4", "voter": "other"},
        {"kind": "tms", "tms_reason": "8", "target_tps": "62.71.01.1002.001"},
        {"kind": "belum_terdaftar", "tps": "62.71.01.1002.001", "nama": "X"},
        {"kind": "prosedur", "note": "x" * 2001},
        {"kind": "prosedur", "note": "a\x00b"},
    ],
    ids=lambda d: "-".join(f"{k}={str(v)[:12]!r}" for k, v in d.items()),
)
def test_bad_input_is_400_and_writes_nothing(stage2, data):
    w = stage2
    other = add_voters(w.tps_panarung, 1, nik="6271014101988888")[0]
    data = {"voter": w.voters[3].pk, **data}
    if data["voter"] == "other":
        data["voter"] = other.pk
    before = (Tanggapan.objects.count(), AuditEntry.objects.count())
    client = Client()
    client.force_login(w.pkd)
    for headers in HX[:2]:
        response = client.post(
            reverse("coklit-tanggapan", args=[w.village.code]), data, headers=headers
        )
        assert response.status_code == 400, (data, headers)
    assert (Tanggapan.objects.count(), AuditEntry.objects.count()) == before


def test_a_nik_already_listed_in_the_village_is_refused_when_recorded(stage2):
    """A new person whose NIK is listed (in the same TPS, which the sync would refuse on
    accepting, or in another TPS of the village, which it would take as a second voter) and a
    correction to another voter's NIK (accepted, it listed one NIK twice): refused at once,
    naming the voter, not left pending for the PPS."""
    w = stage2
    listed = Voter.objects.get(pk=w.voters[0].pk)
    elsewhere = add_voters(w.tps2, 1, nik="6271014101977777")[0]
    before = (Tanggapan.objects.count(), AuditEntry.objects.count())
    client = Client()
    client.force_login(w.pkd)
    for data in (
        {"kind": "belum_terdaftar", "tps": "1", **new_voter(nik=listed.nik)},
        {"kind": "belum_terdaftar", "tps": "1", **new_voter(nik=elsewhere.nik)},
        {"kind": "data_salah", "voter": w.voters[3].pk, "nik": listed.nik},
        {"kind": "data_salah", "voter": w.voters[3].pk, "nik": elsewhere.nik},
    ):
        response = client.post(reverse("coklit-tanggapan", args=[w.village.code]), data)
        assert response.status_code == 400, data
        assert "sudah terdaftar" in response.content.decode()
    assert (Tanggapan.objects.count(), AuditEntry.objects.count()) == before
    # A voter's own NIK given again as a correction is no duplicate.
    svc.tanggapan_record(
        village=w.village,
        by=w.pkd,
        kind="data_salah",
        voter_id=listed.pk,
        fields={"nik": listed.nik, "nama": "Nama Benar"},
    )


def test_accepting_after_the_dpshp_pleno_is_409_and_changes_nothing(stage2):
    w = stage2
    voter = Voter.objects.get(pk=w.voters[3].pk)
    events = CoklitEvent.objects.count()
    client = Client()
    client.force_login(w.pps)
    for headers in HX[:2]:
        response = client.post(
            reverse("coklit-tanggapan-accept", args=[w.late.pk]), headers=headers
        )
        assert response.status_code == 409
        assert "sudah dilaksanakan" in response.content.decode()
    w.late.refresh_from_db()
    assert w.late.state == Tanggapan.State.PENDING
    assert Voter.objects.get(pk=voter.pk).status == voter.status
    assert CoklitEvent.objects.count() == events


def test_the_dps_is_not_reopened_under_a_held_second_stage_pleno(stage2):
    """Reopening the DPS un-establishes it for the whole regency: coklit open again, the DPS as
    posted gone, while Pahandut's DPSHP pleno stood on it. Refused (409) with the way to
    correct (a response); nothing undone."""
    w = stage2
    client = Client()
    client.force_login(w.kpu)
    for headers in HX[:2]:
        response = client.post(
            reverse("coklit-pleno-reopen", args=[w.village.code]),
            {"note": "salah rekap"},
            headers=headers,
        )
        assert response.status_code == 409
        assert "DPS tidak dapat dibuka kembali" in response.content.decode()
    assert Pleno.objects.get(area=w.regency, stage="dphp").state == "sudah"
    assert Pleno.objects.get(area=w.village, stage="dphp").state == "sudah"
    assert plenos.pleno_stage(w.village) == "dpshp"
    # The page says so before any click, and offers no reopen that would be refused.
    for tahap in ("", "?tahap=dphp"):
        page = client.get(reverse("coklit-pleno", args=[w.village.code]) + tahap)
        html = page.content.decode()
        assert page.status_code == 200 and 'id="pleno-reopen-refusal"' in html
        assert "DPS tidak dapat dibuka kembali" in html and 'id="form-reopen"' not in html


# --- ?tahap= ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tahap", ["x", "DPS", "dps ", "dphp;", "a" * 500, "dpt"])
def test_a_junk_or_unreached_tahap_is_404_never_another_list(stage2, tahap):
    """`?tahap=` asks for a list by its stage: junk, or a stage the regency has not reached
    (the DPT here), is a 404 with the reason, never the current list under another name."""
    w = stage2
    client = Client()
    client.force_login(w.pkd)
    for name, code in [
        ("coklit-dps-xlsx", w.village.code),
        ("coklit-dps-xlsx", w.tps1.code),
        ("coklit-pleno-berita-acara", w.village.code),
    ]:
        response = client.get(reverse(name, args=[code]), {"tahap": tahap})
        assert response.status_code == 404, (name, code, tahap, response.status_code)


# --- CSRF, caching, text cells ---------------------------------------------------------------


def test_every_second_stage_post_needs_the_csrf_token(stage2):
    w = stage2
    before = (Tanggapan.objects.count(), AuditEntry.objects.count())
    for user, url, data in [
        (w.pkd, reverse("coklit-tanggapan", args=[w.village.code]), {"kind": "prosedur"}),
        (w.pps, reverse("coklit-tanggapan-accept", args=[w.late.pk]), {}),
        (w.pps, reverse("coklit-tanggapan-reject", args=[w.late.pk]), {"note": "x"}),
        (w.ppk, reverse("coklit-pleno-return", args=[w.village.code]), {"note": "x"}),
    ]:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        for headers in HX[:2]:
            assert client.post(url, data, headers=headers).status_code == 403, url
    assert (Tanggapan.objects.count(), AuditEntry.objects.count()) == before


def test_the_ba_and_exports_are_never_cached_and_keep_text_as_text(stage2):
    w = stage2
    client = Client()
    client.force_login(w.pkd)
    for url in _urls(w, w.village.code) + _urls(w, w.tps1.code):
        if "xlsx" not in url and "berita-acara" not in url and "cetak" not in url:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        cache = response["Cache-Control"]
        assert "no-store" in cache and "private" in cache, (url, cache)
        text = body_text(response)
        assert "<f>" not in text, url
        assert "<script>alert" not in text, url
    # The new voter named like a formula is in the DPSHP list and the change list, as text.
    for url in (
        reverse("coklit-dps-xlsx", args=[w.village.code]) + "?tahap=dpshp",
        reverse("coklit-perubahan-xlsx", args=[w.village.code]),
    ):
        text = body_text(client.get(url))
        assert 'HYPERLINK("http://x.invalid' in text or "HYPERLINK(&quot;http" in text, url


@pytest.mark.django_db(transaction=True)
def test_two_accepts_of_one_response_at_once_make_one_change(world):
    """Two PPS sessions accept the same response at the same moment: one wins, the other is
    told it is answered already (409); one event, one voter change, one audit entry."""
    w = world
    voters = _dps_established(w)
    item = svc.tanggapan_record(
        village=w.village, by=w.pps, kind="tms", voter_id=voters[0].pk, tms_reason=4
    )
    events = CoklitEvent.objects.count()
    barrier = threading.Barrier(3, timeout=30)
    statuses = []

    def accept():
        client = Client()
        client.force_login(w.pps)
        barrier.wait()
        try:
            statuses.append(
                client.post(reverse("coklit-tanggapan-accept", args=[item.pk])).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [302, 409, 409]
    assert CoklitEvent.objects.count() == events + 1
    assert AuditEntry.objects.filter(action="tanggapan_accept", target=str(item.pk)).count() == 1
    assert Voter.objects.get(pk=voters[0].pk).tms_reason == 4


def test_a_reassigned_supervisor_no_longer_sees_its_old_areas_saran(world, login):
    """The supervisor's own saran panel listed every saran it ever filed: moved by the KPU to
    Panarung, the PKD still read Pahandut's saran and their answers on its new area's page."""
    voter = add_voters(world.tps1, 1)[0]
    item = svc.tanggapan_record(
        village=world.village, by=world.pkd, kind="tms", voter_id=voter.pk, tms_reason=4
    )
    svc.tanggapan_reject(tanggapan=item, by=world.pps, note="Jawaban rahasia Pahandut")
    client = login(world.pkd)
    page = client.get(reverse("coklit-area", args=[world.village.code])).text
    assert "saran-mine" in page and "Jawaban rahasia Pahandut" in page
    world.pkd.area = world.village_panarung
    world.pkd.save()
    page = client.get(reverse("coklit-area", args=[world.village_panarung.code]))
    assert page.status_code == 200
    assert "Jawaban rahasia Pahandut" not in page.text and "saran-mine" not in page.text
