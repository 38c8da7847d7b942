"""The Content-Security-Policy holds in a real browser: the main pages (and the admin) load,
and htmx works, without a single violation in Chromium's console."""

from __future__ import annotations

import os
from itertools import groupby

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import PAGES, world  # noqa: F401  (fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page, found: list[str]):
    """Collect every CSP violation Chromium reports on ``page``'s console."""

    def on_console(message):
        if "Content Security Policy" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return page


def _open(page, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, f"{url} answered {response.status}"


def test_main_pages_load_without_a_csp_violation(browser, live_server, world, sign_in, request):  # noqa: F811
    found: list[str] = []
    ordered = sorted(PAGES, key=lambda p: p.user or "")
    for user, pages in groupby(ordered, key=lambda p: p.user):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(10_000)
        page = _watch(context.new_page(), found)
        if user:
            sign_in(page, request.getfixturevalue(user))
        for spec in pages:
            if spec.prepare:
                spec.prepare(world)
            _open(page, spec.url(world))
            if spec.name == "attendance sheet":
                # An htmx request and swap: htmx adds no inline style of its own.
                row = page.locator("[data-att-row]").first
                row.get_by_role("button", name="Present").click()
                page.locator(".att-saved").first.wait_for()
        context.close()
    assert not found, "\n".join(found)


def test_the_admin_loads_without_a_csp_violation(
    browser,
    live_server,
    world,  # noqa: F811
    sign_in,
    coordinator,
):
    coordinator.is_staff = True
    coordinator.save()
    from django.contrib.auth.models import Permission

    coordinator.user_permissions.add(*Permission.objects.filter(content_type__app_label="programs"))
    found: list[str] = []
    context = browser.new_context(base_url=live_server.url)
    page = _watch(context.new_page(), found)
    sign_in(page, coordinator)
    for url in (
        reverse("admin:index"),
        reverse("admin:programs_program_changelist"),
        reverse("admin:programs_program_change", args=[world.program.pk]),
    ):
        _open(page, url)
    context.close()
    assert not found, "\n".join(found)


def test_a_violation_would_be_seen(page, live_server):
    """The watch above is not blind: an inline style on a page is refused and reported."""
    found: list[str] = []
    _watch(page, found)
    _open(page, reverse("account_login"))
    page.evaluate(
        """() => { const s = document.createElement('style');
                   s.textContent = 'body { color: red; }';
                   document.head.appendChild(s); }"""
    )
    page.wait_for_timeout(200)
    assert found and "style-src" in found[0]
