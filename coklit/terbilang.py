"""Numbers and dates in Indonesian words, as a berita acara writes them (*terbilang*).

A BA states every total twice, in figures and in words ("124.769 (seratus dua puluh empat ribu
tujuh ratus enam puluh sembilan)"), and the day of the pleno in words ("Pada hari ini Minggu
tanggal sebelas bulan Agustus tahun dua ribu dua puluh empat"). Documents are in Indonesian
whatever the interface language (SPEC 9), so nothing here goes through gettext or the locale.

The words come from num2words (`lang="id"`), checked against how KPU's 2024 BAs write them;
where it differs from Indonesian usage we correct it here (see `angka`).
"""

import datetime as dt
import re

from num2words import num2words

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")  # date.weekday() order
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

# num2words writes 1.001.000 as "satu juta satu ribu"; Indonesian says "satu juta seribu", as it
# says "seribu" for 1.000 (which num2words gets right). The group of thousands is exactly one
# only when "satu ribu" directly follows a larger unit.
_SATU_RIBU = re.compile(r"\b(juta|miliar|triliun) satu ribu\b")


def angka(n: int) -> str:
    """A whole number in words: 124769 → "seratus dua puluh empat ribu tujuh ratus enam puluh
    sembilan"; 0 → "nol"; 1000 → "seribu"."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"terbilang needs an int, not {type(n).__name__}")
    if n < 0:
        return "minus " + angka(-n)
    return _SATU_RIBU.sub(r"\1 seribu", num2words(n, lang="id"))


def ribuan(n: int) -> str:
    """A whole number with dots between thousands, as Indonesian documents write it: 124.769."""
    return f"{n:,}".replace(",", ".")


def angka_kata(n: int) -> str:
    """In figures and in words, the BA's way: `124.769 (seratus dua puluh empat ribu ...)`."""
    return f"{ribuan(n)} ({angka(n)})"


def hari(day: dt.date) -> str:
    """The day of the week: "Minggu"."""
    return HARI[day.weekday()]


def tanggal(day: dt.date) -> str:
    """A date in figures as forms write it: `11 Agustus 2024`."""
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def tanggal_kata(day: dt.date) -> str:
    """The day and date in words, as a BA opens: "Minggu tanggal sebelas bulan Agustus tahun dua
    ribu dua puluh empat" (the caller writes "Pada hari ini" before it)."""
    return (
        f"{hari(day)} tanggal {angka(day.day)} bulan {BULAN[day.month - 1]} tahun {angka(day.year)}"
    )


def pukul(moment: dt.datetime, zone: str) -> str:
    """The time of day as a BA writes it: `pukul 10.00 WIB` (the moment already local)."""
    return f"pukul {moment:%H.%M} {zone}"
