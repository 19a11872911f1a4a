"""Headless Chromium (Debian's package) driven by Playwright's sync API, against live_server.

Never `playwright install`: the browser is /usr/bin/chromium. Without it the browser tests are
skipped locally and fail in CI (CI=1), where a missing browser is a broken setup.
"""

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.base import PASSWORD, build_world

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests make
# here are still plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    # The live server answers each kept-alive browser connection in a thread that closes its
    # database connection only when the socket closes: wait for them, or PostgreSQL refuses
    # to drop the test database at the end of the session.
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


@pytest.fixture
def bworld(transactional_db):
    return build_world()


@pytest.fixture
def open_as(browser, live_server):
    """A logged-in page for a user: open_as(user, width=1280, height=800) -> Page.

    Every page collects console errors (CSP refusals among them) in `page.errors`, and
    `page.settled()` waits until htmx has finished a request, its swap and its settle: the
    swapped-in elements get their htmx handlers only when settling ends, so a test that acts on
    them earlier acts on inert markup.
    """
    contexts = []

    def _open(user, *, width=1280, height=800):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID")
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.settled = lambda: expect(
            page.locator(".htmx-request, .htmx-swapping, .htmx-settling")
        ).to_have_count(0)
        page.goto(live_server.url + "/masuk/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form [type=submit]")
        page.wait_for_url(lambda url: "/masuk/" not in url)
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
