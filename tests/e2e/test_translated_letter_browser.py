"""A translated letter in a real browser: a French browser reads the French text on the
plain address, the "also in" list leads to the Arabic text laid out right to left, and a
signature made there records the Arabic text."""

import time

import pytest
import time_machine
from playwright.sync_api import expect

from letters import translations
from signatories.models import Signature
from tests.e2e.test_embed_browser import chromium_page
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db(transaction=True)

FRENCH = {
    "title": "Gardez la bibliothèque ouverte le dimanche",
    "summary": "Une lettre ouverte au conseil.",
    "body": "Nous, soussignés, demandons l’ouverture de la bibliothèque le dimanche.",
}
ARABIC = {
    "title": "أبقوا المكتبة مفتوحة يوم الأحد",
    "summary": "رسالة مفتوحة إلى المجلس.",
    "body": "نحن الموقعين أدناه نطلب فتح المكتبة يوم الأحد.\n\n- للطلاب\n- للعائلات",
}


def test_a_french_browser_reads_french_and_the_arabic_text_runs_right_to_left(live_server):
    organizer = make_user()
    letter = make_letter(title="Keep the library open on Sundays", summary="An open letter.")
    make_member(letter=letter, user=organizer)
    for language, text in (("fr", FRENCH), ("ar", ARABIC)):
        translations.translation_create(
            letter=letter, user=organizer, language=language, fields=text
        )
    with chromium_page(locale="fr-FR") as page:
        page.goto(live_server.url + letter.get_absolute_url())
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        title = page.locator(".letter-head h1")
        expect(title).to_have_text(FRENCH["title"])
        expect(title).to_have_attribute("lang", "fr")
        also_in = page.locator(".also-in")
        expect(also_in.locator("a")).to_have_text(["English", "العربيّة"])

        also_in.locator("a[hreflang=ar]").click()
        page.wait_for_url("**?lang=ar")
        expect(title).to_have_text(ARABIC["title"])
        body = page.locator(".letter-body")
        direction = "el => getComputedStyle(el).direction"
        assert title.evaluate(direction) == "rtl"
        assert body.evaluate(direction) == "rtl"
        # Right to left: each line starts at the right edge of the text block, and the
        # list's markers sit on the right.
        paragraph = body.locator("p").first.evaluate(
            "el => { const r = document.createRange(); r.selectNodeContents(el);"
            " const line = r.getClientRects()[0], box = el.getBoundingClientRect();"
            " return [box.right - line.right, line.left - box.left]; }"
        )
        assert paragraph[0] < 2 < paragraph[1]
        item = body.locator("li").first.bounding_box()
        listing = body.locator("ul").bounding_box()
        assert item is not None and listing is not None
        assert (
            item["x"] < listing["x"] + 1
            and item["x"] + item["width"] < listing["x"] + listing["width"]
        )
        # The site's own words stay French and left to right.
        assert page.locator("#sign-title").evaluate(direction) == "ltr"

        page.fill("input[name=name]", "Layla Haddad")
        page.fill("input[name=email]", "layla@example.org")
        page.check("#id_consent")
        with time_machine.travel(time.time() + 10):
            page.locator("form[action*='/sign/'] button[type=submit]").click()
            page.wait_for_load_state()
        expect(page.locator("#check-inbox")).to_be_visible()
    signature = Signature.objects.select_related("letter_version").get()
    assert (signature.letter_version.language, signature.letter_version.number) == ("ar", 1)
    assert signature.language == "fr"  # the mail follows the page's language
