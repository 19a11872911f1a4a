"""Roster import (/pengguna/impor/): every row valid creates every account, else one line per
bad row and nothing created."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from kpu import roster, services
from kpu.models import AuditEntry, User
from kpu.services import DomainError, RosterInvalid

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECRET_RE = re.compile(r'<td class="secret">([^<]+)</td><td class="secret">([^<]+)</td>')


def xlsx(rows, header=("nama", "peran", "kode_wilayah", "telepon", "username")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("petugas.xlsx", out.getvalue(), content_type=XLSX)


def csv_file(text: str, name="petugas.csv", encoding="utf-8-sig"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _upload(client, upload):
    return client.post(reverse("kpu-roster-import"), {"berkas": upload})


def test_a_valid_roster_creates_every_account_and_shows_each_password_once(world, login):
    client = login(world.kpu)
    upload = xlsx(
        [
            ("Yohana Wenda", "pantarlih", "62.71.01.1001.001", 81234567890, ""),
            ("Agus Santoso", "PANTARLIH", "62.71.01.1001.001", "0813-1111-2222", ""),
            ("Dewi Lestari", "pps", "62.71.02.1001", "", "dewi.pps"),
            ("", "", "", "", ""),  # an empty row is skipped
            ("Budi", "ppk", "62.71.03", None, None),
        ]
    )
    before = User.objects.count()
    response = _upload(client, upload)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "4 akun dibuat" in body
    pairs = dict(SECRET_RE.findall(body))
    assert User.objects.count() == before + 4
    assert set(pairs) == {
        "pantarlih-62.71.01.1001.001",
        "pantarlih-62.71.01.1001.001-2",
        "dewi.pps",
        "ppk-62.71.03",
    }
    for username, password in pairs.items():
        account = User.objects.get(username=username)
        assert account.check_password(password) and password not in account.password
    yohana = User.objects.get(username="pantarlih-62.71.01.1001.001")
    assert (yohana.first_name, yohana.last_name, yohana.phone) == (
        "Yohana",
        "Wenda",
        "081234567890",
    )
    assert User.objects.get(username="pantarlih-62.71.01.1001.001-2").phone == "081311112222"
    # Every account is in the audit log, and the import itself once.
    assert AuditEntry.objects.filter(action="user_create", user=world.kpu).count() == 4
    entry = AuditEntry.objects.get(action="roster_import")
    assert sorted(entry.data["usernames"]) == sorted(pairs)
    assert not any(p in str(entry.data) for p in pairs.values())
    # The passwords are not shown again anywhere.
    listing = client.get(reverse("kpu-accounts")).content.decode()
    detail = client.get(reverse("kpu-account", args=[yohana.pk])).content.decode()
    for password in pairs.values():
        assert password not in listing and password not in detail


def test_a_csv_from_excel_with_semicolons_and_mixed_case_headers_is_read(world, login):
    text = "Nama;Peran;Kode Wilayah;Telepon\nMaria;pantarlih;62.71.01.1001.002;0812 9999 0000\n"
    response = _upload(login(world.pps), csv_file(text))
    assert "1 akun dibuat" in response.content.decode()
    account = User.objects.get(username="pantarlih-62.71.01.1001.002")
    assert account.phone == "081299990000" and account.area_id == "62.71.01.1001.002"


def test_bad_rows_are_listed_one_line_each_and_nothing_is_created(world, login):
    User.objects.create_user("dipakai", role="ppk", area_id="62.71.03")
    rows = [
        ("Benar Sekali", "pantarlih", "62.71.01.1001.001", "", ""),  # row 2: fine
        ("Salah Peran", "bupati", "62.71.01.1001.001", "", ""),  # 3
        ("Terlalu Tinggi", "pps", "62.71.01.1001", "", ""),  # 4: a PPS gives no PPS
        ("Desa Tetangga", "pantarlih", "62.71.01.1002.001", "", ""),  # 5: outside
        ("Tak Ada", "pantarlih", "62.71.01.1001.999", "", ""),  # 6: unknown TPS
        ("Salah Tingkat", "pantarlih", "62.71.01.1001", "", ""),  # 7: village, not TPS
        ("", "pantarlih", "62.71.01.1001.002", "12ab", ""),  # 8: no name, bad phone
        ("Nama Dipakai", "pantarlih", "62.71.01.1001.002", "", "Dipakai"),  # 9
        ("Kembar A", "pantarlih", "62.71.01.1001.002", "", "kembar"),  # 10
        ("Kembar B", "pantarlih", "62.71.01.1001.002", "", "kembar"),  # 11
        ("Benar Sekali", "pantarlih", "62.71.01.1001.001", "", ""),  # 12: row 2 again
    ]
    before_users, before_audit = User.objects.count(), AuditEntry.objects.count()
    response = _upload(login(world.pps), xlsx(rows))
    body = response.content.decode()
    assert "tidak ada akun yang dibuat" in body
    lines = re.findall(r'<tr><td class="num">(\d+)</td><td class="code">([^<]*)</td>', body)
    assert lines == [
        ("3", "peran"),
        ("4", "peran"),
        ("5", "kode_wilayah"),
        ("6", "kode_wilayah"),
        ("7", "kode_wilayah"),
        ("8", "nama, telepon"),
        ("9", "username"),
        ("11", "username"),
        ("12", "nama"),
    ]
    assert "tidak dapat memberi peran PPS" in body
    assert "62.71.01.1002.001 tidak ditemukan di wilayah Anda" in body
    assert "sudah ada di baris 10" in body and "sudah ada di baris 2" in body
    assert User.objects.count() == before_users
    assert AuditEntry.objects.count() == before_audit


def test_the_row_errors_read_as_lines_with_row_column_and_reason(world):
    """The same lines as the voter-list import's (kpu.tabular.RowError): one per bad row."""
    no_name_bad_phone = {"peran": "pantarlih", "kode_wilayah": "62.71.01.1001.001", "telepon": "1"}
    with pytest.raises(RosterInvalid) as exc:
        services.roster_import(
            by=world.kpu,
            rows=[
                (7, {"nama": "A", "peran": "ppk", "kode_wilayah": "62.71.01.1001"}),
                (8, {"nama": "", **no_name_bad_phone}),
            ],
        )
    seven, eight = exc.value.lines
    assert seven.startswith("Baris 7, kolom kode_wilayah: Peran PPK bekerja di tingkat")
    assert eight.startswith("Baris 8, kolom nama: ") and "; kolom telepon: " in eight
    assert str(exc.value).startswith("2 baris bermasalah")


