"""A Panwaslu Kelurahan user files a saran perbaikan in the browser, the PPS rejects it with a
reason in its own browser on a phone (htmx, no reload), and the supervisor sees the answer on
its home page (SPEC 8b)."""

import pytest
from django.db import connections

from coklit.models import Tanggapan
from tests.coklit.dashboard_support import add_voters, election

pytestmark = pytest.mark.browser


def test_a_saran_from_the_pkd_to_its_answer_seen_by_the_pkd(bworld, open_as, live_server):
    try:
        _walk(bworld, open_as, live_server)
    finally:
        connections.close_all()


def _walk(world, open_as, live_server):
    from playwright.sync_api import expect

    election(world.regency)
    voter = add_voters(world.tps1, 3)[0]
    url = f"{live_server.url}/wilayah/{world.village.code}/tanggapan/"

    pkd = open_as(world.pkd)
    pkd.goto(url)
    pkd.check("input[name=kind][value=tms]")
    # One input event (not a keystroke each). The voter's id in the choice is written plain
    # (|unlocalize): a full suite makes ids over 999, once written `34.656`, never matched here.
    pkd.locator("#cari-pemilih").fill(voter.nama)
    pkd.locator(f".voter-choice input[value='{voter.pk}']").check()
    pkd.select_option("#tms-reason", "5")
    pkd.fill("#f-note", "Tidak dikenal di alamatnya menurut ketua RT")
    pkd.click("#record button[type=submit]")
    expect(pkd.locator("#record .success")).to_contain_text("Saran perbaikan dicatat")
    item = Tanggapan.objects.get()
    expect(pkd.locator(f"#t-{item.pk}")).to_contain_text("Menunggu jawaban")
    assert voter.nik not in pkd.content()

    # The PPS answers on a phone: each response is a card with its buttons in reach, not a
    # table row whose answer column lies off screen.
    pps = open_as(world.pps, width=360, height=740)
    pps.goto(url)
    expect(pps.locator("#inbox-h")).to_be_visible()
    assert pps.evaluate("document.documentElement.scrollWidth") <= 360
    row = pps.locator(f"#t-{item.pk}")
    row.locator("input[name=note][required]").fill("Pantarlih bertemu pemilih; tinggal di RT 004")
    wrap = pps.locator(".table-wrap:has(table.tanggapan)")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the list scrolls sideways"
    row.locator("button", has_text="Tolak").click()
    expect(pps.locator(f"#t-{item.pk} .state")).to_have_text("Ditolak")
    expect(pps.locator("#tanggapan-rekap")).to_contain_text("1")

    pkd.goto(f"{live_server.url}/wilayah/{world.village.code}/")
    mine = pkd.locator(".saran-mine")
    expect(mine).to_contain_text("Ditolak")
    expect(mine).to_contain_text("Pantarlih bertemu pemilih; tinggal di RT 004")
    assert not pkd.errors and not pps.errors, pkd.errors + pps.errors
