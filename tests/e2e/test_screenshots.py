"""Screenshots of the main pages, for README.md and for reviewing a change by eye.

``SCREENSHOTS=1`` (``make screenshots``) writes them to docs/screenshots/. Without it the
same pages are opened and photographed in memory only, so an ordinary run proves they still
render and never rewrites the committed files.
"""

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image
from playwright.sync_api import Browser, Page

from tests.e2e.sample_site import (
    DESKTOP,
    PHONE,
    Site,
    browser_context,
    build_site,
    confirm,
    sign_with_a_bad_address,
)
from tests.factories import make_pending_signature

pytestmark = pytest.mark.django_db(transaction=True)

OUT = Path(settings.BASE_DIR) / "docs" / "screenshots"
WIDGET = {"width": 400, "height": 176}


@dataclass(frozen=True)
class Shot:
    name: str
    page: str  # a path name from tests.e2e.sample_site.Site
    viewport: dict[str, int]
    scheme: str = "light"
    organizer: bool = False
    # Brings the page into the state worth showing; gets the page and the site's URL.
    act: Callable[[Page, str, Site], None] | None = None


def _sign_error(page: Page, url: str, site: Site) -> None:
    # The page itself brings the summary of the errors into view.
    sign_with_a_bad_address(page, url + site.public["letter"])


def _confirmed(page: Page, url: str, site: Site) -> None:
    assert site.letter is not None
    make_pending_signature(letter=site.letter, token="s" * 24, name="Ada Example")
    confirm(page, url + reverse("signatories:confirm", args=["s" * 24]))


SHOTS = [
    Shot("letter-phone", "letter", PHONE),
    Shot("letter-phone-dark", "letter", PHONE, scheme="dark"),
    Shot("letter-desktop", "letter", DESKTOP),
    Shot("sign-error-phone", "letter", PHONE, act=_sign_error),
    Shot("confirmed-phone", "letter", PHONE, act=_confirmed),
    Shot("home-desktop", "home", DESKTOP),
    Shot("signatories-desktop", "signatories", DESKTOP),
    Shot("dashboard-desktop", "dashboard", DESKTOP, organizer=True),
    Shot("moderation-phone", "moderation", PHONE, organizer=True),
    Shot("widget", "widget", WIDGET),
    Shot("404-phone", "not-found", PHONE),
]


@pytest.mark.parametrize("shot", SHOTS, ids=lambda shot: shot.name)
def test_the_main_pages_render_for_their_screenshot(
    chromium: Browser, live_server, settings, shot: Shot
) -> None:
    settings.SITE_URL = live_server.url
    site = build_site()
    paths = site.organizer if shot.organizer else site.public
    with browser_context(
        chromium,
        viewport=shot.viewport,
        scheme=shot.scheme,
        live_url=live_server.url,
        cookie=site.session_cookie if shot.organizer else "",
    ) as context:
        page = context.new_page()
        response = page.goto(live_server.url + paths[shot.page])
        assert response is not None
        assert response.status == (404 if shot.page == "not-found" else 200)
        if shot.act:
            shot.act(page, live_server.url, site)
        assert page.locator("h1, [data-count]").first.is_visible()
        png = page.screenshot(full_page=shot.viewport is WIDGET, animations="disabled")
    image = Image.open(io.BytesIO(png))
    assert image.width == shot.viewport["width"]
    if os.environ.get("SCREENSHOTS") == "1":
        OUT.mkdir(parents=True, exist_ok=True)
        image.save(OUT / f"{shot.name}.png", optimize=True)
