"""The second stage's lists stream (SPEC 9) and say what they said before they streamed.

`dps.xlsx?tahap=dps` (the DPS as established), `?tahap=dpshp` (the list now, the changes since
the DPS marked) and the DPSHP pleno's `perubahan.xlsx` of a small village, cell by cell against
the workbooks the in-memory version made (tests/coklit/data/second_stage_lists.json; the time
of printing and today's date left out). `STREAM_GOLDEN=1` writes that file again: only when a
change to a list is meant, and read its diff.

The village holds every case the lists mark: a correction, a new voter and a TMS 8 of coklit
(U, B, pindahan in the DPS), then after the DPS accepted responses that move a voter in the
order (a corrected name and address, restored in the DPS), a corrected birth date and sex, a
TMS, a TMS 8 to the other TPS, a new voter; addresses in lower case and with accents, whose
order is the code point order the in-memory sort gave.
"""

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from coklit import tanggapan as svc
from coklit.models import Voter
from coklit.terbilang import tanggal
from kpu.services import pemilihan_create
from tests.coklit.conftest import add_voters
from tests.coklit.forms_support import workbook
from tests.coklit.workflow import hold_stage
from tests.coklit.workflow import record as found

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "data" / "second_stage_lists.json"
URLS = (
    "/wilayah/62.71.01.1001/dps.xlsx?tahap=dps",
    "/wilayah/62.71.01.1001/dps.xlsx?tahap=dpshp",
    "/wilayah/62.71.01.1001.002/dps.xlsx?tahap=dps",
    "/wilayah/62.71.01.1001/perubahan.xlsx",
    "/wilayah/62.71.01.1001.001/perubahan.xlsx",
)
# (TPS, RW, RT, address, name): the order of the posted list is RW, RT, address, NKK, name.
PEOPLE = [
    (1, "002", "001", "Jl. Ahmad Yani 5", "Siti Aminah"),
    (1, "001", "003", "jl. kecil", "Budi Santoso"),
    (1, "001", "003", "Jl. Émile", "Dewi Lestari"),
    (1, "001", "003", "Jl. Zebra", "=1+1"),
    (1, "001", "001", "Jl. Zebra", "Yohana"),
    (1, "003", "002", "Jl. Mawar", "Agus"),
    (2, "001", "001", "Jl. Melati", "Maria"),
    (2, "001", "002", "Jl. Melati", "Hendra"),
    (2, "002", "001", "Jl. Kenanga", "Rina"),
]


@pytest.fixture
def village(world):
    today = timezone.localdate()
    pemilihan_create(
        regency=world.regency,
        name="Pemilihan Serentak 2026",
        voting_day=dt.date(2030, 11, 27),  # ages do not move with the day the test runs
        coklit_start=today - dt.timedelta(days=60),
        coklit_end=today - dt.timedelta(days=30),
        tanggapan_start=today - dt.timedelta(days=3),
        tanggapan_end=today + dt.timedelta(days=6),
    )
    voters = []
    for i, (tps, rw, rt, alamat, nama) in enumerate(PEOPLE):
        (v,) = add_voters(
            world.tps1 if tps == 1 else world.tps2,
            1,
            nik=f"627101410190{i:04d}",
            nkk=f"627101010101{i % 3:04d}",
            rw=rw,
            rt=rt,
            alamat=alamat,
            nama=nama,
            tanggal_lahir=dt.date(1980 + i, 1 + i, 1 + i),
            jenis_kelamin="LP"[i % 2],
        )
        voters.append(v)
    for v in voters:
        found(v, "MS")
    # Coklit's own changes, verified: a correction (U), a TMS 8 to TPS 002 (pindahan), a new
    # voter (B), as the DPS lists them.
    Voter.objects.filter(pk=voters[5].pk).update(status="UBAH", verification="approved")
    Voter.objects.filter(pk=voters[4].pk).update(
        status="TMS", tms_reason=8, dps_tps=world.tps2, verification="approved"
    )
    Voter.objects.create(
        tps=world.tps1,
        village=world.village,
        origin="BARU",
        status="BARU",
        verification="approved",
        nkk="6271010101019999",
        nik="6271014101909999",
        nama="Baru Coklit",
        tanggal_lahir=dt.date(2008, 5, 5),
        jenis_kelamin="P",
        status_kawin="B",
        rw="001",
        rt="002",
        alamat="Jl. Zebra",
    )
    hold_stage(world, kpu="7/BA/KPU", sk="8/PL.01.2-Kpt/2026")
    record = lambda **kw: svc.tanggapan_record(village=world.village, by=world.pps, **kw)  # noqa: E731
    for item in (
        record(kind="data_salah", voter_id=voters[1].pk, fields={"nama": "Abdul", "alamat": "A"}),
        record(
            kind="data_salah",
            voter_id=voters[2].pk,
            fields={"tanggal_lahir": "1970-07-07", "jenis_kelamin": "P"},
        ),
        record(kind="tms", voter_id=voters[0].pk, tms_reason=1, note="surat kematian"),
        record(kind="tms", voter_id=voters[3].pk, tms_reason=8, target_tps=2),
        record(
            kind="belum_terdaftar",
            tps="1",
            fields={
                "nkk": "6271010101998888",
                "nik": "6271015507998888",
                "nama": "Rahmat Baru",
                "tanggal_lahir": "2007-01-01",
                "jenis_kelamin": "L",
                "status_kawin": "B",
                "alamat": "Jl. Ahmad Yani 5",
                "rt": "001",
                "rw": "002",
            },
        ),
    ):
        svc.tanggapan_accept(tanggapan=item, by=world.pps)
    svc.tanggapan_reject(
        tanggapan=record(kind="tms", voter_id=voters[6].pk, tms_reason=5, note="x"),
        by=world.pps,
        note="dikenal Ketua RT",
    )
    return world


