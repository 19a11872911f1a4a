"""Recaps (rekap.xlsx, cetak) and DPS lists (dps.xlsx), opened again and checked figure by
figure."""

import datetime as dt
import re
from io import BytesIO

import pytest
from django.db import transaction
from openpyxl import load_workbook

from coklit import figures, selectors, services
from coklit.exports import children_figures_as_filed, tanggal
from coklit.masking import mask_nik
from coklit.models import FIGURE_FIELDS, TpsFigures, Voter
from kpu.models import AuditEntry
from kpu.services import DomainError
from tests.coklit.test_figures import make_voter
from tests.coklit.workflow import set_pleno

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(world, pemilihan):
    """Every TPS of Palangka Raya with different, large figures (thousands separators show)."""
    for n, row in enumerate(TpsFigures.objects.filter(regency_code="62.71").order_by("tps_id")):
        values = {k: (n + 1) * 7 + i for i, k in enumerate(FIGURE_FIELDS)}
        values |= {"target_l": 1200 + 37 * n, "target_p": 1100 + 41 * n, "done": 999 + 13 * n}
        TpsFigures.objects.filter(pk=row.pk).update(**values)
    return world


def test_indonesian_dates():
    assert tanggal(dt.date(2026, 11, 23)) == "23 November 2026"
    assert tanggal(dt.date(2027, 2, 1)) == "1 Februari 2027"


def test_file_names_say_what_where_and_when(world, pemilihan, login):
    day = pemilihan.today().isoformat()
    r = login(world.ppk).get("/wilayah/62.71.01/rekap.xlsx")
    assert r["Content-Disposition"] == (
        f'attachment; filename="rekap-coklit-62.71.01-pahandut-{day}.xlsx"'
    )
    assert "no-store" in r["Cache-Control"]
    r = login(world.pps).get("/wilayah/62.71.01.1001/dps.xlsx")
    assert (
        r["Content-Disposition"] == f'attachment; filename="dps-62.71.01.1001-pahandut-{day}.xlsx"'
    )
    r = login(world.pps).get("/wilayah/62.71.01.1001.001/dps.xlsx")
    assert r["Content-Disposition"] == (
        f'attachment; filename="dps-62.71.01.1001.001-tps-001-{day}.xlsx"'
    )


@pytest.mark.parametrize(
    "url",
    [
        "/wilayah/62.71.01.1001.001/rekap.xlsx",
        "/wilayah/62.71.01.1001.001/cetak/",
        "/wilayah/62/rekap.xlsx",
        "/wilayah/62.71/dps.xlsx",
        "/wilayah/62.71.01/dps.xlsx",
        "/wilayah/62.71.09/rekap.xlsx",
    ],
)
def test_levels_without_the_export_are_404(world, login, url):
    assert login(world.kpu).get(url).status_code == 404


# --- Figures as filed: a held pleno's village cannot change, so its recap is its live sums.


def test_a_held_villages_recap_is_its_figures_which_no_longer_move(counted, login):
    set_pleno(counted.village)
    rows = dict((a.code, f) for a, f in children_figures_as_filed(area=counted.district))
    live = selectors.area_figures(area=counted.village)
    assert rows[counted.village.code]["dps_l"] == live["dps_l"]
    with pytest.raises(DomainError, match="terkunci"):
        services.village_editable_or_raise(counted.village)


# --- The print page.


def test_the_print_css_is_a4_landscape_and_f4_on_request():
    from pathlib import Path

    css = (Path(__file__).parents[2] / "static/css/app.css").read_text()
    assert re.search(r"@page rekap \{\s*size: A4 landscape;", css)
    assert re.search(r"@page rekap-f4 \{\s*size: 330mm 215mm;", css)
    assert "page: rekap" in css


def test_the_area_page_links_to_its_exports(world, login):
    html = login(world.pps).get("/wilayah/62.71.01.1001/").content.decode()
    for url in ("rekap.xlsx", "cetak/", "dps.xlsx"):
        assert f'href="/wilayah/62.71.01.1001/{url}"' in html
    html = login(world.pps).get("/wilayah/62.71.01.1001.001/").content.decode()
    assert 'href="/wilayah/62.71.01.1001.001/dps.xlsx"' in html and "rekap.xlsx" not in html


# --- The DPS list.


def _add(voters):
    with transaction.atomic():
        figures.apply(figures.delta([], voters))


