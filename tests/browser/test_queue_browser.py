"""The verification queue in a real browser at 360 and 1280 px: cards with their buttons in view
on a phone, a filter through htmx, the confirmation before "approve all" (issue 16)."""

import pytest
from playwright.sync_api import expect

from coklit.models import CoklitEvent
from tests.coklit.workflow import make_voter, record, record_baru, record_conflict

pytestmark = pytest.mark.browser


@pytest.fixture
def queue(bworld):
    record(make_voter(bworld.tps1, nama="Siti Aminah"), "TMS", tms_reason=1, note="surat kematian")
    record(make_voter(bworld.tps1), "TMS", tms_reason=4, note="pindah ke Sampit " * 6)
    record(make_voter(bworld.tps2, nama="Yusuf"), changes={"rt": "004", "alamat": "Jl. Kenanga 2"})
    record_baru(bworld.tps2)
    record_conflict(make_voter(bworld.tps1), {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 5})
    return bworld


def widest(page) -> int:
    """The right edge of the widest element on the page (px)."""
    return page.evaluate(
        "Math.max(...[...document.querySelectorAll('body *')].map("
        "e => e.getBoundingClientRect().right))"
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_every_result_fits_with_its_buttons_in_view(queue, open_as, live_server, artifacts, width):
    page = open_as(queue.pps, width=width, height=800)
    page.goto(f"{live_server.url}/wilayah/{queue.village.code}/verifikasi/")
    rows = page.locator("tr.queue-row")
    expect(rows).to_have_count(5)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert widest(page) <= width
    for button in page.locator("tr.queue-row button.approve, tr.queue-row button.reject").all():
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    if width == 360:
        # A card: the buttons come right under the voter and the result, in the first screen.
        first = page.locator("tr.queue-row").first
        voter = first.locator("td.voter").bounding_box()
        approve = first.locator("button.approve").bounding_box()
        assert approve["y"] > voter["y"] and approve["y"] + approve["height"] < 800
    page.screenshot(path=str(artifacts / f"queue-{width}.png"), full_page=True)
    assert page.errors == []


def test_a_filter_narrows_the_list_in_place(queue, open_as, live_server):
    page = open_as(queue.pps, width=360)
    page.goto(f"{live_server.url}/wilayah/{queue.village.code}/verifikasi/")
    page.evaluate("window.notReloaded = true")
    page.locator("label.pill", has_text="Baru").click()
    expect(page.locator("tr.queue-row")).to_have_count(1)
    assert "hasil=baru" in page.url and page.evaluate("window.notReloaded") is True
    page.settled()
    page.select_option("#queue-tps", queue.tps1.code)
    expect(page.locator("tr.queue-row")).to_have_count(0)
    page.settled()
    page.locator("label.pill", has_text="Semua").click()
    expect(page.locator("tr.queue-row")).to_have_count(3)
    assert page.errors == []


def test_approve_all_shows_what_it_includes_before_it_acts(queue, open_as, live_server, artifacts):
    page = open_as(queue.pps, width=360)
    page.goto(f"{live_server.url}/wilayah/{queue.village.code}/verifikasi/?tps={queue.tps1.code}")
    page.click("form.bulk button")
    expect(page.locator("h1")).to_have_text("Setujui 2 hasil di TPS 001?")
    expect(page.locator(".bulk-summary")).to_contain_text("TMS 1 · Meninggal")
    assert CoklitEvent.objects.filter(verification="approved").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artifacts / "queue-confirm-360.png"), full_page=True)
    page.click("form.queue-confirm button.primary")
    expect(page.locator(".messages")).to_contain_text("2 hasil di TPS 001 disetujui")
    assert CoklitEvent.objects.filter(verification="approved").count() == 2
    assert page.errors == []
