"""The embed in a real browser, on a page of another site: resize and live count."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import Page, expect, sync_playwright

from signatories import services
from tests.factories import make_letter, make_pending_signature, make_signature

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# `make test` installs Debian's chromium when it is missing; without it these tests fail.
pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def chromium_page(**options: Any) -> Iterator[Page]:
    """A page of headless chromium; ``options`` go to ``new_page`` (java_script_enabled)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser.new_page(**options)
        finally:
            # Code run under Playwright has its own database connection; close it, or
            # the test database cannot be dropped at the end of the run.
            connections.close_all()
            browser.close()


def open_article(page, live_server, settings, html: str) -> None:
    """A newspaper article on another origin (127.0.0.1 instead of localhost), with our
    snippet pasted in. It is served by the live server because browsers do not let a
    public page load from loopback."""
    settings.ROOT_URLCONF = "tests.e2e.urls"
    article = live_server.url.replace("localhost", "127.0.0.1") + "/test-article/"
    assert article.startswith("http://127.0.0.1:")
    page.goto(f"{article}?{urlencode({'html': html})}")


def test_the_script_embed_resizes_itself_and_shows_a_new_confirmation(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter(goal=100)
    make_signature(letter=letter)
    make_pending_signature(letter=letter, token="e" * 20)
    snippet = (
        f'<script src="{live_server.url}/embed.js" data-letter="{letter.slug}" async></script>'
    )
    with chromium_page() as page:
        open_article(
            page,
            live_server,
            settings,
            f"<!doctype html><title>News</title><p>Our article.</p>{snippet}"
            "<script>window.seen = [];"
            "addEventListener('message', function (e) { seen.push(e.data); });</script>",
        )
        frame_element = page.wait_for_selector("iframe[data-secret]")
        assert frame_element.get_attribute("title") == "Live signature count"

        # The widget reports its height in WordPress's format; the loader applies it.
        heights = "seen.filter(function (m) { return m.message === 'height'; })"
        page.wait_for_function(f"{heights}.length > 0")
        message = page.evaluate(f"{heights}[0]")
        assert message["secret"] == frame_element.get_attribute("data-secret")
        page.wait_for_function(
            "document.querySelector('iframe[data-secret]').height === "
            f"String({heights}.pop().value)"
        )
        assert 60 <= int(frame_element.get_attribute("height")) < 400

        frame = frame_element.content_frame()
        assert frame.inner_text("[data-count]") == "1"
        services.signature_confirm(token="e" * 20)
        # Polling runs every 20 s; becoming visible again polls at once, as for a reader.
        frame.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        # The widget's strict CSP forbids eval: wait with locators, not wait_for_function.
        expect(frame.locator("[data-count]")).to_have_text("2")
        expect(frame.locator("[aria-live=polite]")).to_have_text("2 signatures")
        assert frame.get_attribute("progress", "value") == "2"


def test_the_letter_page_cannot_be_framed_by_another_site(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter()
    widget = live_server.url + reverse("embeds:widget", args=[letter.slug])
    with chromium_page() as page:
        open_article(
            page,
            live_server,
            settings,
            f'<iframe id="letter" src="{live_server.url}{letter.get_absolute_url()}"></iframe>'
            f'<iframe id="widget" src="{widget}"></iframe>',
        )
        widget_frame = page.wait_for_selector("#widget").content_frame()
        widget_frame.wait_for_selector("[data-count]")
        letter_frame = page.query_selector("#letter").content_frame()
        assert letter_frame.query_selector("article.letter") is None


# What WordPress does with an oEmbed iframe from a provider it does not trust: a sandbox
# without popups, a secret in the URL and in data-secret, and a listener that applies
# {message: "height"} and follows {message: "link"} from the frame with that secret.
WORDPRESS_LIKE_HOST = """<!doctype html>
<iframe class="wp-embedded-content" sandbox="allow-scripts" security="restricted"
  src="%(src)s#?secret=%(secret)s" data-secret="%(secret)s" width="400" height="205"
  title="Live signature count"></iframe>
<script>
window.seen = [];
addEventListener("message", function (e) {
  var frame = document.querySelector("iframe");
  if (e.source !== frame.contentWindow || e.data.secret !== frame.dataset.secret) return;
  seen.push(e.data);
  if (e.data.message === "height") {
    frame.height = Math.max(200, Math.min(1000, parseInt(e.data.value, 10)));
  }
  if (e.data.message === "link") window.linked = e.data.value;
});
</script>"""


def test_a_wordpress_sandboxed_frame_resizes_stays_live_and_asks_to_open_the_letter(
    live_server, settings
):
    settings.SITE_URL = live_server.url
    letter = make_letter(goal=100)
    make_pending_signature(letter=letter, token="w" * 20)
    widget = live_server.url + reverse("embeds:widget", args=[letter.slug])
    with chromium_page() as page:
        popups: list[object] = []
        page.on("popup", lambda popup: popups.append(popup))
        open_article(
            page,
            live_server,
            settings,
            WORDPRESS_LIKE_HOST % {"src": widget, "secret": "abc123XYZ0"},
        )
        page.wait_for_function("seen.some(function (m) { return m.message === 'height'; })")
        frame = page.query_selector("iframe").content_frame()
        assert frame.inner_text("[data-count]") == "0"

        services.signature_confirm(token="w" * 20)
        frame.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(frame.locator("[data-count]")).to_have_text("1")

        frame.click("a.b")
        page.wait_for_function("window.linked !== undefined")
        assert page.evaluate("window.linked") == f"{live_server.url}{letter.get_absolute_url()}"
        assert popups == []


def test_the_letter_page_count_is_live_and_snippets_copy_to_the_clipboard(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter()
    make_pending_signature(letter=letter, token="p" * 20)
    with chromium_page() as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto(live_server.url + letter.get_absolute_url())
        count = page.locator(".count-number [data-count]")
        expect(count).to_have_text("0")
        services.signature_confirm(token="p" * 20)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        expect(count).to_have_text("1")

        page.click("#share > summary")  # the panel sits behind "Share or embed"
        page.click("button[data-copy=embed-script]")
        expect(page.locator("[data-copy-status]")).to_have_text("Copied to the clipboard.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == (
            f'<script src="{live_server.url}/embed.js" data-letter="{letter.slug}" async></script>'
        )
