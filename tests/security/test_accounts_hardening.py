"""Accounts as an attacker tried them (issue 15 items 4, 5, 8, 11, 12, 14; SPEC 5 and 10).

Each test names the attack it replays and fails without its fix.
"""

import datetime as dt
import io

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse

from kpu import services
from kpu.models import AuditEntry, User
from kpu.scoping import may_manage
from kpu.services import DomainError
from tests.base import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kata-sandi-baru-2024"


# --- item 4: a KPU taking over a superuser ---------------------------------------------------


def test_the_database_refuses_a_role_on_a_superuser_or_staff(world):
    """Issue 15 item 4: a superuser with a role and area was listed on /pengguna/, its password
    could be reset there, and the new password opened /admin/."""
    for flags in ({"is_superuser": True}, {"is_staff": True}):
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(username=f"x{len(flags)}", role="kpu", area=world.regency, **flags)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=world.kpu.pk).update(is_superuser=True)


def test_the_admin_form_says_why_a_superuser_gets_no_role(world):
    admin = User.objects.create_superuser("root", password="x-admin-pw-123")
    admin.role, admin.area = "kpu", world.regency
    with pytest.raises(ValidationError, match="superuser atau staf tidak boleh punya peran"):
        admin.full_clean()


def test_no_superuser_or_staff_is_reachable_from_the_account_pages(world, login):
    """Even one made before the constraint (as an object here): never listed, never managed."""
    staff = User(username="staf", role="kpu", area=world.regency, is_staff=True)
    root = User(username="root", role="kpu", area=world.regency, is_superuser=True)
    assert not may_manage(world.kpu, staff) and not may_manage(world.kpu, root)
    admin = User.objects.create_superuser("admin", password="x-admin-pw-123")
    client = login(world.kpu)
    body = client.get(reverse("kpu-accounts")).content.decode()
    assert "admin" not in body.split("<main>", 1)[-1]
    assert client.get(reverse("kpu-account", args=[admin.pk])).status_code == 404
    reset = client.post(reverse("kpu-account-reset-password", args=[admin.pk]))
    assert reset.status_code == 404


# --- item 5: locking others out ---------------------------------------------------------------


def _attempt(client: Client, username: str, password: str, forwarded: str):
    return client.post(
        "/masuk/",
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.5",  # the load balancer
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@override_settings(CLIENT_IP_HEADER="X-Forwarded-For", TRUSTED_PROXY_COUNT=1)
def test_failures_behind_the_proxy_lock_the_guesser_not_the_user(world):
    """Issue 15 item 5: behind the load balancer every client shared REMOTE_ADDR, so five
    failures from anyone locked the account for everyone."""
    guesser = Client()
    for _ in range(5):
        response = _attempt(guesser, "pps", "salah", "203.0.113.7")
    assert response.status_code == 429
    # A forged left part of the header changes nothing: the proxy appends the real address.
    forged = _attempt(Client(), "pps", PASSWORD, "198.51.100.1, 203.0.113.7")
    assert forged.status_code == 429
    owner = _attempt(Client(), "pps", PASSWORD, "198.51.100.20")
    assert owner.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


@override_settings(CLIENT_IP_HEADER="X-Forwarded-For", LOGIN_SLOW_AFTER=10, LOGIN_SLOW_SECONDS=10)
def test_guessing_one_username_from_many_addresses_is_slowed_not_locked(world):
    """Ten failures from ten addresses: the next attempt waits seconds (429, Retry-After) before
    any password is checked; once the pause is over the real user logs in."""
    for n in range(10):
        assert _attempt(Client(), "pps", "salah", f"203.0.113.{n}").status_code == 200
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    slowed = _attempt(Client(), "pps", PASSWORD, "198.51.100.20")
    assert slowed.status_code == 429 and 1 <= int(slowed["Retry-After"]) <= 10
    # No password was checked: a wrong one while slowed counts no failure either.
    assert _attempt(Client(), "pps", "salah", "198.51.100.21").status_code == 429
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures
    assert "Coba lagi dalam" in slowed.content.decode()
    # Another username is not slowed.
    assert _attempt(Client(), "ppk", PASSWORD, "198.51.100.20").status_code == 302
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=11))
    assert _attempt(Client(), "pps", PASSWORD, "198.51.100.20").status_code == 302


