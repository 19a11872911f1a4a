"""The print page in headless Chromium: A4 landscape, one page wide, no CSP complaint."""

import re

import pytest

from coklit.models import TpsFigures

# The shared session browser of tests/browser/conftest.py: a second sync_playwright() in the
# same session fails ("Sync API inside the asyncio loop") once the dashboard's tests ran.
pytestmark = pytest.mark.browser

# A4 landscape less the 8 mm side margins of `@page rekap`, in CSS pixels (96 per inch).
PRINTABLE_WIDTH = round((297 - 16) / 25.4 * 96)


@pytest.fixture
def browser_page(bworld, open_as, live_server):
    # Figures of a real city (217,584 voters in Palangka Raya's 4 test TPS): the widest cells.
    real = {"target_l": 55_000, "target_p": 53_796, "done": 108_796, "ms": 95_000}
    real |= {"ubah": 9_100, "baru": 2_900, "no_ktp_el": 1_800, "dps_l": 52_100, "dps_p": 51_300}
    real |= {f"tms_{r}": 390 + 10 * r for r in range(1, 10)}
    real |= {f"dis_{d}": 140 + d for d in range(1, 7)}
    real |= {f"vtms_{r}_{s}": 190 + 5 * r for r in range(1, 10) for s in "lp"}
    real |= {"vbaru_l": 1_400, "vbaru_p": 1_300, "pindah_l": 95, "pindah_p": 99}
    real |= {"vubah_l": 4_500, "vubah_p": 4_400}
    TpsFigures.objects.filter(regency_code="62.71").update(**real)
    return open_as(bworld.kpu), live_server.url


def test_the_recap_prints_on_one_a4_landscape_page_wide(browser_page):
    page, url = browser_page
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(f"{url}/wilayah/62.71/cetak/")
    title = "REKAPITULASI DAFTAR PEMILIH HASIL PEMUTAKHIRAN (DPHP)"
    assert page.locator("h1").first.inner_text() == title
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINTABLE_WIDTH, "height": 700})
    # The narrowest each table can be (table.rekap is width:100%, so measure its min-content):
    # the recap, TMS per reason (the widest) and disabilities.
    needed = page.evaluate(
        "Math.max(...[...document.querySelectorAll('table.rekap')].map(t => {"
        " t.style.width = 'min-content'; const w = t.getBoundingClientRect().width;"
        " t.style.width = ''; return w; }))"
    )
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.print-sheet *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    print(f"recap needs {needed:.0f}px in print, the page has {PRINTABLE_WIDTH}px")
    assert needed <= PRINTABLE_WIDTH and right <= PRINTABLE_WIDTH, (
        f"the recap needs {needed}px, the page has {PRINTABLE_WIDTH}px"
    )
    assert page.locator(".top").is_hidden() and page.locator(".print-actions").is_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    width, height = float(box[1]), float(box[2])
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    assert not problems, problems
