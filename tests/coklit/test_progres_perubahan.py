"""progres.xlsx (the coklit progress recap, counted as the progress API) and perubahan.xlsx (the
change list the PPS reads out in its pleno), opened again with openpyxl."""

import pytest

from coklit import services
from coklit.masking import mask_nik
from coklit.models import Voter
from kpu.models import AuditEntry
from tests.coklit.conftest import add_voters, event
from tests.coklit.forms_support import sheet_table, workbook

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "user,code", [("kpu", "62.71"), ("ppk", "62.71.01"), ("pps", "62.71.01.1001")]
)
def test_progres_equals_the_progress_api(coklit, login, user, code):
    client = login(getattr(coklit, user))
    api = client.get(f"/api/v1/progress/{code}").json()
    wb = workbook(client, f"/wilayah/{code}/progres.xlsx")
    assert wb.sheetnames == ["Progres"]
    _, rows, total = sheet_table(wb["Progres"])
    assert list(rows) == [c["code"] for c in api["children"]]
    for got, want in [*zip(rows.values(), api["children"], strict=True), (total, api)]:
        assert got[("TPS", "TPS")] == want["tps_count"]
        assert got[("Model A", "Model A")] == want["target"]
        assert got[("Coklit", "Selesai")] == want["done"]
        assert got[("Coklit", "%")] == pytest.approx(want["percent"] / 100)
        assert got[("Hasil (tercatat)", "MS")] == want["ms"]
        assert got[("Hasil (tercatat)", "Ubah")] == want["ubah"]
        assert got[("Hasil (tercatat)", "TMS")] == sum(want["tms"].values())
        assert got[("Hasil (tercatat)", "Baru")] == want["baru"]
    assert total[("Perlu perhatian", "Menunggu verifikasi")] == sum(
        r[("Perlu perhatian", "Menunggu verifikasi")] for r in rows.values()
    )
    assert total[("Perlu perhatian", "Menunggu verifikasi")] > 0
    assert 0 <= total[("Coklit", "Target hari ini")] <= 1


def test_progres_counts_conflicts(world, pemilihan, device, login):
    voters = add_voters(world.tps1, 2)
    device.statuses([event(voters[0], "MS", at=1)])
    device.statuses([event(voters[0], "TMS", tms_reason=1, note="surat kematian", at=2)])
    _, rows, total = sheet_table(
        workbook(login(world.pps), "/wilayah/62.71.01.1001/progres.xlsx")["Progres"]
    )
    assert rows["62.71.01.1001.001"][("Perlu perhatian", "Konflik")] == 1
    assert total[("Perlu perhatian", "Konflik")] == 1


@pytest.fixture
def changed(world, pemilihan, device, login):
    """Pahandut TPS 1 and 2 after a coklit day, every result verified by the PPS."""
    v = add_voters(world.tps1, 6)
    v[4].nama = "=1+1"
    v[4].save()
    new = {
        "nkk": "6271010101010077",
        "nik": "6271015505990077",
        "nama": '=HYPERLINK("http://x","y")',
        "tempat_lahir": "Palangka Raya",
        "tanggal_lahir": "1999-05-15",
        "jenis_kelamin": "P",
        "status_kawin": "B",
        "alamat": "Jl. Murjani No. 199",
        "rt": "1",
        "rw": "2",
    }
    device.statuses(
        [
            event(v[0], "TMS", tms_reason=1, note="surat kematian", at=1),
            event(v[1], "TMS", tms_reason=8, target_tps=2, at=2),
            event(v[2], "MS", changes={"nama": "Budi Santoso", "rt": "4"}, at=3),
            event(v[3], "MS", changes={"nik": "6271014101900999"}, at=4),
            event(v[4], "TMS", tms_reason=4, at=5),
            event(None, "BARU", new_voter=new, at=6),
            event(v[5], "MS", at=7),
        ]
    )
    waiting = Voter.objects.filter(village=world.village, verification="pending")
    # One by one for some, in bulk for the rest: both keep the old values of a change.
    first = v[2].events.get()
    services.event_verify(event=first, by=world.pps, decision="approve")
    services.tps_queue_approve_all(tps=world.tps1, by=world.pps)
    assert not waiting.exists()
    return v