_WHEN = re.compile(r"\d{1,2} \w+ \d{4} pukul \d{2}\.\d{2} \w+")


def cells(wb) -> dict[str, list[list]]:
    """Every sheet's values row by row, the moments of printing left out."""
    today = tanggal(timezone.localdate())
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            values = []
            for v in row:
                if isinstance(v, str):
                    v = _WHEN.sub("<waktu>", v).replace(today, "<hari ini>")
                elif isinstance(v, dt.date | dt.datetime):
                    v = v.isoformat()
                values.append(v)
            rows.append(values)
        out[ws.title] = rows
    return out


def test_the_second_stage_lists_are_cell_by_cell_what_they_were(village, login):
    client = login(village.pps)
    got = {url: cells(workbook(client, url)) for url in URLS}
    if os.environ.get("STREAM_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    want = json.loads(GOLDEN.read_text())
    for url in URLS:
        assert got[url] == want[url], url


def test_the_lists_mark_what_they_should(village, login):
    """The golden file is not taken on trust: the marks it holds, spelt out."""
    client = login(village.pps)

    def names(url, sheet):
        ws = workbook(client, url)[sheet]
        head = next(r for r in range(1, 30) if ws.cell(r, 1).value == "No")
        out = []
        for row in ws.iter_rows(min_row=head + 1, values_only=True):
            if not isinstance(row[0], int):
                break
            out.append((row[3], row[4], row[9] or ""))
        return out

    dps = "/wilayah/62.71.01.1001/dps.xlsx?tahap=dps"
    # The DPS as established: the name, address and sex as they were, in the order they gave
    # (RW, RT, address in code point order: "Jl. Zebra" < "Jl. Émile" < "jl. kecil").
    assert names(dps, "TPS 001") == [
        ("Baru Coklit", "P", "B"),
        ("=1+1", "P", ""),
        ("Dewi Lestari", "L", ""),
        ("Budi Santoso", "P", ""),
        ("Siti Aminah", "L", ""),
        ("Agus", "P", "U"),
    ]
    assert names(dps, "TPS 002") == [
        ("Maria", "L", ""),
        ("Yohana", "L", "B pindahan TPS 001"),
        ("Hendra", "P", ""),
        ("Rina", "L", ""),
    ]
    # The DPSHP: the list now, only the changes since the DPS marked.
    dpshp = "/wilayah/62.71.01.1001/dps.xlsx?tahap=dpshp"
    assert names(dpshp, "TPS 001") == [
        ("Baru Coklit", "P", ""),
        ("Abdul", "P", "U"),
        ("Dewi Lestari", "P", "U"),
        ("Rahmat Baru", "L", "B"),
        ("Agus", "P", ""),
    ]
    assert ("=1+1", "P", "B pindahan TPS 001") in names(dpshp, "TPS 002")
    assert ("Yohana", "L", "") in names(dpshp, "TPS 002")
