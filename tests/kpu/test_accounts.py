"""Accounts (/pengguna/): who may manage whom, by role and area, and what each change leaves.

Rules (kpu/scoping.py MANAGED_ROLES): a KPU manages every role in its regency; a PPS manages
the pantarlih of its own village; PPK and pantarlih manage nobody (404 on every page).
"""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kpu import services
from kpu.models import AuditEntry, DeviceToken, Role, User
from kpu.services import DomainError
from tests.base import PASSWORD

pytestmark = pytest.mark.django_db

PASSWORD_RE = re.compile(r'<dd class="secret">([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</dd>')


def _pantarlih_of_panarung(world) -> User:
    """A pantarlih of the village next door (PPS Pahandut's outsider)."""
    user, _pw = services.account_create(
        by=world.kpu, full_name="Maria Panarung", role="pantarlih", area_code="62.71.01.1002.001"
    )
    return user


def _account_urls(account: User) -> list[tuple[str, str]]:
    return [
        ("get", reverse("kpu-account", args=[account.pk])),
        ("get", reverse("kpu-account-edit", args=[account.pk])),
        ("post", reverse("kpu-account-edit", args=[account.pk])),
        ("get", reverse("kpu-account-deactivate", args=[account.pk])),
        ("post", reverse("kpu-account-deactivate", args=[account.pk])),
        ("post", reverse("kpu-account-activate", args=[account.pk])),
        ("get", reverse("kpu-account-reset-password", args=[account.pk])),
        ("post", reverse("kpu-account-reset-password", args=[account.pk])),
        ("get", reverse("kpu-account-devices", args=[account.pk])),
        ("post", reverse("kpu-account-devices", args=[account.pk])),
    ]


# --- who reaches what -------------------------------------------------------------------------


def test_ppk_and_pantarlih_get_404_on_every_accounts_page(world, login):
    for persona in (world.ppk, world.pantarlih):
        client = login(persona)
        for name in ("kpu-accounts", "kpu-account-create", "kpu-roster-import"):
            assert client.get(reverse(name)).status_code == 404, (persona, name)
        assert client.get(reverse("kpu-roster-template")).status_code == 404
        assert client.post(reverse("kpu-account-create"), {}).status_code == 404
        for method, url in _account_urls(world.pantarlih2):
            assert getattr(client, method)(url).status_code == 404, (persona, url)
    assert not AuditEntry.objects.exists()


def test_kpu_of_another_regency_gets_404_on_a_user_of_ours(world, login):
    client = login(world.kpu_mimika)
    assert client.get(reverse("kpu-accounts")).status_code == 200
    for target in (world.pantarlih, world.pps, world.ppk, world.kpu):
        for method, url in _account_urls(target):
            assert getattr(client, method)(url).status_code == 404, url
    world.pantarlih.refresh_from_db()
    assert world.pantarlih.is_active and not AuditEntry.objects.exists()


def test_pps_cannot_touch_a_pps_or_a_pantarlih_of_another_village(world, login):
    outsider = _pantarlih_of_panarung(world)
    client = login(world.pps)
    for target in (outsider, world.pps_panarung, world.pps, world.ppk, world.kpu):
        for method, url in _account_urls(target):
            assert getattr(client, method)(url).status_code == 404, url
    assert client.get(reverse("kpu-account", args=[world.pantarlih.pk])).status_code == 200


def test_kpu_reaches_every_role_of_its_regency(world, login):
    client = login(world.kpu)
    for target in (world.pantarlih, world.pps_panarung, world.ppk_bukit_batu, world.kpu):
        assert client.get(reverse("kpu-account", args=[target.pk])).status_code == 200


def test_a_superuser_account_is_not_managed_from_these_pages(world, login):
    admin = User.objects.create_superuser("admin", password="x-admin-pw-123")
    client = login(world.kpu)
    assert client.get(reverse("kpu-account", args=[admin.pk])).status_code == 404


