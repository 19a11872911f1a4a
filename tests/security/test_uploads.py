"""Uploads inspected before parsing (SPEC 10 "Uploads", issue 15 items 1 and 7).

Each test names the attack it replays. The spreadsheets are built byte by byte, as an attacker
builds them, not by openpyxl (which would write an honest dimension). calamine is replaced by a
spy wherever the point is that it never sees the file: without the inspector the spy is called
(and the real calamine would abort the process, which no test could catch).
"""

import io
import os
import subprocess
import sys
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from coklit import importer
from coklit.models import Voter
from kpu import tabular, uploads
from kpu.models import User
from kpu.uploads import ROSTER, VOTER_LIST, UploadRejected, inspect_upload

OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Types xmlns="{PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{OOXML}.worksheet+xml"/>'
    "</Types>"
)
RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{REL}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def hand_made_xlsx(sheet_body, *, dimension: str | None = None) -> bytes:
    """An XLSX whose sheet XML is `sheet_body` (a str, or an iterable of str chunks)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(SHEET_HEAD.encode())
            if dimension:
                f.write(f'<dimension ref="{dimension}"/>'.encode())
            f.write(b"<sheetData>")
            for chunk in [sheet_body] if isinstance(sheet_body, str) else sheet_body:
                f.write(chunk.encode())
            f.write(b"</sheetData></worksheet>")
    return out.getvalue()


ROSTER_HEADER = (
    '<row r="1">' + _inline("A1", "nama") + _inline("B1", "peran") + _inline("C1", "kode_wilayah")
)


def xfd_bomb(*, dimension: bool = True) -> bytes:
    """Issue 15 item 1: cells A1..C1 and XFD1048576. calamine allocates the whole rectangle
    (16,384 x 1,048,576 cells, 512 GiB) and the process dies of SIGABRT."""
    body = ROSTER_HEADER + "</row>" + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return hand_made_xlsx(body, dimension="A1:XFD1048576" if dimension else None)


class CalamineSpy:
    """Stands in for CalamineWorkbook: records that a parser was reached."""

    calls: list = []

    @classmethod
    def from_filelike(cls, *args, **kwargs):
        cls.calls.append(args)
        raise AssertionError("calamine saw a file the inspector should have refused")

    from_path = from_filelike


@pytest.fixture
def calamine_spy(monkeypatch):
    import python_calamine

    CalamineSpy.calls = []
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", CalamineSpy)
    return CalamineSpy


def _upload_roster(client, name: str, data: bytes):
    return client.post(
        reverse("kpu-roster-import"), {"berkas": SimpleUploadedFile(name, data)}, follow=True
    )


# --- the XFD1048576 sheet -------------------------------------------------------------------


def test_the_1_6_kb_xfd1048576_sheet_is_small():
    assert len(xfd_bomb()) < 2048


@pytest.mark.django_db
@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "cell-only"])
def test_the_xfd1048576_roster_is_refused_before_calamine_sees_it(
    world, login, calamine_spy, dimension
):
    before = User.objects.count()
    response = _upload_roster(login(world.kpu), "petugas.xlsx", xfd_bomb(dimension=dimension))
    assert response.status_code == 200
    body = response.content.decode()
    # Declared, the dimension's column is met first; cell by cell, the row comes first.
    expected = "menyatakan sampai kolom XFD" if dimension else "memuat sampai baris 1.048.576"
    assert expected in body and "batasnya" in body
    assert calamine_spy.calls == [] and User.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("dimension", [True, False], ids=["declared", "cell-only"])
def test_the_xfd1048576_voter_list_is_refused_before_calamine_sees_it(
    world, tmp_path, calamine_spy, dimension
):
    path = tmp_path / "daftar.xlsx"
    path.write_bytes(xfd_bomb(dimension=dimension))
    with pytest.raises(CommandError, match="sampai (kolom XFD|baris 1.048.576)"):
        call_command("import_pemilih", str(path), "--village", "62.71.01.1001")
    assert calamine_spy.calls == [] and not Voter.objects.exists()


def test_the_xfd1048576_sheet_does_not_kill_the_process(tmp_path):
    """The real thing, in a child process so that a regression aborts the child, not the suite:
    read_table on the file answers a refusal and the child exits normally."""
    path = tmp_path / "bom.xlsx"
    path.write_bytes(xfd_bomb())
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kpu.settings');"
        "django.setup();"
        "from coklit.importer import read_table; from kpu.uploads import UploadRejected\n"
        "try:\n"
        f"    read_table({str(path)!r})\n"
        "except UploadRejected as exc:\n"
        "    print('refused:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=os.environ | {"DJANGO_TESTING": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused:" in done.stdout and "XFD" in done.stdout


# --- rows and columns -----------------------------------------------------------------------


def million_rows() -> bytes:
    """Issue 15 item 1: a 603 KB roster of 1,000,000 rows held a worker 9 s and 818 MB. Rows
    without `r` follow each other, so identical rows compress to almost nothing."""
    block = "<row>" + _inline("A1", "x").replace(' r="A1"', "") + "</row>"
    return hand_made_xlsx([ROSTER_HEADER + "</row>"] + [block * 10_000] * 100)


@pytest.mark.django_db
def test_a_million_row_roster_is_refused_at_the_row_cap(world, login, calamine_spy):
    data = million_rows()
    assert len(data) < ROSTER.max_bytes
    body = _upload_roster(login(world.kpu), "petugas.xlsx", data).content.decode()
    assert f"sampai baris {ROSTER.max_rows + 1:,}".replace(",", ".") in body
    assert calamine_spy.calls == []


def test_the_row_scan_stops_at_the_cap_without_reading_the_rest(monkeypatch):
    """Refused fast: the inspector stops decompressing at the first row past the cap."""
    fed = []
    real_feed = uploads._SheetScan.feed

    def counting_feed(self, chunk):
        fed.append(len(chunk))
        return real_feed(self, chunk)

    monkeypatch.setattr(uploads._SheetScan, "feed", counting_feed)
    with pytest.raises(UploadRejected, match="memuat sampai baris 10.002"):
        inspect_upload(million_rows(), limits=ROSTER)
    assert 0 < sum(fed) < 2 * 1024 * 1024  # of about 50 MB of sheet XML


def test_a_declared_million_rows_is_refused_from_the_dimension_alone():
    data = hand_made_xlsx(ROSTER_HEADER + "</row>", dimension="A1:C1000000")
    with pytest.raises(UploadRejected, match="menyatakan sampai baris 1.000.000"):
        inspect_upload(data, limits=ROSTER)


def test_cells_without_a_position_are_counted_in_order():
    """A cell without `r` sits after the one before it: the 33rd is column AG, past the cap."""
    body = "<row>" + "<c><v>1</v></c>" * 40 + "</row>"
    with pytest.raises(UploadRejected, match="sampai kolom AG"):
        inspect_upload(hand_made_xlsx(body), limits=ROSTER)
    rows = "<row><c><v>1</v></c></row>" * (ROSTER.max_rows + 1)
    with pytest.raises(UploadRejected, match="baris"):
        inspect_upload(hand_made_xlsx(rows), limits=ROSTER)


def test_an_honest_workbook_passes_and_reads_as_before():
    wb = Workbook()
    ws = wb.active
    ws.append(["nama", "peran", "kode_wilayah"])
    for n in range(500):
        ws.append([f"Petugas {n}", "pantarlih", "62.71.01.1001.001"])
    out = io.BytesIO()
    wb.save(out)
    assert inspect_upload(out.getvalue(), limits=ROSTER) == uploads.XLSX


# --- zip bombs ------------------------------------------------------------------------------


def zip_bomb(megabytes: int) -> bytes:
    """Issue 15 item 1: a 1.5 MB file whose XML unpacks to 1.5 GB took 2.95 GB of a worker.
    Whitespace between rows is valid XML and compresses a thousandfold."""
    pad = " " * (1024 * 1024)
    return hand_made_xlsx([ROSTER_HEADER + "</row>"] + [pad] * megabytes, dimension="A1:C1")


def test_a_zip_bomb_is_refused_by_its_ratio_before_it_is_unpacked():
    data = zip_bomb(200)
    assert len(data) < 400 * 1024
    with pytest.raises(UploadRejected, match="bom zip"):
        inspect_upload(data, limits=VOTER_LIST)


@pytest.mark.django_db
def test_a_zip_bomb_roster_is_a_message(world, login, calamine_spy):
    body = _upload_roster(login(world.kpu), "petugas.xlsx", zip_bomb(50)).content.decode()
    assert "bom zip" in body and calamine_spy.calls == []


def test_an_entry_that_unpacks_past_its_declared_size_is_refused():
    """The sizes a zip declares can lie: a sheet whose header says 100 bytes."""
    data = bytearray(hand_made_xlsx(ROSTER_HEADER + "</row>" + " " * 5000))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Rewrite the declared size in the local header and in the central directory.
    real = info.file_size.to_bytes(4, "little")
    assert data.count(real) >= 1
    data = data.replace(real, (100).to_bytes(4, "little"))
    with pytest.raises(UploadRejected):
        inspect_upload(bytes(data), limits=VOTER_LIST)


def test_too_many_entries_or_a_non_xlsx_zip_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for n in range(ROSTER.max_entries + 1):
            zf.writestr(f"x/{n}.xml", "")
    with pytest.raises(UploadRejected, match="bagian"):
        inspect_upload(out.getvalue(), limits=ROSTER)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("content.xml", "<office:document/>")  # an ODS or any other zip
    with pytest.raises(UploadRejected, match="bukan XLSX"):
        inspect_upload(out.getvalue(), limits=ROSTER)
    with pytest.raises(UploadRejected, match="bukan XLSX yang utuh"):
        inspect_upload(b"PK\x03\x04broken", limits=ROSTER)
    with pytest.raises(UploadRejected, match=r"\.xls"):
        inspect_upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, limits=ROSTER)


# --- CSV ------------------------------------------------------------------------------------

ROSTER_CSV = "nama,peran,kode_wilayah\nYohana,pantarlih,62.71.01.1001.001\n"


@pytest.mark.django_db
def test_a_roster_csv_with_a_nul_byte_is_a_message_not_a_500(world, login):
    """Issue 15 item 7."""
    data = ROSTER_CSV.encode() + b"Agus\x00,pantarlih,62.71.01.1001.001\n"
    response = _upload_roster(login(world.kpu), "petugas.csv", data)
    assert response.status_code == 200
    assert "byte NUL (baris 3)" in response.content.decode()


@pytest.mark.django_db
def test_a_roster_csv_with_a_131_073_character_field_is_a_message_not_a_500(world, login):
    """Issue 15 item 7: csv.reader's own cap is 131,072 characters and it raises past it."""
    data = (ROSTER_CSV + "A" * 131_073 + ",pantarlih,62.71.01.1001.001\n").encode()
    response = _upload_roster(login(world.kpu), "petugas.csv", data)
    assert response.status_code == 200
    assert "Baris 3" in response.content.decode()
    assert User.objects.filter(username__startswith="pantarlih-").count() == 0