def test_a_missing_column_is_named(world, login):
    upload = xlsx([("Yohana", "62.71.01.1001.001")], header=("nama", "kode_wilayah"))
    body = _upload(login(world.kpu), upload).content.decode()
    assert "Kolom wajib tidak ada di baris judul: peran" in body
    assert not AuditEntry.objects.exists()


def test_an_unreadable_file_or_another_format_is_refused(world, login):
    client = login(world.kpu)
    body = _upload(client, SimpleUploadedFile("a.xlsx", b"not a workbook")).content.decode()
    assert "tidak dapat dibaca" in body
    body = _upload(client, SimpleUploadedFile("a.pdf", b"%PDF")).content.decode()
    assert "Unggah berkas .xlsx atau .csv" in body


def test_a_clash_found_while_writing_undoes_the_whole_roster(world, monkeypatch):
    """Two officers importing at once: the second's insert fails, and none of its rows stay."""
    User.objects.create_user("pantarlih-62.71.01.1001.002", role="pantarlih", area=world.tps2)
    monkeypatch.setattr(services, "_taken_usernames", lambda **kw: set())
    rows = [
        (2, {"nama": "Satu", "peran": "pantarlih", "kode_wilayah": "62.71.01.1001.001"}),
        (3, {"nama": "Dua", "peran": "pantarlih", "kode_wilayah": "62.71.01.1001.002"}),
    ]
    before = User.objects.count()
    with pytest.raises(DomainError, match="unggah atau simpan lagi"):
        services.roster_import(by=world.pps, rows=rows)
    assert User.objects.count() == before
    assert not AuditEntry.objects.exists()


def test_the_same_roster_twice_creates_nobody_the_second_time(world, login):
    client = login(world.pps)
    rows = [("Yohana Wenda", "pantarlih", "62.71.01.1001.001", "", "")]
    assert "1 akun dibuat" in _upload(client, xlsx(rows)).content.decode()
    body = _upload(client, xlsx(rows)).content.decode()
    assert "sudah punya akun aktif" in body
    assert User.objects.filter(first_name="Yohana").count() == 1


def test_too_many_rows_are_refused(world):
    rows = [(n, {"nama": "x"}) for n in range(services.ROSTER_MAX_ROWS + 1)]
    with pytest.raises(DomainError, match="paling banyak"):
        services.roster_import(by=world.kpu, rows=rows)


def test_the_template_lists_only_what_the_user_may_give(world, login):
    response = login(world.pps).get(reverse("kpu-roster-template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb["Daftar petugas"]
    assert [c.value for c in sheet[1]] == roster.COLUMNS
    assert sheet["B2"].value == "pantarlih" and sheet["C2"].value == world.tps1.code
    codes = {row[0] for row in wb["Petunjuk"].iter_rows(values_only=True) if row and row[0]}
    assert {world.tps1.code, world.tps2.code} <= codes
    assert world.tps_panarung.code not in codes and world.village.code not in codes
    assert "pps" not in {row[0] for row in wb["Petunjuk"].iter_rows(values_only=True)}


def test_the_template_imports_as_it_is(world, login):
    client = login(world.kpu)
    template = client.get(reverse("kpu-roster-template")).content
    response = _upload(client, SimpleUploadedFile("contoh.xlsx", template, content_type=XLSX))
    assert "2 akun dibuat" in response.content.decode()


def test_ppk_and_pantarlih_cannot_import(world, login):
    for persona in (world.ppk, world.pantarlih):
        client = login(persona)
        rows = [("X", "pantarlih", "62.71.01.1001.001", "", "")]
        assert _upload(client, xlsx(rows)).status_code == 404
        assert client.get(reverse("kpu-roster-template")).status_code == 404
    assert not User.objects.filter(first_name="X").exists()


def test_a_superuser_without_an_area_gets_no_example_rows_from_the_whole_country(world, login):
    # The example rows and the list of codes follow one rule: areas within the user's own. Without
    # an area there is none (an empty prefix once matched every area in the country).
    root = User.objects.create_superuser("root", password="x-admin-pw-123")
    response = login(root).get(reverse("kpu-roster-template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert not [r for r in wb["Daftar petugas"].iter_rows(min_row=2, values_only=True) if any(r)]
    codes = {row[0] for row in wb["Petunjuk"].iter_rows(values_only=True) if row and row[0]}
    assert world.tps1.code not in codes and world.regency.code not in codes
