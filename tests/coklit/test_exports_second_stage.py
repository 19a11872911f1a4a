"""The second stage in the exports (SPEC 8b, 9): rekap.xlsx and the print recap show DPS, Baru,
TMS, Ubah and the DPSHP (the DPT once established) with the responses per kind; dps.xlsx names
the list of its stage, and `?tahap=dps` stays the DPS as the KPU's pleno established it."""

import datetime as dt

import pytest
from django.utils import timezone

from coklit import plenos
from coklit import tanggapan as svc
from coklit.models import Voter
from kpu.models import Pemilihan
from kpu.services import pemilihan_create
from tests.coklit.conftest import Device, add_voters, event
from tests.coklit.forms_support import sheet_table, workbook
from tests.coklit.workflow import hold_stage

pytestmark = pytest.mark.django_db

NEW = {
    "nkk": "6271010101990001",
    "nik": "6271015507990009",
    "nama": "Rahmat Baru",
    "tanggal_lahir": "2007-01-01",
    "jenis_kelamin": "L",
    "status_kawin": "B",
}


@pytest.fixture
def second(world):
    """Pahandut's four voters verified, the DPS established by real plenos (so its snapshot
    is kept), a few days into the response period; then responses: a TMS, a new voter at
    TPS 002 and a corrected name accepted, one rejected."""
    today = timezone.localdate()
    pemilihan_create(
        regency=world.regency,
        name="Pemilihan Serentak 2026",
        voting_day=today + dt.timedelta(days=90),
        coklit_start=today - dt.timedelta(days=60),
        coklit_end=today - dt.timedelta(days=30),
        tanggapan_start=today - dt.timedelta(days=3),
        tanggapan_end=today + dt.timedelta(days=6),
    )
    voters = add_voters(world.tps1, 4)
    Device(world.pantarlih).statuses([event(v, "MS") for v in voters])
    hold_stage(world, kpu="7/BA/KPU", sk="8/PL.01.2-Kpt/2026")
    record = lambda **kw: svc.tanggapan_record(village=world.village, by=world.pps, **kw)  # noqa: E731
    for item in (
        record(kind="tms", voter_id=voters[0].pk, tms_reason=1, note="surat kematian"),
        record(kind="belum_terdaftar", tps="2", fields=NEW),
        record(kind="data_salah", voter_id=voters[2].pk, fields={"nama": "Pemilih Dua Benar"}),
    ):
        svc.tanggapan_accept(tanggapan=item, by=world.pps)
    svc.tanggapan_reject(
        tanggapan=svc.tanggapan_record(
            village=world.village, by=world.pkd, kind="tms", voter_id=voters[3].pk, tms_reason=5
        ),
        by=world.pps,
        note="dikenal Ketua RT",
    )
    world.voters = voters
    return world


def _establish_dpt(world):
    hold_stage(world, stage="dpshp", pps="2/BA/PPS", ppk="2/BA/PPK", kpu="9/BA/KPU", sk="9/SK")


def _moved_to_tps_002(second, voter):
    """An accepted response: TMS 8, the voter belongs on TPS 002's list (a pindahan there)."""
    item = svc.tanggapan_record(
        village=second.village,
        by=second.pps,
        kind="tms",
        voter_id=voter.pk,
        tms_reason=8,
        target_tps=2,
    )
    svc.tanggapan_accept(tanggapan=item, by=second.pps)


def _names(ws):
    head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No")
    names = []
    for row in ws.iter_rows(min_row=head + 1, values_only=True):
        if not isinstance(row[0], int):
            break
        names.append((row[3], row[9] or ""))
    return names


# --- the recap ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user,code", [("kpu", "62.71"), ("ppk", "62.71.01"), ("pps", "62.71.01.1001")]
)
def test_the_recap_of_the_second_stage_adds_up_on_every_row(second, login, user, code):
    wb = workbook(login(getattr(second, user)), f"/wilayah/{code}/rekap.xlsx")
    assert wb.sheetnames == ["Rekap", "TMS", "Disabilitas", "Tanggapan"]
    ws = wb["Rekap"]
    assert ws.cell(2, 1).value == "REKAPITULASI DAFTAR PEMILIH SEMENTARA HASIL PERBAIKAN (DPSHP)"
    _, rows, total = sheet_table(ws)
    groups = {g for (g, _label) in total}
    assert {"DPS", "Baru", "TMS", "Ubah", "DPSHP"} <= groups and "Model A" not in groups
    for name, row in [*rows.items(), ("JUMLAH", total)]:
        for s in ("L", "P", "L+P"):
            assert row[("DPSHP", s)] == row[("DPS", s)] - row[("TMS", s)] + row[("Baru", s)], (
                name,
                s,
            )
    assert (total[("DPS", "L+P")], total[("DPSHP", "L+P")]) == (4, 4)
    assert (total[("TMS", "L+P")], total[("Baru", "L+P")], total[("Ubah", "L+P")]) == (1, 1, 1)
    _, _rows, responses = sheet_table(wb["Tanggapan"])
    assert responses[("Jumlah", "Masuk")] == 4
    assert (responses[("Jumlah", "Diterima")], responses[("Jumlah", "Ditolak")]) == (3, 1)
    assert (responses[("TMS", "Masuk")], responses[("TMS", "Ditolak")]) == (2, 1)
    _, _rows, tms = sheet_table(wb["TMS"])
    assert tms[("1 Meninggal", "L")] == 1  # voter 0 is L; coklit's results are not counted again