@pytest.fixture
def listed(world, pemilihan):
    """Voters of Pahandut in every state; the ones in the DPS say so in their name."""
    nik = iter(range(10**15, 10**15 + 100))
    v = lambda tps, **kw: make_voter(  # noqa: E731
        tps, nik=f"627101{next(nik) % 10**10:010d}", nkk=f"627101{next(nik) % 10**10:010d}", **kw
    )
    voters = [
        v(world.tps1, nama="DPS Ani", status="MS", tanggal_lahir=dt.date(1990, 11, 28)),
        v(world.tps1, nama="DPS Budi", jenis_kelamin="L", status="UBAH", verification="pending"),
        v(world.tps1, nama="DPS Citra", origin="BARU", status="BARU", verification="approved"),
        v(
            world.tps1,
            nama="Dedi baru ditolak",
            origin="BARU",
            status="BARU",
            verification="rejected",
        ),
        v(
            world.tps1,
            nama="Eka baru menunggu",
            origin="BARU",
            status="BARU",
            verification="pending",
        ),
        v(world.tps1, nama="DPS Fajar belum", status="BELUM"),
        v(world.tps1, nama="DPS Kiki ubah", status="UBAH", verification="approved"),
        v(world.tps1, nama="Gita meninggal", status="TMS", tms_reason=1, verification="approved"),
        v(
            world.tps1,
            nama="DPS Hadi pindah",
            jenis_kelamin="L",
            status="TMS",
            tms_reason=8,
            dps_tps=world.tps2,
            verification="approved",
            disabilitas="1,6",
        ),
        v(
            world.tps1,
            nama="DPS Indah pindah menunggu",
            status="TMS",
            tms_reason=8,
            dps_tps=world.tps2,
            verification="pending",
        ),
        v(world.tps2, nama="DPS Joko", jenis_kelamin="L", status="MS", rt="002", rw="001"),
        v(world.tps_panarung, nama="Panarung MS", status="MS"),
    ]
    _add(voters)
    return voters


def _sheet_rows(ws):
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No")
    header = [c.value for c in ws[head]][:10]
    out = []
    for row in ws.iter_rows(min_row=head + 1, values_only=True):
        if not isinstance(row[0], int):
            break
        out.append(dict(zip(header, row, strict=False)))
    return header, out


def _open(response):
    assert response.status_code == 200
    return load_workbook(BytesIO(response.getvalue()))


def test_the_dps_of_a_tps_lists_exactly_its_dps_voters(listed, world, login):
    wb = _open(login(world.pps).get("/wilayah/62.71.01.1001.001/dps.xlsx"))
    assert wb.sheetnames == ["TPS 001"]
    header, rows = _sheet_rows(wb["TPS 001"])
    assert header == [
        "No",
        "NKK",
        "NIK",
        "Nama",
        "Jenis Kelamin",
        "Usia",
        "Alamat",
        "RT",
        "RW",
        "Keterangan",
    ]
    assert sorted(r["Nama"] for r in rows) == [
        "DPS Ani",
        "DPS Budi",
        "DPS Citra",
        "DPS Fajar belum",
        "DPS Indah pindah menunggu",
        "DPS Kiki ubah",
    ]
    figs = selectors.area_figures(area=world.tps1)
    assert len(rows) == figs["dps_l"] + figs["dps_p"]
    by_name = {r["Nama"]: r for r in rows}
    # Keterangan as codes; a change still waiting for the PPS shows nothing yet.
    assert by_name["DPS Kiki ubah"]["Keterangan"] == "U"
    assert by_name["DPS Citra"]["Keterangan"] == "B"
    assert by_name["DPS Budi"]["Keterangan"] in (None, "")
    assert by_name["DPS Ani"]["Keterangan"] in (None, "")
    assert by_name["DPS Ani"]["Usia"] == 35  # 36 the day after voting day: age on voting day
    assert [r["No"] for r in rows] == [1, 2, 3, 4, 5, 6]


