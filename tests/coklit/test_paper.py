"""Results from paper (SPEC 6b): the Model A worksheet out and back, and the entry page.

Every upload goes through the real views (download, fill with openpyxl, upload) and ends with
the kept figures equal to a recount.
"""

import datetime as dt
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from coklit import figures, paper, plenos
from coklit.figures import ensure_tps
from coklit.models import FIGURE_FIELDS, CoklitEvent, TpsFigures, Voter
from kpu.models import AuditEntry
from tests.coklit.conftest import Device, event
from tests.coklit.workflow import set_pleno

pytestmark = pytest.mark.django_db


def make_voters(tps, n, *, nik_base=0):
    made = []
    with transaction.atomic():
        for i in range(n):
            made.append(
                Voter.objects.create(
                    tps=tps,
                    village=tps.parent,
                    nkk=f"62710101010{nik_base + i:05d}",
                    nik=f"62710141019{nik_base + i:05d}",
                    nama=f"Pemilih {i}",
                    tempat_lahir="Palangka Raya",
                    tanggal_lahir=dt.date(1990, 1, 1) + dt.timedelta(days=i),
                    jenis_kelamin="LP"[i % 2],
                    status_kawin="S",
                    alamat=f"Jl. Kenanga {i}",
                    rt="004",
                    rw="002",
                )
            )
        figures.apply(figures.delta([], made))
    return made


def download(client, tps, query=""):
    response = client.get(reverse("coklit-model-a-xlsx", args=[tps.code]) + query)
    assert response.status_code == 200, response.content[:500]
    return load_workbook(BytesIO(b"".join(response.streaming_content)))


def columns(ws):
    """(header row number, {header label: column number}) of a sheet."""
    for row in ws.iter_rows(min_row=1, max_row=30):
        labels = {c.value: c.column for c in row if isinstance(c.value, str)}
        if "NIK" in labels:
            return row[0].row, labels
    raise AssertionError("no header row")


def voter_rows(ws):
    """{voter id: row number} of the list sheet."""
    head, cols = columns(ws)
    out = {}
    for r in range(head + 1, ws.max_row + 1):
        value = ws.cell(r, cols["ID"]).value
        if value not in (None, ""):
            out[int(value)] = r
    return out


def fill(wb, marks: dict, cells: dict | None = None, new: list[dict] | None = None):
    """Write marks (and changed cells) into the worksheet as a PPS operator would."""
    ws = wb[paper.SHEET_LIST]
    head, cols = columns(ws)
    rows = voter_rows(ws)
    for voter, mark in marks.items():
        ws.cell(rows[voter.pk], cols["Keterangan"]).value = mark
    for (voter, label), value in (cells or {}).items():
        ws.cell(rows[voter.pk], cols[label]).value = value
    if new:
        ns = wb[paper.SHEET_NEW]
        head, ncols = columns(ns)
        for i, data in enumerate(new, start=1):
            for label, value in data.items():
                ns.cell(head + i, ncols[label]).value = value
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, tps, content, name="model-a.xlsx"):
    return client.post(
        reverse("coklit-model-a-upload", args=[tps.code]),
        {"file": SimpleUploadedFile(name, content)},
    )


def assert_exact():
    assert figures.mismatches(code="62.71") == {}


@pytest.fixture
def pps(world, login):
    return login(world.pps)


NEW = {
    "NKK": "6271010101990001",
    "NIK": "6271015507990001",
    "Nama": "Siti Aminah",
    "Tanggal Lahir": "15-07-1999",
    "Jenis Kelamin (L/P)": "P",
    "Status Kawin (B/S/P)": "B",
    "KTP-el (S/B)": "S",
}