def test_the_village_recap_puts_each_change_at_its_tps(second, login):
    _, rows, _total = sheet_table(
        workbook(login(second.pps), "/wilayah/62.71.01.1001/rekap.xlsx")["Rekap"]
    )
    tps1, tps2 = rows["62.71.01.1001.001"], rows["62.71.01.1001.002"]
    assert [tps1[(g, "L+P")] for g in ("DPS", "Baru", "TMS", "Ubah", "DPSHP")] == [4, 0, 1, 1, 3]
    assert [tps2[(g, "L+P")] for g in ("DPS", "Baru", "TMS", "Ubah", "DPSHP")] == [0, 1, 0, 0, 1]


def test_the_print_recap_names_the_list_and_shows_the_same_figures(second, login):
    client = login(second.ppk)
    html = client.get("/wilayah/62.71.01/cetak/").content.decode()
    assert "REKAPITULASI DAFTAR PEMILIH SEMENTARA HASIL PERBAIKAN (DPSHP)" in html
    assert "Model A-Rekap DPSHP" in html
    assert html.count('<table class="rekap"') == 4
    assert 'data-key="dps_lp">4</td>' in html and 'data-key="dpshp_lp">4</td>' in html
    assert 'data-key="all_in">4</td>' in html


def test_once_the_dpt_is_established_the_recap_and_the_list_name_it(second, login):
    _establish_dpt(second)
    client = login(second.kpu)
    ws = workbook(client, "/wilayah/62.71/rekap.xlsx")["Rekap"]
    assert ws.cell(2, 1).value == "REKAPITULASI DAFTAR PEMILIH TETAP (DPT)"
    _, _rows, total = sheet_table(ws)
    assert (total[("DPS", "L+P")], total[("DPT", "L+P")]) == (4, 4)
    assert "(DPT)" in client.get("/wilayah/62.71/cetak/").content.decode()
    pps = login(second.pps)
    wb = workbook(pps, "/wilayah/62.71.01.1001/dps.xlsx")
    assert wb["TPS 001"].cell(1, 1).value == "DAFTAR PEMILIH TETAP (DPT)"
    # The DPS as established still, whatever the second stage changed.
    wb = workbook(pps, "/wilayah/62.71.01.1001/dps.xlsx?tahap=dps")
    assert len(_names(wb["TPS 001"])) == 4


# --- the lists ---------------------------------------------------------------------------------


def test_while_posted_the_list_is_the_dps_as_established(second, login):
    client = login(second.pps)
    for url in ("/wilayah/62.71.01.1001/dps.xlsx", "/wilayah/62.71.01.1001/dps.xlsx?tahap=dps"):
        wb = workbook(client, url)
        ws = wb["TPS 001"]
        assert ws.cell(1, 1).value == "DAFTAR PEMILIH SEMENTARA (DPS)"
        assert ws.oddHeader.center.text == "DPS Kelurahan Pahandut - TPS 001"
        names = [n for n, _ket in _names(ws)]
        # The TMS accepted since is still in; the corrected name is the name established.
        assert sorted(names) == ["Pemilih 0", "Pemilih 1", "Pemilih 2", "Pemilih 3"], url
        assert _names(wb["TPS 002"]) == []  # the new voter came after the DPS
        texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
        assert "7/BA/KPU" in texts, "the list says which pleno established it"


def test_the_dpshp_is_the_list_now_with_the_changes(second, login):
    wb = workbook(login(second.pps), "/wilayah/62.71.01.1001/dps.xlsx?tahap=dpshp")
    ws = wb["TPS 001"]
    assert ws.cell(1, 1).value == "DAFTAR PEMILIH SEMENTARA HASIL PERBAIKAN (DPSHP)"
    # The keterangan marks the changes since the DPS: U corrected, B new.
    assert sorted(_names(ws)) == [("Pemilih 1", ""), ("Pemilih 3", ""), ("Pemilih Dua Benar", "U")]
    assert _names(wb["TPS 002"]) == [("Rahmat Baru", "B")]


def test_the_dpshp_marks_only_what_changed_since_the_dps(second, login):
    """A voter corrected in coklit is U in the DPS, unmarked in the DPSHP; one moved to TPS 002
    by an accepted TMS 8 is a pindahan there."""
    v1, v3 = second.voters[1], second.voters[3]
    Voter.objects.filter(pk=v1.pk).update(status="UBAH", verification="approved")
    _moved_to_tps_002(second, v3)
    wb = workbook(login(second.pps), "/wilayah/62.71.01.1001/dps.xlsx?tahap=dpshp")
    assert ("Pemilih 1", "") in _names(wb["TPS 001"])
    assert sorted(_names(wb["TPS 002"])) == [
        ("Pemilih 3", "B pindahan TPS 001"),
        ("Rahmat Baru", "B"),
    ]


