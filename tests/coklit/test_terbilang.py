"""Numbers and dates in Indonesian words, as a berita acara writes them."""

import datetime as dt

import pytest
from django.utils import translation

from coklit import terbilang


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (124769, "seratus dua puluh empat ribu tujuh ratus enam puluh sembilan"),
        (1000, "seribu"),
        (100, "seratus"),
        (11, "sebelas"),
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (110, "seratus sepuluh"),
        (1011, "seribu sebelas"),
        (101000, "seratus satu ribu"),
        (201000, "dua ratus satu ribu"),
        (1000000, "satu juta"),
        # num2words says "satu juta satu ribu"; Indonesian says "seribu" here too.
        (1001000, "satu juta seribu"),
        (2001500, "dua juta seribu lima ratus"),
        (1000001, "satu juta satu"),
        (1100000, "satu juta seratus ribu"),
        (1001001000, "satu miliar satu juta seribu"),
    ],
)
def test_it_writes_numbers_as_a_ba_does(n, words):
    assert terbilang.angka(n) == words


def test_it_writes_figures_and_words_together():
    assert terbilang.angka_kata(124769) == (
        "124.769 (seratus dua puluh empat ribu tujuh ratus enam puluh sembilan)"
    )
    assert terbilang.angka_kata(0) == "0 (nol)"
    assert terbilang.ribuan(1234567) == "1.234.567"


def test_it_refuses_what_is_not_a_whole_number():
    with pytest.raises(TypeError):
        terbilang.angka(1.5)
    with pytest.raises(TypeError):
        terbilang.angka(True)


def test_it_writes_the_day_and_date_in_words():
    assert terbilang.tanggal_kata(dt.date(2024, 8, 11)) == (
        "Minggu tanggal sebelas bulan Agustus tahun dua ribu dua puluh empat"
    )
    assert terbilang.tanggal_kata(dt.date(2024, 8, 3)) == (
        "Sabtu tanggal tiga bulan Agustus tahun dua ribu dua puluh empat"
    )
    assert terbilang.tanggal_kata(dt.date(2024, 12, 1)) == (
        "Minggu tanggal satu bulan Desember tahun dua ribu dua puluh empat"
    )


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2024, 8, 5), "Senin"),
        (dt.date(2024, 8, 6), "Selasa"),
        (dt.date(2024, 8, 7), "Rabu"),
        (dt.date(2024, 8, 8), "Kamis"),
        (dt.date(2024, 8, 9), "Jumat"),
        (dt.date(2024, 8, 10), "Sabtu"),
        (dt.date(2024, 8, 11), "Minggu"),
    ],
)
def test_it_names_every_day_of_the_week(day, name):
    assert terbilang.hari(day) == name


def test_it_stays_indonesian_whatever_the_interface_language():
    with translation.override("en"):
        assert terbilang.tanggal_kata(dt.date(2024, 8, 11)).startswith("Minggu tanggal sebelas")
        assert terbilang.tanggal(dt.date(2024, 8, 11)) == "11 Agustus 2024"
        assert terbilang.angka(2024) == "dua ribu dua puluh empat"
