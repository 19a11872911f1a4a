"""Layout in a real browser: phone width without sideways scrolling, table rows that hold."""

import pytest

from tests.coklit.workflow import make_voter, record

pytestmark = pytest.mark.browser


def test_the_verification_queue_does_not_scroll_sideways_on_a_phone(bworld, open_as, live_server):
    """The reject form's screen-reader label is absolutely positioned inside the wide table: it
    must stay inside the table's scroll box, not stretch the page."""
    for reason in (2, 4, 5):
        record(make_voter(bworld.tps1), "TMS", tms_reason=reason)
    page = open_as(bworld.pps, width=360)
    page.goto(f"{live_server.url}/wilayah/{bworld.village.code}/verifikasi/")
    assert page.locator("form.reject").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.errors == []


def test_each_queue_row_is_one_row_with_its_decision_cell(bworld, open_as, live_server):
    """The decision cell is a table cell (the accounts' `.actions` flex box must not turn it
    into a block shorter than its row, with the row's bottom border floating under it)."""
    record(make_voter(bworld.tps1), "TMS", tms_reason=4, note="pindah ke Sampit " * 8)
    page = open_as(bworld.pps)
    page.goto(f"{live_server.url}/wilayah/{bworld.village.code}/verifikasi/")
    cell = page.locator("tr.queue-row td.actions").first
    assert cell.evaluate("td => getComputedStyle(td).display") == "table-cell"
    row_height = page.locator("tr.queue-row").first.evaluate("tr => tr.offsetHeight")
    assert abs(cell.evaluate("td => td.offsetHeight") - row_height) <= 1