def test_after_the_period_the_current_list_is_the_dpshp(second, login):
    today = timezone.localdate()
    Pemilihan.objects.update(
        tanggapan_start=today - dt.timedelta(days=12), tanggapan_end=today - dt.timedelta(days=2)
    )
    assert svc.current_list(second.village) == "dpshp"
    wb = workbook(login(second.pps), "/wilayah/62.71.01.1001.001/dps.xlsx")
    assert wb["TPS 001"].cell(1, 1).value == "DAFTAR PEMILIH SEMENTARA HASIL PERBAIKAN (DPSHP)"


def test_the_plenos_stage_and_the_list_shown_answer_two_questions(second):
    # Both turn on the KPU's DPHP pleno; only the list follows the response period as well.
    def both():
        return plenos.pleno_stage(second.village), svc.current_list(second.village)

    assert both() == ("dpshp", "dps")
    today = timezone.localdate()
    Pemilihan.objects.update(
        tanggapan_start=today - dt.timedelta(days=12), tanggapan_end=today - dt.timedelta(days=2)
    )
    assert both() == ("dpshp", "dpshp")
    _establish_dpt(second)
    assert both() == ("dpshp", "dpt")


def test_a_list_of_a_stage_not_reached_is_404(second, login):
    client = login(second.pps)
    assert client.get("/wilayah/62.71.01.1001/dps.xlsx?tahap=dpt").status_code == 404
    assert client.get("/wilayah/62.71.01.1001/dps.xlsx?tahap=dphp").status_code == 200


def test_during_coklit_the_dps_is_404(world, login):
    client = login(world.pps)
    for tahap in ("dps", "dpshp"):
        assert client.get(f"/wilayah/62.71.01.1001/dps.xlsx?tahap={tahap}").status_code == 404


# --- scope ---------------------------------------------------------------------------------------


def test_another_areas_user_is_refused_and_the_supervisor_reads(second, login):
    other = login(second.pps_panarung)
    for url in (
        "/wilayah/62.71.01.1001/dps.xlsx?tahap=dps",
        "/wilayah/62.71.01.1001/dps.xlsx?tahap=dpshp",
        "/wilayah/62.71.01.1001/rekap.xlsx",
        "/wilayah/62.71.01.1001/cetak/",
    ):
        assert other.get(url).status_code == 404, url
    pkd = login(second.pkd)
    assert pkd.get("/wilayah/62.71.01.1001/dps.xlsx?tahap=dps").status_code == 200
    assert pkd.get("/wilayah/62.71.01.1001/rekap.xlsx").status_code == 200


def test_the_area_page_links_name_the_lists_of_the_stage(second, login):
    html = login(second.pps).get("/wilayah/62.71.01.1001/").content.decode()
    assert "Rekap DPSHP (Excel)" in html and "DPS per TPS (Excel)" in html
    assert "/wilayah/62.71.01.1001/dps.xlsx?tahap=dpshp" in html
    _establish_dpt(second)
    html = login(second.pps).get("/wilayah/62.71.01.1001/").content.decode()
    assert "Rekap DPT (Excel)" in html and "DPT per TPS (Excel)" in html
    assert "/wilayah/62.71.01.1001/dps.xlsx?tahap=dps" in html


def test_during_coklit_the_links_name_the_dphp(world, login):
    html = login(world.pps).get("/wilayah/62.71.01.1001/").content.decode()
    assert "Rekap DPHP (Excel)" in html and "DPHP per TPS (Excel)" in html
    assert "tahap=" not in html


def test_the_change_list_of_the_second_stage_reads_out_the_changes_since_the_dps(second, login):
    from tests.coklit.test_progres_perubahan import rows_of

    v3 = second.voters[3]
    _moved_to_tps_002(second, v3)
    wb = workbook(login(second.pps), "/wilayah/62.71.01.1001/perubahan.xlsx")
    one, two = wb["TPS 001"], wb["TPS 002"]
    assert one.cell(1, 1).value == "DAFTAR PERUBAHAN PEMILIH SEMENTARA HASIL PERBAIKAN (DPSHP)"
    assert [(s, r[3], r[9]) for s, r in rows_of(one)] == [
        ("A", "Pemilih 0", "TMS 1 (Meninggal)"),
        ("A", "Pemilih 3", "TMS 8 (pindah ke TPS 002)"),
        ("B", "Pemilih Dua Benar", "U: Nama Pemilih 2 → Pemilih Dua Benar"),
    ]
    assert sorted((s, r[3], r[9]) for s, r in rows_of(two)) == [
        ("C", "Pemilih 3", "B pindahan dari TPS 001"),
        ("C", "Rahmat Baru", "B"),
    ]
    assert (
        login(second.pps_panarung).get("/wilayah/62.71.01.1001/perubahan.xlsx").status_code == 404
    )
