"""A small, lived-in site for the browser proofs: every kind of page with something on it.

The accessibility harness walks every page listed here; the screenshot test shows a few of
them. Both start one browser for the module (``browser_session``) and open one context per
viewport and colour scheme.
"""

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import time_machine
from django.conf import settings
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from letters.models import Invitation, Letter, LetterTranslation, LetterVersion
from letters.services import invitation_token
from mailing.suppression import never_token
from moderation import services as moderation
from signatories.models import Signature
from signatories.tokens import not_me_token, withdraw_token
from tests.factories import (
    make_letter,
    make_member,
    make_pending_signature,
    make_signature,
    make_user,
)
from updates.models import Update
from updates.services import unsubscribe_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

BODY = """\
We teach, nurse, drive buses and keep the lights on in this town. The new timetable cuts
the last bus home to 21:40, and many of us finish work after that.

## What we ask

1. **Keep the late buses** on lines 4, 7 and 12 until midnight.
2. **Ask the people who ride them** before the next timetable is drawn.

*Signatures are confirmed by email before they count. Addresses are never published.*
"""
NAMES = [
    ("Amara Okafor", "Nurse", "GB"),
    ("Jonas Lindqvist", "Bus driver", "SE"),
    ("Lucía Moreno", "Teacher", "ES"),
    ("Mei Tanaka", "Student", "JP"),
    ("Tomasz Kowalski", "Electrician", "PL"),
    ("Nadia Haddad", "Pharmacist", "FR"),
    ("Kwame Mensah", "Night porter", "GB"),
]


# Pages that answer with an error on purpose; every other page answers 200.
STATUS = {"not-found": 404, "confirm-expired": 400, "confirm-unknown": 404, "forbidden": 403}


@dataclass
class Site:
    """Paths of every page, by name; ``organizer`` ones need the organizer's session."""

    public: dict[str, str] = field(default_factory=dict)
    organizer: dict[str, str] = field(default_factory=dict)
    session_cookie: str = ""
    # A co-organizer who may only look: the pages that refuse them.
    viewer: dict[str, str] = field(default_factory=dict)
    viewer_cookie: str = ""
    letter: Letter | None = None


@contextmanager
def browser_session() -> Iterator[Browser]:
    """One headless Debian chromium for a whole module."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_context(
    browser: Browser,
    *,
    viewport: dict[str, int],
    scheme: str,
    live_url: str,
    cookie: str = "",
    script: Path | None = None,
) -> Iterator[BrowserContext]:
    """A context at one viewport and colour scheme. The site's CSP forbids any script but
    its own; ``bypass_csp`` lets the harness add axe-core to a page. ``script`` runs in
    every page before the page's own scripts."""
    context = browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        bypass_csp=True,
        reduced_motion="reduce",
    )
    if script is not None:
        context.add_init_script(path=script)
    if cookie:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_url}]
        )
    try:
        yield context
    finally:
        context.close()
        # Views run in the live server's thread with their own connection; close them, or
        # the test database cannot be dropped at the end of the run.
        connections.close_all()


# The late buses letter in Arabic: a right-to-left text on every check of the pages.
ARABIC = {
    "title": "أبقوا الحافلات الليلية",
    "summary": "يطلب من يعملون ليلًا من المجلس إبقاء آخر الحافلات حتى منتصف الليل.",
    "body": "نحن الموقعين أدناه نعمل حتى وقت متأخر.\n\n> نطلب إبقاء آخر الحافلات حتى منتصف الليل.",
}


