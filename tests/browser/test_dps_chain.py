"""Three people in three browsers walk one village's DPS draft through the chain (SPEC 8):
the PPS verifies the last result and submits, the PPK approves, the KPU establishes."""

import os
import re

import pytest
from django.db import connections

from coklit.models import DpsDraft
from kpu.models import AuditEntry
from tests.base import PASSWORD, build_world
from tests.coklit.workflow import complete_village, make_voter, record

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there unless
# told that this test thread is not async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.browser.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="Debian's chromium (/usr/bin/chromium) is not installed",
    ),
]


def open_as(browser, live_server, user, errors):
    """A browser context of its own (its own cookies), logged in through the login form.

    Console errors (a CSP violation, a failed htmx request) are collected into `errors`.
    """
    page = browser.new_context().new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(10_000)
    page.goto(live_server.url + "/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/wilayah/"))
    return page


def test_pps_submits_ppk_approves_kpu_establishes(browser, live_server):
    try:
        walk_the_chain(browser, live_server)
    finally:
        # ORM calls made while Playwright runs use a connection of their own (Playwright
        # switches greenlets and Django keeps a connection per context): close it, or
        # PostgreSQL refuses to drop the test database at the end of the session.
        connections.close_all()


def walk_the_chain(browser, live_server):
    from playwright.sync_api import expect

    world = build_world()
    complete_village(world)
    event = record(make_voter(world.tps1), "TMS", tms_reason=4, note="pindah ke Sampit")
    village = live_server.url + f"/wilayah/{world.village.code}/"
    errors: list[str] = []

    pps = open_as(browser, live_server, world.pps, errors)
    pps.goto(village + "verifikasi/")
    row = pps.locator(f"#row-{event.pk}")
    expect(row).to_contain_text("pindah ke Sampit")
    row.get_by_role("button", name="Setujui").click()
    expect(pps.locator(f"#row-{event.pk}")).to_contain_text("Disetujui")
    expect(pps.locator("#queue-total")).to_contain_text("0 hasil menunggu verifikasi")

    pps.goto(village)
    pps.fill("#dps-submit-ba", "01/BA/PPS-PHD/2026")
    pps.click("#dps-submit")
    expect(pps.locator("#dps-panel .state").first).to_have_text("Diajukan")

    ppk = open_as(browser, live_server, world.ppk, errors)
    expect(ppk.locator("#inbox")).to_contain_text("Kelurahan Pahandut")
    ppk.locator("#inbox").get_by_role("link", name="Kelurahan Pahandut").click()
    ppk.fill("#dps-approve-ba", "02/BA/PPK-PHD/2026")
    ppk.click("#dps-approve")
    expect(ppk.locator("#dps-panel .state").first).to_have_text("Disetujui PPK")

    kpu = open_as(browser, live_server, world.kpu, errors)
    expect(kpu.locator("#inbox")).to_contain_text("Kelurahan Pahandut")
    kpu.goto(village)
    kpu.fill("#dps-establish-ba", "03/BA/KPU-PKY/2026")
    kpu.click("#dps-establish")
    expect(kpu.locator("#dps-panel .state").first).to_have_text("Ditetapkan")
    expect(kpu.locator("#dps-panel")).to_contain_text("menetapkan DPS")

    # The PPS's page, reloaded, shows the final state and no action left for them.
    pps.reload()
    expect(pps.locator("#dps-panel .state").first).to_have_text("Ditetapkan")
    expect(pps.locator("#dps-submit")).to_have_count(0)

    assert errors == []
    draft = DpsDraft.objects.get(village=world.village)
    assert (draft.status, draft.ba_number) == ("established", "03/BA/KPU-PKY/2026")
    assert list(AuditEntry.objects.order_by("at", "pk").values_list("action", flat=True)) == [
        "verify_approve",
        "dps_submit",
        "dps_approve",
        "dps_establish",
    ]
