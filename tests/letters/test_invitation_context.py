"""An invitation link keeps its context when the invited person must first log in or sign
up: they see who invites them to which letter as what, and every step leads back."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from letters import services, tasks
from letters.models import Invitation, Letter, Membership
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long pass phrase"


@pytest.fixture
def letter() -> Letter:
    return make_letter(slug="fair-pay", title="Fair pay for illustrators")


@pytest.fixture
def invitation(letter: Letter) -> Invitation:
    owner = make_user(email="owner@example.org")
    make_member(letter=letter, user=owner)
    return services.invitation_create(
        letter=letter, invited_by=owner, email="friend@example.org", role="editor"
    )


def state() -> tuple:
    return (
        sorted(Membership.objects.values_list("letter_id", "user_id", "role")),
        sorted(Invitation.objects.values_list("pk", "accepted_at")),
    )


def mailed_link(message, fragment: str) -> str:
    url = next(word for word in message.body.split() if fragment in word)
    return url.removeprefix("http://testserver")


def invitation_path(invitation: Invitation) -> str:
    assert tasks.invitation_send(invitation_id=invitation.pk) is True
    (message,) = mail.outbox
    mail.outbox.clear()
    return mailed_link(message, "/organize/invitations/")


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_an_invited_stranger_signs_up_confirms_and_lands_back_on_the_invitation_to_accept(
    client, invitation, letter, mail_worker, django_capture_on_commit_callbacks
):
    path = invitation_path(invitation)

    # Anonymous: the page says who invites whom to which letter, as what.
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "owner@example.org" in html
    assert "Fair pay for illustrators" in html
    assert "Editor" in html
    assert "friend@example.org" in html
    login_url, signup_url = page.context["login_url"], page.context["signup_url"]
    assert "Log in to accept" in html and "Create an account to accept" in html
    assert query(login_url)["next"] == [path]
    assert query(signup_url) == {"next": [path], "email": ["friend@example.org"]}

    # The sign-up form comes filled with the invited address and carries the way back.
    signup = client.get(signup_url)
    assert signup.context["form"]["email"].value() == "friend@example.org"
    assert f'name="next" value="{path}"' in signup.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            signup_url,
            {"email": "friend@example.org", "password1": PASSWORD, "password2": PASSWORD,
             "next": path},
        )  # fmt: skip
    assert response.status_code == 302
    assert Membership.objects.filter(user__email="friend@example.org").count() == 0

    # The mailed confirmation link carries the invitation; confirming logs in and goes there.
    (message,) = mail_worker(1)
    confirm = mailed_link(message, "/accounts/confirm-email/")
    assert query(confirm)["next"] == [path]
    confirm_page = client.get(confirm)
    assert f'name="next" value="{path}"' in confirm_page.content.decode()
    response = client.post(confirm)
    assert response.status_code == 302
    assert response["Location"] == path

    page = client.get(path)
    assert page.status_code == 200
    assert "Accept the invitation" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("organize:letter", kwargs={"slug": letter.slug})
    membership = Membership.objects.get(user__email="friend@example.org")
    assert (membership.letter, membership.role) == (letter, Membership.Role.EDITOR)


def test_confirming_in_another_browser_leads_to_the_invitation_and_a_log_in_that_returns(
    client, invitation, mail_worker, django_capture_on_commit_callbacks
):
    path = invitation_path(invitation)
    signup_url = client.get(path).context["signup_url"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            signup_url,
            {"email": "friend@example.org", "password1": PASSWORD, "password2": PASSWORD,
             "next": path},
        )  # fmt: skip
    (message,) = mail_worker(1)

    # The phone that opens the mail has no session: confirming does not log in, but the
    # link still leads to the invitation, whose log-in comes back to it.
    phone = Client()
    response = phone.post(mailed_link(message, "/accounts/confirm-email/"))
    assert response.status_code == 302
    assert response["Location"] == path
    page = phone.get(path)
    assert "Log in to accept" in page.content.decode()
    response = phone.post(
        page.context["login_url"], {"login": "friend@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == path
    assert phone.post(path).status_code == 302
    assert Membership.objects.filter(user__email="friend@example.org", role="editor").exists()


def test_a_signup_link_to_another_site_is_not_carried_into_the_confirmation_mail(
    client, mail_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD,
             "next": "//evil.example/organize/"},
        )  # fmt: skip
    (message,) = mail_worker(1)
    confirm = mailed_link(message, "/accounts/confirm-email/")
    assert "next" not in query(confirm)
    assert "evil.example" not in message.body


def test_an_anonymous_post_to_an_invitation_goes_to_log_in_and_changes_nothing(client, invitation):
    path = invitation_path(invitation)
    before = state()
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert query(response["Location"])["next"] == [path]
    assert state() == before


def test_an_anonymous_visitor_with_a_broken_link_is_told_so_and_nothing_changes(client, invitation):
    before = state()
    response = client.get(reverse("organize:invitation-accept", kwargs={"token": "x"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This invitation link is not valid." in html
    assert "Log in to accept" not in html
    assert state() == before


def test_an_invitation_to_a_draft_names_it_without_linking_a_page_that_does_not_exist(client):
    draft = make_letter(title="Still a draft", status=Letter.Status.DRAFT)
    owner = make_user(email="owner@example.org")
    make_member(letter=draft, user=owner)
    invitation = services.invitation_create(
        letter=draft, invited_by=owner, email="friend@example.org", role="viewer"
    )
    html = client.get(invitation_path(invitation)).content.decode()
    assert "Still a draft" in html
    assert f'href="{draft.get_absolute_url()}"' not in html
