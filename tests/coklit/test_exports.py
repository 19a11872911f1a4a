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
from kpu.models import AuditEntry, Pemilihan
from kpu.services import DomainError, pemilihan_create
from tests.coklit.test_figures import make_voter
from tests.coklit.workflow import set_pleno

pytestmark = pytest.mark.django_db

# What each recap column must hold, read from the workbook's own two header rows:
# (group, label) -> figure. Written out here, independently of the code that makes the sheet.
TMS = [
    "Meninggal",
    "Ganda",
    "Bawah umur",
    "Pindah domisili",
    "Tidak dikenal",
    "TNI",
    "Polri",
    "Salah TPS",
    "Lainnya",
]
DIS = ["Fisik", "Intelektual", "Mental", "Wicara", "Rungu", "Netra"]
EXPECTED = {
    ("Jumlah TPS", "Jumlah TPS"): "tps_count",
    ("Pemilih (Model A)", "L"): "target_l",
    ("Pemilih (Model A)", "P"): "target_p",
    ("Pemilih (Model A)", "L+P"): "target",
    ("Coklit", "Selesai"): "done",
    ("Coklit", "%"): "percent",
    ("Coklit", "MS"): "ms",
    ("Coklit", "Ubah"): "ubah",
    **{("TMS", f"{i} {name}"): f"tms_{i}" for i, name in enumerate(TMS, start=1)},
    ("TMS", "Jumlah"): "tms",
    ("Pemilih Baru", "Pemilih Baru"): "baru",
    **{("Disabilitas", name): f"dis_{i}" for i, name in enumerate(DIS, start=1)},
    ("Belum KTP-el", "Belum KTP-el"): "no_ktp_el",
    ("DPS", "L"): "dps_l",
    ("DPS", "P"): "dps_p",
    ("DPS", "L+P"): "dps",
}


def expected(figs: dict) -> dict:
    """The recap's figures straight from the counters (the dashboard's source)."""
    out = {k: figs[k] for k in (*FIGURE_FIELDS, "tps_count")}
    out["target"] = figs["target_l"] + figs["target_p"]
    out["dps"] = figs["dps_l"] + figs["dps_p"]
    out["tms"] = sum(figs[f"tms_{r}"] for r in range(1, 10))
    out["percent"] = selectors.percent(figs["done"], out["target"])
    return out


@pytest.fixture
def pemilihan(world) -> Pemilihan:
    p, _ = pemilihan_create(
        regency=world.regency,
        name="Pemilihan Serentak 2026",
        voting_day=dt.date(2026, 11, 27),
        coklit_start=dt.date(2026, 6, 24),
        coklit_end=dt.date(2026, 7, 24),
    )
    return p


@pytest.fixture
def counted(world, pemilihan):
    """Every TPS of Palangka Raya with different, large figures (thousands separators show)."""
    for n, row in enumerate(TpsFigures.objects.filter(regency_code="62.71").order_by("tps_id")):
        values = {k: (n + 1) * 7 + i for i, k in enumerate(FIGURE_FIELDS)}
        values |= {"target_l": 1200 + 37 * n, "target_p": 1100 + 41 * n, "done": 999 + 13 * n}
        TpsFigures.objects.filter(pk=row.pk).update(**values)
    return world


