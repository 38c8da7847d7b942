"""Real-browser fixtures: Playwright driving Debian's Chromium against ``live_server``.

Use ``page`` (desktop) or ``phone`` (375×740), and ``sign_in(page, user)``. Screenshots
go to ``$SCREENSHOT_DIR`` (default ``test-artifacts/``) via ``shot(page, name)``.
"""

import os
from pathlib import Path

import pytest

from tests.availability import require
from tests.factories.peersupport import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", "test-artifacts"))

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
# test body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    require(os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _page(browser, live_server, **context_args):
    context = browser.new_context(base_url=live_server.url, **context_args)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, page


@pytest.fixture
def page(browser, live_server):
    context, page = _page(browser, live_server, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    context, page = _page(
        browser,
        live_server,
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()


@pytest.fixture
def sign_in():
    def sign_in(page, user, password=PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state()
        return page

    return sign_in


@pytest.fixture
def shot(request):
    def shot(page, name: str):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOT_DIR / f"{request.node.name}-{name}.png"), full_page=True
        )

    return shot
