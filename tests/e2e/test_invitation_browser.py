"""The invitation page in a real browser, on a phone and on a desktop: it tells a visitor who
is not logged in what the invitation is, its buttons are easy to hit, and logging in comes
back to it."""

import pytest
from playwright.sync_api import FloatRect, Page

from letters import services
from letters.models import Membership
from tests.e2e.test_embed_browser import chromium_page
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long pass phrase"
LONG_TITLE = "Fair pay and credit for every illustrator, translator and letterer of this city"


def box(page: Page, selector: str) -> FloatRect:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("width", [390, 1280])
def test_an_invited_visitor_sees_the_invitation_logs_in_and_comes_back_to_accept(
    live_server, settings, width
):
    settings.SITE_URL = live_server.url
    letter = make_letter(title=LONG_TITLE)
    owner = make_user(email="owner@example.org")
    make_member(letter=letter, user=owner)
    make_user(email="a.rather.long.address.for.a.phone@illustrators-union.example.org",
              password=PASSWORD)  # fmt: skip
    invitation = services.invitation_create(
        letter=letter,
        invited_by=owner,
        email="a.rather.long.address.for.a.phone@illustrators-union.example.org",
        role="editor",
    )
    token = services.invitation_token(invitation=invitation)

    with chromium_page() as page:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/organize/invitations/{token}/")
        text = page.inner_text("main")
        assert LONG_TITLE in text and "owner@example.org" in text and "Editor" in text
        # Nothing sticks out sideways, long address and title included.
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        log_in, sign_up = (
            box(page, "text=Log in to accept"),
            box(page, "text=Create an account to accept"),
        )
        assert log_in["height"] >= 44 and sign_up["height"] >= 44
        if width == 390:  # stacked, each as wide as the card
            assert sign_up["y"] >= log_in["y"] + log_in["height"]
            assert log_in["width"] > 300
        else:  # side by side
            assert sign_up["y"] == log_in["y"]

        # Keyboard users see where they are.
        page.focus("text=Log in to accept")
        outline = page.eval_on_selector(
            "text=Log in to accept", "el => getComputedStyle(el).outlineStyle"
        )
        assert outline != "none"

        page.click("text=Log in to accept")
        assert "come back to your invitation" in page.inner_text("main")
        page.fill(
            "input[name=login]", "a.rather.long.address.for.a.phone@illustrators-union.example.org"
        )
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/organize/invitations/{token}/")
        page.click("text=Accept the invitation")
        page.wait_for_url(f"**/organize/letters/{letter.slug}/**")

    membership = Membership.objects.get(user__email__startswith="a.rather.long")
    assert membership.role == Membership.Role.EDITOR
