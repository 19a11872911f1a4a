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