def read_rekap(response):
    """The recap sheet as (header map, data rows by code, total row, the sheet)."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    wb = load_workbook(BytesIO(response.getvalue()))
    ws = wb.active
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No")
    columns = {}
    group = None
    for c in range(1, ws.max_column + 1):
        top, below = ws.cell(head, c).value, ws.cell(head + 1, c).value
        group = top if top is not None else group
        columns[c] = (group, below if below is not None else group)
    rows, total = {}, None
    for r in range(head + 2, ws.max_row + 1):
        name = ws.cell(r, 3).value
        if name == "JUMLAH":
            total = {columns[c]: ws.cell(r, c).value for c in columns}
            break
        rows[ws.cell(r, 2).value] = {columns[c]: ws.cell(r, c).value for c in columns}
    return head, rows, total, ws


def check_row(row: dict, figs: dict) -> None:
    want = expected(figs)
    for key, fig in EXPECTED.items():
        got = row[key]
        if fig == "percent":
            assert got == pytest.approx(want["percent"] / 100), key
        else:
            assert got == want[fig], key


def test_the_district_recap_has_every_figure_of_every_village(counted, login):
    response = login(counted.ppk).get("/wilayah/62.71.01/rekap.xlsx")
    head, rows, total, ws = read_rekap(response)
    children = selectors.children_figures(area=counted.district)
    assert list(rows) == [c.code for c, _ in children]
    assert set(rows["62.71.01.1001"]) >= set(EXPECTED)
    for child, figs in children:
        check_row(rows[child.code], figs)
        assert rows[child.code][("Kelurahan/Desa", "Kelurahan/Desa")] == child.name
    check_row(total, selectors.area_figures(area=counted.district))
    assert rows["62.71.01.1001"][("Jumlah TPS", "Jumlah TPS")] == 2


def test_the_total_row_is_the_sum_of_the_rows(counted, login):
    _, rows, total, _ = read_rekap(login(counted.kpu).get("/wilayah/62.71/rekap.xlsx"))
    assert len(rows) == 5
    for key, fig in EXPECTED.items():
        if fig == "percent":
            done = sum(r[("Coklit", "Selesai")] for r in rows.values())
            target = sum(r[("Pemilih (Model A)", "L+P")] for r in rows.values())
            assert total[key] == pytest.approx(selectors.percent(done, target) / 100)
        else:
            assert total[key] == sum(r[key] for r in rows.values()), key
    check_row(total, selectors.area_figures(area=counted.regency))


def test_the_village_recap_has_a_row_per_tps(counted, login):
    _, rows, total, ws = read_rekap(login(counted.pps).get("/wilayah/62.71.01.1001/rekap.xlsx"))
    assert list(rows) == ["62.71.01.1001.001", "62.71.01.1001.002"]
    assert rows["62.71.01.1001.001"][("TPS", "TPS")] == "TPS 001"
    check_row(rows["62.71.01.1001.002"], selectors.area_figures(area=counted.tps2))
    check_row(total, selectors.area_figures(area=counted.village))


def test_cells_hold_values_with_number_formats(counted, login):
    head, _, _, ws = read_rekap(login(counted.ppk).get("/wilayah/62.71.01/rekap.xlsx"))
    formats = set()
    for row in ws.iter_rows():
        for cell in row:
            assert not (isinstance(cell.value, str) and cell.value.startswith("="))
            if isinstance(cell.value, int | float) and cell.row > head + 1:
                formats.add(cell.number_format)
    assert formats == {"#,##0", "0.0%"}
    groups = {ws.cell(head, c).value for c in range(1, ws.max_column + 1)}
    assert {"Pemilih (Model A)", "Coklit", "TMS", "Disabilitas", "DPS"} <= groups


def test_the_recap_prints_on_a4_landscape_one_page_wide(counted, login):
    head, _, _, ws = read_rekap(login(counted.kpu).get("/wilayah/62.71/rekap.xlsx"))
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${head}:${head + 1}"
    assert ws.oddFooter.center.text == "Halaman &P dari &N"
    for letter in ("B", "C", "E"):
        assert ws.column_dimensions[letter].width >= 7


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize(
    "user,code,place,body,lines",
    [
        (
            "kpu",
            "62.71",
            "Palangkaraya",
            "KOMISI PEMILIHAN UMUM KOTA PALANGKARAYA",
            ["Kalimantan Tengah", "Kota Palangkaraya"],
        ),
        (
            "ppk",
            "62.71.01",
            "Pahandut",
            "PANITIA PEMILIHAN KECAMATAN PAHANDUT",
            ["Kalimantan Tengah", "Kota Palangkaraya", "Kecamatan", ": Pahandut"],
        ),
        (
            "pps",
            "62.71.01.1001",
            "Pahandut",
            "PANITIA PEMUNGUTAN SUARA KELURAHAN PAHANDUT",
            ["Kecamatan", "Kelurahan"],
        ),
    ],
)
def test_title_and_signature_blocks_follow_the_level(
    counted, pemilihan, login, user, code, place, body, lines
):
    response = login(getattr(counted, user)).get(f"/wilayah/{code}/rekap.xlsx")
    *_, ws = read_rekap(response)
    texts = _texts(ws)
    assert texts[0] == "REKAPITULASI HASIL COKLIT"
    assert "PEMILIHAN SERENTAK 2026" in texts
    joined = "\n".join(texts)
    for line in lines:
        assert line in joined
    assert f"{place}, {tanggal(pemilihan.today())}" in texts
    assert body in texts
    assert "Ketua" in texts and texts.count("Anggota") == (2 if user == "pps" else 4)


def test_papua_signs_as_ppd_of_a_distrik(world, login):
    district = world.tps_mimika.parent.parent
    *_, ws = read_rekap(login(world.kpu_mimika).get(f"/wilayah/{district.code}/rekap.xlsx"))
    texts = _texts(ws)
    assert f"PANITIA PEMILIHAN DISTRIK {district.name.upper()}" in texts
    assert "Kampung" in texts  # the child column of a distrik
    *_, ws = read_rekap(login(world.kpu_mimika).get("/wilayah/94.04/rekap.xlsx"))
    assert "Distrik" in _texts(ws)


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
    before = read_rekap(login(counted.ppk).get("/wilayah/62.71.01/rekap.xlsx"))[1]
    rows = dict((a.code, f) for a, f in children_figures_as_filed(area=counted.district))
    live = selectors.area_figures(area=counted.village)
    assert rows[counted.village.code]["dps_l"] == live["dps_l"]
    assert before["62.71.01.1001"][("DPS", "L")] == live["dps_l"]
    with pytest.raises(DomainError, match="terkunci"):
        services.village_editable_or_raise(counted.village)


# --- The print page.


def _cells(html: str) -> list[dict[str, str]]:
    rows = []
    for tr in re.findall(r"<tr(?: class=\"total\")?>(.*?)</tr>", html, re.S):
        cells = dict(re.findall(r'data-key="(\w+)">([^<]*)</td>', tr))
        if cells:
            rows.append(cells)
    return rows


def test_the_print_page_shows_the_same_figures(counted, pemilihan, login):
    response = login(counted.ppk).get("/wilayah/62.71.01/cetak/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = _cells(html)
    children = selectors.children_figures(area=counted.district)
    assert len(rows) == len(children) + 1
    for cells, (_child, figs) in zip(rows, children + [(None, None)], strict=True):
        figs = figs or selectors.area_figures(area=counted.district)
        want = expected(figs)
        for key in ("target_l", "target", "done", "ms", "tms_9", "dis_6", "dps", "no_ktp_el"):
            assert cells[key] == f"{want[key]:,}".replace(",", "."), key
        assert cells["percent"] == f"{want['percent']:.1f}%".replace(".", ",")
    assert "REKAPITULASI HASIL COKLIT" in html and "PEMILIHAN SERENTAK 2026" in html
    assert "PANITIA PEMILIHAN KECAMATAN PAHANDUT" in html
    assert f"Pahandut, {tanggal(pemilihan.today())}" in html
    assert 'rowspan="2">Jumlah TPS' in html and 'colspan="6">Disabilitas' in html
    assert "style=" not in html and "<script>" not in html  # CSP: no inline styles or scripts


def test_the_print_css_is_a4_landscape():
    from pathlib import Path

    css = (Path(__file__).parents[2] / "static/css/app.css").read_text()
    assert re.search(r"@page rekap \{\s*size: A4 landscape;", css)
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
        v(world.tps1, nama="Fajar belum", status="BELUM"),
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
            nama="Indah pindah menunggu",
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
    assert sorted(r["Nama"] for r in rows) == ["DPS Ani", "DPS Budi", "DPS Citra"]
    figs = selectors.area_figures(area=world.tps1)
    assert len(rows) == figs["dps_l"] + figs["dps_p"]
    by_name = {r["Nama"]: r for r in rows}
    assert by_name["DPS Budi"]["Keterangan"] == "Ubah"
    assert by_name["DPS Citra"]["Keterangan"] == "Baru"
    assert by_name["DPS Ani"]["Keterangan"] is None
    assert by_name["DPS Ani"]["Usia"] == 35  # 36 the day after voting day: age on voting day
    assert [r["No"] for r in rows] == [1, 2, 3]


def test_the_dps_of_a_village_has_a_sheet_per_tps(listed, world, login):
    wb = _open(login(world.pps).get("/wilayah/62.71.01.1001/dps.xlsx"))
    assert wb.sheetnames == ["TPS 001", "TPS 002"]
    _, rows = _sheet_rows(wb["TPS 002"])
    assert [r["Nama"] for r in rows] == ["DPS Hadi pindah", "DPS Joko"]
    assert rows[0]["Keterangan"] == "Pindahan TPS 001"
    figs = selectors.area_figures(area=world.tps2)
    assert len(rows) == figs["dps_l"] + figs["dps_p"]
    texts = "\n".join(_texts(wb["TPS 002"]))
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
    assert ws.oddFooter.center.text == "Halaman &P dari &N"
    assert ws.freeze_panes == f"A{head + 1}"


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


def test_a_recap_costs_the_same_queries_whatever_the_number_of_children(
    counted, login, django_assert_max_num_queries
):
    client = login(counted.kpu)
    set_pleno(counted.village)
    # Session, user, area, breadcrumbs, election, children + their figures, live figures.
    with django_assert_max_num_queries(10):
        client.get("/wilayah/62.71/rekap.xlsx")  # 5 districts
    with django_assert_max_num_queries(10):
        client.get("/wilayah/62.71.02/cetak/")  # 11 villages
