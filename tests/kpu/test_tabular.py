"""kpu.tabular: the reading both imports share (the voter list, the roster) and their row errors."""

from kpu import tabular
from kpu.tabular import RowError
from kpu.uploads import ROSTER


def test_rows_keep_the_spreadsheets_numbers_and_blank_rows_go():
    table = [["nama", "peran"], ["", None], ["Ani", "pantarlih"], ["  ", ""], [0.0, ""]]
    assert tabular.numbered(table) == [
        (1, ["nama", "peran"]),
        (3, ["Ani", "pantarlih"]),
        (5, [0.0, ""]),
    ]


def test_a_csv_is_split_on_the_separator_its_first_line_uses_most():
    for sep, other in ((";", ","), (",", ";"), ("\t", ",")):
        text = sep.join(["nama", "peran", "kode_wilayah"]) + f"\n\nAni{other} S.Pd{sep}pps\n"
        rows = tabular.csv_rows(text, limits=ROSTER)
        assert rows == [(1, ["nama", "peran", "kode_wilayah"]), (3, [f"Ani{other} S.Pd", "pps"])]


def test_header_cells_name_columns_whatever_their_case_spaces_and_hyphens():
    columns, twice = tabular.match_header(
        [" Tanggal  Lahir ", "KODE-WILAYAH", "", "nik", "NIK", 2024.0, "jenis_ kelamin"]
    )
    assert columns == {
        "tanggal_lahir": 0,
        "kode_wilayah": 1,
        "nik": 3,
        "2024": 5,
        "jenis_kelamin": 6,
    }
    assert twice == ["nik"]


def test_one_line_per_bad_row_in_row_order():
    errors = [
        RowError(9, "nik", "harus 16 angka"),
        RowError(4, "nama", "kosong"),
        RowError(9, "rt", "lebih dari 3 karakter"),
    ]
    assert tabular.row_lines(errors) == [
        "Baris 4, kolom nama: kosong",
        "Baris 9, kolom nik: harus 16 angka; kolom rt: lebih dari 3 karakter",
    ]
    assert [row for row, _es in tabular.by_row(errors)] == [4, 9]


def test_a_row_error_of_a_workbook_with_several_sheets_names_its_sheet():
    error = RowError(12, "NIK", "harus 16 angka", sheet="Model A-Daftar Pemilih")
    assert str(error) == "Model A-Daftar Pemilih, Baris 12, kolom NIK: harus 16 angka"
