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


def test_it_refuses_an_unknown_regency():
    with pytest.raises(CommandError, match="99.99"):
        call_command("import_wilayah", regency="99.99")


def test_labels_follow_the_region():
    call_command("import_wilayah", regency="62.71")
    call_command("import_wilayah", regency="94.04")
    assert Area.objects.get(code="62.71").title == "Kota Palangkaraya"
    assert Area.objects.get(code="62.71.01").title == "Kecamatan Pahandut"
    assert Area.objects.get(code="62.71.01").committee == "PPK"
    assert Area.objects.get(code="62.71.01.1001").title == "Kelurahan Pahandut"
    assert Area.objects.get(code="94.04.01").title == "Distrik Mimika Baru"
    assert Area.objects.get(code="94.04.01").committee == "PPD"
    kampung = Area.objects.filter(
        code__startswith="94.04.", level=Area.Level.VILLAGE, code__regex=r"\.2\d{3}$"
    ).first()
    assert kampung.kind == "Kampung"
    assert Area.objects.get(code="94.04.01.1001").kind == "Kelurahan"
