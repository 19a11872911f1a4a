"""The dashboard in a real browser: live figures, sorting, drill-down, phone size, scope."""

import re

import pytest
from playwright.sync_api import expect

from tests.coklit.dashboard_support import add_voters, election, set_figures, set_outcome

pytestmark = pytest.mark.browser


@pytest.fixture
def data(bworld, settings):
    settings.COKLIT_POLL_SECONDS = 1  # poll fast; the page says 20 s in production
    election(bworld.regency)
    voters = add_voters(bworld.tps1, 4)
    add_voters(bworld.tps_panarung, 2, status="MS")
    set_figures(bworld.tps_panarung, pending=1)
    return bworld, voters


def test_a_change_through_figures_appears_on_the_open_page_without_reload(
    data, open_as, live_server
):
    """A result changes the figures while the page is open; the poll brings it in.

    The sync API is built in parallel: this applies the change through coklit.figures directly.
    Switch it to POST /api/v1/coklit/sync with a pantarlih token once the API is merged.
    """
    world, voters = data
    page = open_as(world.pps)
    polls = []
    page.on(
        "requestfinished",
        lambda r: r.headers.get("hx-target") == "live" and polls.append(r.all_headers()),
    )
    page.goto(f"{live_server.url}/wilayah/{world.village.code}/")
    figure = page.locator("#headline .pct")
    expect(figure).to_have_text("0,0%")
    # Unchanged polls are revalidated by the browser with the ETag (answered 304).
    page.wait_for_timeout(2500)
    assert any("if-none-match" in h for h in polls), polls
    page.evaluate("window.notReloaded = true")
    set_outcome(voters[0], status="MS")
    expect(figure).to_have_text("25,0%", timeout=10_000)
    expect(page.locator("#live .checked")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert page.errors == []


def test_sorting_and_drilling_down(data, open_as, live_server):
    world, _ = data
    set_figures(world.tps1, done=4)
    page = open_as(world.ppk)
    page.goto(f"{live_server.url}/wilayah/{world.district.code}/")
    page.evaluate("window.notReloaded = true")
    codes = page.locator("#children td.code")
    expect(codes.first).to_have_text("62.71.01.1001")
    page.click("#children th >> text=Selesai (%)")  # ascending: least done first
    expect(page).to_have_url(re.compile(r"sort=ratio"))
    page.settled()
    page.click("#children th >> text=Selesai (%)")  # descending: Pahandut (100%) first
    expect(page).to_have_url(re.compile(r"sort=-ratio"))
    page.settled()
    expect(codes.first).to_have_text("62.71.01.1001")
    page.click("#children th >> text=Kode")
    expect(page).to_have_url(re.compile(r"sort=code"))
    page.settled()
    expect(codes.first).to_have_text("62.71.01.1001")
    page.click("#children th >> text=Kode")
    expect(page).to_have_url(re.compile(r"sort=-code"))
    page.settled()
    expect(codes.first).not_to_have_text("62.71.01.1001")
    # Drill down: district -> village -> TPS, without reloading the page.
    page.click(f'#children a[href="/wilayah/{world.village.code}/"]')
    expect(page.locator("h1")).to_contain_text("Kelurahan Pahandut")
    expect(page).to_have_url(f"{live_server.url}/wilayah/{world.village.code}/")
    page.settled()
    page.click(f'#children a[href="/wilayah/{world.tps1.code}/"]')
    expect(page.locator("h1")).to_contain_text("TPS 001")
    expect(page.locator(".recon .pantarlih")).to_contain_text(world.pantarlih.display_name)
    assert page.evaluate("window.notReloaded") is True
    page.go_back()
    expect(page.locator("h1")).to_contain_text("Kelurahan Pahandut")
    assert page.errors == []


def test_the_filter_shows_only_those_behind(data, open_as, live_server):
    world, _ = data
    set_figures(world.tps1, done=4)
    set_figures(world.tps_panarung, done=0)
    page = open_as(world.ppk)
    page.goto(f"{live_server.url}/wilayah/{world.district.code}/")
    page.check("input[name=tertinggal]")
    expect(page).to_have_url(re.compile(r"tertinggal=1"))
    expect(page.locator("#children td.code")).to_have_text([world.village_panarung.code])


def test_phone_and_desktop_screenshots(data, open_as, live_server, artifacts):
    world, voters = data
    set_outcome(voters[1], status="TMS", tms_reason=4, verification="pending")
    for width, height in ((360, 800), (1280, 800)):
        page = open_as(world.kpu, width=width, height=height)
        for name, code in (("district", world.district.code), ("tps", world.tps1.code)):
            page.goto(f"{live_server.url}/wilayah/{code}/")
            expect(page.locator("#live")).to_be_visible()
            # Nothing sticks out sideways on a phone: wide tables scroll inside their box.
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, f"{name} at {width}px is {overflow}px wide"
            page.screenshot(path=artifacts / f"dashboard-{name}-{width}.png", full_page=True)
        assert page.errors == []


def test_a_pps_gets_404_for_another_villages_page_and_partial(data, open_as, live_server):
    world, _ = data
    page = open_as(world.pps)
    other = f"{live_server.url}/wilayah/{world.village_panarung.code}/"
    assert page.goto(other).status == 404
    status = page.evaluate(
        """url => fetch(url, {headers: {"HX-Request": "true", "HX-Target": "live"}})
                 .then(r => r.status)""",
        other,
    )
    assert status == 404
    assert page.goto(f"{live_server.url}/wilayah/{world.village.code}/").status == 200
