"""The letter page in a real browser, on a phone (390 px) and a desktop (1280 px): the
count and the way to sign are in the first screen, and the jump to the form keeps the
count in view."""

import os

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from embeds.snippets import HEIGHTS, WIDTH
from letters.models import Letter
from signatories import services
from tests.e2e.test_embed_browser import chromium_page
from tests.factories import make_letter, make_pending_signature, make_signature

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LONG_BODY = "\n\n".join(
    f"Paragraph {n}: we ask for fair pay, credit and consent, and we say so together."
    for n in range(30)
)


def in_view(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    assert viewport is not None
    height = viewport["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def shot(page: Page, name: str) -> None:
    """Keep a picture for people reviewing a change, when they ask for one."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def busy_letter(**overrides: object) -> Letter:
    letter = make_letter(
        title="Fair pay for the translators of our city's public documents",
        organizer_name="Translators of the Northern Quarter",
        addressee="The city council",
        body=LONG_BODY,
        goal=500,
        **overrides,
    )
    for n in range(12):
        make_signature(letter=letter, name=f"Signer {n}", role="Translator")
    return letter


def test_on_a_phone_the_count_is_in_the_first_screen_and_the_jump_keeps_it_in_view(live_server):
    letter = busy_letter()
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        page.goto(live_server.url + letter.get_absolute_url())
        status = page.locator(".letter-status")
        expect(status.locator("[data-count]")).to_have_text("12")
        # Count, goal bar and the jump sit in the first screen, above the letter's text.
        assert in_view(page, ".letter-status .status-count")
        assert in_view(page, ".letter-status progress")
        assert in_view(page, ".letter-status .jump a")
        text_top = page.locator(".letter-body").bounding_box()["y"]
        assert page.locator(".letter-status").bounding_box()["y"] < text_top
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, "letter-phone")

        page.click(".letter-status .jump a")
        page.wait_for_function("location.hash === '#sign'")
        page.wait_for_function("window.scrollY > 0")
        # The jump lands at the form with the count above it, both in view.
        assert in_view(page, ".count-number")
        expect(page.locator(".count-number [data-count]")).to_have_text("12")
        assert page.locator("#id_name").bounding_box()["y"] < PHONE["height"]


def test_on_a_phone_a_closed_letter_says_so_in_the_first_screen(live_server):
    letter = busy_letter(status=Letter.Status.CLOSED)
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        page.goto(live_server.url + letter.get_absolute_url())
        assert in_view(page, ".letter-status .status-closed")
        assert in_view(page, ".letter-status .status-count")
        expect(page.locator(".letter-status .jump")).to_have_count(0)
        expect(page.get_by_text("first to sign")).to_have_count(0)
        shot(page, "letter-phone-closed")


def test_an_empty_letter_invites_the_first_signature_and_shows_the_count_once_it_comes(
    live_server, settings
):
    settings.SITE_URL = live_server.url
    letter = make_letter(organizer_name="A small collective")
    make_pending_signature(letter=letter, token="q" * 20)
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        page.goto(live_server.url + letter.get_absolute_url())
        expect(page.locator(".letter-status .status-count")).to_have_text("Be the first to sign")
        expect(page.locator(".count-number [data-count]")).to_be_hidden()
        services.signature_confirm(token="q" * 20)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(page.locator(".count-number [data-count]")).to_have_text("1")
        expect(page.locator(".count-number [data-count]")).to_be_visible()
        expect(page.locator("[data-count-empty]")).to_be_hidden()


def test_on_a_desktop_the_count_and_form_sit_beside_the_title(live_server):
    letter = busy_letter()
    with chromium_page() as page:
        page.set_viewport_size(DESKTOP)
        page.goto(live_server.url + letter.get_absolute_url())
        assert in_view(page, ".count-number")
        assert page.locator("#id_name").bounding_box()["y"] < DESKTOP["height"]
        article = page.locator("article.letter").bounding_box()
        column = page.locator("aside.sign-column").bounding_box()
        assert column["x"] >= article["x"] + article["width"]
        # The phone's summary under the title would only repeat the column beside it.
        expect(page.locator(".letter-status")).to_be_hidden()
        shot(page, "letter-desktop")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_share_or_embed_is_a_closed_disclosure_that_opens_on_demand(live_server, viewport):
    letter = busy_letter()
    with chromium_page() as page:
        page.set_viewport_size(viewport)
        page.goto(live_server.url + letter.get_absolute_url())
        snippet = page.locator("#embed-script")
        expect(snippet).to_be_hidden()
        summary = page.locator("#share > summary")
        summary.focus()
        page.keyboard.press("Enter")
        expect(snippet).to_be_visible()
        assert summary.bounding_box()["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_the_widget_names_the_organizer_and_still_fits_its_frame(live_server):
    letter = make_letter(
        title="A title long enough to need two lines in the widget, and then some more words",
        organizer_name="Translators of the Northern Quarter and their friends everywhere",
        goal=1000,
    )
    with chromium_page() as page:
        page.set_viewport_size({"width": WIDTH, "height": HEIGHTS["full"]})
        page.goto(live_server.url + reverse("embeds:widget", kwargs={"slug": letter.slug}))
        expect(page.locator(".o")).to_contain_text("by Translators of the Northern Quarter")
        assert page.evaluate("document.documentElement.scrollHeight") <= HEIGHTS["full"]
