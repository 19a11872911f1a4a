import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kpu.models import Area

pytestmark = pytest.mark.django_db


def test_it_imports_a_regency_with_its_province():
    call_command("import_wilayah", regency="62.71")
    assert Area.objects.get(code="62").name == "Kalimantan Tengah"
    assert Area.objects.filter(level=Area.Level.DISTRICT, parent_id="62.71").count() == 5
    assert Area.objects.filter(level=Area.Level.VILLAGE, code__startswith="62.71.").count() == 30


def test_it_is_idempotent(capsys):
    call_command("import_wilayah", regency="94.04")
    before = Area.objects.count()
    call_command("import_wilayah", regency="94.04")
    assert Area.objects.count() == before
    assert "0 created, 0 renamed" in capsys.readouterr().out


def test_it_imports_all_of_indonesia():
    call_command("import_wilayah")
    assert Area.objects.filter(level=Area.Level.VILLAGE).count() == 83_762
    assert Area.objects.filter(level=Area.Level.REGENCY).count() == 514


def test_display_names_are_applied_and_kept(capsys):
    call_command("import_wilayah", regency="62.71")
    assert Area.objects.get(code="62.71").name == "Kota Palangka Raya"
    Area.objects.filter(code="62.71").update(name="Kota Palangkaraya")  # an older import
    call_command("import_wilayah", regency="62.71")
    assert Area.objects.get(code="62.71").name == "Kota Palangka Raya"
    assert "0 created, 1 renamed" in capsys.readouterr().out.splitlines()[-1]
    call_command("import_wilayah", regency="62.71")
    assert "0 created, 0 renamed" in capsys.readouterr().out


def test_it_refuses_an_unknown_regency():
    with pytest.raises(CommandError, match="99.99"):
        call_command("import_wilayah", regency="99.99")


def test_labels_follow_the_region():
    call_command("import_wilayah", regency="62.71")
    call_command("import_wilayah", regency="94.04")
    # KPU's own spelling, shipped in data/display_names.csv (SPEC 3).
    assert Area.objects.get(code="62.71").title == "Kota Palangka Raya"
    assert Area.objects.get(code="62.71.01").title == "Kecamatan Pahandut"
    assert Area.objects.get(code="62.71.01").committee == "PPK"
    assert Area.objects.get(code="62.71.01.1001").title == "Kelurahan Pahandut"
    assert Area.objects.get(code="94.04.01").title == "Distrik Mimika Baru"
    assert Area.objects.get(code="94.04.01").committee == "PPD"
    kampung = Area.objects.filter(
        code__startswith="94.04.", level=Area.Level.VILLAGE, code__regex=r"\.2\d{3}$"
    ).first()
    assert kampung.kind == "Kampung"
    # SPEC 3: a village coded 1xxx is a Kelurahan, in Papua too (Mimika has 19 of 152).
    assert Area.objects.get(code="94.04.01.1001").kind == "Kelurahan"
    assert Area.objects.get(code="94.04.01.1001").title == "Kelurahan Koperapoka"
    villages = Area.objects.filter(code__startswith="94.04.", level=Area.Level.VILLAGE)
    kinds = [v.kind for v in villages]
    assert (kinds.count("Kelurahan"), kinds.count("Kampung"), len(kinds)) == (19, 133, 152)
    assert Area.objects.get(code="62.71.01.1001").kind == "Kelurahan"


def test_a_papua_ppk_is_called_ppd_everywhere(db, login):
    """SPEC 3: a Papua district's committee is the PPD: the header, the accounts list and the
    timeline say PPD for a ppk user there (the stored role stays `ppk`)."""
    from django.urls import reverse

    from kpu.models import AuditEntry, Role, User, role_label
    from tests.base import PASSWORD

    call_command("import_wilayah", regency="62.71")
    call_command("import_wilayah", regency="94.04")
    users = {}
    for name, role, code in [
        ("kpu_mimika", Role.KPU, "94.04"),
        ("ppd", Role.PPK, "94.04.01"),
        ("ppk", Role.PPK, "62.71.01"),
    ]:
        users[name] = User(username=name, role=role, area=Area.objects.get(code=code))
        users[name].set_password(PASSWORD)
        users[name].save()
    assert role_label(Role.PPK, "94.04.01") == "PPD" and role_label(Role.PPK, "62.71.01") == "PPK"
    assert users["ppd"].role_label == "PPD" and users["ppk"].role_label == "PPK"
    page = login(users["ppd"]).get(reverse("coklit-area", args=["94.04.01"])).text
    assert "ppd · PPD" in page
    listing = login(users["kpu_mimika"]).get(reverse("kpu-accounts")).text
    assert '<td class="hide-sm">PPD</td>' in listing
    assert '<option value="ppk">PPD</option>' in listing
    village = "94.04.01.2004"
    AuditEntry.objects.create(
        user=users["ppd"], role="ppk", area_code=village, action="pleno_return", note="ok"
    )
    page = login(users["kpu_mimika"]).get(reverse("coklit-area", args=[village])).text
    assert "(PPD)" in page and "(PPK)" not in page
