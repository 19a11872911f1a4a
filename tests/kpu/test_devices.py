"""Pairing and revoking a pantarlih's device (/pengguna/<id>/perangkat/).

A token is shown once (the answer to the POST that made it, as text and QR code), never kept
in clear, and a revoked token is refused by the sync API.
"""

import base64
import datetime as dt
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from openpyxl import Workbook

from coklit.models import TpsFigures
from kpu import services
from kpu.models import AuditEntry, DeviceToken, User, hash_token
from kpu.services import DomainError
from kpu.views_accounts import qr_data_uri

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'<p class="secret token">([A-Za-z0-9_\-]+)</p>')


def _pair(client, account, **data):
    response = client.post(reverse("kpu-account-devices", args=[account.pk]), data)
    assert response.status_code == 200
    match = TOKEN_RE.search(response.content.decode())
    return response, match.group(1) if match else None


def test_pairing_shows_the_token_once_as_text_and_qr(world, login):
    client = login(world.kpu)
    url = reverse("kpu-account-devices", args=[world.pantarlih.pk])
    assert TOKEN_RE.search(client.get(url).content.decode()) is None
    response, raw = _pair(client, world.pantarlih, revoke_others="on")
    body = response.content.decode()
    assert raw and len(raw) >= 40
    assert "no-store" in response["Cache-Control"]
    # The QR code is an <img> of an SVG data URI (CSP: img-src data:, no inline styles).
    uri = qr_data_uri(raw)
    assert f'<img class="qr" src="{uri}"' in body
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and "style=" not in svg
    assert "style=" not in body and "<script>" not in body
    # A later GET lists the device but never shows the token again.
    later = client.get(url).content.decode()
    assert raw not in later and raw[:8] in later


def test_the_token_is_never_stored_in_clear(world, login):
    _response, raw = _pair(login(world.pps), world.pantarlih)
    token = DeviceToken.objects.get(user=world.pantarlih)
    assert token.key_hash == hash_token(raw) and token.prefix == raw[:8]
    entry = AuditEntry.objects.get(action="token_issue")
    assert entry.user == world.pps and entry.target == "pantarlih"
    assert raw not in json.dumps(entry.data) and raw not in entry.note
    # Nowhere in the database: every text column of every table is searched.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from Django
            for row in cursor.fetchall():
                assert not any(isinstance(v, str) and raw in v for v in row), table


def test_pairing_revokes_the_other_devices_unless_asked_not_to(world, login):
    client = login(world.kpu)
    old, _raw = DeviceToken.issue(world.pantarlih)
    _pair(client, world.pantarlih)  # a browser sends nothing for an unticked box
    old.refresh_from_db()
    assert old.revoked_at is None
    _pair(client, world.pantarlih, revoke_others="on")
    assert DeviceToken.objects.filter(user=world.pantarlih, revoked_at__isnull=True).count() == 1
    entry = AuditEntry.objects.filter(action="token_issue").first()
    assert old.prefix in entry.data["tokens_revoked"]