def test_round_trip_equals_the_same_results_through_the_api(world, pps):
    """A worksheet filled and uploaded for TPS 001 gives what a device's events give TPS 002."""
    ensure_tps(world.village, [3])
    paper_voters = make_voters(world.tps1, 8)
    api_voters = make_voters(world.tps2, 8, nik_base=100)
    wb = download(pps, world.tps1)
    p = paper_voters
    content = fill(
        wb,
        {p[0]: "✓", p[1]: "S", p[2]: "U", p[3]: "4", p[4]: "8/003", p[5]: "1 akta kematian"},
        {(p[2], "Nama"): "Pemilih Dua Baru", (p[2], "RT"): "7"},
        new=[NEW],
    )
    response = upload(pps, world.tps1, content)
    assert response.status_code == 200, response.content.decode()
    assert "Berkas diterima" in response.content.decode()

    a = api_voters
    device = Device(world.pantarlih2)
    statuses = device.statuses(
        [
            event(a[0]),
            event(a[1]),
            event(a[2], changes={"nama": "Pemilih Dua Baru", "rt": "7"}),
            event(a[3], "TMS", tms_reason=4),
            event(a[4], "TMS", tms_reason=8, target_tps=3),
            event(a[5], "TMS", tms_reason=1, note="akta kematian"),
            event(
                None,
                "BARU",
                new_voter={
                    "nkk": "6271010101990002",
                    "nik": "6271015507990002",
                    "nama": "Siti Aminah",
                    "tanggal_lahir": "1999-07-15",
                    "jenis_kelamin": "P",
                    "status_kawin": "B",
                    "ktp_el": "S",
                },
            ),
        ]
    )
    assert statuses == ["accepted"] * 7

    def figs(tps):
        row = TpsFigures.objects.get(tps=tps)
        return {f: getattr(row, f) for f in FIGURE_FIELDS}

    assert figs(world.tps1) == figs(world.tps2)
    state = ("status", "tms_reason", "verification", "conflict", "nama", "rt")
    for mine, theirs in zip(p, a, strict=True):
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert [getattr(mine, f) for f in state] == [getattr(theirs, f) for f in state]
        assert (mine.dps_tps_id or "")[-3:] == (theirs.dps_tps_id or "")[-3:]
    queue = {
        tps: sorted(
            CoklitEvent.objects.filter(tps=tps, verification="pending").values_list(
                "outcome", "tms_reason", "changes"
            )
        )
        for tps in (world.tps1, world.tps2)
    }
    assert queue[world.tps1] == queue[world.tps2]
    # Who and from what: the PPS's account, from the workbook.
    sources = set(CoklitEvent.objects.filter(tps=world.tps1).values_list("source", "user"))
    assert sources == {("model_a", world.pps.pk)}
    assert AuditEntry.objects.get(action="model_a_upload").data["count"] == 7
    assert_exact()


def test_the_same_file_twice_changes_nothing(world, pps):
    voters = make_voters(world.tps1, 4)
    content = fill(
        download(pps, world.tps1),
        {voters[0]: "S", voters[1]: "U", voters[2]: "3"},
        {(voters[1], "Alamat"): "Jl. Baru 1"},
        new=[NEW],
    )
    assert upload(pps, world.tps1, content).status_code == 200
    events = CoklitEvent.objects.count()
    version = TpsFigures.objects.get(tps=world.tps1).version
    second = upload(pps, world.tps1, content)
    assert second.status_code == 200
    assert "0 hasil baru; 4 baris sama" in second.content.decode()
    assert CoklitEvent.objects.count() == events == 4
    assert TpsFigures.objects.get(tps=world.tps1).version == version
    # A worksheet downloaded now shows the results: uploaded unchanged, it changes nothing too.
    again = download(pps, world.tps1)
    out = BytesIO()
    again.save(out)
    third = upload(pps, world.tps1, out.getvalue())
    assert "0 hasil baru" in third.content.decode()
    assert CoklitEvent.objects.count() == 4
    assert_exact()


def test_a_mark_changed_and_changed_back_is_not_lost(world, pps):
    (voter,) = make_voters(world.tps1, 1)
    for mark, status in (("S", "MS"), ("4", "TMS"), ("S", "MS")):
        content = fill(download(pps, world.tps1), {voter: mark})
        assert upload(pps, world.tps1, content).status_code == 200
        voter.refresh_from_db()
        assert voter.status == status
    assert CoklitEvent.objects.filter(voter=voter).count() == 3
    assert_exact()