@override_settings(CLIENT_IP_HEADER="")
def test_without_a_proxy_header_the_peer_address_is_the_client(world):
    client = Client(REMOTE_ADDR="192.0.2.9")
    client.post("/masuk/", {"username": "pps", "password": "salah"}, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["192.0.2.9"]


# --- item 8: a deactivated account's old session ----------------------------------------------


def test_a_deactivated_accounts_session_stays_ended_after_reactivation(world, login):
    """Issue 15 item 8: the old session worked again once the account was activated again."""
    old = login(world.pps)
    assert old.get(reverse("home")).status_code == 302
    services.account_deactivate(by=world.kpu, account=world.pps)
    services.account_activate(by=world.kpu, account=world.pps)
    response = old.get(reverse("coklit-area", args=["62.71.01.1001"]))
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")
    # The account itself works: a new login opens the page.
    world.pps.refresh_from_db()
    assert login(world.pps).get(reverse("coklit-area", args=["62.71.01.1001"])).status_code == 200


# --- item 11: usernames ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "kpu-62.71-admin",  # another role's prefix, made by a PPS
        "KPU_6271",
        "ppk-62.71.01",
        "admin",
        "\u0440ps-62.71.01.1002",  # Cyrillic er: looks like pps-62.71.01.1002
        "pantarlih-\u202e100.1001",  # right-to-left override
        "pantarlih\u200b-a",  # zero-width space
    ],
)
def test_the_account_pages_refuse_a_misleading_username(world, login, username):
    client = login(world.pps)
    response = client.post(
        reverse("kpu-account-create"),
        {
            "nama": "Yohana",
            "peran": "pantarlih",
            "kode_wilayah": "62.71.01.1001.001",
            "telepon": "",
            "username": username,
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username=username).exists()
    body = response.content.decode()
    assert "tidak dapat dipakai" in body or "huruf Latin" in body


def test_taken_reads_the_same_as_refused_whoever_holds_the_name(world):
    """The outsider learns nothing: a name held in another regency, and a reserved one, get
    the same words."""
    problems = {}
    for username in ("kpu_mimika", "kpu-anything"):
        with pytest.raises(DomainError) as exc:
            services.account_create(
                by=world.pps,
                full_name=f"Orang {username}",
                role="pantarlih",
                area_code="62.71.01.1001.001",
                username=username,
            )
        problems[username] = str(exc.value).replace(username, "X")
    assert problems["kpu_mimika"] == problems["kpu-anything"]
    assert "sudah dipakai" not in problems["kpu_mimika"]


def test_add_user_takes_any_plain_ascii_name_and_refuses_the_rest(world):
    call_command("add_user", "kpu-ops", role="pps", area="62.71.01.1002", password="x-pw-12345")
    assert User.objects.get(username="kpu-ops").role == "pps"
    with pytest.raises(CommandError, match="huruf Latin"):
        call_command("add_user", "\u0440ps-1", role="pps", area="62.71.01.1002", password="x")


# --- item 12: one-time passwords -------------------------------------------------------------


def _log_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/masuk/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:500]
    return client


def _change(client: Client, old: str, next_url: str = ""):
    return client.post(
        reverse("kpu-password-change"),
        {
            "old_password": old,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "next": next_url,
        },
    )


