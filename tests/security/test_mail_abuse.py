"""Nobody can use our mail to carry their links, mail a stranger, or keep mailing someone
who said no. See docs/security.md."""

import base64
import json
import re

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse

from letters import tasks as letter_tasks
from letters.models import Invitation
from mailing import tasks as mail_tasks
from mailing.addresses import address_hash
from mailing.messages import GREETING_MAX_CHARS, name_for_greeting
from mailing.models import SuppressedAddress
from signatories import outbox as signer_outbox
from signatories.models import LetterSuppression, OutboxMessage, Signature
from tests.factories import (
    form_data,
    is_check_inbox,
    make_letter,
    make_signature,
    make_user,
    sign_data,
)
from updates import services as updates
from updates import tasks as update_tasks
from updates.models import UpdateDelivery

pytestmark = pytest.mark.django_db

EMAIL = "ada@example.org"


def _sign(client, letter, **data):
    response = client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**data))
    assert is_check_inbox(response)
    signer_outbox.outbox_drain()


def _path(message, prefix):
    """The path of the first link to ``prefix`` in the text part, and check the HTML part
    carries the same link."""
    match = re.search(rf"http://testserver({prefix}[^\s\"<]+)", message.body)
    assert match, f"no {prefix} link in the text part"
    assert match.group(0) in message.alternatives[0].content
    return match.group(1)


def _payload(token):
    """What anyone can read in a signed token without the key."""
    data = token.split(":")[0]
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode(errors="replace")
    except ValueError:  # not base64: a plain random or keyed token
        return data


# Names and titles -----------------------------------------------------------------------


def test_a_name_with_a_link_arrives_without_the_link_in_text_and_html(client):
    letter = make_letter()
    name = "Ada https://evil.example/win WWW.spam.example buy.now mailto:x@prize.biz"
    _sign(client, letter, name=name)
    message = mail.outbox[0]
    html = message.alternatives[0].content
    for part in (message.body, html):
        greeting = next(line for line in part.splitlines() if "Hello" in line)
        assert "Ada" in greeting
        for linkable in ("://", "www", "WWW", "evil.example", "spam.example", "buy.now"):
            assert linkable not in greeting
        assert "prize.biz" not in greeting
    assert Signature.objects.get().name == name  # the signer's own words are kept as typed


def test_a_greeting_name_is_short_and_has_no_control_characters():
    greeted = name_for_greeting("A" * 500 + "\r\nBcc: victim@example.org")
    assert len(greeted) == GREETING_MAX_CHARS
    assert greeted.endswith("\u2026")
    assert "\n" not in greeted
    assert "\r" not in greeted
    # Names stored before the form refused control characters, or typed in the admin.
    assert name_for_greeting("Ada\u202e\x07\u200b Lovelace") == "Ada Lovelace"
    assert name_for_greeting("Ada (evil\uff0eexample)") == "Ada (evil\u2024example)"
    assert name_for_greeting("Jean-Luc Picard") == "Jean-Luc Picard"
    assert name_for_greeting("") == ""


def test_a_title_with_ampersand_and_quotes_arrives_as_plain_text_in_the_subject(client):
    letter = make_letter(title='Artists & "AI" <b>')
    _sign(client, letter)
    message = mail.outbox[0]
    assert message.subject == 'Confirm your signature: Artists & "AI" <b>'
    assert '“Artists & "AI" <b>”' in message.body
    html = message.alternatives[0].content
    assert "Artists &amp; &quot;AI&quot; &lt;b&gt;" in html
    assert "<b>" not in html


# "I didn't sign this" -------------------------------------------------------------------


def test_i_did_not_sign_this_takes_two_steps_and_deletes_the_pending_signature(client):
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    signature = Signature.objects.get()
    path = _path(mail.outbox[0], "/not-me/")
    assert EMAIL not in _payload(path.split("/")[2])

    page = client.get(path)
    assert page.status_code == 200
    assert "I did not sign this" in page.content.decode()
    assert Signature.objects.filter(pk=signature.pk).exists()  # a GET changes nothing
    assert not LetterSuppression.objects.exists()

    done = client.post(path)
    assert done.status_code == 200
    assert "nothing is kept" in done.content.decode()
    assert not Signature.objects.exists()
    assert not OutboxMessage.objects.exists()
    suppression = LetterSuppression.objects.get()
    assert suppression.letter == letter
    assert suppression.address_hash == address_hash(email="ADA@Example.org")
    assert EMAIL not in suppression.address_hash
    assert client.post(path).status_code == 200  # twice is harmless
    assert LetterSuppression.objects.count() == 1


