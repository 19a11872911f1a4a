"""The pleno recap (rekap.xlsx, cetak/): opened again, checked row by row against the identity
DPHP = Model A - TMS + Baru (SPEC 4), the progress API, and a recount of the voters."""

import pytest

from coklit import figures, services
from coklit.exports import tanggal
from coklit.models import Voter
from tests.coklit.conftest import add_voters, event
from tests.coklit.forms_support import sheet_table, workbook

pytestmark = pytest.mark.django_db

LEVELS = [("kpu", "62.71"), ("ppk", "62.71.01"), ("pps", "62.71.01.1001")]


@pytest.mark.parametrize("user,code", LEVELS)
def test_every_row_adds_up_for_l_and_p(coklit, login, user, code):
    wb = workbook(login(getattr(coklit, user)), f"/wilayah/{code}/rekap.xlsx")
    assert wb.sheetnames == ["Rekap", "TMS", "Disabilitas"]
    _, rows, total = sheet_table(wb["Rekap"])
    assert rows
    for name, row in [*rows.items(), ("JUMLAH", total)]:
        for s in ("L", "P", "L+P"):
            a, tms, baru, dphp = (row[(g, s)] for g in ("Model A", "TMS", "Baru", "DPHP"))
            assert dphp == a - tms + baru, (name, s)
            assert row[("Pindahan antar-TPS", s)] <= baru
        for g in ("Model A", "Baru", "TMS", "Ubah", "DPHP", "Pindahan antar-TPS"):
            assert row[(g, "L+P")] == row[(g, "L")] + row[(g, "P")]


@pytest.mark.parametrize("user,code", LEVELS)
def test_the_total_row_is_the_sum_of_the_rows_on_every_sheet(coklit, login, user, code):
    wb = workbook(login(getattr(coklit, user)), f"/wilayah/{code}/rekap.xlsx")
    for ws in wb.worksheets:
        _, rows, total = sheet_table(ws)
        for key, value in total.items():
            if isinstance(value, int) and key[1] != "No":
                assert value == sum(r[key] or 0 for r in rows.values()), (ws.title, key)


def test_model_a_is_the_progress_api_target(coklit, login):
    client = login(coklit.kpu)
    for code in ("62.71", "62.71.01", "62.71.01.1001"):
        api = client.get(f"/api/v1/progress/{code}").json()
        _, rows, total = sheet_table(workbook(client, f"/wilayah/{code}/rekap.xlsx")["Rekap"])
        assert total[("Model A", "L+P")] == api["target"]
        assert {c: r[("Model A", "L+P")] for c, r in rows.items()} == {
            c["code"]: c["target"] for c in api["children"]
        }
        assert [r[("Jml TPS", "Jml TPS")] for r in rows.values()] == [
            c["tps_count"] for c in api["children"]
        ]


def test_the_verified_figures_equal_a_recount(coklit, login):
    counted = figures.recount(code="62.71.01.1001")
    _, rows, _ = sheet_table(
        workbook(login(coklit.pps), "/wilayah/62.71.01.1001/rekap.xlsx")["Rekap"]
    )
    for code, row in rows.items():
        f = figures.derive(counted.get(code, {}))
        for key, group in (("tms", "TMS"), ("baru", "Baru"), ("ubah", "Ubah"), ("dphp", "DPHP")):
            for s in ("l", "p"):
                assert row[(group, s.upper())] == f[f"{key}_{s}"], (code, group, s)
    # Pahandut TPS 1: 3 voters per state; only verified results move a column.
    tps1 = rows["62.71.01.1001.001"]
    assert tps1[("Ubah", "L+P")] == 3 and tps1[("Baru", "L+P")] == 3
    assert tps1[("TMS", "L+P")] == 3 + 3 + 1  # reason 1-7, reason 9, the TMS 8
    assert rows["62.71.01.1001.002"][("Pindahan antar-TPS", "P")] == 1


def test_the_village_counts_in_the_regency_and_district_recaps(coklit, login):
    _, rows, total = sheet_table(workbook(login(coklit.kpu), "/wilayah/62.71/rekap.xlsx")["Rekap"])
    key = ("Jml Kel/ Desa", "Jml Kel/ Desa")
    assert rows["62.71.01"][key] == 6 and total[key] == 30
    _, rows, total = sheet_table(
        workbook(login(coklit.ppk), "/wilayah/62.71.01/rekap.xlsx")["Rekap"]
    )
    assert total[key] == 6 and set(r[key] for r in rows.values()) == {1}


