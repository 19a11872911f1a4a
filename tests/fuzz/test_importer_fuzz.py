"""Hypothesis against the voter list import (SPEC 5): any cell value and any date, never a crash;
a bad cell is reported on its row and column and nothing is imported; a valid row comes back
from the database as it went in (after the documented normalising)."""

import datetime as dt
import math

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coklit import figures
from coklit.importer import COLUMNS, EXCEL_EPOCH, ImportRejected, import_table, parse_date
from coklit.models import Voter

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

# A cell as calamine (XLSX) or csv hands it over: text, numbers, booleans, dates, times, empty.
TEXT = st.one_of(
    st.text(max_size=20),
    st.text(
        st.sampled_from(["\x00", "1", "0", " ", "-", "/", "²", "٣", "T", "P", "S"]), max_size=18
    ),
)
CELL = st.one_of(
    TEXT,
    st.integers(-(10**17), 10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.none(),
)
HEADER = list(COLUMNS)
VILLAGE = "62.71.01.1001"


def in_savepoint(rows):
    """Import in a savepoint that is rolled back: examples do not see each other's voters."""
    with transaction.atomic():
        try:
            return import_table(rows)
        finally:
            transaction.set_rollback(True)


def test_any_cells_are_imported_or_reported_never_a_crash(world):
    @FUZZ
    @given(st.lists(st.lists(CELL, min_size=0, max_size=len(HEADER) + 2), min_size=1, max_size=4))
    def run(data):
        table = [(1, HEADER)] + [(i + 2, row) for i, row in enumerate(data)]
        try:
            in_savepoint(table)
        except ImportRejected as exc:
            assert exc.lines and all(line.startswith("Baris ") for line in exc.lines)

    run()


def test_any_cell_in_any_column_of_a_valid_row_never_crashes(world):
    @FUZZ
    @given(st.sampled_from(HEADER), CELL)
    def run(column, value):
        row = dict(zip(HEADER, valid_row(1), strict=True)) | {column: value}
        try:
            in_savepoint([(1, HEADER), (2, [row[c] for c in HEADER])])
        except ImportRejected as exc:
            assert all(e.row == 2 for e in exc.errors), exc.lines
            assert {e.column for e in exc.errors} <= {column, "nik"}, exc.lines

    run()


@given(CELL)
@FUZZ
def test_parse_date_never_crashes(cell):
    result = parse_date(cell)
    assert result is None or isinstance(result, dt.date)


@given(st.dates(min_value=dt.date(1900, 1, 1)), st.sampled_from(["iso", "dmy", "dmy/", "excel"]))
@FUZZ
def test_dates_in_every_accepted_shape_round_trip(day, shape):
    cell = {
        "iso": day.isoformat(),
        "dmy": day.strftime("%d-%m-%Y"),
        "dmy/": day.strftime("%d/%m/%Y"),
        "excel": float((day - EXCEL_EPOCH).days),
    }[shape]
    assert parse_date(cell) == day


def valid_row(n: int, **over) -> list:
    born = dt.date(1990, 1, 1)
    row = {
        "village": VILLAGE,
        "tps": "1",
        "nkk": f"62710101{n:08d}",
        "nik": f"627101{born:%d%m%y}{n:04d}",
        "nama": f"Warga {n}",
        "tempat_lahir": "Palangka Raya",
        "tanggal_lahir": born.isoformat(),
        "jenis_kelamin": "L",
        "status_kawin": "S",
        "alamat": "Jl. G. Obos",
        "rt": "1",
        "rw": "2",
        "disabilitas": "",
        "ktp_el": "S",
    } | over
    return [row[c] for c in HEADER]


NAME = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=60).filter(
    lambda s: s.strip()
)
VALID = st.fixed_dictionaries(
    {
        "tps": st.integers(1, 999).map(
            lambda n: st.sampled_from([str(n), f"{n:03d}", f"TPS {n:03d}"])
        ),
        "nama": NAME,
        "tempat_lahir": st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40),
        "alamat": st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=80),
        "tanggal_lahir": st.dates(min_value=dt.date(1905, 1, 1), max_value=dt.date(2008, 1, 1)),
        "jenis_kelamin": st.sampled_from(["L", "P", "l", "p"]),
        "status_kawin": st.sampled_from(["B", "S", "P"]),
        "rt": st.from_regex(r"\A[0-9]{0,3}\Z"),
        "rw": st.from_regex(r"\A[0-9]{0,3}\Z"),
        "disabilitas": st.lists(st.sampled_from("123456"), max_size=3),
        "ktp_el": st.sampled_from(["S", "B", "s", "b"]),
        "nik": st.from_regex(r"\A[0-9]{16}\Z"),
        "nkk": st.from_regex(r"\A[0-9]{16}\Z"),
    }
)