def test_after_i_did_not_sign_this_signing_with_that_address_stores_and_mails_nothing(client):
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    client.post(_path(mail.outbox[0], "/not-me/"))
    mail.outbox.clear()

    _sign(client, letter, email="Ada@EXAMPLE.org", name="Someone Else")  # the usual page
    assert not Signature.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []

    other = make_letter()
    _sign(client, other, email=EMAIL)  # only that letter: the address may sign others
    assert Signature.objects.get().letter == other
    assert len(mail.outbox) == 1


def test_i_did_not_sign_this_leaves_a_confirmed_signature_and_offers_a_withdrawal(client):
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    path = _path(mail.outbox[0], "/not-me/")
    Signature.objects.update(status=Signature.Status.CONFIRMED, confirmed_at="2026-01-01T00:00Z")

    response = client.post(path)
    assert response.status_code == 409
    page = response.content.decode()
    assert "This signature was confirmed" in page
    assert reverse("signatories:withdraw", args=["x"]).rsplit("x", 1)[0] in page
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert not LetterSuppression.objects.exists()


@pytest.mark.parametrize("token", ["nonsense", "a" * 400, "eyJsIjoxfQ:bad:sig"])
def test_a_forged_i_did_not_sign_this_link_gets_a_clear_message_and_changes_nothing(client, token):
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    response = client.post(reverse("signatories:not-me", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert Signature.objects.count() == 1
    assert not LetterSuppression.objects.exists()


# "Never email me again" -----------------------------------------------------------------


def _never_path(client):
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    path = _path(mail.outbox[0], "/never-email/")
    mail.outbox.clear()
    return path


def test_never_email_me_takes_two_steps_and_keeps_only_a_keyed_hash(client):
    path = _never_path(client)
    assert EMAIL not in _payload(path.split("/")[2])
    page = client.get(path)
    assert page.status_code == 200
    assert "Never email me again" in page.content.decode()
    assert not SuppressedAddress.objects.exists()

    assert client.post(path).status_code == 200
    row = SuppressedAddress.objects.get()
    assert row.address_hash == address_hash(email=EMAIL)
    assert "Already done" in client.get(path).content.decode()


def test_never_email_me_stops_confirmation_already_signed_and_withdrawal_mail(client, settings):
    settings.EMAIL_LIMIT_PER_ADDRESS = "10/day"  # the daily cap is not what is tested here
    client.post(_never_path(client))
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    _sign(client, letter, email=EMAIL)  # a repeat would send the confirmation again
    client.post(reverse("signatories:withdraw-request", args=[letter.slug]), form_data(email=EMAIL))
    signer_outbox.outbox_drain()
    assert mail.outbox == []
    rows = OutboxMessage.objects.filter(signature__letter=letter)
    assert rows.count() == 3
    assert all(row.skipped_at and not row.sent_at for row in rows)


def test_never_email_me_stops_updates_invitations_and_account_mail(client):
    client.post(_never_path(client))
    letter = make_letter()
    make_signature(letter=letter, email="Ada@Example.org", opt_in_updates=True)
    other = make_signature(letter=letter, opt_in_updates=True)
    user = make_user()
    update = updates.update_create(letter=letter, author=user, title="News", body="Text.")
    updates.update_send(update=update)
    update_tasks.update_deliver(update_id=update.pk)
    assert [message.to for message in mail.outbox] == [[other.email]]
    statuses = {d.signature.email: d.status for d in UpdateDelivery.objects.all()}
    assert statuses == {"Ada@Example.org": "skipped", other.email: "sent"}

    invitation = Invitation.objects.create(
        letter=letter, email=EMAIL, email_normalized=EMAIL, invited_by=user
    )
    assert letter_tasks.invitation_send(invitation_id=invitation.pk) is False
    account_mail = EmailMessage(subject="Reset your password", body="...", to=[EMAIL])
    payload = mail_tasks.messages.message_to_payload(account_mail)
    assert mail_tasks.mail_send(message=payload) is False
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("token", ["nonsense", "eyJoIjoiYSJ9:bad:sig"])
def test_a_forged_never_email_link_gets_a_clear_message_and_changes_nothing(client, token):
    response = client.post(reverse("mailing:never", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert not SuppressedAddress.objects.exists()


def test_no_link_we_email_to_signers_carries_a_readable_address(client):
    letter = make_letter()
    _sign(client, letter, email=EMAIL)
    client.post(reverse("signatories:withdraw-request", args=[letter.slug]), form_data(email=EMAIL))
    signer_outbox.outbox_drain()
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        tokens = re.findall(r"http://testserver/(?!letters/)[\w-]+/([^\s/\"<]+)/", message.body)
        assert len(tokens) >= 2
        for token in tokens:
            assert "ada" not in _payload(token).lower()
            assert "example" not in _payload(token).lower()
            assert json.dumps(EMAIL) not in token
