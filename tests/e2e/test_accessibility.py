"""axe-core on every page and every HTML email, on a phone and a desktop, light and dark.

No page may have a violation that axe rates serious or critical. axe-core is vendored in
tests/e2e/vendor/axe-core/ (see its README), so the run needs no network. Run it alone with
``uv run --locked pytest -q tests/e2e/test_accessibility.py``; a failure lists each violation
with its rule, impact, the elements it found and axe's one-line help.
"""

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Frame, Page

from letters import emails as letter_emails
from letters.models import Invitation, Letter, Membership
from notifications import emails as notification_emails
from notifications.models import Milestone, Notification
from signatories import emails as signer_emails
from signatories.models import Signature
from signatories.tokens import withdraw_token
from tests.e2e.sample_site import (
    DESKTOP,
    PHONE,
    STATUS,
    Site,
    browser_context,
    build_site,
    confirm,
    send_without_the_csrf_cookie,
    sign_with_a_bad_address,
)
from tests.factories import make_letter, make_pending_signature, make_signature, make_user
from updates import emails as update_emails
from updates.models import Update

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now, serious and critical only."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def report(where: str, violations: list[dict[str, Any]]) -> list[str]:
    """One readable block per violation: rule, impact, help, and the elements it found."""
    lines = []
    for violation in violations:
        lines.append(f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            target = " >> ".join(map(str, node["target"]))
            lines.append(f"    {target}: {node['failureSummary'].splitlines()[-1].strip()}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return lines


def check_pages(
    browser: Browser, live_url: str, paths: dict[str, str], variant: str, cookie: str = ""
) -> list[str]:
    viewport, scheme = _variant(variant)
    problems: list[str] = []
    with browser_context(
        browser, viewport=viewport, scheme=scheme, live_url=live_url, cookie=cookie, script=AXE
    ) as context:
        page = context.new_page()
        for name, path in paths.items():
            response = page.goto(live_url + path)
            assert response is not None
            assert response.status == STATUS.get(name, 200), (
                f"{name} {path}: HTTP {response.status}"
            )
            problems += report(f"{name} {variant}", axe_violations(page))
    return problems


def _variant(variant: str) -> tuple[dict[str, int], str]:
    width, scheme = variant.split("-")
    return (PHONE if width == "390" else DESKTOP), scheme


VARIANT_IDS = ["390-light", "390-dark", "1280-light", "1280-dark"]


@pytest.fixture
def site(live_server, settings) -> Site:
    settings.SITE_URL = live_server.url
    return build_site()


@pytest.mark.parametrize("variant", VARIANT_IDS)
def test_every_public_page_has_no_serious_accessibility_violation(
    chromium: Browser, live_server, site: Site, variant: str
) -> None:
    before = sorted(Signature.objects.values_list("pk", "status"))
    problems = check_pages(chromium, live_server.url, site.public, variant)
    assert not problems, "axe found serious violations:\n" + "\n".join(problems)
    # Opening every page, the confirmation and withdrawal links too, changed nothing.
    assert sorted(Signature.objects.values_list("pk", "status")) == before


@pytest.mark.parametrize("variant", VARIANT_IDS)
def test_every_organizer_page_has_no_serious_accessibility_violation(
    chromium: Browser, live_server, site: Site, variant: str
) -> None:
    problems = check_pages(
        chromium, live_server.url, site.organizer, variant, cookie=site.session_cookie
    )
    problems += check_pages(chromium, live_server.url, site.viewer, variant, site.viewer_cookie)
    assert not problems, "axe found serious violations:\n" + "\n".join(problems)


def test_the_pages_after_a_post_have_no_serious_accessibility_violation(
    chromium: Browser, live_server, site: Site
) -> None:
    """The sign form as it comes back with a message under a field (the browser's own
    validation off, as for a signer without JavaScript), the page after confirming, and the
    page that explains a missing security cookie."""
    assert site.letter is not None
    problems: list[str] = []
    for variant in VARIANT_IDS:
        viewport, scheme = _variant(variant)
        token = f"{variant:x<24}"
        make_pending_signature(letter=site.letter, token=token)
        with browser_context(
            chromium, viewport=viewport, scheme=scheme, live_url=live_server.url, script=AXE
        ) as context:
            page = context.new_page()
            sign_with_a_bad_address(page, live_server.url + site.public["letter"])
            problems += report(f"sign-error {variant}", axe_violations(page))
            confirm(page, live_server.url + reverse("signatories:confirm", args=[token]))
            problems += report(f"confirmed {variant}", axe_violations(page))
            resend = reverse("signatories:resend", args=[site.letter.slug])
            send_without_the_csrf_cookie(page, live_server.url + resend)
            problems += report(f"csrf-failure {variant}", axe_violations(page))
    assert not problems, "axe found serious violations:\n" + "\n".join(problems)
    assert not Signature.objects.filter(email__in=["not an address", "ada@example.org"]).exists()


def emails(live_url: str) -> dict[str, str | None]:
    """The HTML part of every kind of email the site sends (``None``: text only). allauth's
    account mail is plain text today; once it gets an HTML template, it is checked too."""
    letter = make_letter(title="Keep the late buses running")
    signature = make_signature(letter=letter, name="Amara Okafor")
    user = make_user()
    invitation = Invitation.objects.create(
        letter=letter, email="new@example.org", email_normalized="new@example.org", invited_by=user
    )
    update = Update.objects.create(
        letter=letter, author=user, title="We met the council", body="Thank you."
    )
    token = withdraw_token(signature=signature)
    messages = {
        "confirm": signer_emails.confirmation(signature=signature, token="t" * 24),
        "already-signed": signer_emails.already_signed(signature=signature, withdraw_token=token),
        "withdraw": signer_emails.withdraw(signature=signature, token=token),
        "update": update_emails.update(
            update=update, signature=signature, body_html="<p>Thank you.</p>", token="u" * 24
        ),
        "invitation": letter_emails.invitation(invitation=invitation),
        **_notification_emails(letter, user),
        **_account_emails(user, live_url),
    }
    return {name: _html_part(message) for name, message in messages.items()}


def _notification_emails(letter: Letter, user: Any) -> dict[str, Any]:
    """The three emails to organizers, drawn from unsaved outbox rows."""
    membership = Membership.objects.create(letter=letter, user=user, role="owner")
    verified = make_signature(
        letter=letter,
        name="Dr. Lin Wei",
        role="Nurse",
        organization="City Hospital",
        verified_at=timezone.now(),
        verification_method="org_email",
    )
    counts = {"since": timezone.now().isoformat(), "confirmed": 12, "verified": 1,
              "signals": 2, "held": 3}  # fmt: skip
    rows = {
        "notification-digest": Notification(
            membership=membership,
            kind=Notification.Kind.DIGEST,
            period_end=timezone.now(),
            counts=counts,
        ),
        "notification-milestone": Notification(
            membership=membership,
            kind=Notification.Kind.MILESTONE,
            milestone=Milestone.objects.create(letter=letter, count=1000),
        ),
        "notification-verified": Notification(
            membership=membership, kind=Notification.Kind.VERIFIED, signature=verified
        ),
    }
    return {
        name: notification_emails.notification(notification=row, to=user.email, language="en")
        for name, row in rows.items()
    }


def _account_emails(user: Any, live_url: str) -> dict[str, Any]:
    """allauth's confirmation and password reset mail, rendered as our adapter renders them."""
    request = RequestFactory().get("/", HTTP_HOST=live_url.split("//")[1])
    request.user = user
    adapter = get_adapter(request)
    with allauth_context.request_context(request):
        base = {"user": user, "request": request, "email": user.email}
        confirm = {**base, "activate_url": live_url + "/accounts/confirm-email/k/", "key": "k"}
        reset = {**base, "password_reset_url": live_url + reverse("account_reset_password")}
        return {
            "account-confirm": adapter.render_mail(
                "account/email/email_confirmation_signup", user.email, confirm
            ),
            "account-reset": adapter.render_mail(
                "account/email/password_reset_key", user.email, reset
            ),
        }


def _html_part(message: Any) -> str | None:
    if getattr(message, "content_subtype", "") == "html":
        return str(message.body)
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return str(content)
    return None


def test_the_sign_form_framed_in_an_article_has_no_serious_accessibility_violation(
    chromium: Browser, live_server, settings
) -> None:
    """The widget's sign form in a frame on another origin: as drawn, sent back with its
    problems, and its "check your inbox" answer."""
    settings.SITE_URL = live_server.url
    settings.MIN_FILL_SECONDS = 0
    settings.ROOT_URLCONF = "tests.e2e.urls"
    letter = make_letter(widget_sign=True, goal=100)
    widget = live_server.url + reverse("embeds:widget", args=[letter.slug]) + "?form=1"
    html = (
        '<!doctype html><html lang="en"><title>News</title><main>'
        f'<iframe title="Sign" src="{widget}" width="400" height="640"></iframe></main></html>'
    )
    article = live_server.url.replace("localhost", "127.0.0.1") + "/test-article/"
    problems: list[str] = []
    for variant in VARIANT_IDS:
        viewport, scheme = _variant(variant)
        with browser_context(
            chromium, viewport=viewport, scheme=scheme, live_url=live_server.url, script=AXE
        ) as context:
            page = context.new_page()
            page.goto(article + "?" + urlencode({"html": html}))
            frame_element = page.wait_for_selector("iframe")
            assert frame_element is not None
            frame = frame_element.content_frame()
            assert frame is not None
            frame.wait_for_selector("form")
            problems += report(f"widget-form {variant}", _frame_violations(frame))
            frame.click("form button[type=submit]")
            frame.wait_for_selector("#es")
            problems += report(f"widget-form-error {variant}", _frame_violations(frame))
            frame.fill("#w-name", "Ada Example")
            frame.fill("#w-email", f"{variant}@example.org")
            frame.check("#w-consent")
            frame.click("form button[type=submit]")
            frame.wait_for_selector("#ok")
            problems += report(f"widget-signed {variant}", _frame_violations(frame))
    assert not problems, "axe found serious violations:\n" + "\n".join(problems)


def _frame_violations(frame: Frame) -> list[dict[str, Any]]:
    result = frame.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def test_every_html_email_has_no_serious_accessibility_violation(
    chromium: Browser, live_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    htmls = {name: html for name, html in emails(live_server.url).items() if html is not None}
    assert {"confirm", "already-signed", "withdraw", "update", "invitation"} <= set(htmls)
    problems: list[str] = []
    for variant in VARIANT_IDS:
        viewport, scheme = _variant(variant)
        with browser_context(
            chromium, viewport=viewport, scheme=scheme, live_url=live_server.url, script=AXE
        ) as context:
            page = context.new_page()
            for name, html in htmls.items():
                page.set_content(html)
                problems += report(f"email {name} {variant}", axe_violations(page))
    assert not problems, "axe found serious violations:\n" + "\n".join(problems)


def test_the_harness_reports_a_page_that_breaks_the_rules(chromium: Browser) -> None:
    """The proof proves something: a page with an unnamed button and grey-on-grey text fails."""
    with browser_context(chromium, viewport=PHONE, scheme="light", live_url="") as context:
        page = context.new_page()
        page.set_content(
            '<!doctype html><html lang="en"><title>Bad</title><main>'
            '<p style="color:#bbb;background:#fff">Faint text</p><button></button></main>'
        )
        found = {v["id"] for v in axe_violations(page)}
        lines = report("bad", axe_violations(page))
    assert {"button-name", "color-contrast"} <= found
    assert any(line.startswith("bad: button-name (critical)") for line in lines)
