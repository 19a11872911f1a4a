"""Shared by the recap, progress and change-list tests: an election, voters in every state,
and reading a recap sheet back."""

import datetime as dt
import itertools
from io import BytesIO

import pytest
from django.db import transaction
from openpyxl import load_workbook

from coklit import figures
from kpu.services import pemilihan_create
from tests.coklit.test_figures import make_voter

_nik = itertools.count(10**9)


def voter(tps, **kw):
    n = next(_nik)
    return make_voter(tps, nik=f"627101{n:010d}", nkk=f"627102{n:010d}", **kw)


@pytest.fixture
def pemilihan(world):
    p, _ = pemilihan_create(
        regency=world.regency,
        name="Pemilihan Serentak 2026",
        voting_day=dt.date(2026, 11, 27),
        coklit_start=dt.date(2026, 6, 24),
        coklit_end=dt.date(2026, 7, 24),
    )
    return p


@pytest.fixture
def coklit(world, pemilihan):
    """Voters in every state in four TPS of three villages and two districts."""
    made = []
    for tps, k in (
        (world.tps1, 3),
        (world.tps2, 2),
        (world.tps_panarung, 4),
        (world.tps_bukit_batu, 1),
    ):
        for i in range(k):
            sex = "LP"[i % 2]
            made += [
                voter(tps, jenis_kelamin=sex),  # not yet visited: stays in as listed
                voter(tps, jenis_kelamin=sex, status="MS"),
                voter(tps, jenis_kelamin=sex, status="UBAH", verification="approved"),
                voter(tps, jenis_kelamin=sex, status="UBAH", verification="pending"),
                voter(
                    tps,
                    jenis_kelamin=sex,
                    status="TMS",
                    tms_reason=1 + i % 7,
                    verification="approved",
                    disabilitas="1,4",
                ),
                voter(tps, jenis_kelamin=sex, status="TMS", tms_reason=9, verification="approved"),
                voter(tps, jenis_kelamin=sex, status="TMS", tms_reason=2, verification="pending"),
                voter(
                    tps,
                    jenis_kelamin=sex,
                    origin="BARU",
                    status="BARU",
                    verification="approved",
                    ktp_el=False,
                ),
                voter(tps, jenis_kelamin=sex, origin="BARU", status="BARU", verification="pending"),
            ]
    made.append(
        voter(
            world.tps1,
            jenis_kelamin="P",
            status="TMS",
            tms_reason=8,
            dps_tps=world.tps2,
            verification="approved",
            disabilitas="6",
        )
    )
    with transaction.atomic():
        figures.apply(figures.delta([], made))
    return world


def sheet_table(ws):
    """(header map col -> (group, label), rows by code, total row by (group, label))."""
    head = next(r for r in range(1, 40) if ws.cell(r, 2).value == "Kode")
    columns, group = {}, None
    for c in range(1, ws.max_column + 1):
        top, below = ws.cell(head, c).value, ws.cell(head + 1, c).value
        if top is not None:
            group = top
        columns[c] = (group, below if below is not None else group)
    rows, total = {}, None
    for r in range(head + 2, ws.max_row + 1):
        values = {columns[c]: ws.cell(r, c).value for c in columns}
        if ws.cell(r, 3).value == "JUMLAH":
            total = values
            break
        rows[ws.cell(r, 2).value] = values
    return head, rows, total


def workbook(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return load_workbook(BytesIO(response.getvalue()))
