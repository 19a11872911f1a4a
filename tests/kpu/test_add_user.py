import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kpu.models import AuditEntry, DeviceToken, User, hash_token
from kpu.scoping import in_scope

pytestmark = pytest.mark.django_db


def test_add_user_gives_one_role_in_one_area(world, capsys):
    call_command("add_user", "ketua-pps", role="pps", area="62.71.01.1002", password="rahasia-123")
    user = User.objects.get(username="ketua-pps")
    assert (
        user.role == "pps"
        and user.area_id == "62.71.01.1002"
        and user.check_password("rahasia-123")
    )
    assert "Kelurahan Panarung" in capsys.readouterr().out


def test_add_user_builds_and_logs_the_account_as_the_account_pages_do(world, capsys):
    call_command(
        "add_user", "pantarlih-x", role="pantarlih", area="62.71.01.1002.001", name="Ani  Wati"
    )
    user = User.objects.get(username="pantarlih-x")
    assert (user.first_name, user.last_name, user.must_change_password) == ("Ani", "Wati", True)
    password = capsys.readouterr().out.split("One-time password: ")[1].split()[0]
    assert user.check_password(password)
    entry = AuditEntry.objects.get(action="user_create", target="pantarlih-x")
    assert entry.user is None and entry.area_code == "62.71.01.1002.001"
    assert (entry.data["name"], entry.data["via"]) == ("Ani Wati", "add_user")


def test_add_user_refuses_a_role_at_the_wrong_level(world):
    with pytest.raises(CommandError, match="tingkat"):
        call_command("add_user", "x", role="ppk", area="62.71.01.1001")
    with pytest.raises(CommandError, match="tidak ditemukan"):
        call_command("add_user", "y", role="pps", area="62.71.09.9999")
    assert not User.objects.filter(username__in=["x", "y"]).exists()


def test_issue_token_prints_a_token_and_keeps_only_its_hash(world, capsys):
    call_command("issue_token", world.pantarlih.username)
    raw = capsys.readouterr().out.strip()
    token = DeviceToken.objects.get(user=world.pantarlih)
    assert len(raw) >= 40 and token.key_hash == hash_token(raw) and raw not in token.key_hash


def test_issue_token_is_for_pantarlih_only(world):
    with pytest.raises(CommandError, match="pantarlih"):
        call_command("issue_token", world.pps.username)


def test_scope_is_a_code_prefix(world):
    assert in_scope(world.ppk, "62.71.01.1001.001")
    assert not in_scope(world.ppk, "62.71.010")  # a prefix of characters is not a prefix of codes
    assert not in_scope(world.pps, "62.71.01.1002")
