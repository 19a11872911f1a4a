import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kpu.models import Pemilihan, zone_for_province

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "province,zone",
    [
        ("11", "WIB"),
        ("36", "WIB"),
        ("61", "WIB"),
        ("62", "WIB"),
        ("51", "WITA"),
        ("53", "WITA"),
        ("63", "WITA"),
        ("64", "WITA"),
        ("65", "WITA"),
        ("71", "WITA"),
        ("76", "WITA"),
        ("81", "WIT"),
        ("82", "WIT"),
        ("91", "WIT"),
        ("94", "WIT"),
        ("97", "WIT"),
    ],
)
def test_zone_follows_the_province(province, zone):
    assert zone_for_province(province) == zone


def test_create_pemilihan(capsys):
    call_command("import_wilayah", regency="94.04")
    call_command(
        "create_pemilihan",
        regency="94.04",
        name="Pemilihan Serentak 2024",
        voting_day="2024-11-27",
        coklit_start="2024-06-24",
        coklit_end="2024-07-24",
    )
    p = Pemilihan.objects.get()
    assert p.zone == "WIT" and str(p.tzinfo) == "Asia/Jayapura"
    assert "WIT" in capsys.readouterr().out
    # A second run with the same name updates, never duplicates.
    call_command(
        "create_pemilihan",
        regency="94.04",
        name="Pemilihan Serentak 2024",
        voting_day="2024-11-27",
        coklit_start="2024-06-25",
        coklit_end="2024-07-24",
    )
    assert Pemilihan.objects.get().coklit_start.day == 25


def test_create_pemilihan_refuses_bad_dates():
    call_command("import_wilayah", regency="62.71")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "create_pemilihan",
            regency="62.71",
            name="X",
            voting_day="27-11-2024",
            coklit_start="2024-06-24",
            coklit_end="2024-07-24",
        )
    with pytest.raises(CommandError, match="sebelum"):
        call_command(
            "create_pemilihan",
            regency="62.71",
            name="X",
            voting_day="2024-11-27",
            coklit_start="2024-07-24",
            coklit_end="2024-06-24",
        )
    assert not Pemilihan.objects.exists()