def test_anonymous_is_sent_to_login(world, client):
    urls = [reverse(n) for n in ("kpu-accounts", "kpu-account-create", "kpu-roster-import")]
    urls += [url for _m, url in _account_urls(world.pantarlih)]
    urls.append(reverse("kpu-roster-template"))
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 405), url
        if response.status_code == 302:
            assert response["Location"].startswith("/masuk/")


def test_the_nav_link_is_shown_to_those_who_manage_accounts(world, login):
    link = 'href="/pengguna/"'
    assert link in login(world.kpu).get(reverse("coklit-area", args=["62.71"])).content.decode()
    pps_page = login(world.pps).get(reverse("coklit-area", args=["62.71.01.1001"]))
    assert link in pps_page.content.decode()
    ppk_page = login(world.ppk).get(reverse("coklit-area", args=["62.71.01"]))
    assert link not in ppk_page.content.decode()


# --- the list ----------------------------------------------------------------------------------


def test_kpu_lists_its_regency_and_nothing_else(world, login):
    page = login(world.kpu).get(reverse("kpu-accounts")).content.decode()
    for user in (world.ppk, world.pps, world.pantarlih, world.pps_panarung, world.ppk_bukit_batu):
        assert f">{user.username}<" in page
    assert "kpu_mimika" not in page


def test_pps_lists_only_the_pantarlih_of_its_village(world, login):
    _pantarlih_of_panarung(world)
    page = login(world.pps).get(reverse("kpu-accounts")).content.decode()
    assert ">pantarlih<" in page and ">pantarlih2<" in page
    for hidden in ("pps_panarung", "pantarlih-62.71.01.1002.001", ">pps<", ">ppk<"):
        assert hidden not in page


def test_the_list_filters_by_area_role_status_and_search(world, login):
    client = login(world.kpu)

    def names(**params):
        html = client.get(reverse("kpu-accounts"), params).content.decode()
        return set(re.findall(r'</a><br><span class="code">([^<]+)</span>', html))

    assert names(wilayah="62.71.01.1001") == {"pps", "pantarlih", "pantarlih2", "pkd"}
    assert names(peran="bawaslu") == {"pkd", "bawaslu"}
    assert names(peran="ppk") == {"ppk", "ppk_bukit_batu"}
    assert names(wilayah="62.71.01", peran="pps") == {"pps", "pps_panarung"}
    assert names(q="panarung") == {"pps_panarung"}
    services.account_deactivate(by=world.kpu, account=world.pantarlih2)
    assert names(status="nonaktif") == {"pantarlih2"}
    assert "pantarlih2" not in names(status="aktif")


def test_filtering_on_an_area_outside_scope_is_404(world, login):
    assert login(world.kpu).get(reverse("kpu-accounts"), {"wilayah": "94.04"}).status_code == 404
    pps = login(world.pps)
    assert pps.get(reverse("kpu-accounts"), {"wilayah": "62.71.01.1002"}).status_code == 404