def test_revoking_sets_revoked_at_and_is_audited(world, login):
    client = login(world.pps)
    token, _raw = DeviceToken.issue(world.pantarlih)
    response = client.post(reverse("kpu-device-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("kpu-account-devices", args=[world.pantarlih.pk])
    token.refresh_from_db()
    assert token.revoked_at is not None and DeviceToken.objects.filter(pk=token.pk).exists()
    entry = AuditEntry.objects.get(action="token_revoke")
    assert entry.user == world.pps and entry.data["prefix"] == token.prefix
    with pytest.raises(DomainError, match="sudah dicabut"):
        services.device_revoke(by=world.pps, token=token)


def test_revoking_asks_first_and_only_a_post_revokes(world, login):
    token, _raw = DeviceToken.issue(world.pantarlih)
    client = login(world.kpu)
    devices = client.get(reverse("kpu-account-devices", args=[world.pantarlih.pk])).text
    url = reverse("kpu-device-revoke", args=[token.pk])
    # The list links to a confirmation; there is no one-click revoke form on it.
    assert f'href="{url}"' in devices and f'action="{url}"' not in devices
    ask = client.get(url)
    assert ask.status_code == 200
    assert f"Cabut perangkat {token.prefix}… milik" in ask.text
    assert f'action="{url}"' in ask.text and "Sinkronisasi berikutnya" in ask.text
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.put(url).status_code == 405
    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize("persona", ["kpu_mimika", "pps_panarung", "ppk", "pantarlih2"])
def test_outsiders_get_404_on_pairing_and_revoking(world, login, persona):
    client = login(getattr(world, persona))
    token, _raw = DeviceToken.issue(world.pantarlih)
    assert client.get(reverse("kpu-account-devices", args=[world.pantarlih.pk])).status_code == 404
    assert client.post(reverse("kpu-account-devices", args=[world.pantarlih.pk])).status_code == 404
    assert client.post(reverse("kpu-device-revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("kpu-device-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert DeviceToken.objects.filter(user=world.pantarlih).count() == 1


def test_pps_cannot_revoke_a_device_of_another_village(world, login):
    outsider, _pw = services.account_create(
        by=world.kpu, full_name="Maria", role="pantarlih", area_code=world.tps_panarung.code
    )
    token, _raw = DeviceToken.issue(outsider)
    assert login(world.pps).post(reverse("kpu-device-revoke", args=[token.pk])).status_code == 404


def test_only_a_pantarlih_has_devices(world, login):
    client = login(world.kpu)
    assert client.get(reverse("kpu-account-devices", args=[world.pps.pk])).status_code == 404
    with pytest.raises(DomainError, match="pantarlih"):
        services.device_pair(by=world.kpu, account=world.pps)


def test_an_inactive_account_gets_no_device(world):
    services.account_deactivate(by=world.kpu, account=world.pantarlih)
    with pytest.raises(DomainError, match="nonaktif"):
        services.device_pair(by=world.kpu, account=world.pantarlih)
    assert not DeviceToken.objects.exists()


def test_the_device_list_shows_last_use_app_version_and_the_tps_last_sync(world, login):
    when = dt.datetime(2026, 7, 1, 1, 30, tzinfo=dt.UTC)  # 08.30 WIB
    token, _raw = DeviceToken.issue(world.pantarlih)
    DeviceToken.objects.filter(pk=token.pk).update(last_used_at=when, app_version="2.4.1")
    TpsFigures.objects.filter(tps=world.tps1).update(
        last_sync_at=when + dt.timedelta(hours=1), app_version="2.4.1"
    )
    client = login(world.kpu)
    page = client.get(reverse("kpu-account-devices", args=[world.pantarlih.pk])).content.decode()
    # SPEC 5: times as officers write them, with the zone: `14.05 WIB`.
    assert "1 Jul 2026 08.30 WIB" in page and "2.4.1" in page
    assert "1 Jul 2026 09.30 WIB" in page
    listing = client.get(reverse("kpu-accounts"), {"peran": "pantarlih"}).content.decode()
    assert "1 Jul 09.30 WIB" in listing


def test_times_follow_the_regency_zone(world, login):
    when = timezone.make_aware(dt.datetime(2026, 7, 1, 8, 30), dt.UTC)
    mimika_pantarlih, _pw = services.account_create(
        by=world.kpu_mimika, full_name="Yosep", role="pantarlih", area_code=world.tps_mimika.code
    )
    token, _raw = DeviceToken.issue(mimika_pantarlih)
    DeviceToken.objects.filter(pk=token.pk).update(last_used_at=when)
    page = login(world.kpu_mimika).get(reverse("kpu-account-devices", args=[mimika_pantarlih.pk]))
    assert "1 Jul 2026 17.30 WIT" in page.content.decode()
    DeviceToken.objects.filter(pk=token.pk).update(revoked_at=when)
    AuditEntry.objects.create(
        at=when, user=world.kpu_mimika, action="token_revoke", target=mimika_pantarlih.username
    )
    page = login(world.kpu_mimika).get(reverse("kpu-account-devices", args=[mimika_pantarlih.pk]))
    assert "dicabut 1 Jul 17.30 WIT" in page.content.decode()
    page = login(world.kpu_mimika).get(reverse("kpu-account", args=[mimika_pantarlih.pk]))
    html = page.content.decode()
    assert "dicabut 1 Jul 17.30 WIT" in html and "1 Jul 2026 17.30 WIT</td>" in html


def _sync_api_routed() -> bool:
    try:
        resolve("/api/v1/coklit/sync")
    except Resolver404:
        return False
    return True


needs_sync_api = pytest.mark.skipif(
    not _sync_api_routed(),
    reason="the sync API (/api/v1/, feat/sync) is not merged into this branch yet; revocation "
    "is covered here by the token state (revoked_at) the API checks",
)


@needs_sync_api
def test_a_revoked_token_is_refused_by_the_sync_api(world, login, client):
    _response, raw = _pair(login(world.kpu), world.pantarlih)
    headers = {"Authorization": f"Bearer {raw}", "X-App-Version": "2.4.1"}
    ok = client.post(
        "/api/v1/coklit/sync", {"events": []}, content_type="application/json", headers=headers
    )
    assert ok.status_code == 200, ok.content
    token = DeviceToken.objects.get(user=world.pantarlih)
    login(world.kpu).post(reverse("kpu-device-revoke", args=[token.pk]))
    refused = client.post(
        "/api/v1/coklit/sync", {"events": []}, content_type="application/json", headers=headers
    )
    # Refused with a reason the device can show (the sync API says the token was revoked).
    assert refused.status_code in (401, 403) and "dicabut" in refused.content.decode()


def test_a_revoked_token_is_no_longer_a_valid_key(world, login):
    """What the sync API looks up (hash, not revoked) no longer finds a revoked device."""
    _response, raw = _pair(login(world.kpu), world.pantarlih)
    valid = DeviceToken.objects.filter(key_hash=hash_token(raw), revoked_at__isnull=True)
    assert valid.exists()
    login(world.kpu).post(reverse("kpu-device-revoke", args=[valid.get().pk]))
    assert not valid.exists()


@needs_sync_api
def test_a_pantarlih_from_a_roster_syncs_with_the_paired_device(world, login, client):
    """The issue's 'done when': roster → account → paired device → the API knows it."""
    wb = Workbook()
    wb.active.append(["nama", "peran", "kode_wilayah", "telepon"])
    wb.active.append(["Natalis Kogoya", "pantarlih", world.tps2.code, "081200001111"])
    out = io.BytesIO()
    wb.save(out)
    kpu = login(world.kpu)
    kpu.post(reverse("kpu-roster-import"), {"berkas": SimpleUploadedFile("r.xlsx", out.getvalue())})
    account = User.objects.get(first_name="Natalis")
    _response, raw = _pair(kpu, account)
    response = client.get(
        f"/api/v1/tps/{world.tps2.code}/pemilih",
        headers={"Authorization": f"Bearer {raw}", "X-App-Version": "2.4.1"},
    )
    assert response.status_code == 200, response.content
    token = DeviceToken.objects.get(user=account)
    assert token.last_used_at is not None and token.app_version == "2.4.1"