def test_a_tms_8_move_through_the_recap(world, pemilihan, device, login):
    """A voter moved from TPS 1 to TPS 2: TMS +1 at 1, baru and pindahan +1 at 2, the
    village's DPHP unchanged (SPEC 4); nothing moves while the result waits."""
    voters = add_voters(world.tps1, 2)
    client = login(world.pps)

    def read():
        _, rows, total = sheet_table(workbook(client, "/wilayah/62.71.01.1001/rekap.xlsx")["Rekap"])
        return rows["62.71.01.1001.001"], rows["62.71.01.1001.002"], total

    one0, two0, total0 = read()
    device.statuses([event(voters[0], "TMS", tms_reason=8, target_tps=2)])
    assert read() == (one0, two0, total0)  # waiting: no column moves
    services.event_verify(event=voters[0].events.get(), by=world.pps, decision="approve")
    one, two, total = read()
    assert one[("TMS", "L")] == one0[("TMS", "L")] + 1
    assert one[("DPHP", "L")] == one0[("DPHP", "L")] - 1
    assert two[("Baru", "L")] == two0[("Baru", "L")] + 1
    assert two[("Pindahan antar-TPS", "L")] == two0[("Pindahan antar-TPS", "L")] + 1
    assert two[("DPHP", "L")] == two0[("DPHP", "L")] + 1
    assert total[("DPHP", "L+P")] == total0[("DPHP", "L+P")] == 2
    wb = workbook(client, "/wilayah/62.71.01.1001/rekap.xlsx")
    _, rows, _ = sheet_table(wb["TMS"])
    assert rows["62.71.01.1001.001"][("8 Salah TPS", "L")] == 1


def test_tms_per_reason_lists_9_apart_from_the_eight_codes(coklit, login):
    ws = workbook(login(coklit.ppk), "/wilayah/62.71.01/rekap.xlsx")["TMS"]
    head, rows, total = sheet_table(ws)
    groups = [ws.cell(head, c).value for c in range(4, ws.max_column + 1)]
    groups = [g for g in groups if g]
    assert groups == [
        "1 Meninggal",
        "2 Ganda",
        "3 Bawah umur",
        "4 Pindah domisili",
        "5 Tidak dikenal",
        "6 TNI",
        "7 Polri",
        "8 Salah TPS",
        "Jumlah 1-8",
        "9 Lainnya",
        "Jumlah TMS",
    ]
    for row in [*rows.values(), total]:
        for s in ("L", "P"):
            eight = sum(row[(g, s)] for g in groups[:8])
            assert row[("Jumlah 1-8", s)] == eight
            assert row[("Jumlah TMS", s)] == eight + row[("9 Lainnya", s)]
    rekap = sheet_table(workbook(login(coklit.ppk), "/wilayah/62.71.01/rekap.xlsx")["Rekap"])[2]
    assert total[("Jumlah TMS", "L+P")] == rekap[("TMS", "L+P")]


def test_disabilities_and_ktp_el_of_the_dphp(coklit, login):
    ws = workbook(login(coklit.pps), "/wilayah/62.71.01.1001/rekap.xlsx")["Disabilitas"]
    _, rows, total = sheet_table(ws)
    group = "Penyandang disabilitas dalam DPHP"
    # TMS voters with disabilities are out of the DPHP; the moved TMS 8 voter (netra) is in.
    assert rows["62.71.01.1001.002"][(group, "Netra")] == 1
    assert total[(group, "Fisik")] == 0
    assert total[("Belum KTP-el", "Belum KTP-el")] == 5  # verified new voters without KTP-el
    assert total[(group, "Jumlah")] == 1


