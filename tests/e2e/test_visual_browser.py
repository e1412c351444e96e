"""The visual system in a real browser: dark mode, print, error pages and organizer pages
on a phone (390 px) and a desktop (1280 px)."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect, sync_playwright

from letters.models import Letter
from tests.factories import make_letter, make_signature, make_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextmanager
def browser_page(**context_options: Any) -> Iterator[Page]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser.new_context(**context_options).new_page()
        finally:
            connections.close_all()
            browser.close()


def background(page: Page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_dark_mode_swaps_the_colours(live_server, viewport):
    letter = make_letter()
    url = live_server.url + letter.get_absolute_url()
    with browser_page(viewport=viewport, color_scheme="dark") as page:
        page.goto(url)
        assert background(page) == "rgb(22, 21, 20)"
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(241, 238, 232)"
    with browser_page(viewport=viewport, color_scheme="light") as page:
        page.goto(url)
        assert background(page) == "rgb(251, 250, 247)"


def test_the_widget_in_auto_theme_follows_dark_mode(live_server):
    letter = make_letter()
    widget = live_server.url + reverse("embeds:widget", kwargs={"slug": letter.slug})
    card = "getComputedStyle(document.querySelector('.w')).backgroundColor"
    with browser_page(color_scheme="dark") as page:
        page.goto(widget + "?theme=auto")
        assert page.evaluate(card) == "rgb(29, 29, 27)"
        page.goto(widget)  # the default stays light: the host page chose it
        assert page.evaluate(card) == "rgb(255, 255, 255)"


def test_a_missing_page_is_branded_and_fits_a_phone(live_server):
    with browser_page(viewport=PHONE) as page:
        response = page.goto(live_server.url + "/letters/no-such-letter/")
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_have_text("We cannot find this page")
        home = page.get_by_role("link", name="Go to the home page")
        expect(home).to_be_visible()
        box = home.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] > 300  # full width
        expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/static/img/favicon.svg")
        assert no_sideways_scroll(page)


def test_a_primary_button_is_not_a_full_width_bar_on_a_desktop(live_server):
    with browser_page(viewport=DESKTOP) as page:
        page.goto(live_server.url + "/letters/no-such-letter/")
        box = page.get_by_role("link", name="Go to the home page").bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] < 400


def test_printing_a_letter_leaves_out_forms_navigation_and_embed_code(live_server):
    letter = make_letter()
    make_signature(letter=letter, name="Grace Printed")
    with browser_page(viewport=DESKTOP) as page:
        page.goto(live_server.url + letter.get_absolute_url())
        page.emulate_media(media="print")
        expect(page.locator("h1")).to_be_visible()
        expect(page.get_by_text("Grace Printed")).to_be_visible()
        for hidden in ("#sign", ".site-header nav", ".embed-panel", ".site-footer", "button"):
            expect(page.locator(hidden).first).to_be_hidden()


def test_the_moderation_table_scrolls_inside_its_box_on_a_phone(live_server):
    letter = make_letter()
    make_signature(letter=letter, name="A signer with quite a long name indeed")
    user = make_user()
    letter.memberships.create(user=user, role="editor")
    with browser_page(viewport=PHONE) as page:
        log_in(page, live_server, user)
        page.goto(live_server.url + reverse("moderation:list", kwargs={"slug": letter.slug}))
        region = page.get_by_role("region", name="Signatures, newest first")
        expect(region).to_be_visible()
        assert no_sideways_scroll(page)
        region.focus()  # reachable by keyboard, so it can be scrolled without a mouse
        expect(region).to_be_focused()
        expect(page.locator(".subnav a[aria-current=page]")).to_have_text("Signatures")


def test_a_new_letters_address_follows_its_title_and_the_zone_is_the_browsers(live_server):
    user = make_user()
    with browser_page(viewport=PHONE, timezone_id="Europe/Paris") as page:
        log_in(page, live_server, user)
        page.goto(live_server.url + reverse("organize:letter-create"))
        expect(page.locator("#id_time_zone")).to_have_value("Europe/Paris")
        page.fill("#id_title", "Lettre ouverte à l'État")
        expect(page.locator("#id_slug")).to_have_value("lettre-ouverte-a-letat")
        page.fill("#id_slug", "my-own")
        page.fill("#id_title", "Another title")
        expect(page.locator("#id_slug")).to_have_value("my-own")
        page.fill("#id_closes_at", "2031-06-01T18:30")
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_url("**/organize/letters/my-own/")
        letter = Letter.objects.get(slug="my-own")
        assert letter.time_zone == "Europe/Paris"
        assert letter.closes_at is not None and letter.closes_at.hour == 16
        expect(page.get_by_text("(Europe/Paris)")).to_be_visible()