def test_htmx_gets_the_results_partial_and_a_plain_request_the_page(world, login):
    client = login(world.kpu)
    htmx = {"HX-Request": "true", "HX-Target": "accounts-results"}
    partial = client.get(reverse("kpu-accounts"), {"peran": "ppk"}, headers=htmx)
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="accounts-results"') and "<html" not in body
    assert ">ppk_bukit_batu<" in body and ">pps<" not in body
    assert "HX-Request" in partial["Vary"]
    page = client.get(reverse("kpu-accounts"), {"peran": "ppk"}).content.decode()
    assert "<html" in page and 'hx-get="/pengguna/"' in page and 'method="get"' in page
    restore = client.get(
        reverse("kpu-accounts"), headers={**htmx, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


def test_the_list_is_paginated_and_its_queries_do_not_grow_with_rows(world, login):
    client = login(world.kpu)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("kpu-accounts")).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    tps = world.tps1.code
    for i in range(60):
        services.account_create(
            by=world.kpu, full_name=f"Petugas {i}", role="pantarlih", area_code=tps
        )
    assert queries() == few
    page = client.get(reverse("kpu-accounts")).content.decode()
    assert "halaman 1 dari 2" in page and "?halaman=2" in page
    page2 = client.get(reverse("kpu-accounts"), {"halaman": 2}).content.decode()
    assert "halaman 2 dari 2" in page2


# --- creating ---------------------------------------------------------------------------------


def test_kpu_creates_an_account_and_sees_its_password_once(world, login):
    client = login(world.kpu)
    response = client.post(
        reverse("kpu-account-create"),
        {"nama": "Rina  Lestari", "peran": "pps", "kode_wilayah": "62.71.02.1001"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = PASSWORD_RE.search(response.content.decode()).group(1)
    account = User.objects.get(username="pps-62.71.02.1001")
    assert (account.first_name, account.last_name, account.role) == ("Rina", "Lestari", "pps")
    assert account.check_password(password) and password not in account.password
    detail = client.get(reverse("kpu-account", args=[account.pk])).content.decode()
    assert password not in detail
    entry = AuditEntry.objects.get(action="user_create", target=account.username)
    assert entry.user == world.kpu and entry.area_code == "62.71.02.1001"
    assert password not in str(entry.data) and password not in entry.note
    assert (
        Client().post("/masuk/", {"username": account.username, "password": password}).status_code
        == 302
    )


def test_kpu_may_create_a_kpu_of_its_own_regency(world):
    account, _pw = services.account_create(
        by=world.kpu, full_name="Staf Sekretariat", role="kpu", area_code="62.71"
    )
    assert account.role == Role.KPU and account.area_id == "62.71"


def test_nobody_gives_a_role_above_their_own(world, login):
    with pytest.raises(DomainError, match="tidak dapat memberi peran PPS"):
        services.account_create(by=world.pps, full_name="X", role="pps", area_code="62.71.01.1001")
    response = login(world.pps).post(
        reverse("kpu-account-create"),
        {"nama": "X", "peran": "pps", "kode_wilayah": "62.71.01.1001"},
    )
    assert (
        response.status_code == 200 and "bukan salah satu dari pilihan" in response.content.decode()
    )
    assert not User.objects.filter(first_name="X").exists()


def test_nobody_gives_an_area_outside_their_own(world, login):
    response = login(world.kpu).post(
        reverse("kpu-account-create"),
        {"nama": "Natalis", "peran": "pantarlih", "kode_wilayah": world.tps_mimika.code},
    )
    assert "tidak ditemukan di wilayah Anda" in response.content.decode()
    with pytest.raises(DomainError, match="tidak ditemukan di wilayah Anda"):
        services.account_create(
            by=world.pps, full_name="Natalis", role="pantarlih", area_code=world.tps_panarung.code
        )
    assert not User.objects.filter(first_name="Natalis").exists()
    assert not AuditEntry.objects.filter(action="user_create").exists()


def test_a_role_must_sit_at_its_level(world):
    with pytest.raises(DomainError, match="bekerja di tingkat"):
        services.account_create(
            by=world.kpu, full_name="Y", role="pantarlih", area_code="62.71.01.1001"
        )


def test_the_same_person_twice_in_the_same_role_and_area_is_refused(world):
    services.account_create(
        by=world.pps, full_name="Yohana Wenda", role="pantarlih", area_code=world.tps1.code
    )
    with pytest.raises(DomainError, match="sudah punya akun aktif"):
        services.account_create(
            by=world.pps, full_name="yohana  wenda", role="pantarlih", area_code=world.tps1.code
        )


def test_a_second_pantarlih_of_a_tps_gets_a_numbered_username(world):
    a, _ = services.account_create(
        by=world.pps, full_name="Satu", role="pantarlih", area_code=world.tps2.code
    )
    b, _ = services.account_create(
        by=world.pps, full_name="Dua", role="pantarlih", area_code=world.tps2.code
    )
    assert a.username == f"pantarlih-{world.tps2.code}"
    assert b.username == f"pantarlih-{world.tps2.code}-2"


def test_a_given_username_must_be_free(world):
    with pytest.raises(DomainError, match="tidak dapat dipakai"):
        services.account_create(
            by=world.kpu, full_name="Z", role="ppk", area_code="62.71.03", username="PPK"
        )


def test_a_generated_password_is_rehashed_at_full_cost_on_first_login(world, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    account, password = services.account_create(
        by=world.kpu, full_name="Agus", role="ppk", area_code="62.71.03"
    )
    assert f"${services.GENERATED_PASSWORD_ITERATIONS}$" in account.password
    client = Client()
    assert (
        client.post("/masuk/", {"username": account.username, "password": password}).status_code
        == 302
    )
    account.refresh_from_db()
    hasher = identify_hasher(account.password)
    assert hasher.decode(account.password)["iterations"] == hasher.iterations > 30_000


# --- changing ---------------------------------------------------------------------------------


def test_kpu_moves_a_pantarlih_and_its_devices_are_revoked(world, login):
    token, _raw = DeviceToken.issue(world.pantarlih)
    response = login(world.kpu).post(
        reverse("kpu-account-edit", args=[world.pantarlih.pk]),
        {
            "nama": "Pantarlih Baru",
            "peran": "pantarlih",
            "kode_wilayah": world.tps_bukit_batu.code,
            "telepon": "0812 3456 7890",
        },
    )
    assert response.status_code == 302
    world.pantarlih.refresh_from_db()
    token.refresh_from_db()
    assert world.pantarlih.area_id == world.tps_bukit_batu.code
    assert world.pantarlih.phone == "081234567890"
    assert token.revoked_at is not None
    entry = AuditEntry.objects.get(action="user_update", target="pantarlih")
    assert entry.data["changes"]["wilayah"] == [world.tps1.code, world.tps_bukit_batu.code]
    assert entry.data["tokens_revoked"] == [token.prefix]


def test_pps_cannot_move_its_pantarlih_out_of_its_village(world, login):
    response = login(world.pps).post(
        reverse("kpu-account-edit", args=[world.pantarlih.pk]),
        {"nama": "P", "peran": "pantarlih", "kode_wilayah": world.tps_panarung.code},
    )
    assert "tidak ditemukan di wilayah Anda" in response.content.decode()
    world.pantarlih.refresh_from_db()
    assert world.pantarlih.area_id == world.tps1.code
    assert not AuditEntry.objects.exists()


def test_pps_moves_its_pantarlih_to_another_tps_of_the_village(world):
    services.account_update(
        by=world.pps,
        account=world.pantarlih,
        full_name="Pantarlih",
        phone="",
        role="pantarlih",
        area_code=world.tps2.code,
    )
    world.pantarlih.refresh_from_db()
    assert world.pantarlih.area_id == world.tps2.code


def test_nobody_changes_their_own_role_or_area(world):
    with pytest.raises(DomainError, match="akun Anda sendiri"):
        services.account_update(
            by=world.kpu,
            account=world.kpu,
            full_name="Kpu",
            phone="",
            role="ppk",
            area_code="62.71.01",
        )


def test_an_unchanged_save_writes_no_audit_entry(world):
    services.account_update(
        by=world.kpu,
        account=world.ppk,
        full_name=world.ppk.get_full_name(),
        phone="",
        role="ppk",
        area_code="62.71.01",
    )
    assert not AuditEntry.objects.exists()


# --- deactivating ------------------------------------------------------------------------------


def test_deactivation_keeps_the_row_blocks_login_and_revokes_devices(world, login):
    session = login(world.pantarlih)
    token, _raw = DeviceToken.issue(world.pantarlih)
    kpu = login(world.kpu)
    url = reverse("kpu-account-deactivate", args=[world.pantarlih.pk])
    assert "Nonaktifkan" in kpu.get(url).content.decode()
    assert kpu.post(url, {"note": "mengundurkan diri"}).status_code == 302
    world.pantarlih.refresh_from_db()
    token.refresh_from_db()
    assert User.objects.filter(pk=world.pantarlih.pk).exists() and not world.pantarlih.is_active
    assert token.revoked_at is not None
    response = Client().post("/masuk/", {"username": "pantarlih", "password": PASSWORD})
    assert response.status_code == 200  # the form again: no login
    # An open session ends too.
    assert session.get(reverse("coklit-area", args=[world.tps1.code])).status_code == 302
    entry = AuditEntry.objects.get(action="user_deactivate")
    assert entry.note == "mengundurkan diri" and entry.user == world.kpu
    assert entry.data["tokens_revoked"] == [token.prefix]
    detail = kpu.get(reverse("kpu-account", args=[world.pantarlih.pk])).content.decode()
    assert "Dinonaktifkan" in detail and "mengundurkan diri" in detail and "nonaktif" in detail

    assert kpu.post(reverse("kpu-account-activate", args=[world.pantarlih.pk])).status_code == 302
    world.pantarlih.refresh_from_db()
    assert world.pantarlih.is_active
    assert AuditEntry.objects.filter(action="user_activate", target="pantarlih").exists()
    assert (
        Client().post("/masuk/", {"username": "pantarlih", "password": PASSWORD}).status_code == 302
    )


def test_nobody_deactivates_themselves(world, login):
    kpu = login(world.kpu)
    kpu.post(reverse("kpu-account-deactivate", args=[world.kpu.pk]))
    world.kpu.refresh_from_db()
    assert world.kpu.is_active and not AuditEntry.objects.exists()


def test_deactivating_twice_says_so(world):
    services.account_deactivate(by=world.kpu, account=world.ppk)
    with pytest.raises(DomainError, match="sudah nonaktif"):
        services.account_deactivate(by=world.kpu, account=world.ppk)


# --- resetting a password ---------------------------------------------------------------------


def test_reset_password_shows_a_new_password_once(world, login):
    client = login(world.pps)
    url = reverse("kpu-account-reset-password", args=[world.pantarlih.pk])
    assert PASSWORD_RE.search(client.get(url).content.decode()) is None
    response = client.post(url)
    assert "no-store" in response["Cache-Control"]
    password = PASSWORD_RE.search(response.content.decode()).group(1)
    world.pantarlih.refresh_from_db()
    assert world.pantarlih.check_password(password) and not world.pantarlih.check_password(PASSWORD)
    assert (
        password
        not in client.get(reverse("kpu-account", args=[world.pantarlih.pk])).content.decode()
    )
    entry = AuditEntry.objects.get(action="user_password_reset")
    assert entry.user == world.pps and entry.target == "pantarlih"
    assert password not in str(entry.data)


def test_reset_is_refused_for_an_inactive_account_and_for_oneself(world):
    services.account_deactivate(by=world.kpu, account=world.ppk)
    with pytest.raises(DomainError, match="nonaktif"):
        services.account_password_reset(by=world.kpu, account=world.ppk)
    with pytest.raises(DomainError, match="sendiri"):
        services.account_password_reset(by=world.kpu, account=world.kpu)


def test_every_change_writes_an_audit_entry(world):
    by = world.kpu
    account, _pw = services.account_create(
        by=by, full_name="Audit Saja", role="pantarlih", area_code=world.tps2.code
    )
    services.account_update(
        by=by,
        account=account,
        full_name="Audit Lagi",
        phone="",
        role="pantarlih",
        area_code=world.tps2.code,
    )
    services.account_password_reset(by=by, account=account)
    token, _raw = services.device_pair(by=by, account=account)
    services.device_revoke(by=by, token=token)
    services.account_deactivate(by=by, account=account)
    services.account_activate(by=by, account=account)
    actions = list(
        AuditEntry.objects.filter(target=account.username)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "user_create",
        "user_update",
        "user_password_reset",
        "token_issue",
        "token_revoke",
        "user_deactivate",
        "user_activate",
    ]
    assert set(AuditEntry.objects.values_list("user", flat=True)) == {by.pk}


def test_the_accounts_pages_speak_english_when_asked(world, login):
    client = login(world.kpu)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(reverse("kpu-accounts")).content.decode()
    assert "Add account" in page and "Import a roster" in page and ">Users<" in page
    with pytest.raises(DomainError, match="cannot give the role PPS"):
        with translation.override("en"):
            services.account_create(
                by=world.pps, full_name="X", role="pps", area_code="62.71.01.1001"
            )