def build_site() -> Site:
    """Letters open, closed and empty, signatures in every state, an update, a correction,
    an organizer logged in; returns the path of every page worth looking at."""
    letter = make_letter(
        title="Keep the late buses running",
        slug="late-buses",
        summary="People who work late ask the council to keep the last buses until midnight.",
        body=BODY,
        goal=500,
        invited_signers="everyone who rides the late buses, and those who wait for them",
        ask_comment=True,
    )
    letter.current_version = LetterVersion.objects.create(
        letter=letter, language=letter.language, number=1, title=letter.title, body=letter.body
    )
    letter.save(update_fields=["current_version"])
    arabic = LetterTranslation.objects.create(letter=letter, language="ar", **ARABIC)
    arabic.current_version = LetterVersion.objects.create(
        letter=letter, language="ar", number=1, title=arabic.title, body=arabic.body
    )
    arabic.save(update_fields=["current_version"])
    signatures = [
        make_signature(letter=letter, name=name, role=role, country=country)
        for name, role, country in NAMES
    ]
    make_signature(letter=letter, name="Hidden Person", show_name=False)
    pending = make_pending_signature(letter=letter, token="c" * 24, name="Petra Novak")
    days = settings.CONFIRMATION_MAX_AGE_DAYS + 1
    expired = make_pending_signature(letter=letter, token="x" * 24)
    Signature.objects.filter(pk=expired.pk).update(
        token_issued_at=timezone.now() - timedelta(days=days)
    )
    owner = make_user()
    letter.memberships.create(user=owner, role="owner")
    removed = make_signature(letter=letter, name="Spam Bot 3000")
    moderation.signature_remove(signature=removed, actor=owner, reason="Not a real person.")
    moderation.signature_hold(
        signature=make_signature(letter=letter, name="Hold Me"), actor=owner, reason="Checking."
    )
    update = Update.objects.create(
        letter=letter,
        author=owner,
        title="We met the council",
        body="Thank you for signing. We handed the letter over on **Tuesday**.",
        status=Update.Status.SENT,
        published_at=timezone.now(),
    )
    draft = Update.objects.create(
        letter=letter, author=owner, title="Next steps", body="A draft for the team."
    )
    closed = make_letter(
        title="Open the library on Sundays",
        status=Letter.Status.CLOSED,
        closed_at=timezone.now() - timedelta(hours=1),
    )
    make_signature(letter=closed)
    empty = make_letter(
        title="Light the river path at night",
        summary="A path many of us walk home on has no lights after the bridge.",
    )
    challenged = make_letter(title="Plant trees on Mill Street", require_challenge=True)
    invitation = Invitation.objects.create(
        letter=letter, email="new@example.org", email_normalized="new@example.org", invited_by=owner
    )
    invited = reverse(
        "organize:invitation-accept", kwargs={"token": invitation_token(invitation=invitation)}
    )
    client, viewer = Client(), Client()
    client.force_login(owner)
    viewer.force_login(make_member(letter=letter, role="viewer").user)
    held = Signature.objects.get(letter=letter, name="Hold Me")
    return Site(
        letter=letter,
        session_cookie=client.cookies[settings.SESSION_COOKIE_NAME].value,
        viewer={"forbidden": reverse("organize:letter-edit", kwargs={"slug": letter.slug})},
        viewer_cookie=viewer.cookies[settings.SESSION_COOKIE_NAME].value,
        public={
            **_public_paths(letter, closed, empty, update, signatures[0], challenged),
            "invitation": invited,
            "not-me": reverse(
                "signatories:not-me", kwargs={"token": not_me_token(signature=pending)}
            ),
        },
        organizer={**_organizer_paths(letter, update, draft, held), "invitation": invited},
    )


