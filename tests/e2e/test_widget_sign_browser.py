"""Signing inside the widget, framed by an article on another origin, in a real browser:
with JavaScript (the count in the article moves once the emailed link is confirmed) and
without it (a plain POST inside the frame)."""

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Frame, expect

from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.e2e.sample_site import confirm
from tests.e2e.test_embed_browser import chromium_page, open_article
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db(transaction=True)


def _article(live_url: str, slug: str) -> str:
    widget = live_url + reverse("embeds:widget", args=[slug]) + "?form=1&ref=daily-news"
    return (
        "<!doctype html><title>News</title><p>Our article.</p>"
        f'<iframe title="Sign the letter" src="{widget}" width="400" height="640"></iframe>'
    )


def _script_article(live_url: str, slug: str) -> str:
    """The script embed, asking for the form with ``data-form``: it sizes its frame."""
    return (
        "<!doctype html><title>News</title><p>Our article.</p>"
        f'<script src="{live_url}/embed.js" data-letter="{slug}" data-form="1" '
        'data-ref="daily-news" async></script>'
    )


def _sign(frame: Frame, email: str) -> None:
    frame.fill("#w-name", "Rosa Reader")
    frame.fill("#w-email", email)
    frame.check("#w-consent")
    frame.click("form button[type=submit]")


def test_a_reader_signs_inside_a_cross_origin_frame_and_the_count_moves(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.MIN_FILL_SECONDS = 0
    letter = make_letter(goal=100, widget_sign=True)
    make_signature(letter=letter)
    with chromium_page() as page:
        console: list[ConsoleMessage] = []
        page.on("console", lambda message: console.append(message))
        open_article(page, live_server, settings, _script_article(live_server.url, letter.slug))
        frame_element = page.wait_for_selector("iframe[data-secret]")
        frame = frame_element.content_frame()
        assert frame is not None
        expect(frame.locator("[data-count]")).to_have_text("1")
        # The loader sizes the frame to the form: its button is inside the frame.
        page.wait_for_function(
            "parseInt(document.querySelector('iframe[data-secret]').height, 10) > 400"
        )
        frame_height = int(frame_element.get_attribute("height") or 0)
        button = frame.locator("form button[type=submit]").bounding_box()
        box = frame_element.bounding_box()
        assert button is not None and box is not None
        assert button["y"] + button["height"] <= box["y"] + frame_height

        # A send without an address: the problems come back in the frame, focused.
        frame.check("#w-consent")
        frame.click("form button[type=submit]")
        expect(frame.locator("#es")).to_be_focused()
        expect(frame.locator("#es a[href='#w-email']")).to_be_visible()
        assert frame.get_attribute("#w-email", "aria-invalid") == "true"

        _sign(frame, "rosa@example.org")
        expect(frame.locator("#ok")).to_contain_text("Check your inbox")
        expect(frame.locator("#ok")).to_contain_text("rosa@example.org")
        signature = Signature.objects.get(email="rosa@example.org")
        assert (signature.status, signature.source) == ("pending", "daily-news")

        signer_outbox.outbox_drain()
        (message,) = [m for m in mail.outbox if m.to == ["rosa@example.org"]]
        link = next(word for word in message.body.split() if "/confirm/" in word)
        assert link.startswith(live_server.url + "/confirm/")
        assert page.context.browser is not None
        confirm(page.context.browser.new_page(), link)

        # The answer in the frame is the widget: its count is live.
        frame.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(frame.locator("[data-count]")).to_have_text("2")
    assert [m.text for m in console if "Content Security Policy" in m.text] == []


def test_without_javascript_the_frame_signs_with_a_plain_post(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.MIN_FILL_SECONDS = 0
    letter = make_letter(widget_sign=True)
    with chromium_page(java_script_enabled=False) as page:
        open_article(page, live_server, settings, _article(live_server.url, letter.slug))
        frame = page.wait_for_selector("iframe").content_frame()
        assert frame is not None
        frame.click("form button[type=submit]")
        expect(frame.locator("#es")).to_contain_text("Enter your name.")
        assert Signature.objects.count() == 0
        _sign(frame, "nojs@example.org")
        expect(frame.locator("#ok")).to_contain_text("Check your inbox")
    assert Signature.objects.get().email == "nojs@example.org"
