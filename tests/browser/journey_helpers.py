"""Mechanics behind the journey test: browser contexts, one-time codes, downloads, and
a watch on the live server so that a 500 fails the step that caused it, naming the URL."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

JOURNEY_TIMEOUT_MS = 30_000
PHONE = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def new_page(browser, live_server, device=DESKTOP):
    """A fresh browser (no cookies, nobody signed in) on its own context."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, **device)
    context.set_default_timeout(JOURNEY_TIMEOUT_MS)
    return context.new_page()


def authenticator_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``, computed with allauth's own
    TOTP functions. Waits for the next period when this one is about to end, so the code
    is still valid when the server checks it (allauth allows no drift by default)."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < 3:
        time.sleep(left + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def download(page, click) -> tuple[str, bytes]:
    """Run ``click`` (which starts a download) and return the file's name and bytes."""
    with page.expect_download() as info:
        click()
    dl = info.value
    path = dl.path()
    with open(path, "rb") as handle:
        return dl.suggested_filename, handle.read()


def pk_from_url(page, pattern: str) -> int:
    match = re.search(pattern, page.url)
    assert match, f"expected a URL like {pattern!r}, got {page.url}"
    return int(match.group(1))


@dataclass
class ServerWatch:
    """Collects responses >= 500, uncaught script errors and console errors of every
    watched page, and the live server's logged errors (through ``caplog``)."""

    caplog: object
    problems: list[str] = field(default_factory=list)

    def watch(self, page):
        def on_response(response):
            if response.status >= 500:
                request = response.request
                self.problems.append(f"{response.status} on {request.method} {response.url}")

        def on_console(message):
            # Pages declare no icon, so browsers ask for /favicon.ico and get a 404.
            favicon = message.location.get("url", "").endswith("/favicon.ico")
            if message.type == "error" and not favicon:
                self.problems.append(f"console error on {page.url}: {message.text}")

        page.context.on("response", on_response)
        page.on(
            "pageerror", lambda error: self.problems.append(f"page error on {page.url}: {error}")
        )
        page.on("console", on_console)
        return page

    def check(self, step: str) -> None:
        logged = [
            self.caplog.handler.format(r)
            for r in self.caplog.records
            if r.levelno >= logging.ERROR and r.name.startswith("django")
        ]
        if self.problems or logged:
            lines = [f"Step '{step}': the app failed.", *self.problems, *logged]
            raise AssertionError("\n".join(lines))


def _unfolded_nav(page):
    """The main menu, unfolded first on a phone."""
    nav = page.get_by_role("navigation", name="Main")
    toggler = nav.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
    return nav


def open_account_menu(page) -> None:
    """Open the account menu (the organisation's pages, My account, Sign out)."""
    _unfolded_nav(page).locator("#nav-account").click()


def open_menu(page, name: str) -> None:
    """Click the main menu's entry ``name``: unfold the phone menu and open the entry's
    group first when it is in one."""
    nav = _unfolded_nav(page)
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        # A closed list's links are hidden, so they are found by their text.
        entry = page.locator("a.dropdown-item").filter(has_text=re.compile(rf"^{re.escape(name)}$"))
        nav.locator(".dropdown").filter(has=entry).get_by_role("button").click()
    link.click()
