"""The sign form and the share step in a real browser, on a phone-sized screen and a
desktop one: a failed sign puts the error summary in view with focus on it, and the
confirmed page offers the share links and the QR code under the site's own CSP."""

import pytest
from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect

from signatories.models import Signature
from tests.e2e.test_embed_browser import chromium_page
from tests.factories import make_letter, make_pending_signature

pytestmark = pytest.mark.django_db(transaction=True)

LONG_BODY = "\n\n".join(f"Paragraph {n} of a letter worth reading in full." for n in range(40))


def _in_viewport(page: Page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.top < window.innerHeight && box.height > 0;
        }""",
        selector,
    )


def _csp_errors(console: list[ConsoleMessage]) -> list[str]:
    return [m.text for m in console if "Content Security Policy" in m.text]


@pytest.mark.parametrize("width", [390, 1280])
def test_a_failed_sign_shows_the_error_summary_in_view_with_focus_on_it(
    live_server, settings, width
):
    settings.SITE_URL = live_server.url
    settings.MIN_FILL_SECONDS = 0
    letter = make_letter(body=LONG_BODY)
    with chromium_page() as page:
        console: list[ConsoleMessage] = []
        page.on("console", lambda message: console.append(message))
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
        page.goto(live_server.url + letter.get_absolute_url())
        page.fill("#id_name", "Grace Phone")
        page.fill("#id_email", "grace@")
        page.click("form.sign-form button[type=submit]")
        page.wait_for_selector("#error-summary")

        assert page.title().startswith("Error: ")
        assert page.url.endswith("#sign")
        expect(page.locator("#error-summary")).to_be_focused(timeout=5_000)
        assert _in_viewport(page, "#error-summary")
        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("There is a problem")
        expect(summary.locator("a[href='#id_email']")).to_be_visible()
        expect(summary.locator("a[href='#id_consent']")).to_be_visible()

        summary.locator("a[href='#id_consent']").click()
        expect(page.locator("#id_consent")).to_be_focused()
        assert _in_viewport(page, "#id_consent")
        # Nothing sticks out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert Signature.objects.count() == 0
    assert _csp_errors(console) == []


def test_without_javascript_a_failed_sign_still_lands_at_the_form(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.MIN_FILL_SECONDS = 0
    letter = make_letter(body=LONG_BODY)
    with chromium_page(java_script_enabled=False) as page:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(live_server.url + letter.get_absolute_url())
        page.fill("#id_name", "Grace Phone")
        page.click("form.sign-form button[type=submit]")
        page.wait_for_selector("#error-summary")
        assert page.url.endswith("#sign")
        assert _in_viewport(page, "#sign-title")


def test_the_confirmed_page_on_a_phone_offers_share_links_and_the_qr_code(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter(title="Fair Pay")
    make_pending_signature(letter=letter, token="t" * 32)
    with chromium_page() as page:
        console: list[ConsoleMessage] = []
        page.on("console", lambda message: console.append(message))
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(live_server.url + reverse("signatories:confirm", args=["t" * 32]))
        expect(page.locator(".why-tap")).to_be_visible()
        page.click("button.primary")
        page.wait_for_selector("#share")

        for key in ["email", "whatsapp", "bluesky", "linkedin", "facebook"]:
            link = page.locator(f"a.share-{key}")
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box and box["height"] >= 44, key
        expect(page.locator("#share-link")).to_have_value(
            live_server.url + letter.get_absolute_url()
        )
        expect(page.locator("button[data-share-copy]")).to_be_visible()
        qr = page.locator(".share-qr img")
        qr.scroll_into_view_if_needed()
        expect(qr).to_be_visible()
        assert page.evaluate("document.querySelector('.share-qr img').naturalWidth") > 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # Mastodon: the site checks the server's name, and the script goes on to it.
        page.route(
            "https://mastodon.example/**",
            lambda route: route.fulfill(status=200, body="mastodon", content_type="text/plain"),
        )
        page.fill("#share-mastodon-instance", "mastodon.example")
        page.click("form.share-mastodon button")
        page.wait_for_url("https://mastodon.example/share?text=*")
        assert "Fair%20Pay" in page.url
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert _csp_errors(console) == []