def test_three_bad_rows_change_nothing_and_are_named(world, pps):
    voters = make_voters(world.tps1, 5)
    other = make_voters(world.tps2, 1, nik_base=50)[0]
    wb = download(pps, world.tps1)
    ws = wb[paper.SHEET_LIST]
    head, cols = columns(ws)
    rows = voter_rows(ws)
    ws.cell(rows[voters[4].pk], cols["ID"]).value = other.pk  # a voter of another TPS
    content = fill(
        wb,
        {voters[0]: "S", voters[1]: "X", voters[2]: "U", voters[3]: "S"},
        {(voters[2], "NIK"): "627101410190000"},  # 15 digits
    )
    response = upload(pps, world.tps1, content)
    assert response.status_code == 400
    text = response.content.decode()
    assert "3 baris salah" in text and "Tidak ada yang diubah" in text
    for row, column in (
        (rows[voters[1].pk], "Keterangan"),
        (rows[voters[2].pk], "NIK"),
        (rows[voters[4].pk], "ID"),
    ):
        assert f"<td>{row}</td><td>{column}</td>" in text, (row, column)
    assert not CoklitEvent.objects.exists()
    assert not Voter.objects.exclude(status="BELUM").exists()


def test_a_file_of_another_tps_is_refused(world, pps):
    make_voters(world.tps1, 2)
    theirs = make_voters(world.tps2, 2, nik_base=20)
    content = fill(download(pps, world.tps2), {theirs[0]: "S"})
    response = upload(pps, world.tps1, content)
    assert response.status_code == 400
    assert f"lembar kerja TPS {world.tps2.code}, bukan {world.tps1.code}" in (
        response.content.decode()
    )
    assert not CoklitEvent.objects.exists()


def test_another_villages_pps_gets_404_and_other_roles_403(world, login, pps):
    voters = make_voters(world.tps1, 1)
    content = fill(download(pps, world.tps1), {voters[0]: "S"})
    outsider = login(world.pps_panarung)
    assert upload(outsider, world.tps1, content).status_code == 404
    assert outsider.get(reverse("coklit-model-a-xlsx", args=[world.tps1.code])).status_code == 404
    entry = reverse("coklit-entry", args=[world.tps1.code])
    assert outsider.post(entry, {"pemilih": voters[0].pk, "tanda": "S"}).status_code == 404
    for user in (world.ppk, world.kpu):
        client = login(user)
        assert upload(client, world.tps1, content).status_code == 403
        assert client.post(entry, {"pemilih": voters[0].pk, "tanda": "S"}).status_code == 403
    assert not CoklitEvent.objects.exists()


def test_corrections_come_from_changed_cells_and_a_nik_typed_over_its_mask(world, pps):
    voters = make_voters(world.tps1, 3)
    wb = download(pps, world.tps1)
    ws = wb[paper.SHEET_LIST]
    head, cols = columns(ws)
    rows = voter_rows(ws)
    assert ws.cell(rows[voters[0].pk], cols["NIK"]).value == "6271**********00"
    # The correction line under a voter's row holds a new value too (the form's blank line).
    ws.cell(rows[voters[1].pk] + 1, cols["Tempat Lahir"]).value = "Sampit"
    content = fill(
        wb,
        {voters[0]: "U", voters[1]: "U", voters[2]: "S"},
        {
            (voters[0], "NIK"): "6271014101900099",
            (voters[0], "Nama"): "  Pemilih   Nol  ",
            (voters[0], "Tanggal Lahir"): dt.datetime(1990, 1, 2),
        },
    )
    response = upload(pps, world.tps1, content)
    assert response.status_code == 200, response.content.decode()
    changes = {e.voter_id: e.changes for e in CoklitEvent.objects.all()}
    assert changes[voters[0].pk] == {
        "nik": "6271014101900099",
        "nama": "Pemilih Nol",
        "tanggal_lahir": "1990-01-02",
    }
    assert changes[voters[1].pk] == {"tempat_lahir": "Sampit"}
    assert changes[voters[2].pk] == {}
    assert_exact()


def test_a_changed_cell_without_u_is_named(world, pps):
    voters = make_voters(world.tps1, 2)
    content = fill(
        download(pps, world.tps1),
        {voters[0]: "S"},
        {(voters[0], "Nama"): "Lain", (voters[1], "RW"): "9"},
    )
    response = upload(pps, world.tps1, content)
    assert response.status_code == 400
    text = response.content.decode()
    assert "tulis U bila ini perbaikan" in text and "Keterangan kosong" in text
    assert not CoklitEvent.objects.exists()