def test_no_cell_is_a_formula(coklit, login):
    wb = workbook(login(coklit.kpu), "/wilayah/62.71/rekap.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


@pytest.mark.parametrize("query,paper", [("", 9), ("?kertas=f4", 14), ("?kertas=x", 9)])
def test_page_setup(coklit, login, query, paper):
    wb = workbook(login(coklit.kpu), f"/wilayah/62.71/rekap.xlsx{query}")
    for ws in wb.worksheets:
        head, _, _ = sheet_table(ws)
        assert int(ws.page_setup.paperSize) == paper
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == f"${head}:${head + 1}"
        assert ws.oddFooter.center.text == "Halaman &P dari &N"
        fonts = {c.font.sz for row in ws.iter_rows() for c in row if c.value is not None}
        assert min(fonts) >= 8


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize(
    "user,code,place,body,lines,members",
    [
        (
            "kpu",
            "62.71",
            "Palangka Raya",
            "KOMISI PEMILIHAN UMUM KOTA PALANGKA RAYA",
            ["Kalimantan Tengah", "Kota Palangka Raya", "TINGKAT KOTA"],
            3,
        ),
        (
            "ppk",
            "62.71.01",
            "Pahandut",
            "PANITIA PEMILIHAN KECAMATAN PAHANDUT",
            ["Kota Palangka Raya", "Kecamatan", ": Pahandut", "TINGKAT KECAMATAN"],
            5,
        ),
        (
            "pps",
            "62.71.01.1001",
            "Pahandut",
            "PANITIA PEMUNGUTAN SUARA KELURAHAN PAHANDUT",
            ["Kecamatan", "Kelurahan", "TINGKAT KELURAHAN"],
            3,
        ),
    ],
)
def test_title_and_signature_blocks_follow_the_level(
    coklit, pemilihan, login, user, code, place, body, lines, members
):
    pemilihan.kpu_members = 3  # a KPU Kab/Kota of three commissioners
    pemilihan.save()
    wb = workbook(login(getattr(coklit, user)), f"/wilayah/{code}/rekap.xlsx")
    for ws in wb.worksheets:
        texts = _texts(ws)
        assert texts[0] == "Model A-Rekap DPHP"
        assert "REKAPITULASI DAFTAR PEMILIH HASIL PEMUTAKHIRAN (DPHP)" in texts
        joined = "\n".join(texts)
        assert ": Pemilihan Serentak 2026" in joined
        for line in lines:
            assert line in joined
        assert f"{place}, {tanggal(pemilihan.today())}" in texts
        assert body in texts
        assert "Ketua" in texts and texts.count("Anggota") == members - 1


def test_papua_signs_as_ppd_of_a_distrik(world, login):
    district = world.tps_mimika.parent.parent
    wb = workbook(login(world.kpu_mimika), f"/wilayah/{district.code}/rekap.xlsx")
    texts = _texts(wb["Rekap"])
    assert f"PANITIA PEMILIHAN DISTRIK {district.name.upper()}" in texts
    assert "Kelurahan/Kampung" in texts and "TINGKAT DISTRIK" in texts


def test_the_print_page_shows_the_same_figures(coklit, pemilihan, login):
    client = login(coklit.ppk)
    html = client.get("/wilayah/62.71.01/cetak/").content.decode()
    _, rows, total = sheet_table(workbook(client, "/wilayah/62.71.01/rekap.xlsx")["Rekap"])
    for key, group in (("dphp_lp", "DPHP"), ("tms_l", "TMS"), ("model_a_p", "Model A")):
        s = {"lp": "L+P", "l": "L", "p": "P"}[key.rsplit("_", 1)[1]]
        want = f'data-key="{key}">{total[(group, s)]:,}</td>'.replace(",", ".")
        assert want in html, want
    assert html.count('<table class="rekap"') == 3
    assert "PANITIA PEMILIHAN KECAMATAN PAHANDUT" in html
    assert "style=" not in html and "<script>" not in html  # CSP
    assert "paper-a4" in html
    assert "paper-f4" in client.get("/wilayah/62.71.01/cetak/?kertas=f4").content.decode()


def test_a_recap_costs_the_same_queries_whatever_the_number_of_children(
    coklit, login, django_assert_max_num_queries
):
    client = login(coklit.kpu)
    # The stage (held plenos and the election's response period) is read once for the list's
    # name and once more by the print page's stage bar.
    with django_assert_max_num_queries(12):
        client.get("/wilayah/62.71/rekap.xlsx")  # 5 districts
    with django_assert_max_num_queries(12):
        client.get("/wilayah/62.71.02/cetak/")  # 11 villages


def test_another_areas_user_gets_404(coklit, login):
    client = login(coklit.pps_panarung)
    for url in ("/wilayah/62.71.01.1001/rekap.xlsx", "/wilayah/62.71.01/cetak/"):
        assert client.get(url).status_code == 404
    assert Voter.objects.exists()
