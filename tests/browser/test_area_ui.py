"""The area page as the people who act see it, at 360 and 1280 px (issue 16): the headline card
first, every page type without sideways overflow, <details> kept open across polls, a banner
while polls fail, exception counts that link to their lists."""

import pytest
from playwright.sync_api import expect

from tests.coklit.dashboard_support import add_voters, election, set_figures, set_outcome
from tests.coklit.workflow import make_voter, record

pytestmark = pytest.mark.browser


@pytest.fixture
def data(bworld, settings):
    settings.COKLIT_POLL_SECONDS = 1
    election(bworld.regency)
    voters = add_voters(bworld.tps1, 4)
    add_voters(bworld.tps_panarung, 2, status="MS")
    set_outcome(voters[1], status="TMS", tms_reason=4, verification="pending")
    set_figures(bworld.tps1, flagged=2)
    return bworld, voters


def overflow(page) -> tuple[int, int]:
    """(document width, right edge of the widest element outside a scroll box)."""
    return page.evaluate(
        """() => {
          const inScroller = e => {
            for (let p = e.parentElement; p; p = p.parentElement) {
              const o = getComputedStyle(p).overflowX;
              if (o === 'auto' || o === 'scroll') return true;
            }
            return false;
          };
          let right = 0;
          for (const e of document.querySelectorAll('body *')) {
            if (inScroller(e)) continue;
            const r = e.getBoundingClientRect(); if (r.width) right = Math.max(right, r.right); }
          return [document.documentElement.scrollWidth, Math.ceil(right)];
        }"""
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_no_page_type_is_wider_than_the_screen(data, open_as, live_server, artifacts, width):
    world, _ = data
    record(make_voter(world.tps1), "TMS", tms_reason=5)
    kpu, pps = open_as(world.kpu, width=width), open_as(world.pps, width=width)
    pages = [
        (kpu, "regency", f"/wilayah/{world.regency.code}/"),
        (kpu, "district", f"/wilayah/{world.district.code}/"),
        (kpu, "village", f"/wilayah/{world.village.code}/"),
        (kpu, "tps", f"/wilayah/{world.tps1.code}/"),
        (kpu, "search", f"/wilayah/{world.regency.code}/cari/?q=pahandut"),
        (pps, "queue", f"/wilayah/{world.village.code}/verifikasi/"),
        (kpu, "accounts", "/pengguna/"),
        (kpu, "account-new", "/pengguna/baru/"),
        (pps, "devices", f"/pengguna/{world.pantarlih.pk}/perangkat/"),
        (kpu, "pleno-district", f"/pleno/{world.district.code}/"),
        (pps, "pleno-village", f"/pleno/{world.village.code}/"),
        (kpu, "cetak", f"/wilayah/{world.village.code}/cetak/"),
        (kpu, "404", f"/wilayah/{world.tps_mimika.code}/"),
    ]
    for page, name, url in pages:
        page.goto(live_server.url + url)
        doc, right = overflow(page)
        assert doc <= width and right <= width, f"{name} at {width}px: {doc}/{right}px"
        page.screenshot(path=str(artifacts / f"ui-{name}-{width}.png"), full_page=True)
    errors = [e for e in kpu.errors + pps.errors if "status of 404" not in e]  # the 404 page
    assert errors == []


def test_the_headline_comes_first_on_a_phone(data, open_as, live_server, artifacts):
    world, voters = data
    set_outcome(voters[0], status="MS")
    page = open_as(world.pps, width=360, height=640)
    page.goto(f"{live_server.url}/wilayah/{world.village.code}/")
    card = page.locator("#headline")
    box = card.bounding_box()
    assert box["y"] + box["height"] <= 640, box  # all of it above the fold
    expect(card.locator(".pct")).to_have_text("50,0%")
    expect(card).to_contain_text("Seharusnya hari ini")
    expect(card.locator(".hl-gap")).to_contain_text("poin")
    expect(card).to_contain_text("Angka per")
    exports = page.locator(".area-tools")
    assert exports.bounding_box()["y"] > box["y"]
    page.screenshot(path=str(artifacts / "ui-headline-360.png"))
    # The poll brings the headline too (out of band): a new result shows there.
    set_outcome(voters[2], status="MS")
    expect(card.locator(".pct")).to_have_text("75,0%", timeout=10_000)
    assert page.errors == []


def test_details_stay_open_across_polls(data, open_as, live_server):
    world, voters = data
    page = open_as(world.pps)
    page.goto(f"{live_server.url}/wilayah/{world.village.code}/")
    page.click("#tms-reasons summary")
    expect(page.locator("#tms-reasons")).to_have_attribute("open", "")
    set_outcome(voters[3], status="TMS", tms_reason=2, verification="pending")  # a new poll body
    expect(page.locator("#tms-reasons dl.reasons")).to_contain_text("2", timeout=10_000)
    page.wait_for_timeout(2500)  # two more polls
    expect(page.locator("#tms-reasons")).to_have_attribute("open", "")
    assert page.errors == []


def test_a_banner_shows_while_polls_fail_and_goes_when_they_answer(
    data, open_as, live_server, artifacts
):
    world, _ = data
    page = open_as(world.pps, width=360)
    page.goto(f"{live_server.url}/wilayah/{world.village.code}/")
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    def down(route):
        if route.request.headers.get("hx-target") == "live":
            route.abort("connectionrefused")
        else:
            route.continue_()

    page.route("**/wilayah/**", down)
    expect(banner).to_be_visible(timeout=10_000)
    expect(banner).to_contain_text("Koneksi terputus sejak")
    expect(banner).to_contain_text("WIB — angka mungkin usang")
    assert banner.bounding_box()["y"] < 640
    page.screenshot(path=str(artifacts / "ui-offline-360.png"))
    page.unroute("**/wilayah/**", down)
    expect(banner).to_be_hidden(timeout=10_000)


def test_exception_counts_are_labelled_links_to_their_lists(data, open_as, live_server, artifacts):
    world, _ = data
    page = open_as(world.ppk, width=360)
    page.goto(f"{live_server.url}/wilayah/{world.district.code}/")
    row_badge = page.locator("#children a.badge.pending").first
    expect(row_badge).to_have_text("1\xa0verifikasi")
    flagged = page.locator("ul.attention a", has_text="data ditandai saat impor")
    flagged.click()
    expect(page).to_have_url(
        f"{live_server.url}/wilayah/{world.district.code}/?perhatian=flagged#children"
    )
    expect(page.locator("#children tbody tr")).to_have_count(1)
    expect(page.locator(".filter-note")).to_contain_text("data ditandai saat impor")
    page.goto(f"{live_server.url}/wilayah/{world.district.code}/")
    page.locator("#children a.badge.pending").first.click()
    expect(page).to_have_url(f"{live_server.url}/wilayah/{world.village.code}/verifikasi/")
    assert page.errors == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_password_slip_holds_its_values(bworld, open_as, live_server, artifacts, width):
    page = open_as(bworld.kpu, width=width)
    page.goto(f"{live_server.url}/pengguna/baru/")
    page.fill("input[name=nama]", "Yohana Bungai")
    page.select_option("select[name=peran]", "pantarlih")
    page.fill("input[name=kode_wilayah]", bworld.tps1.code)
    page.click("main form button[type=submit]")
    slip = page.locator(".slip").first
    expect(slip).to_contain_text("pantarlih-62.71.01.1001.001")
    box = slip.bounding_box()
    for value in slip.locator("dd").all():
        v = value.bounding_box()
        assert v["x"] >= box["x"] and v["x"] + v["width"] <= box["x"] + box["width"] + 0.5
    username = slip.locator("dd.username")
    assert username.bounding_box()["height"] < 30  # one line, not broken mid-token
    assert username.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    page.screenshot(path=str(artifacts / f"ui-slip-{width}.png"), full_page=True)
    assert page.errors == []