def test_a_locked_village_refuses_upload_and_entry(world, pps):
    voters = make_voters(world.tps1, 2)
    content = fill(download(pps, world.tps1), {voters[0]: "S"})
    set_pleno(world.village)  # the village's pleno is held: its voters are locked
    reason = plenos.lock_messages([world.village.code])[world.village.code]
    response = upload(pps, world.tps1, content)
    assert response.status_code == 409
    assert escape(reason) in response.content.decode()
    entry = reverse("coklit-entry", args=[world.tps1.code])
    row = pps.post(entry, {"pemilih": voters[1].pk, "tanda": "S"}, headers={"HX-Request": "true"})
    assert escape(reason) in row.content.decode()
    assert not CoklitEvent.objects.exists()


def test_full_nik_needs_the_pps_and_a_reason_and_is_logged(world, login, pps):
    (voter,) = make_voters(world.tps1, 1)
    masked = download(pps, world.tps1)
    values = [c for row in masked[paper.SHEET_LIST].iter_rows(values_only=True) for c in row]
    assert voter.nik not in values and voter.nkk not in values
    url = reverse("coklit-model-a-xlsx", args=[world.tps1.code])
    assert pps.get(url + "?nik=penuh").status_code == 400
    assert login(world.kpu).get(url + "?nik=penuh&alasan=cek").status_code == 403
    full = download(pps, world.tps1, "?nik=penuh&alasan=pencocokan+KTP-el")
    values = [c for row in full[paper.SHEET_LIST].iter_rows(values_only=True) for c in row]
    assert voter.nik in values and voter.nkk in values
    entry = AuditEntry.objects.get(action="model_a_nik")
    assert (entry.user, entry.note, entry.target) == (
        world.pps,
        "pencocokan KTP-el",
        world.tps1.code,
    )


def test_the_worksheet_is_printable_and_its_text_cells_are_text(world, pps):
    (voter,) = make_voters(world.tps1, 1)
    Voter.objects.filter(pk=voter.pk).update(nama="=HYPERLINK(1)")
    wb = download(pps, world.tps1)
    assert wb.sheetnames == [paper.SHEET_LIST, paper.SHEET_NEW, paper.SHEET_HELP]
    ws = wb[paper.SHEET_LIST]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    head, cols = columns(ws)
    assert ws.print_title_rows == f"${head}:${head}"
    assert list(cols)[:3] == ["No", "ID", "NKK"] and list(cols)[-1] == "Keterangan"
    row = voter_rows(ws)[voter.pk]
    name = ws.cell(row, cols["Nama"])
    assert name.value == "=HYPERLINK(1)" and name.data_type == "s"
    assert ws.cell(row, cols["NIK"]).number_format == "@"
    assert ws.cell(row, cols["Keterangan"]).number_format == "@"


# --- the entry page -------------------------------------------------------------------------------


def test_entry_saves_a_row_per_mark_and_says_what_is_left(world, pps):
    voters = make_voters(world.tps1, 3)
    url = reverse("coklit-entry", args=[world.tps1.code])
    page = pps.get(url)
    assert page.status_code == 200
    assert 'tersisa <b class="left">3</b>' in page.content.decode()
    hx = {"HX-Request": "true"}
    response = pps.post(url, {"pemilih": voters[0].pk, "tanda": "s", "no": "1"}, headers=hx)
    text = response.content.decode()
    assert 'class="entry-row saved"' in text and 'tersisa <b class="left">2</b>' in text
    assert 'hx-swap-oob="true"' in text
    again = pps.post(url, {"pemilih": voters[0].pk, "tanda": "S"}, headers=hx)
    assert "unchanged" in again.content.decode()
    tms = pps.post(url, {"pemilih": voters[1].pk, "tanda": "8/002"}, headers=hx)
    assert "saved" in tms.content.decode()
    bad = pps.post(url, {"pemilih": voters[2].pk, "tanda": "1"}, headers=hx)
    assert "has-error" in bad.content.decode() and "catatan" in bad.content.decode()
    events = CoklitEvent.objects.order_by("recorded_at")
    assert [(e.outcome, e.tms_reason, e.target_tps, e.source) for e in events] == [
        ("MS", None, None, "entri"),
        ("TMS", 8, 2, "entri"),
    ]
    assert {e.user_id for e in events} == {world.pps.pk}
    assert AuditEntry.objects.filter(action="paper_entry").count() == 2
    assert_exact()