def test_the_dps_of_a_village_has_a_sheet_per_tps(listed, world, login):
    wb = _open(login(world.pps).get("/wilayah/62.71.01.1001/dps.xlsx"))
    assert wb.sheetnames == ["TPS 001", "TPS 002"]
    _, rows = _sheet_rows(wb["TPS 002"])
    assert [r["Nama"] for r in rows] == ["DPS Hadi pindah", "DPS Joko"]
    assert rows[0]["Keterangan"] == "B pindahan TPS 001"
    figs = selectors.area_figures(area=world.tps2)
    assert len(rows) == figs["dps_l"] + figs["dps_p"]
    texts = "\n".join(str(c.value) for row in wb["TPS 002"].iter_rows() for c in row if c.value)
    assert "L: 2   P: 0   L+P: 2" in texts
    assert "PANITIA PEMUNGUTAN SUARA KELURAHAN PAHANDUT" in texts
    assert AuditEntry.objects.filter(action="dps_export", area_code="62.71.01.1001").exists()


def test_no_full_nik_or_nkk_and_no_birth_date_in_a_dps_list(listed, world, login):
    wb = _open(login(world.pps).get("/wilayah/62.71.01.1001/dps.xlsx"))
    secrets = {v.nik for v in listed} | {v.nkk for v in listed}
    seen_masked = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = str(cell.value)
                assert not re.search(r"\d{7,}", text), text
                assert not any(s in text for s in secrets)
                assert not isinstance(cell.value, dt.date | dt.datetime)
                seen_masked.update(re.findall(r"\d{4}\*{10}\d{2}", text))
    ani = next(v for v in listed if v.nama == "DPS Ani")
    assert mask_nik(ani.nik) in seen_masked and mask_nik(ani.nkk) in seen_masked


def test_the_dps_query_agrees_with_the_figures_rule(listed, world):
    from coklit.exports import dps_voters

    for tps in (world.tps1, world.tps2):
        listed_here = {v.pk for v in Voter.objects.all() if figures.dps_tps_of(v) == tps.code}
        assert set(dps_voters(tps=tps).values_list("pk", flat=True)) == listed_here


def test_the_dps_sheet_prints_with_its_header_on_every_page(listed, world, login):
    ws = _open(login(world.pps).get("/wilayah/62.71.01.1001.001/dps.xlsx"))["TPS 001"]
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No")
    assert ws.print_title_rows == f"${head}:${head}"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.fitToWidth) == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # Each page names the list, the village and the TPS; pages are numbered per TPS.
    assert ws.oddHeader.center.text == "DPHP Kelurahan Pahandut - TPS 001"
    assert ws.oddFooter.center.text == "TPS 001 - Halaman &P"
    assert ws.page_setup.firstPageNumber == 1 and ws.page_setup.useFirstPageNumber
    assert ws.freeze_panes == f"A{head + 1}"
    assert ws.cell(1, 1).value == "DAFTAR PEMILIH HASIL PEMUTAKHIRAN (DPHP)"
    # Rows are boxed: the list's cells have a border on every side.
    row = ws[head + 1]
    for cell in row[:10]:
        assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", cell
    assert not ws.cell(1, 1).border.left  # the title is not boxed


def test_the_list_of_another_stage_is_404_until_it_exists(listed, world, login):
    client = login(world.pps)
    assert client.get("/wilayah/62.71.01.1001.001/dps.xlsx?tahap=dphp").status_code == 200
    assert client.get("/wilayah/62.71.01.1001.001/dps.xlsx?tahap=zzz").status_code == 404
    assert client.get("/wilayah/62.71.01.1001.001/dps.xlsx?tahap=dpt").status_code == 404


def test_a_name_that_looks_like_a_formula_stays_text(listed, world, login):
    make_voter(world.tps1, nama="=1+1", nik="6271010000000099")
    make_voter(world.tps1, nama='=HYPERLINK("http://x.test","klik")', nik="6271010000000098")
    make_voter(world.tps1, nama="@SUM(A1)\x07", nik="6271010000000097")
    with transaction.atomic():
        figures.apply(figures.delta([], Voter.objects.filter(nik__startswith="62710100000000")))
    ws = _open(login(world.pps).get("/wilayah/62.71.01.1001/dps.xlsx"))["TPS 001"]
    names = {}
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                names[cell.value] = cell.data_type
    assert names["=1+1"] == "s" and names['=HYPERLINK("http://x.test","klik")'] == "s"
    assert "@SUM(A1)" in names  # the control character is dropped, not a 500


@pytest.mark.parametrize(
    "value,shown",
    [
        ("6271014101900001", "6271**********01"),
        ("62710141019000", "6271********00"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_nik_stars_ten_of_sixteen(value, shown):
    assert mask_nik(value) == shown
