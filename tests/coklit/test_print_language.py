"""Printed documents are Indonesian whatever the interface language; the buttons around them
follow the interface (SPEC 9, issue 16)."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.coklit.dashboard_support import election, set_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(world, login):
    election(world.regency)
    set_figures(world.tps1, target_l=3, done=1)
    client = login(world.kpu)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_the_print_page_speaks_english_around_an_indonesian_sheet(world, english):
    html = english.get(f"/wilayah/{world.village.code}/cetak/").text
    buttons, sheet = html.split('<article class="print-sheet', 1)  # paper-a4 or paper-f4 follows
    assert "Download Excel" in buttons and "A4 landscape" in buttons
    assert "Keadaan data" in sheet and "Jabatan" in sheet and "Tanda Tangan" in sheet
    assert "Signature" not in sheet and "Position" not in sheet and "Data as of" not in sheet


def test_the_recap_workbook_is_indonesian_in_english_mode(world, english):
    response = english.get(f"/wilayah/{world.village.code}/rekap.xlsx")
    book = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    text = " ".join(
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
    assert "Kode" in text
    for english_word in ("Signature", "Position", "Name ", "Voters", "Total "):
        assert english_word not in text
