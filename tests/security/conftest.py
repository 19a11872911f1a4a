"""A city with voters and every kind of field result, and a walk over every page type.

`pages(...)` yields (label, response) for each page, partial, export and API answer a user of
each role can fetch by default (GET), plus the pages that answer a form (a new account's
password slip, a device token). The CSP and the NIK tests both walk it, so a new page type
added here is checked by both.
"""

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coklit.models import CoklitEvent, Voter
from kpu.models import DeviceToken, User
from kpu.services import pemilihan_create
from tests.base import PASSWORD
from tests.coklit.conftest import Device, event, new_voter
from tests.coklit.workflow import make_voter

HTMX_LIVE = {"HX-Request": "true", "HX-Target": "live"}
HTMX_VOTERS = {"HX-Request": "true", "HX-Target": "voters"}
HTMX = {"HX-Request": "true"}

# NIK/NKK only ever sent by the device (a correction and a new voter): they must not show either.
CORRECTED_NIK = "6271014107880009"
CORRECTED_NKK = "6271010202020009"
NEW_NIK = "6271015507990001"
NEW_NKK = "6271010101990001"


@dataclass
class City:
    world: object
    voters: list
    device: Device

    def secrets(self) -> set[str]:
        """Every full NIK and NKK the database holds, and those sent in corrections."""
        out = {CORRECTED_NIK, CORRECTED_NKK, NEW_NIK, NEW_NKK}
        for nik, nkk in Voter.objects.values_list("nik", "nkk"):
            out |= {nik, nkk}
        return out


@pytest.fixture
def city(world) -> City:
    w = world
    today = timezone.localdate()
    pemilihan_create(
        regency=w.regency,
        name="Pemilihan Serentak",
        voting_day=today + dt.timedelta(days=90),
        coklit_start=today - dt.timedelta(days=10),
        coklit_end=today + dt.timedelta(days=20),
    )
    voters = [make_voter(w.tps1) for _ in range(8)] + [make_voter(w.tps2) for _ in range(3)]
    make_voter(w.tps_panarung)
    device = Device(w.pantarlih)
    v = voters
    statuses = device.statuses(
        [
            event(v[0], "MS"),
            event(v[1], "MS", changes={"nik": CORRECTED_NIK, "nkk": CORRECTED_NKK, "rt": "4"}),
            event(v[2], "TMS", tms_reason=8, target_tps=2),
            event(v[3], "TMS", tms_reason=1, note="surat keterangan kematian"),
            event(None, "BARU", new_voter=new_voter(nik=NEW_NIK, nkk=NEW_NKK)),
            # Two results for one voter: a conflict in the PPS's queue.
            event(v[4], "MS", at=0),
            event(v[4], "TMS", tms_reason=5, at=10),
        ]
    )
    assert statuses == ["accepted"] * 7, statuses
    return City(world=w, voters=voters, device=device)


def _client(user) -> Client:
    """Logged in directly (the login form is tested in tests/kpu/test_login.py)."""
    client = Client()
    client.force_login(user)
    return client


