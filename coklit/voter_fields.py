"""Rules for the data of one voter as a device sends it (corrections and new voters).

The same columns and codes as the import of SPEC 5; each `clean_*` returns the value as the
Voter model stores it or raises `ValueError` with a reason an officer can act on (Indonesian).
"""

import datetime as dt
import re
from typing import Any

from kpu.tabular import cell_text

_DIGITS_16 = re.compile(r"^\d{16}$")
EXCEL_EPOCH = dt.date(1899, 12, 30)
_RT_RW = re.compile(r"^\d{1,3}$")


def _text(value: Any, *, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("harus berupa teks")
    value = " ".join(value.split())
    if required and not value:
        raise ValueError("wajib diisi")
    if len(value) > max_length:
        raise ValueError(f"paling panjang {max_length} karakter")
    return value


def _sixteen_digits(value: Any) -> str:
    if not isinstance(value, str) or not _DIGITS_16.match(value.strip()):
        raise ValueError("harus 16 angka")
    return value.strip()


def parse_date(cell) -> dt.date | None:
    """YYYY-MM-DD, DD-MM-YYYY (or with `/`), or an Excel date (a date cell or a day number).

    The one reading of a date for the import, the sync API and the Model A upload; runs
    100,000 times an import, so the common case is string slicing, not strptime.
    """
    if cell.__class__ is not str:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            # A day number (a date cell formatted as a number); a fraction is the time of day.
            if 1 <= cell < 2_958_466:  # up to 9999-12-31, as Excel allows
                return EXCEL_EPOCH + dt.timedelta(days=int(cell))
            return None
        cell = cell_text(cell)
    s = cell.strip()
    if len(s) != 10:
        return None
    if s[4] in "-/" and s[7] == s[4]:
        y, m, d = s[:4], s[5:7], s[8:]
    elif s[2] in "-/" and s[5] == s[2]:
        d, m, y = s[:2], s[3:5], s[6:]
    else:
        return None
    if not (y.isdigit() and m.isdigit() and d.isdigit() and s.isascii()):
        return None
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def _date(value: Any) -> dt.date:
    """A date as text (a device's JSON) or a date (a spreadsheet cell); never a bare number."""
    if isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
    elif isinstance(value, str):
        day = parse_date(value)
        for fmt in ("%Y-%m-%d", "%d-%m-%Y"):  # also 1999-7-5, as the API always took
            if day is not None:
                break
            try:
                day = dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
        if day is None:
            raise ValueError("harus tanggal YYYY-MM-DD atau DD-MM-YYYY")
    else:
        raise ValueError("harus tanggal YYYY-MM-DD atau DD-MM-YYYY")
    if day > dt.date.today() or day.year < 1880:
        raise ValueError("tanggal lahir tidak masuk akal")
    return day


def _choice(value: Any, allowed: dict[str, str]) -> str:
    if isinstance(value, str) and value.strip().upper() in allowed:
        return value.strip().upper()
    codes = ", ".join(f"{k} ({v})" for k, v in allowed.items())
    raise ValueError(f"harus salah satu dari {codes}")


def _rt_rw(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not _RT_RW.match(value.strip()):
        raise ValueError("harus 1 sampai 3 angka")
    return value.strip().zfill(3)  # as the import writes them: RT 4 is RT 004


def _disabilitas(value: Any) -> str:
    """Codes 1-6: "1,6", [1, 6] or empty; stored sorted and without repeats."""
    if value in (None, "", []):
        return ""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
    elif isinstance(value, list):
        parts = [str(p).strip() for p in value]
    else:
        raise ValueError("harus kode 1-6 dipisah koma")
    if not all(p in {"1", "2", "3", "4", "5", "6"} for p in parts):
        raise ValueError(
            "harus kode 1-6 dipisah koma (1 fisik, 2 intelektual, 3 mental, "
            "4 sensorik wicara, 5 sensorik rungu, 6 sensorik netra)"
        )
    return ",".join(sorted(set(parts)))


def _ktp_el(value: Any) -> bool:
    """S (sudah) / B (belum), as in the import; JSON true/false also do."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("S", "B"):
        return value.strip().upper() == "S"
    raise ValueError("harus S (sudah) atau B (belum)")


CLEANERS = {
    "nkk": _sixteen_digits,
    "nik": _sixteen_digits,
    "nama": lambda v: _text(v, max_length=200, required=True),
    "tempat_lahir": lambda v: _text(v, max_length=100),
    "tanggal_lahir": _date,
    "jenis_kelamin": lambda v: _choice(v, {"L": "laki-laki", "P": "perempuan"}),
    "status_kawin": lambda v: _choice(v, {"B": "belum", "S": "sudah", "P": "pernah"}),
    "alamat": lambda v: _text(v, max_length=300),
    "rt": _rt_rw,
    "rw": _rt_rw,
    "disabilitas": _disabilitas,
    "ktp_el": _ktp_el,
}
# The fields of a voter a pantarlih may correct (an "ubah" result).
CHANGEABLE = tuple(CLEANERS)
# A new voter needs at least these; the rest may be empty.
REQUIRED_NEW = ("nkk", "nik", "nama", "tanggal_lahir", "jenis_kelamin", "status_kawin")


def clean_changes(changes: Any) -> dict[str, Any]:
    """Corrections as JSON-safe values (dates as ISO strings), or ValueError naming the field."""
    if not isinstance(changes, dict):
        raise ValueError("`changes` harus berupa objek {kolom: nilai baru}")
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ValueError(
            f"kolom perubahan tidak dikenal: {', '.join(unknown)} "
            f"(yang boleh: {', '.join(CHANGEABLE)})"
        )
    out = {}
    for name in CHANGEABLE:
        if name in changes:
            try:
                value = CLEANERS[name](changes[name])
            except ValueError as exc:
                raise ValueError(f"perubahan {name} {exc}") from None
            out[name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def clean_new_voter(data: Any) -> dict[str, Any]:
    """A new voter's data in the import's columns, cleaned (dates as date objects).

    `village` and `tps`, when given, are returned as given, for the caller to check against
    the device's own TPS.
    """
    if not isinstance(data, dict) or not data:
        raise ValueError("pemilih baru perlu `new_voter` berisi data pemilih")
    data = {str(k).lower(): v for k, v in data.items()}
    unknown = sorted(set(data) - set(CHANGEABLE) - {"village", "tps"})
    if unknown:
        raise ValueError(f"kolom pemilih baru tidak dikenal: {', '.join(unknown)}")
    missing = [name for name in REQUIRED_NEW if data.get(name) in (None, "")]
    if missing:
        raise ValueError(f"data pemilih baru belum lengkap: {', '.join(missing)} wajib diisi")
    out: dict[str, Any] = {}
    for name in CHANGEABLE:
        if name in data:
            try:
                out[name] = CLEANERS[name](data[name])
            except ValueError as exc:
                raise ValueError(f"pemilih baru: {name} {exc}") from None
    for name in ("village", "tps"):
        if name in data and data[name] not in (None, ""):
            out[name] = data[name]
    return out