def test_valid_rows_round_trip(world):
    @FUZZ
    @given(st.lists(VALID, min_size=1, max_size=5, unique_by=lambda r: r["nik"]), st.data())
    def run(rows, data):
        cells = []
        for r in rows:
            r["tps"] = data.draw(r["tps"])
            born = r["tanggal_lahir"]
            r["tanggal_lahir"] = data.draw(
                st.sampled_from([born.isoformat(), born.strftime("%d-%m-%Y"), born])
            )
            r["disabilitas"] = ",".join(r["disabilitas"])
            cells.append(valid_row(0, **r))
        table = [(1, HEADER)] + [(i + 2, c) for i, c in enumerate(cells)]
        with transaction.atomic():
            result = import_table(table)
            assert result.voters == len(rows)
            stored = {v.nik: v for v in Voter.objects.filter(village_id=VILLAGE)}
            for r in rows:
                v = stored[r["nik"]]
                number = int(str(r["tps"]).removeprefix("TPS "))
                assert v.tps_id == f"{VILLAGE}.{number:03d}"
                assert v.nkk == r["nkk"]
                assert v.nama == " ".join(r["nama"].split())
                assert v.tempat_lahir == r["tempat_lahir"].strip()
                assert v.alamat == r["alamat"].strip()
                assert v.tanggal_lahir == parse_date(r["tanggal_lahir"])
                assert v.jenis_kelamin == r["jenis_kelamin"].upper()
                assert v.status_kawin == r["status_kawin"]
                assert v.rt == (r["rt"].zfill(3) if r["rt"] else "")
                assert v.rw == (r["rw"].zfill(3) if r["rw"] else "")
                assert v.disabilitas == ",".join(sorted(set(r["disabilitas"].split(",")) - {""}))
                assert v.ktp_el == (r["ktp_el"].upper() == "S")
            assert figures.mismatches(code=VILLAGE) == {}
            transaction.set_rollback(True)

    run()


BAD_CELLS = [
    ("nik", "627101410190000"),
    ("nkk", "62710101x0000001"),
    ("tanggal_lahir", "1990-13-40"),
    ("jenis_kelamin", "X"),
    ("status_kawin", "K"),
    ("tps", "0"),
    ("tps", "²"),
    ("ktp_el", "Y"),
    ("disabilitas", "7"),
    ("rt", "1234"),
    ("nama", " "),
    ("village", "62.71.99.9999"),
    ("village", "62.71.01.1001\x00"),
    ("nama", "Ani\x00"),
    ("alamat", "Jl.\x00"),
    ("tempat_lahir", "\x00"),
]


def test_a_bad_cell_is_reported_on_its_row_and_nothing_is_imported(world):
    @FUZZ
    @given(st.sampled_from(BAD_CELLS), st.integers(0, 3))
    def run(bad, where):
        column, value = bad
        rows = [valid_row(n) for n in range(1, 5)]
        rows[where][HEADER.index(column)] = value
        table = [(1, HEADER)] + [(i + 2, r) for i, r in enumerate(rows)]
        with pytest.raises(ImportRejected) as exc:
            in_savepoint(table)
        assert [(e.row, e.column) for e in exc.value.errors] == [(where + 2, column)]
        assert not Voter.objects.exists()

    run()


def test_nan_and_infinite_numbers_are_not_dates():
    assert parse_date(math.nan) is None and parse_date(math.inf) is None
