"""Every email to a signer is written in the language of the page they signed on, and the
HTML part reads well on a phone: its language, a title, the letter's link, wrapping links."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from letters import emails as letter_emails
from letters import services as letter_services
from signatories import emails, services
from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.factories import form_data, make_letter, make_organizer, make_signature, sign_data
from updates import services as updates
from updates import tasks as update_tasks
from updates.models import Update

pytestmark = pytest.mark.django_db

WRAPS = "overflow-wrap:anywhere"


def sign(client, letter, language: str, **overrides):
    return client.post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(**overrides),
        HTTP_ACCEPT_LANGUAGE=language,
    )


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def assert_phone_ready(html: str, *, language: str, subject: str, letter) -> None:
    """lang and title set, the letter linked, and every bare link allowed to wrap."""
    assert f'<html lang="{language}"' in html
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title is not None and title.group(1).strip()
    assert title.group(1).replace("&#x27;", "'") == subject.replace("&", "&amp;")
    assert f'href="http://testserver{letter.get_absolute_url()}"' in html
    for text_link in re.findall(r"<a [^>]*>https?://[^<]*</a>", html):
        assert WRAPS in text_link and "word-break:break-all" in text_link


def test_a_french_visitor_signing_an_english_letter_gets_french_mail(client):
    letter = make_letter(title="Fair pay", language="en")
    sign(client, letter, "fr")
    signature = Signature.objects.get()
    assert signature.language == "fr"
    signer_outbox.outbox_drain()

    (message,) = mail.outbox
    assert message.subject == "Confirmez votre signature : Fair pay"
    assert "Confirm your signature" not in message.body
    html = html_of(message)
    assert "Ouvrir la page de confirmation" in html
    assert_phone_ready(html, language="fr", subject=message.subject, letter=letter)


def test_a_visitor_in_a_language_the_site_does_not_speak_gets_the_letters_language(client):
    letter = make_letter(title="Offener Brief", language="de")
    sign(client, letter, "ja")
    # The page fell back to the site's default language: the mail follows the letter.
    assert Signature.objects.get().language == "de"
    assert services.signature_language(requested="ja", letter=letter) == "de"
    assert services.signature_language(requested="", letter=letter) == "de"
    assert services.signature_language(requested="fr-ca", letter=letter) == "fr"


def test_the_language_chosen_with_the_switcher_wins_over_the_browsers(client):
    letter = make_letter(title="Fair pay")
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    sign(client, letter, "de")
    assert Signature.objects.get().language == "es"


def test_the_already_signed_mail_keeps_the_language_of_the_signature(client):
    letter = make_letter(title="Fair pay")
    make_signature(letter=letter, email="ada@example.org", language="es")
    sign(client, letter, "de")
    signer_outbox.outbox_drain()

    (message,) = mail.outbox
    assert message.subject == "Ya ha firmado: Fair pay"
    assert_phone_ready(html_of(message), language="es", subject=message.subject, letter=letter)


def test_the_withdrawal_mail_is_in_the_signers_language(client):
    letter = make_letter(title="Fair pay")
    make_signature(letter=letter, email="leave@example.org", language="de")
    client.post(
        reverse("signatories:withdraw-request", args=[letter.slug]),
        form_data(email="leave@example.org"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    signer_outbox.outbox_drain()

    (message,) = mail.outbox
    assert message.subject == "Ihre Unterschrift zurückziehen: Fair pay"
    assert_phone_ready(html_of(message), language="de", subject=message.subject, letter=letter)


def test_an_update_reaches_each_signer_in_their_own_language():
    letter = make_letter(title="Fair pay")
    make_signature(letter=letter, email="fr@example.org", language="fr", opt_in_updates=True)
    make_signature(letter=letter, email="en@example.org", language="en", opt_in_updates=True)
    update = Update.objects.create(letter=letter, title="We delivered it", body="It went well.")
    update_tasks.update_deliver(update_id=updates.update_send(update=update).pk)

    by_address = {message.to[0]: message for message in mail.outbox}
    french, english = by_address["fr@example.org"], by_address["en@example.org"]
    assert "Lire en ligne" in html_of(french) and "Read it online" in html_of(english)
    for message, language in ((french, "fr"), (english, "en")):
        assert_phone_ready(
            html_of(message), language=language, subject=message.subject, letter=letter
        )


def test_a_confirmation_mail_carries_the_letter_link_and_long_links_wrap(settings):
    settings.SITE_URL = "https://letters.a-rather-long-domain-name-for-testing.example.org"
    letter = make_letter(title="Artists & AI")
    signature = make_signature(letter=letter, status=Signature.Status.PENDING, confirmed_at=None)
    message = emails.confirmation(signature=signature, token="t" * 43)
    html = html_of(message)
    assert "<title>Confirm your signature: Artists &amp; AI</title>" in html
    assert f'href="{settings.SITE_URL}{letter.get_absolute_url()}"' in html
    confirm_link = f">{settings.SITE_URL}/confirm/{'t' * 43}/</a>"
    (anchor,) = [a for a in re.findall(r"<a [^>]*>[^<]*</a>", html) if a.endswith(confirm_link)]
    assert "word-break:break-all" in anchor and WRAPS in anchor


def test_the_invitation_mail_links_the_public_letter_and_a_draft_links_only_the_invitation():
    published = make_letter(title="Fair pay")
    owner = make_organizer(letter=published, role="owner")
    invitation = letter_services.invitation_create(
        letter=published, invited_by=owner, email="friend@example.org", role="editor"
    )
    message = letter_emails.invitation(invitation=invitation)
    html = html_of(message)
    assert_phone_ready(html, language="en", subject=message.subject, letter=published)

    draft = make_letter(title="Not yet", status="draft")
    owner = make_organizer(letter=draft, role="owner")
    invitation = letter_services.invitation_create(
        letter=draft, invited_by=owner, email="friend@example.org", role="editor"
    )
    html = html_of(letter_emails.invitation(invitation=invitation))
    assert draft.get_absolute_url() not in html
    assert "/organize/invitations/" in html


def test_check_your_inbox_names_the_subject_in_the_language_the_mail_is_written_in(client):
    letter = make_letter(title="Fair pay", language="en")
    response = sign(client, letter, "fr")
    assert "Confirmez votre signature : Fair pay" in response.content.decode()
