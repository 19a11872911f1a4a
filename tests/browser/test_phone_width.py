"""At 360 px (a phone) no page scrolls sideways: wide tables scroll inside their own box."""

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