def test_a_field_over_the_cap_is_refused_even_under_pythons_cap():
    text = ROSTER_CSV + "A" * (ROSTER.max_field + 1) + ",pantarlih,62.71.01.1001.001\n"
    with pytest.raises(UploadRejected, match="Baris 3 berisi isian lebih dari 2.000"):
        tabular.csv_rows(text, limits=ROSTER)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,message",
    [
        (b"village,tps,nik\n62.71.01.1001,1,\x00\n", "byte NUL"),
        (b"village,tps,nik\n62.71.01.1001,1," + b"9" * 131_073 + b"\n", "Baris 2"),
    ],
    ids=["nul", "131073"],
)
def test_a_voter_list_csv_with_nul_or_a_huge_field_is_a_message(world, tmp_path, data, message):
    path = tmp_path / "daftar.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        call_command("import_pemilih", str(path))
    assert not Voter.objects.exists()


def test_a_roster_over_2_mb_is_refused_by_size():
    with pytest.raises(UploadRejected, match="lebih dari batas 2 MB"):
        inspect_upload(b"x" * (ROSTER.max_bytes + 1), limits=ROSTER)


def test_read_table_still_reads_an_honest_csv(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("nama;nik\nAni;1\n\nBudi;2\n", encoding="utf-8")
    assert importer.read_table(path) == [
        (1, ["nama", "nik"]),
        (2, ["Ani", "1"]),
        (4, ["Budi", "2"]),
    ]


@pytest.mark.parametrize(
    "cell",
    [
        '<c t="n" r="XFD1"><v>1</v></c>',  # `r` not first
        '<c\nr="XFD1"><v>1</v></c>',  # another spacing
        "<c r='XFD1'><v>1</v></c>",  # other quotes
    ],
    ids=["r-second", "newline", "quotes"],
)
def test_a_cell_written_unlike_excel_cannot_slip_past_the_fast_scan(cell):
    body = ROSTER_HEADER + "</row>" + '<row r="2">' + cell + "</row>"
    with pytest.raises(UploadRejected, match="sampai kolom XFD"):
        inspect_upload(hand_made_xlsx(body), limits=ROSTER)


def test_a_namespaced_sheet_is_read_with_its_prefix():
    xml = (
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<x:sheetData><x:row r="1"><x:c r="XFD1"><x:v>1</x:v></x:c></x:row></x:sheetData>'
        "</x:worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/somewhere/else.bin", xml)  # calamine follows the rels, not the name
    with pytest.raises(UploadRejected, match="sampai kolom XFD"):
        inspect_upload(out.getvalue(), limits=ROSTER)
