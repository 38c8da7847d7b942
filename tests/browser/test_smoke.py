"""A person signs in with a real browser and sees their dashboard."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_signs_in_and_sees_the_dashboard(page, sign_in, shot, coordinator):
    sign_in(page, coordinator)
    shot(page, "dashboard")
    assert page.url.rstrip("/") != page.url.split("/accounts/")[0] + "/accounts/login"
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("Safe Harbour").first.is_visible()


def test_wrong_password_shows_a_message_not_an_error(page, sign_in, coordinator):
    sign_in(page, coordinator, password="not-the-password")
    assert "/accounts/login/" in page.url
    assert page.get_by_text("not correct").is_visible()


def test_phone_sized_login_page_has_no_horizontal_scroll(phone):
    phone.goto("/accounts/login/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
