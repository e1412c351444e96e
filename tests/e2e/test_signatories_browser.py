"""The signatories page in a real browser, on a phone and on a desktop: the search form
fits and is easy to hit, a search lands on its results, and the breakdown reads well."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import FloatRect, Page, ViewportSize, expect, sync_playwright

from tests.factories import make_letter, make_signature, make_signatures

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=800)


@contextmanager
def chromium_page(viewport: ViewportSize) -> Iterator[Page]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser.new_page(viewport=viewport)
        finally:
            connections.close_all()  # or the test database cannot be dropped
            browser.close()


def letter_with_signatories():
    letter = make_letter(title="Clean air for every school")
    make_signature(
        letter=letter, name="José Müller", role="Pédiatre", organization="Hôpital Nord",
        country="FR",
    )  # fmt: skip
    make_signatures(letter=letter, count=30, role="Teacher", country="DE")
    make_signatures(letter=letter, count=12, role="Nurse", country="ES")
    make_signatures(letter=letter, count=3, show_name=False, role="Minister", country="NZ")
    return letter


def box(page: Page, selector: str) -> FloatRect:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_a_search_on_the_signatories_page_fits_and_finds_by_a_name_without_accents(
    live_server, viewport
):
    letter = letter_with_signatories()
    with chromium_page(viewport) as page:
        page.goto(live_server.url + reverse("signatories:list", args=[letter.slug]))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the page scrolls sideways"
        for control in ("#id_q", "#id_role", "#id_country", ".signatory-search button"):
            assert box(page, control)["height"] >= 44, control
            assert box(page, control)["x"] + box(page, control)["width"] <= viewport["width"]

        countries = box(page, "caption:text('By country')")
        professions = box(page, "caption:text('By profession')")
        if viewport is PHONE:
            assert professions["y"] > countries["y"] + countries["height"]
        else:
            assert professions["y"] == countries["y"]
        expect(page.locator(".breakdown")).not_to_contain_text("Minister")

        page.locator("#id_q").focus()
        page.keyboard.type("jose muller")
        page.keyboard.press("Enter")
        page.wait_for_url("**/signatories/?q=jose+muller*#results")
        expect(page.locator("#results .signatory-list li")).to_have_count(1)
        expect(page.locator("#results .name")).to_have_text("José Müller")
        results = box(page, "#results")
        assert results["y"] < viewport["height"], "the results are scrolled into view"


def test_the_filters_combine_and_the_keyboard_focus_shows(live_server):
    letter = letter_with_signatories()
    with chromium_page(PHONE) as page:
        page.goto(live_server.url + reverse("signatories:list", args=[letter.slug]))
        page.select_option("#id_role", "nurse")
        page.select_option("#id_country", "ES")
        page.locator(".signatory-search button").click()
        expect(page.locator("#results .signatory-list li")).to_have_count(12)
        expect(page.locator("#id_country")).to_have_value("ES")
        page.locator("#id_country").focus()
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; })()"
        )
        assert focused[0] == "BUTTON"
        assert focused[1] != "none" and focused[2] != "0px"
        page.locator(".clear-search").click()
        expect(page.locator(".signatory-list li")).to_have_count(43)