def _public_paths(
    letter: Letter,
    closed: Letter,
    empty: Letter,
    update: Update,
    signature: Signature,
    challenged: Letter,
) -> dict[str, str]:
    slug = {"slug": letter.slug}
    return {
        "home": reverse("letters:index"),
        "letter": letter.get_absolute_url(),
        "letter-closed": closed.get_absolute_url(),
        "letter-empty": empty.get_absolute_url(),
        "letter-arabic": f"{letter.get_absolute_url()}?lang=ar",
        "signatories": reverse("signatories:list", kwargs=slug),
        "changes": reverse("letters:changes", kwargs=slug),
        "corrections": reverse("moderation:corrections", kwargs=slug),
        "updates": reverse("updates:list", kwargs=slug),
        "update": reverse("updates:detail", kwargs={**slug, "pk": update.pk}),
        "check-inbox": reverse("signatories:check-inbox", kwargs=slug),
        "confirm": reverse("signatories:confirm", kwargs={"token": "c" * 24}),
        "confirm-expired": reverse("signatories:confirm", kwargs={"token": "x" * 24}),
        "confirm-unknown": reverse("signatories:confirm", kwargs={"token": "nothing-like-it"}),
        "letter-challenge": challenged.get_absolute_url(),
        "new-link": reverse("signatories:resend", kwargs=slug),
        "withdraw-request": reverse("signatories:withdraw-request", kwargs=slug),
        "withdraw": reverse(
            "signatories:withdraw", kwargs={"token": withdraw_token(signature=signature)}
        ),
        "unsubscribe": reverse(
            "updates:unsubscribe", kwargs={"token": unsubscribe_token(signature=signature)}
        ),
        "never-email": reverse(
            "mailing:never", kwargs={"token": never_token(email=signature.email)}
        ),
        "privacy": reverse("privacy"),
        "login": reverse("account_login"),
        "signup": reverse("account_signup"),
        "password-reset": reverse("account_reset_password"),
        "widget": reverse("embeds:widget", kwargs=slug),
        "not-found": "/letters/no-such-letter/",
    }


def _organizer_paths(letter: Letter, update: Update, draft: Update, held: Any) -> dict[str, str]:
    slug = {"slug": letter.slug}
    return {
        "dashboard": reverse("signatories:dashboard"),
        "letter-new": reverse("organize:letter-create"),
        "letter-edit": reverse("organize:letter-edit", kwargs=slug),
        "translation-new": reverse("organize:translation-create", kwargs=slug),
        "translation-edit": reverse("organize:translation-edit", kwargs={**slug, "language": "ar"}),
        "organizer-letter": reverse("organize:letter", kwargs=slug),
        "letter-preview": reverse("organize:letter-preview", kwargs=slug),
        "team": reverse("organize:team", kwargs=slug),
        "moderation": reverse("moderation:list", kwargs=slug),
        "moderation-detail": reverse("moderation:detail", kwargs={**slug, "pk": held.pk}),
        "bulk-remove": reverse("moderation:bulk-remove", kwargs=slug),
        "export": reverse("signatories:export", kwargs=slug),
        "updates-organizer": reverse("updates:organizer-list", kwargs=slug),
        "update-organizer": reverse("updates:organizer-detail", kwargs={**slug, "pk": draft.pk}),
        "notifications": reverse("notifications:preferences", kwargs=slug),
        "email-account": reverse("account_email"),
        "password-change": reverse("account_change_password"),
        "two-factor": reverse("mfa_index"),
        "logout": reverse("account_logout"),
    }


def sign_with_a_bad_address(page: Page, url: str) -> None:
    """Sign the letter at ``url`` with something that is no address; the form comes back
    with its message. The browser's own validation is off, as for a signer without it."""
    page.goto(url)
    page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
    page.fill("input[name=name]", "Ada Example")
    page.fill("input[name=email]", "not an address")
    # The person took their time (the form's time trap): the clock moves on.
    with time_machine.travel(time.time() + 10):
        page.locator("form[action*='/sign/'] button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator(".errorlist, [aria-invalid=true]").count() > 0


def confirm(page: Page, url: str) -> None:
    """Open an emailed confirmation link and press its button."""
    page.goto(url)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "confirmed" in page.locator("h1").inner_text()


def send_without_the_csrf_cookie(page: Page, url: str) -> None:
    """Ask for a new link from a browser that dropped the form's security cookie: the site
    explains. (The sign form needs no cookie: it is checked by origin instead.)"""
    page.goto(url)
    page.context.clear_cookies()
    page.fill("input[name=email]", "ada@example.org")
    with (
        time_machine.travel(time.time() + 10),
        page.expect_response(lambda response: response.request.method == "POST") as posted,
    ):
        page.locator("form[action*='/new-link/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert posted.value.status == 403