def test_entry_u_opens_a_correction_form_and_saves_the_changes(world, pps):
    (voter,) = make_voters(world.tps1, 1)
    url = reverse("coklit-entry", args=[world.tps1.code])
    hx = {"HX-Request": "true"}
    form = pps.post(url, {"pemilih": voter.pk, "tanda": "u"}, headers=hx).content.decode()
    assert "fixing" in form and 'name="f_nama" value="Pemilih 0"' in form
    assert 'name="f_nik" value="6271**********00"' in form
    fields = {f"f_{f}": v for f, (_, v) in []}
    fields = {"f_nama": "Pemilih Nol", "f_nik": "6271**********00", "f_rt": "4"}
    saved = pps.post(
        url, {"pemilih": voter.pk, "tanda": "U", "koreksi": "1", **fields}, headers=hx
    ).content.decode()
    assert "saved" in saved
    assert CoklitEvent.objects.get().changes == {"nama": "Pemilih Nol"}
    assert_exact()


def test_entry_adds_a_new_voter(world, pps):
    url = reverse("coklit-entry", args=[world.tps1.code])
    data = {
        f"n_{k}": v
        for k, v in {
            "nkk": "6271010101990001",
            "nik": "6271015507990001",
            "nama": "Siti Aminah",
            "tanggal_lahir": "15-07-1999",
            "jenis_kelamin": "p",
            "status_kawin": "B",
        }.items()
    }
    response = pps.post(url, {"baru": "1", **data}, headers={"HX-Request": "true"})
    assert "tersimpan sebagai pemilih baru" in response.content.decode()
    voter = Voter.objects.get(origin="BARU")
    assert (voter.nama, voter.jenis_kelamin, voter.ktp_el) == ("Siti Aminah", "P", True)
    assert CoklitEvent.objects.get().source == "entri"
    twice = pps.post(url, {"baru": "1", **data}, headers={"HX-Request": "true"})
    assert Voter.objects.filter(origin="BARU").count() == 1
    assert "tersimpan" in twice.content.decode()
    assert_exact()


def test_the_tps_page_shows_results_by_source(world, pps):
    voters = make_voters(world.tps1, 3)
    Device(world.pantarlih).statuses([event(voters[0])])
    url = reverse("coklit-entry", args=[world.tps1.code])
    pps.post(url, {"pemilih": voters[1].pk, "tanda": "S"})
    fill_upload = fill(download(pps, world.tps1), {voters[2]: "2"})
    upload(pps, world.tps1, fill_upload)
    page = pps.get(reverse("coklit-area", args=[world.tps1.code])).content.decode()
    assert (
        "Aplikasi pantarlih <b>1</b> · Entri dari kertas <b>1</b> · Unggahan Model A <b>1</b>"
        in page
    )


def test_entry_rows_carry_ids_unlocalized(world, pps):
    """Ids above 999 are written plain (Indonesian formatting would make 12345 "12.345")."""
    (voter,) = make_voters(world.tps1, 1)
    Voter.objects.filter(pk=voter.pk).update(id=12345)
    page = pps.get(reverse("coklit-entry", args=[world.tps1.code])).content.decode()
    assert 'id="p12345"' in page and 'name="pemilih" value="12345"' in page
    row = pps.post(
        reverse("coklit-entry", args=[world.tps1.code]),
        {"pemilih": "12345", "tanda": "S"},
        headers={"HX-Request": "true"},
    )
    assert 'id="p12345" class="entry-row saved"' in row.content.decode()


def test_a_bomb_is_refused_before_calamine_sees_it(world, pps, monkeypatch):
    """The upload inspector (kpu/uploads.py) runs first: a sheet claiming XFD1048576 or a zip
    bomb is a message, and the parser is never reached."""
    import python_calamine

    from tests.security.test_uploads import CalamineSpy, xfd_bomb, zip_bomb

    CalamineSpy.calls = []
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", CalamineSpy)
    for data in (xfd_bomb(), zip_bomb(50), b"nik,nama\n1,2\n"):
        response = upload(pps, world.tps1, data)
        assert response.status_code == 400
        assert 'class="error upload-refused"' in response.content.decode()
    assert CalamineSpy.calls == []
