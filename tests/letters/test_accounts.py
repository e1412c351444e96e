import time

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def link_in(message, fragment: str) -> str:
    url = next(word for word in message.body.split() if fragment in word)
    return url.removeprefix("http://testserver")


def test_signup_sends_the_verification_mail_from_a_worker_after_commit(
    client, mail_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "new@example.org",
                "password1": "a long pass phrase",
                "password2": "a long pass phrase",
            },
        )
    assert response.status_code == 302
    (message,) = mail_worker(1)
    assert message.to == ["new@example.org"]
    assert message.subject.startswith(f"[{settings.SITE_NAME}] ")
    confirm = link_in(message, "/accounts/confirm-email/")
    assert client.get(confirm).status_code == 200  # GET shows a button, changes nothing
    assert not EmailAddress.objects.get(email="new@example.org").verified
    client.post(confirm)
    assert EmailAddress.objects.get(email="new@example.org").verified


def test_signup_sends_no_mail_inside_the_request(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            reverse("account_signup"),
            {
                "email": "new@example.org",
                "password1": "a long pass phrase",
                "password2": "a long pass phrase",
            },
        )
    assert get_user_model().objects.filter(email="new@example.org").exists()
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_organizers_log_in_by_email(client):
    make_user(email="ada@example.org", password="a long pass phrase")
    response = client.post(
        reverse("account_login"), {"login": "ada@example.org", "password": "a long pass phrase"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("signatories:dashboard")


def test_a_wrong_password_is_refused_with_a_message(client):
    make_user(email="ada@example.org", password="a long pass phrase")
    response = client.post(reverse("account_login"), {"login": "ada@example.org", "password": "x"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_mail_arrives_through_the_worker(
    client, mail_worker, django_capture_on_commit_callbacks
):
    make_user(email="ada@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "ada@example.org"})
    assert response.status_code == 302
    (message,) = mail_worker(1)
    assert "/accounts/password/reset/key/" in message.body


def test_account_pages_use_the_site_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'href="/static/css/site.css"' in html
    assert 'class="site-header"' in html
    assert 'class="prose account-form"' in html


def log_in(client, email: str = "ada@example.org"):
    return client.post(reverse("account_login"), {"login": email, "password": "a long pass phrase"})


def test_two_factor_pages_use_the_site_layout(client):
    client.force_login(make_user())
    response = client.get(reverse("mfa_index"))
    assert response.status_code == 200
    assert 'class="site-header"' in response.content.decode()


def test_an_organizer_turns_on_totp_and_then_logs_in_with_a_recovery_code(client):
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal import auth as totp

    user = make_user(email="ada@example.org", password="a long pass phrase")
    log_in(client)
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )  # turning on 2FA asks for the password again
    client.post(reverse("account_reauthenticate"), {"password": "a long pass phrase"})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "data:image/svg+xml" in page.content.decode()
    secret = client.session[totp.SECRET_SESSION_KEY]
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD  # what the phone app shows now
    code = totp.format_hotp_value(totp.hotp_value(secret, counter))
    assert client.post(reverse("mfa_activate_totp"), {"code": code}).status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    recovery_code = RecoveryCodes(recovery).get_unused_codes()[0]

    client.post(reverse("account_logout"))
    response = log_in(client)
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": recovery_code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_repeated_failed_logins_are_rate_limited_in_the_shared_cache(client):
    make_user(email="ada@example.org", password="a long pass phrase")
    for _attempt in range(5):
        client.post(reverse("account_login"), {"login": "ada@example.org", "password": "wrong"})
    response = log_in(client)  # even the right password waits now
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
