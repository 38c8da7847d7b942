"""Quick exit in a real browser: first by keyboard, Esc twice, by click; discreet mode."""

import pytest

from peersupport.models import AuditEntry
from tests.factories import ParticipantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEUTRAL = "https://neutral.example/"
STUB = "<!doctype html><html><head><title>Weather</title></head><body>Sunny</body></html>"


@pytest.fixture
def neutral(page, org):
    """The organisation's neutral site, answered by a local stub (no network)."""
    org.quick_exit_url = NEUTRAL
    org.save(update_fields=["quick_exit_url"])
    visits = []

    def fulfil(route):
        visits.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=STUB)

    page.context.route("https://neutral.example/**", fulfil)
    return visits


def _at_neutral_site(page):
    page.wait_for_url(NEUTRAL)
    assert page.title() == "Weather"


def test_quick_exit_is_the_first_thing_the_keyboard_reaches_on_sign_in(page):
    # Signed out, quick exit goes to the default neutral site (answered by a stub here).
    page.context.route(
        "https://www.google.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=STUB),
    )
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "quick-exit"
    page.keyboard.press("Enter")
    page.wait_for_url("https://www.google.com/")
    assert page.title() == "Weather"


def test_tab_then_enter_leaves_for_the_organisations_site(page, sign_in, coordinator, neutral):
    sign_in(page, coordinator)
    page.goto("/participants/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    page.keyboard.press("Enter")
    _at_neutral_site(page)
    assert neutral == [NEUTRAL]


def test_escape_twice_leaves_and_back_does_not_show_the_app(page, sign_in, coordinator, neutral):
    sign_in(page, coordinator)
    page.goto("/participants/")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    _at_neutral_site(page)
    # The page she was on was replaced: Back reaches the previous page of the app at
    # most, which sends her straight on to the neutral site again.
    page.go_back(wait_until="commit")
    page.wait_for_url(NEUTRAL)
    assert "participants" not in page.url


def test_quick_exit_signs_out(page, sign_in, coordinator, neutral):
    sign_in(page, coordinator)
    page.goto("/participants/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    _at_neutral_site(page)
    for _ in range(50):  # the sign-out is sent as the page leaves; give it a moment
        if AuditEntry.objects.filter(action="auth.logout", actor=coordinator).exists():
            break
        page.wait_for_timeout(100)
    assert AuditEntry.objects.filter(action="auth.logout", actor=coordinator).exists()
    page.goto("/participants/")
    assert "/accounts/login/" in page.url


def test_one_escape_does_nothing(page, sign_in, coordinator, neutral):
    sign_in(page, coordinator)
    page.goto("/participants/")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1200)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert "/participants/" in page.url and neutral == []


def test_click_leaves_for_the_organisations_site(phone, sign_in, shot, coordinator, org):
    org.quick_exit_url = NEUTRAL
    org.save(update_fields=["quick_exit_url"])
    phone.context.route(
        "https://neutral.example/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=STUB),
    )
    sign_in(phone, coordinator)
    shot(phone, "phone")
    # In view and not covering the menu button.
    button = phone.get_by_role("link", name="Quick exit").bounding_box()
    menu = phone.get_by_role("button", name="Menu").bounding_box()
    assert button["x"] + button["width"] <= 375
    assert menu["x"] + menu["width"] <= button["x"] or menu["y"] >= button["y"] + button["height"]
    phone.get_by_role("link", name="Quick exit").click()
    _at_neutral_site(phone)


def test_discreet_mode_shows_no_name_in_the_tab(page, sign_in, coordinator, org):
    participant = ParticipantFactory(organisation=org, preferred_name="Marguerite")
    page_path = f"/participants/{participant.pk}/"
    sign_in(page, coordinator)
    page.goto(page_path)
    assert "peersupport" in page.title()
    org.discreet_mode = True
    org.save(update_fields=["discreet_mode"])
    page.goto(page_path)
    assert page.get_by_text("Marguerite").first.is_visible()
    title = page.title()
    assert title == "Notes"
    assert "Marguerite" not in title and participant.code not in title
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith("neutral.svg")


def test_on_a_phone_in_french_the_quick_exit_covers_none_of_the_navbar(
    phone, sign_in, coordinator, shot
):
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    sign_in(phone, coordinator)
    phone.goto("/participants/")
    button = phone.locator("#quick-exit").bounding_box()
    assert phone.locator("#quick-exit").inner_text().startswith("Sortie rapide")
    shot(phone, "navbar-fr")
    for selector in (".navbar-brand", ".navbar-toggler"):
        box = phone.locator(selector).first.bounding_box()
        overlaps = (
            box["x"] < button["x"] + button["width"]
            and button["x"] < box["x"] + box["width"]
            and box["y"] < button["y"] + button["height"]
            and button["y"] < box["y"] + box["height"]
        )
        assert not overlaps, (selector, box, button)
    # and the brand, the menu button and quick exit still share one row
    brand, toggler = (
        phone.locator(s).first.bounding_box() for s in (".navbar-brand", ".navbar-toggler")
    )
    assert toggler["y"] < brand["y"] + brand["height"], (brand, toggler)
