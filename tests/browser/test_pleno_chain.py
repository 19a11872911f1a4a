"""Three people in three browsers walk the plenos up (SPEC 8): the PPS verifies the last result
and holds its pleno, the PPK returns it with a reason, the PPS holds it again, the PPK holds
the kecamatan's pleno and the KPU establishes the DPS; each action behind its confirmation."""

import os
import re

import pytest
from django.db import connections

from coklit.models import Pleno
from kpu.models import Area, AuditEntry
from tests.base import PASSWORD, build_world
from tests.coklit.workflow import complete_village, hold_all, make_voter, record

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

    Console errors (a CSP violation, a failed request) are collected into `errors`.
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


def test_pps_ppk_and_kpu_hold_their_plenos_with_a_return_in_the_middle(browser, live_server):
    try:
        walk_the_chain(browser, live_server)
    finally:
        # ORM calls made while Playwright runs use a connection of their own (Playwright
        # switches greenlets and Django keeps a connection per context): close it, or
        # PostgreSQL refuses to drop the test database at the end of the session.
        connections.close_all()


def confirm(page, action):
    """Press the action's button, see its dialog, and confirm."""
    from playwright.sync_api import expect

    page.click(f"#pleno-{action}")
    dialog = page.locator(f"#dialog-{action}")
    expect(dialog).to_be_visible()
    dialog.locator(f"#confirm-{action}").click()


def walk_the_chain(browser, live_server):
    from playwright.sync_api import expect

    world = build_world()
    complete_village(world)
    event = record(make_voter(world.tps1), "TMS", tms_reason=4, note="pindah ke Sampit")
    # The rest of the city has held its plenos: Pahandut is the last.
    hold_all(Area.objects.filter(parent=world.district).exclude(code=world.village.code))
    hold_all(Area.objects.filter(parent=world.regency).exclude(code=world.district.code))
    base = live_server.url
    errors: list[str] = []

    pps = open_as(browser, live_server, world.pps, errors)
    pps.goto(f"{base}/wilayah/{world.village.code}/verifikasi/")
    row = pps.locator(f"#row-{event.pk}")
    expect(row).to_contain_text("pindah ke Sampit")
    row.get_by_role("button", name="Setujui").click()
    expect(pps.locator("#queue-total")).to_contain_text("0 hasil menunggu verifikasi")

    pps.goto(f"{base}/wilayah/{world.village.code}/")
    pps.click("#pleno-link")
    expect(pps.locator("h1")).to_contain_text("Rapat pleno rekapitulasi DPHP")
    pps.fill("#f-ba", "01/PL.01.2-BA/PPS-PHD/2026")
    pps.fill("#f-place", "Kantor Kelurahan Pahandut")
    pps.fill("#f-att", "Ketua PPS\nPanwaslu Kelurahan")
    # Cancel first: nothing happens.
    pps.click("#pleno-hold")
    expect(pps.locator("#dialog-hold")).to_be_visible()
    pps.locator("#dialog-hold").get_by_role("button", name="Batal").click()
    expect(pps.locator("#dialog-hold")).to_be_hidden()
    assert not Pleno.objects.filter(area=world.village).exclude(state="belum").exists()
    confirm(pps, "hold")
    expect(pps.locator("#pleno-state-value")).to_have_text("Sudah pleno")
    expect(pps.locator("#pleno-ba")).to_have_text("01/PL.01.2-BA/PPS-PHD/2026")

    ppk = open_as(browser, live_server, world.ppk, errors)
    inbox = ppk.locator("#inbox")
    expect(inbox).to_contain_text("Kelurahan Pahandut")
    inbox.get_by_role("link", name="Kelurahan Pahandut", exact=True).click()
    ppk.fill("#f-return-note", "Jumlah TMS TPS 001 tidak sama dengan formulir")
    confirm(ppk, "return")
    expect(ppk.locator("#pleno-state-value")).to_have_text("Dikembalikan")

    pps.goto(f"{base}/wilayah/{world.village.code}/")
    expect(pps.locator("#pleno-returned")).to_contain_text("tidak sama dengan formulir")
    pps.click("#pleno-link")
    pps.fill("#f-ba", "02/PL.01.2-BA/PPS-PHD/2026")
    confirm(pps, "hold")
    expect(pps.locator("#pleno-state-value")).to_have_text("Sudah pleno")

    ppk.goto(f"{base}/pleno/{world.district.code}/")
    expect(ppk.locator("#pleno-needs")).not_to_contain_text("belum pleno")
    ppk.fill("#f-ba", "03/PL.01.2-BA/PPK-PHD/2026")
    confirm(ppk, "hold")
    expect(ppk.locator("#pleno-state-value")).to_have_text("Sudah pleno")

    kpu = open_as(browser, live_server, world.kpu, errors)
    kpu.locator("#inbox-own-pleno").click()
    expect(kpu.locator("h1")).to_contain_text("penetapan DPS")
    kpu.fill("#f-ba", "04/PL.01.2-BA/KPU-PKY/2026")
    kpu.fill("#f-sk", "123/PL.01.2-Kpt/6271/2026")
    confirm(kpu, "hold")
    expect(kpu.locator("#pleno-state-value")).to_have_text("Sudah pleno")
    expect(kpu.locator("#pleno-state")).to_contain_text("DPS ditetapkan")

    # The PPS's pleno page, reloaded: held, locked, no action left for them.
    pps.reload()
    expect(pps.locator("#pleno-lock")).to_contain_text("DPS")
    expect(pps.locator("#pleno-hold")).to_have_count(0)

    assert errors == []
    assert list(AuditEntry.objects.order_by("at", "pk").values_list("action", "role")) == [
        ("verify_approve", "pps"),
        ("pleno_hold", "pps"),
        ("pleno_return", "ppk"),
        ("pleno_hold", "pps"),
        ("pleno_hold", "ppk"),
        ("pleno_hold", "kpu"),
    ]
    assert Pleno.objects.get(area=world.regency).sk_number == "123/PL.01.2-Kpt/6271/2026"
