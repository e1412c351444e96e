"""Account mail speaks like the rest of the site: it greets without a host name, signs with
the site's name, links through SITE_URL, and its subjects are in sentence case."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from letters import accounts
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long pass phrase"
# The host the requests come to: allauth's own templates would greet "Hello from 127.0.0.1!".
HOST = "127.0.0.1"
NEVER = ("127.0.0.1", "example.com", "Hello from", "Thank you for using")
TEMPLATES = Path(settings.BASE_DIR) / "templates"
OVERRIDDEN = sorted(
    str(path.relative_to(TEMPLATES)).removesuffix("_subject.txt")
    for folder in ("account/email", "mfa/email")
    for path in (TEMPLATES / folder).glob("*_subject.txt")
)


def assert_in_our_voice(message) -> None:
    prefix = f"[{settings.SITE_NAME}] "
    assert message.subject.startswith(prefix)
    subject = message.subject.removeprefix(prefix)
    assert subject[0].isupper(), subject
    words = [w for w in re.findall(r"[^\W\d_]+", subject)[1:] if w != settings.SITE_NAME]
    assert all(word.islower() for word in words), f"not sentence case: {subject!r}"
    for text in (message.subject, message.body):
        for never in NEVER:
            assert never not in text, f"{never!r} in {message.subject!r}"
    assert message.body.startswith("Hello,")
    assert message.body.rstrip().endswith(f"— {settings.SITE_NAME}")


def post(client, name: str, data: dict, capture) -> None:
    with capture(execute=True):
        response = client.post(reverse(name), data, HTTP_HOST=HOST)
    assert response.status_code == 302


def test_signing_up_mails_a_confirmation_in_our_voice_with_a_link_on_the_site(
    client, mail_worker, django_capture_on_commit_callbacks
):
    post(client, "account_signup", {"email": "new@example.org", "password1": PASSWORD,
         "password2": PASSWORD}, django_capture_on_commit_callbacks)  # fmt: skip
    (message,) = mail_worker(1)
    assert_in_our_voice(message)
    assert message.subject == f"[{settings.SITE_NAME}] Confirm your email address"
    assert f"{settings.SITE_URL}/accounts/confirm-email/" in message.body
    assert f"organizer account on {settings.SITE_NAME}" in message.body


def test_signing_up_again_with_a_known_address_mails_the_owner_in_our_voice(
    client, mail_worker, django_capture_on_commit_callbacks
):
    make_user(email="known@example.org")
    post(client, "account_signup", {"email": "known@example.org", "password1": PASSWORD,
         "password2": PASSWORD}, django_capture_on_commit_callbacks)  # fmt: skip
    (message,) = mail_worker(1)
    assert_in_our_voice(message)
    assert message.subject == f"[{settings.SITE_NAME}] You already have an account"
    assert f"{settings.SITE_URL}/accounts/password/reset/" in message.body


def test_a_password_reset_mails_a_link_in_our_voice(
    client, mail_worker, django_capture_on_commit_callbacks
):
    make_user(email="known@example.org")
    post(client, "account_reset_password", {"email": "known@example.org"},
         django_capture_on_commit_callbacks)  # fmt: skip
    (message,) = mail_worker(1)
    assert_in_our_voice(message)
    assert message.subject == f"[{settings.SITE_NAME}] Reset your password"
    assert f"{settings.SITE_URL}/accounts/password/reset/key/" in message.body


def test_a_password_reset_for_an_unknown_address_says_so_in_our_voice(
    client, mail_worker, django_capture_on_commit_callbacks
):
    post(client, "account_reset_password", {"email": "nobody@example.org"},
         django_capture_on_commit_callbacks)  # fmt: skip
    (message,) = mail_worker(1)
    assert_in_our_voice(message)
    assert f"{settings.SITE_URL}/accounts/signup/" in message.body


@pytest.mark.parametrize("template_prefix", OVERRIDDEN)
def test_every_account_and_two_factor_mail_is_in_our_voice(template_prefix, monkeypatch):
    sent = []
    monkeypatch.setattr(accounts, "mail_send_after_commit", lambda *, message: sent.append(message))
    request = RequestFactory().post("/accounts/", HTTP_HOST=HOST)
    user = make_user(email="ada@example.org")
    context = {
        "user": user,
        "activate_url": f"http://{HOST}/accounts/confirm-email/KEY/",
        "password_reset_url": f"http://{HOST}/accounts/password/reset/key/KEY/",
        "signup_url": f"http://{HOST}/accounts/signup/",
        "code": "ABC123",
        "ip": "192.0.2.7",
        "user_agent": "Firefox",
        "timestamp": datetime(2026, 12, 2, 14, 0, tzinfo=UTC),
        "from_email": "old@example.org",
        "to_email": "ada@example.org",
        "deleted_email": "old@example.org",
    }
    with allauth_context.request_context(request):
        get_adapter(request).send_mail(template_prefix, "ada@example.org", context)
    (message,) = sent
    assert_in_our_voice(message)
    for link in re.findall(r"https?://\S+", message.body):
        assert link.startswith(settings.SITE_URL), link


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("account_login", "Log in"),
        ("account_signup", "Create an account"),
        ("account_reset_password", "Reset your password"),
        ("account_reset_password_done", "Check your inbox"),
        ("account_email_verification_sent", "Check your inbox"),
    ],
)
def test_the_account_pages_speak_in_sentence_case(client, name, heading):
    html = client.get(reverse(name)).content.decode()
    assert re.search(r"<h1[^>]*>\s*" + heading + r"\s*</h1>", html), html
    for title_case in ("Sign In", "Sign Up", "Password Reset", "Verify Your Email Address"):
        assert title_case not in html


def test_logging_in_on_the_way_to_an_invitation_says_where_it_leads(client):
    path = "/organize/invitations/some-token/"
    for name in ("account_login", "account_signup"):
        html = client.get(reverse(name), {"next": path}).content.decode()
        assert "Afterwards you come back to your invitation to accept it." in html
        assert f'name="next" value="{path}"' in html
    assert (
        "come back to your invitation" not in client.get(reverse("account_login")).content.decode()
    )