def xlsx_text(content: bytes) -> str:
    """Every XML part of a workbook, as text (cells, shared strings, headers, names)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "\n".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


def body_text(response) -> str:
    if hasattr(response, "streaming_content"):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:4] == b"PK\x03\x04":
        return xlsx_text(content)
    return content.decode("utf-8", "replace")


def pages(city: City):
    """(label, response, text) of every page type, fetched as the roles that may see it."""
    w = city.world
    kpu, pps, ppk, pantarlih = (_client(u) for u in (w.kpu, w.pps, w.ppk, w.pantarlih))
    tps, village, district, regency = w.tps1, w.village, w.district, w.regency

    def get(label, client, url, **headers):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, f"{label} {url}: {response.status_code}"
        return label, response

    area = lambda code: reverse("coklit-area", args=[code])  # noqa: E731
    out = [
        get("login", Client(), reverse("login")),
        get("api docs", Client(), "/api/v1/docs"),
    ]
    for who, client, codes in (
        ("kpu", kpu, [regency.code, district.code, village.code, tps.code, w.tps2.code]),
        ("ppk", ppk, [district.code, village.code]),
        ("pps", pps, [village.code, tps.code]),
        ("pantarlih", pantarlih, [tps.code]),
    ):
        for code in codes:
            out.append(get(f"{who} area {code}", client, area(code)))
            out.append(get(f"{who} live {code}", client, area(code), **HTMX_LIVE))
            out.append(get(f"{who} search {code}", client, area(code) + "cari/?q=TPS"))
            out.append(
                get(f"{who} search partial {code}", client, area(code) + "cari/?q=01", **HTMX)
            )
    for status in ("", "MS", "UBAH", "TMS", "BARU", "BELUM"):
        out.append(
            get(f"tps voters {status}", pps, area(tps.code) + f"?status={status}", **HTMX_VOTERS)
        )
    out.append(get("tps voters page 2", pps, area(tps.code) + "?hal=2", **HTMX_VOTERS))
    out.append(get("tps behind", kpu, area(district.code) + "?tertinggal=1&sort=-done"))
    # Verification queue and plenos (SPEC 8).
    for who, client in (("pps", pps), ("ppk", ppk), ("kpu", kpu)):
        out.append(get(f"{who} queue", client, reverse("coklit-queue", args=[village.code])))
    for code in (regency.code, district.code, village.code):
        out.append(get(f"pleno {code}", kpu, reverse("coklit-pleno", args=[code])))
    out.append(get("pleno pps", pps, reverse("coklit-pleno", args=[village.code])))
    out.append(get("pleno ppk", ppk, reverse("coklit-pleno", args=[district.code])))
    # Recaps, DPS lists, print pages (SPEC 9).
    for code in (regency.code, district.code, village.code):
        out.append(get(f"rekap {code}", kpu, reverse("coklit-rekap-xlsx", args=[code])))
        out.append(get(f"cetak {code}", kpu, reverse("coklit-rekap-cetak", args=[code])))
    for code in (village.code, tps.code, w.tps2.code):
        out.append(get(f"dps.xlsx {code}", kpu, reverse("coklit-dps-xlsx", args=[code])))
    # Results from paper (SPEC 6b): the worksheet (masked), the upload and entry pages.
    for code in (tps.code, w.tps2.code):
        out.append(get(f"model-a.xlsx {code}", pps, reverse("coklit-model-a-xlsx", args=[code])))
        out.append(get(f"model-a {code}", pps, reverse("coklit-model-a-upload", args=[code])))
        out.append(get(f"entri {code}", pps, reverse("coklit-entry", args=[code])))
    out.append(get("entri page 2", pps, reverse("coklit-entry", args=[tps.code]) + "?hal=2"))
    # Accounts and devices.
    account = w.pantarlih
    out += [
        get("accounts", kpu, reverse("kpu-accounts")),
        get("accounts partial", kpu, reverse("kpu-accounts") + "?q=pan", **HTMX),
        get("account create", kpu, reverse("kpu-account-create")),
        get("account", kpu, reverse("kpu-account", args=[account.pk])),
        get("account edit", kpu, reverse("kpu-account-edit", args=[account.pk])),
        get("account deactivate", kpu, reverse("kpu-account-deactivate", args=[account.pk])),
        get("account reset", kpu, reverse("kpu-account-reset-password", args=[account.pk])),
        get("account devices", kpu, reverse("kpu-account-devices", args=[account.pk])),
        get("roster import", kpu, reverse("kpu-roster-import")),
        get("roster template", kpu, reverse("kpu-roster-template")),
    ]
    slip = kpu.post(
        reverse("kpu-account-create"),
        {"nama": "Budi", "peran": "pantarlih", "kode_wilayah": w.tps2.code, "telepon": ""},
    )
    assert slip.status_code == 200 and User.objects.filter(first_name="Budi").exists()
    out.append(("password slip", slip))
    paired = kpu.post(reverse("kpu-account-devices", args=[w.pantarlih2.pk]), {})
    assert paired.status_code == 200 and DeviceToken.objects.filter(user=w.pantarlih2).exists()
    out.append(("device token", paired))
    # The sync API (SPEC 6).
    dev = city.device
    for label, url in (
        ("api list", f"/api/v1/tps/{tps.code}/pemilih"),
        ("api progress", f"/api/v1/progress/{tps.code}"),
    ):
        response = dev.get(url)
        assert response.status_code == 200, (label, response.content)
        out.append((label, response))
    for code in (regency.code, village.code):
        out.append(get(f"api progress session {code}", kpu, f"/api/v1/progress/{code}"))
    out.append(get("openapi", Client(), "/api/v1/openapi.json"))
    # Django's admin, for superusers (setup, support): NIK masked there too.
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password=PASSWORD))
    changed = CoklitEvent.objects.exclude(changes={}).get()
    added = CoklitEvent.objects.get(outcome="BARU")
    for url in (
        "/admin/coklit/voter/",
        f"/admin/coklit/voter/{city.voters[1].pk}/change/",
        f"/admin/coklit/voter/{added.voter_id}/change/",
        "/admin/coklit/coklitevent/",
        f"/admin/coklit/coklitevent/{changed.pk}/change/",
        f"/admin/coklit/coklitevent/{added.pk}/change/",
        "/admin/kpu/auditentry/",
    ):
        out.append(get(f"admin {url}", admin, url))
    assert CoklitEvent.objects.filter(conflict=True).exists()
    return [(label, response, body_text(response)) for label, response in out]
