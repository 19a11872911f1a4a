"""The PPS operator types 20 marks from the paper Model A with the keyboard alone (SPEC 6b):
Enter saves a row and moves to the next, U opens the correction form, the counts move."""

import os
import re

import pytest
from django.db import connections

from coklit import figures
from coklit.models import CoklitEvent, TpsFigures, Voter
from tests.browser.conftest import CHROMIUM
from tests.coklit.test_paper import make_voters

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Debian's chromium (/usr/bin/chromium) is not installed",
    ),
]

# Nineteen marks and one correction: sesuai (s, v), TMS with codes, 8 with the right TPS.
MARKS = ["s"] * 6 + ["4", "v", "s", "8/002", "s", "5", "s", "s", "3", "s", "s", "s", "s"]


@pytest.mark.parametrize("width,height", [(1280, 800), (800, 1280)], ids=["laptop", "tablet"])
def test_twenty_marks_typed_with_the_keyboard_alone(
    bworld, open_as, live_server, artifacts, width, height
):
    try:
        _type_twenty(bworld, open_as, live_server, artifacts, width, height)
    finally:
        connections.close_all()


def _type_twenty(world, open_as, live_server, artifacts, width, height):
    from playwright.sync_api import expect

    make_voters(world.tps1, 25)
    page = open_as(world.pps, width=width, height=height)
    page.set_default_timeout(10_000)
    page.goto(live_server.url + f"/wilayah/{world.tps1.code}/entri/")
    counts = page.locator("#entry-counts")
    expect(counts.locator(".left")).to_have_text("25")
    # Rows by their place on the page (the worksheet's order), as the operator sees them.
    rows = page.locator("tr.entry-row")
    expect(rows).to_have_count(25)
    # The page starts in the first row's mark: no click anywhere from here on.
    expect(rows.nth(0).locator("[data-mark]")).to_be_focused()

    for i, mark in enumerate(MARKS):
        page.keyboard.type(mark)
        page.keyboard.press("Enter")
        expect(rows.nth(i)).to_have_class(re.compile(r"\bsaved\b"))
        expect(rows.nth(i + 1).locator("[data-mark]")).to_be_focused()
        expect(counts.locator(".left")).to_have_text(str(25 - i - 1))

    # The twentieth is a correction: U opens the form, its first field takes the focus.
    row = rows.nth(19)
    page.keyboard.type("u")
    page.keyboard.press("Enter")
    expect(row).to_have_class(re.compile(r"\bfixing\b"))
    expect(row.locator("input[name=f_nkk]")).to_be_focused()
    page.keyboard.press("Tab")  # NIK
    page.keyboard.press("Tab")  # Nama
    expect(row.locator("input[name=f_nama]")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("Pemilih Sembilan Belas")
    page.keyboard.press("Enter")
    expect(row).to_have_class(re.compile(r"\bsaved\b"))
    expect(rows.nth(20).locator("[data-mark]")).to_be_focused()
    expect(counts.locator(".done")).to_have_text("20")
    expect(counts.locator(".left")).to_have_text("5")
    page.screenshot(path=str(artifacts / f"paper-entry-{width}x{height}.png"), full_page=False)

    # The figures moved as a device's results would move them.
    page.goto(live_server.url + f"/wilayah/{world.tps1.code}/")
    expect(page.locator("#headline .hl-main")).to_contain_text("20 dari 25")
    expect(page.locator(".recon .sources")).to_contain_text("Entri dari kertas 20")
    assert page.errors == [], page.errors
    assert TpsFigures.objects.get(tps=world.tps1).done == 20
    assert CoklitEvent.objects.filter(source="entri", user=world.pps).count() == 20
    assert Voter.objects.filter(tps=world.tps1, status="UBAH").count() == 1
    assert figures.mismatches(code=world.tps1.code) == {}
