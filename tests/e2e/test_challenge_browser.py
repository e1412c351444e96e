"""The proof of work in a real browser: the vendored ALTCHA widget solves the challenge
under the site's own Content Security Policy, and the signature is stored."""

import time

import pytest
import time_machine
from playwright.sync_api import ConsoleMessage

from signatories.models import Signature
from tests.e2e.test_embed_browser import chromium_page
from tests.factories import make_letter

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signer_with_javascript_passes_the_challenge_in_the_browser(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter(require_challenge=True)
    with chromium_page() as page:
        console: list[str] = []
        page.on("console", lambda message: console.append(_line(message)))
        page.goto(live_server.url + letter.get_absolute_url())
        page.fill("#id_name", "Grace Browser")
        page.fill("#id_email", "grace@example.org")
        page.check("#id_consent")
        # The person took their time: the clock moves on instead of the test sleeping.
        with time_machine.travel(time.time() + 10):
            page.click("button.primary")
            # The answer to the POST itself, which names the address.
            page.wait_for_selector(".inbox-address", timeout=30_000)
        posted = page.evaluate("document.title")
    assert "Check your inbox" in posted
    assert Signature.objects.get().email == "grace@example.org"
    assert not [line for line in console if "Content Security Policy" in line], console


def _line(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"
