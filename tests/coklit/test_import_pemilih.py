"""import_pemilih (SPEC 5): every rule, all or nothing, flags, and figures equal to a recount."""

import csv
import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from coklit import figures
from coklit.importer import COLUMNS, ImportRejected, import_pemilih
from coklit.models import TpsFigures, Voter
from coklit.synthetic import VoterFactory, write_csv
from kpu.models import Area, AuditEntry, Pemilihan
from tests.coklit.workflow import set_pleno

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
HEADER = ",".join(COLUMNS)
# A valid row: Rina, a woman born 1 Jan 1990 (NIK day 01 + 40 = 41), in Pahandut TPS 001.
GOOD = {
    "village": "62.71.01.1001",
    "tps": "1",
    "nkk": "6271010101100001",
    "nik": "6271014101900001",
    "nama": "Rina Bungai",
    "tempat_lahir": "Palangka Raya",
    "tanggal_lahir": "1990-01-01",
    "jenis_kelamin": "P",
    "status_kawin": "S",
    "alamat": "Jl. G. Obos No. 1",
    "rt": "1",
    "rw": "002",
    "disabilitas": "",
    "ktp_el": "S",
}


def csv_file(tmp_path, *rows: dict, header=COLUMNS, delimiter=",", name="daftar.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows([r.get(c, "") for c in header] for r in rows)
    return path


def row(**changes) -> dict:
    return GOOD | changes


def run(path, **options) -> str:
    out = StringIO()
    call_command("import_pemilih", str(path), stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def rejected(path, **options) -> list[str]:
    """The error lines of an import that must fail, after checking it wrote nothing."""
    voters, areas, audits = Voter.objects.count(), Area.objects.count(), AuditEntry.objects.count()
    err = StringIO()
    with pytest.raises(CommandError, match="tidak ada yang diimpor"):
        call_command("import_pemilih", str(path), stdout=StringIO(), stderr=err, **options)
    assert (Voter.objects.count(), Area.objects.count(), AuditEntry.objects.count()) == (
        voters,
        areas,
        audits,
    )
    return err.getvalue().splitlines()


def test_it_imports_the_sample_list(world):
    out = run(DATA / "pemilih-contoh.csv")
    assert "Diimpor 20 pemilih ke 3 TPS (2 TPS baru) di 2 kelurahan/desa" in out
    assert Voter.objects.count() == 20
    # Both date forms of the sample, and the codes, land as the model stores them.
    intan = Voter.objects.get(nik="6271010810720002")
    assert intan.tanggal_lahir == dt.date(1972, 10, 8)
    assert (intan.tps_id, intan.village_id) == ("62.71.01.1002.001", "62.71.01.1002")
    assert (intan.rt, intan.rw, intan.ktp_el, intan.status) == ("004", "004", False, "BELUM")
    assert Voter.objects.get(nik="6271015812620001").disabilitas == "6"
    assert Voter.objects.filter(flags="").count() == 20
    tps = TpsFigures.objects.get(tps_id="62.71.04.1002.001")
    assert (tps.target_l, tps.target_p, tps.village_code) == (1, 5, "62.71.04.1002")
    assert figures.mismatches(code="62.71") == {}
    entry = AuditEntry.objects.get(action="import_pemilih")
    assert (entry.area_code, entry.target, entry.data["voters"]) == (
        "62.71",
        "pemilih-contoh.csv",
        20,
    )


def test_it_reports_each_bad_row_of_the_sample_and_imports_nothing(world):
    lines = rejected(DATA / "pemilih-salah.csv")
    assert [line.split(":")[0] for line in lines] == [
        "Baris 2, kolom nik",
        "Baris 3, kolom tanggal_lahir",
        "Baris 4, kolom village",
        "Baris 6, kolom nik",
        "Baris 7, kolom status_kawin",
        "Baris 8, kolom disabilitas",
    ]
    assert "sudah ada di baris 5" in lines[3]
    assert not Area.objects.filter(code="62.71.01.1002.002").exists()


@pytest.mark.parametrize(
    "column,value,reason",
    [
        ("nik", "627101410190000", "16 angka"),
        ("nik", "62710141019000001", "16 angka"),
        ("nik", "62710141019O0001", "16 angka"),
        ("nkk", "627101010110001", "16 angka"),
        ("village", "62.71.01.9999", "tidak dikenal"),
        ("village", "62.71.01", "tidak dikenal"),  # a district, not a village
        ("village", "", "kosong"),
        ("tps", "0", "nomor TPS"),
        ("tps", "-2", "nomor TPS"),
        ("tps", "satu", "nomor TPS"),
        ("tps", "1000", "nomor TPS"),
        ("nama", "", "kosong"),
        ("tanggal_lahir", "1990-02-30", "tanggal tidak valid"),
        ("tanggal_lahir", "31-04-1990", "tanggal tidak valid"),
        ("tanggal_lahir", "01/13/1990", "tanggal tidak valid"),
        ("tanggal_lahir", "1 Januari 1990", "tanggal tidak valid"),
        ("tanggal_lahir", "2999-01-01", "belum terjadi"),
        ("jenis_kelamin", "W", "L atau P"),
        ("status_kawin", "K", "B (belum)"),
        ("disabilitas", "0", "tidak dikenal"),
        ("disabilitas", "1,7", "tidak dikenal"),
        ("ktp_el", "Y", "S (sudah) atau B (belum)"),
        ("ktp_el", "", "S (sudah) atau B (belum)"),
        ("rt", "0001", "lebih dari 3"),
    ],
)
def test_it_rejects_a_bad_cell(world, tmp_path, column, value, reason):
    other = row(nik="6271014202900002", nama="Sari")
    lines = rejected(csv_file(tmp_path, other, row(**{column: value})))
    assert len(lines) == 1
    assert lines[0].startswith(f"Baris 3, kolom {column}: ")
    assert reason in lines[0]


def test_a_row_with_several_problems_is_one_line_naming_each(world, tmp_path):
    lines = rejected(csv_file(tmp_path, row(nik="1", jenis_kelamin="X")))
    assert lines == [
        'Baris 2, kolom nik: NIK harus 16 angka, bukan "1"; '
        'kolom jenis_kelamin: harus L atau P, bukan "X"'
    ]


def test_a_missing_required_column_is_reported_on_the_header_row(world, tmp_path):
    header = [c for c in COLUMNS if c not in ("nik", "ktp_el")]
    lines = rejected(csv_file(tmp_path, row(), header=header))
    assert lines == [
        "Baris 1, kolom nik: kolom wajib tidak ada; kolom ktp_el: kolom wajib tidak ada"
    ]


def test_optional_columns_may_be_left_out(world, tmp_path):
    header = [c for c in COLUMNS if c not in ("tempat_lahir", "alamat", "rt", "rw", "disabilitas")]
    run(csv_file(tmp_path, row(), header=header))
    assert Voter.objects.get().alamat == ""


def test_a_nik_twice_in_the_file_names_the_first_row(world, tmp_path):
    lines = rejected(csv_file(tmp_path, row(), row(tps="2", nama="Rina lagi")))
    assert lines == [
        "Baris 3, kolom nik: NIK 6271014101900001 dua kali: sudah ada di baris 2",
    ]


def test_a_nik_already_in_the_same_tps_is_rejected(world, tmp_path):
    run(csv_file(tmp_path, row()))
    lines = rejected(csv_file(tmp_path, row(nama="Rina B."), name="lagi.csv"))
    assert lines == [
        "Baris 2, kolom nik: NIK 6271014101900001 sudah terdaftar di 62.71.01.1001.001"
    ]


def test_a_nik_already_in_another_tps_is_flagged_on_both_sides(world, tmp_path):
    run(csv_file(tmp_path, row()))
    before = TpsFigures.objects.get(tps_id="62.71.01.1001.001").version
    out = run(csv_file(tmp_path, row(village="62.71.01.1002"), name="panarung.csv"))
    assert "dan 1 pemilih yang sudah ada" in out
    first, second = Voter.objects.order_by("id")
    assert first.flag_list == ["nik_tps_lain"] and second.flag_list == ["nik_tps_lain"]
    first_tps = TpsFigures.objects.get(tps_id="62.71.01.1001.001")
    assert (first_tps.flagged, first_tps.version) == (1, before + 1)
    assert figures.mismatches(code="62.71") == {}


def test_village_option_fills_the_village_and_guards_it(world, tmp_path):
    header = [c for c in COLUMNS if c != "village"]
    run(csv_file(tmp_path, row(), header=header), village="62.71.01.1002")
    assert Voter.objects.get().tps_id == "62.71.01.1002.001"
    other = csv_file(
        tmp_path, row(nik="6271014202900002", village="62.71.01.1001"), name="lain.csv"
    )
    lines = rejected(other, village="62.71.01.1002")
    assert lines[0].startswith("Baris 2, kolom village: baris ini untuk 62.71.01.1001")


def test_it_reads_semicolons_a_bom_and_headers_in_any_case(world, tmp_path):
    header = [c.upper() if i % 2 else f" {c.title()} " for i, c in enumerate(COLUMNS)]
    lines = [";".join(header), ";".join(row(tanggal_lahir="01-01-1990").values())]
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n\r\n;;;\r\n")
    run(path)
    assert Voter.objects.get().tanggal_lahir == dt.date(1990, 1, 1)


def test_row_numbers_are_those_the_spreadsheet_shows(world, tmp_path):
    path = tmp_path / "kosong.csv"
    path.write_text(
        HEADER + "\n" + ",".join(row().values()) + "\n\n" + ",".join(row(nik="x").values()) + "\n"
    )
    assert rejected(path)[0].startswith("Baris 4, kolom nik")


def test_a_file_that_is_not_utf8_is_refused_with_advice(world, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "\n" + ",".join(row(nama="Désiré").values())).encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        run(path)
    assert not Voter.objects.exists()


def test_a_village_whose_pleno_is_held_takes_no_import(world, tmp_path):
    set_pleno(world.village)
    lines = rejected(csv_file(tmp_path, row()))
    assert "Rapat pleno PPS Kelurahan Pahandut sudah dilaksanakan" in lines[0]


def xlsx_file(tmp_path, rows: list[list]) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append(r)
    path = tmp_path / "daftar.xlsx"
    wb.save(path)
    return path


def test_it_imports_xlsx_with_excel_dates(world, tmp_path):
    cells = [GOOD[c] for c in COLUMNS]
    date_at, tps_at, nik_at = (COLUMNS.index(c) for c in ("tanggal_lahir", "tps", "nik"))

    def with_(**kw):
        out = list(cells)
        for i, v in kw.items():
            out[int(i)] = v
        return out

    path = xlsx_file(
        tmp_path,
        [
            with_(**{str(date_at): dt.date(1990, 1, 1), str(tps_at): 1}),
            # A date cell with a time, and a date typed as Excel's day number (1990-01-02).
            with_(
                **{
                    str(nik_at): "6271014201900002",
                    str(date_at): dt.datetime(1990, 1, 2, 0, 0),
                }
            ),
            with_(**{str(nik_at): "6271014301900003", str(date_at): 32876}),
        ],
    )
    out = run(path)
    assert "Diimpor 3 pemilih" in out
    assert list(Voter.objects.order_by("nik").values_list("tanggal_lahir", flat=True)) == [
        dt.date(1990, 1, 1),
        dt.date(1990, 1, 2),
        dt.date(1990, 1, 3),
    ]
    assert Voter.objects.filter(flags="").count() == 3
    assert figures.mismatches(code="62.71") == {}


def test_a_nik_stored_as_a_number_in_xlsx_is_refused(world, tmp_path):
    cells = [GOOD[c] for c in COLUMNS]
    cells[COLUMNS.index("nik")] = 6271014101900001
    lines = rejected(xlsx_file(tmp_path, [cells]))
    assert lines[0].startswith("Baris 2, kolom nik: NIK tersimpan sebagai angka")


def test_a_bad_row_last_in_a_big_file_leaves_everything_untouched(world, tmp_path):
    factory = VoterFactory(seed=5, voting_day=dt.date(2026, 11, 27))
    rows = factory.tps_voters(village="62.71.01.1001", village_name="Pahandut", tps=1, n=500)
    rows += factory.tps_voters(village="62.71.01.1003", village_name="Langkai", tps=4, n=500)
    rows += [rows[-1] | {"nik": rows[-1]["nik"][:15]}]
    path = tmp_path / "besar.csv"
    write_csv(path, rows)
    figures_before = list(TpsFigures.objects.order_by("tps_id").values())
    lines = rejected(path)
    assert lines == [f'Baris 1002, kolom nik: NIK harus 16 angka, bukan "{rows[-1]["nik"]}"']
    assert list(TpsFigures.objects.order_by("tps_id").values()) == figures_before
    assert not Area.objects.filter(code="62.71.01.1003.004").exists()


def test_figures_equal_a_recount_after_a_synthetic_import(world, tmp_path):
    factory = VoterFactory(seed=9, voting_day=dt.date(2026, 11, 27))
    rows = []
    for n in (1, 2, 3):
        rows += factory.tps_voters(village="62.71.01.1001", village_name="Pahandut", tps=n, n=150)
    write_csv(tmp_path / "s.csv", rows, delimiter=";")
    run(tmp_path / "s.csv")
    assert Voter.objects.count() == 450
    assert figures.mismatches(code="62.71.01.1001") == {}
    totals = figures.area_totals(area=world.village)
    assert totals["target_l"] + totals["target_p"] == 450
    assert totals["flagged"] == Voter.objects.exclude(flags="").count()


@pytest.mark.parametrize(
    "changes,flags",
    [
        # The NIK's day is 01 + 40: a woman born 1 January 1990. Now she is not.
        ({"tanggal_lahir": "1990-01-02"}, ["nik_tgl"]),
        ({"tanggal_lahir": "1991-01-01"}, ["nik_tgl"]),
        ({"jenis_kelamin": "L"}, ["nik_jk"]),
        ({"nik": "6271010101900001"}, ["nik_jk"]),  # the +40 forgotten
        ({"nik": "6271019901900001"}, ["nik_tgl"]),  # day 99 - 40 = 59: no date at all
        ({"nik": "6271014101000001", "tanggal_lahir": "1900-01-01"}, ["umur_120"]),
        ({"nik": "9404014101900001"}, []),  # another region's NIK: never a reason
    ],
)
def test_suspicious_rows_are_imported_and_flagged(world, tmp_path, changes, flags):
    out = run(csv_file(tmp_path, row(**changes)))
    assert Voter.objects.get().flag_list == flags
    assert ("Ditandai" in out) == bool(flags)
    assert figures.mismatches(code="62.71") == {}


def test_under_17_on_voting_day_is_flagged_unless_married(world, tmp_path):
    Pemilihan.objects.create(
        regency=world.regency,
        name="Pilkada",
        voting_day=dt.date(2030, 6, 1),
        coklit_start=dt.date(2030, 1, 1),
        coklit_end=dt.date(2030, 2, 1),
    )
    young = dict(tanggal_lahir="2013-06-02", nik="6271014206130001", status_kawin="B")
    seventeen = dict(tanggal_lahir="2013-06-01", nik="6271014106130002", status_kawin="B")
    married = dict(tanggal_lahir="2014-01-01", nik="6271014101140003", status_kawin="S")
    run(csv_file(tmp_path, row(**young), row(**seventeen), row(**married)))
    flags = dict(Voter.objects.values_list("nik", "flags"))
    assert flags == {young["nik"]: "bawah_umur", seventeen["nik"]: "", married["nik"]: ""}


def test_a_tps_over_600_flags_all_its_voters_old_and_new(world, tmp_path):
    factory = VoterFactory(seed=3, voting_day=dt.date(2026, 11, 27))
    rows = factory.tps_voters(village="62.71.01.1001", village_name="Pahandut", tps=1, n=602)
    write_csv(tmp_path / "a.csv", rows[:500])
    run(tmp_path / "a.csv")
    assert not Voter.objects.filter(flags__contains="tps_600").exists()
    write_csv(tmp_path / "b.csv", rows[500:])
    out = run(tmp_path / "b.csv")
    assert "dan 500 pemilih yang sudah ada" in out
    assert Voter.objects.filter(flags__contains="tps_600").count() == 602
    assert TpsFigures.objects.get(tps_id="62.71.01.1001.001").flagged == 602
    assert figures.mismatches(code="62.71") == {}


def test_the_service_raises_with_the_errors(world, tmp_path):
    with pytest.raises(ImportRejected) as exc:
        import_pemilih(csv_file(tmp_path, row(jenis_kelamin="")))
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "jenis_kelamin")]