def rows_of(ws):
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No")
    out, section = [], None
    for row in ws.iter_rows(min_row=head + 1, values_only=True):
        if isinstance(row[0], str) and row[0][:2] in ("A.", "B.", "C."):
            section = row[0][0]
        elif isinstance(row[0], int):
            out.append((section, row))
    return out


def test_the_change_list_has_tms_then_u_then_b_per_tps(changed, world, login):
    client = login(world.pps)
    wb = workbook(client, "/wilayah/62.71.01.1001/perubahan.xlsx")
    assert wb.sheetnames == ["TPS 001", "TPS 002"]
    one = rows_of(wb["TPS 001"])
    assert [s for s, _ in one] == ["A", "A", "A", "B", "B", "C"]
    tms = [r[9] for s, r in one if s == "A"]
    assert tms == ["TMS 1 (Meninggal)", "TMS 4 (Pindah domisili)", "TMS 8 (pindah ke TPS 002)"]
    ubah = {r[3]: r[9] for s, r in one if s == "B"}
    assert ubah["Budi Santoso"] == "U: Nama Pemilih 2 → Budi Santoso; RT - → 004"
    nik_change = next(k for n, k in ubah.items() if n != "Budi Santoso")
    assert nik_change == f"U: NIK {mask_nik(changed[3].nik)} → {mask_nik('6271014101900999')}"
    baru = [r for s, r in one if s == "C"]
    assert baru[0][3] == '=HYPERLINK("http://x","y")' and baru[0][9] == "B"
    two = rows_of(wb["TPS 002"])
    assert [(s, r[9]) for s, r in two] == [("C", "B pindahan dari TPS 001")]
    texts = [str(c.value) for c in wb["TPS 001"]["A"] + wb["TPS 001"]["D"] if c.value]
    assert "PANITIA PEMUNGUTAN SUARA KELURAHAN PAHANDUT" in texts
    assert AuditEntry.objects.filter(action="perubahan_export", area_code="62.71.01.1001").exists()


def test_the_change_list_masks_nik_and_keeps_text_as_text(changed, world, login):
    wb = workbook(login(world.pps), "/wilayah/62.71.01.1001/perubahan.xlsx")
    secrets = {v.nik for v in Voter.objects.all()} | {"6271014101900999", "6271015505990077"}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                assert not any(s in str(cell.value) for s in secrets)
    names = [r[3] for _, r in rows_of(wb["TPS 001"])]
    assert "=1+1" in names


def test_a_tps_change_list_and_its_page_setup(changed, world, login):
    wb = workbook(login(world.pps), "/wilayah/62.71.01.1001.002/perubahan.xlsx")
    ws = wb["TPS 002"]
    assert wb.sheetnames == ["TPS 002"]
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.fitToWidth) == 1 and ws.print_title_rows
    assert ws.oddHeader.center.text == "Daftar Perubahan DPHP Kelurahan Pahandut - TPS 002"


def test_pending_results_are_not_in_the_change_list(world, pemilihan, device, login):
    v = add_voters(world.tps1, 1)
    device.statuses([event(v[0], "TMS", tms_reason=5, at=1)])
    wb = workbook(login(world.pps), "/wilayah/62.71.01.1001.001/perubahan.xlsx")
    assert rows_of(wb["TPS 001"]) == []


def test_other_areas_get_404(changed, world, login):
    client = login(world.pps_panarung)
    for url in ("/wilayah/62.71.01.1001/perubahan.xlsx", "/wilayah/62.71.01.1001/progres.xlsx"):
        assert client.get(url).status_code == 404
    assert login(world.kpu).get("/wilayah/62.71.01/perubahan.xlsx").status_code == 404