def test_a_one_time_password_opens_only_the_change_page_until_changed(world):
    """Issue 15 item 12: the printed one-time password stayed valid forever."""
    account, one_time = services.account_create(
        by=world.kpu, full_name="Dewi", role="pps", area_code="62.71.01.1002"
    )
    assert account.must_change_password
    client = _log_in(account.username, one_time)
    page = reverse("coklit-area", args=["62.71.01.1002"])
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("kpu-password-change"))
    api = client.get("/api/v1/progress/62.71.01.1002")
    assert api.status_code == 403 and "Ganti dulu sandi" in api.json()["detail"]
    htmx = client.get(page, headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == reverse("kpu-password-change")
    assert "sandi sekali pakai" in client.get(reverse("kpu-password-change")).content.decode()

    response = _change(client, one_time, next_url=page)
    assert response.status_code == 302 and response["Location"] == page
    assert client.get(page).status_code == 200  # the session that changed it goes on
    account.refresh_from_db()
    assert not account.must_change_password and account.check_password(NEW_PASSWORD)
    assert (
        Client().post("/masuk/", {"username": account.username, "password": one_time}).status_code
        == 200
    )
    assert AuditEntry.objects.filter(action="password_change", target=account.username).exists()


def test_a_reset_password_and_a_roster_password_must_be_changed_too(world):
    services.account_create(by=world.kpu, full_name="Agus", role="ppk", area_code="62.71.03")
    account = User.objects.get(first_name="Agus")
    one_time = services.account_password_reset(by=world.kpu, account=account)
    account.refresh_from_db()
    assert account.must_change_password
    client = _log_in(account.username, one_time)
    assert client.get(reverse("home"))["Location"].startswith(reverse("kpu-password-change"))
    created = services.roster_import(
        by=world.kpu,
        rows=[(2, {"nama": "Maria", "peran": "pantarlih", "kode_wilayah": "62.71.01.1001.001"})],
    )
    assert all(user.must_change_password for user, _pw in created)


def test_add_user_without_password_prints_a_one_time_password(world):
    out = io.StringIO()
    call_command("add_user", "ketua-pps", role="pps", area="62.71.01.1002", stdout=out)
    one_time = out.getvalue().split("One-time password: ", 1)[1].split()[0]
    user = User.objects.get(username="ketua-pps")
    assert user.must_change_password and user.check_password(one_time)
    with_own = io.StringIO()
    call_command(
        "add_user",
        "ketua-2",
        role="pps",
        area="62.71.01.1002",
        password="own-pw-123",
        stdout=with_own,
    )
    assert not User.objects.get(username="ketua-2").must_change_password
    assert "One-time" not in with_own.getvalue()


def test_anyone_changes_their_own_password(world, login):
    client = login(world.pantarlih)
    page = client.get(reverse("kpu-password-change"))
    assert page.status_code == 200 and "Ganti kata sandi" in page.content.decode()
    wrong = client.post(
        reverse("kpu-password-change"),
        {"old_password": "salah", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert _change(client, PASSWORD).status_code == 302
    world.pantarlih.refresh_from_db()
    assert world.pantarlih.check_password(NEW_PASSWORD)


def test_a_password_change_ends_the_other_sessions(world, login):
    other = login(world.pps)
    mine = login(world.pps)
    _change(mine, PASSWORD)
    assert other.get(reverse("home"))["Location"].startswith("/masuk/")


# --- item 14: bodies read before the 403 ---------------------------------------------------


def test_an_anonymous_300_mb_post_is_refused_before_it_is_read(world):
    """Issue 15 item 14: a 300 MB multipart POST to the login page was read whole before the
    CSRF 403. The declared length is refused first; the test client's body would raise if
    anything tried to read 300 MB of it."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/masuk/",
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
    )
    assert response.status_code == 413


def test_a_logged_in_upload_within_the_cap_still_reaches_its_view(world, login):
    client = login(world.kpu)
    text = "nama,peran,kode_wilayah\n" + "x" * 100_000 + "\n"  # over the anonymous cap
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("petugas.csv", text.encode())
    response = client.post(reverse("kpu-roster-import"), {"berkas": upload})
    assert response.status_code == 200 and "isian lebih dari" in response.content.decode()
    too_big = client.post(
        reverse("kpu-roster-import"),
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert too_big.status_code == 413
