"""One organizer's whole journey through the views, with a real worker sending the mail."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from letters.models import Letter
from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.factories import sign_data
from updates.models import Update
from updates.tasks import update_deliver

pytestmark = pytest.mark.django_db


def link_in(body: str, fragment: str) -> str:
    return next(w for w in body.split() if fragment in w).removeprefix("http://testserver")


def test_sign_up_verify_draft_preview_publish_verify_export_and_send_an_update(
    client, mail_worker, django_capture_on_commit_callbacks
):
    # Sign up; the verification mail leaves from the worker after commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "org@example.org",
                "password1": "pass phrase 42",
                "password2": "pass phrase 42",
            },
        )
    assert response.status_code == 302
    (verification,) = mail_worker(1)
    client.post(link_in(verification.body, "/accounts/confirm-email/"))

    # Draft, then preview the text and the page as a signer would see it.
    draft = {"title": "Open the archives", "slug": "open-archives", "language": "en",
             "organizer_name": "Friends of the city archives",
             "body": "We ask the city to **open** its archives.", "ask_role": "on",
             "thank_you_message": "Thank you for signing."}  # fmt: skip
    response = client.post(reverse("organize:letter-create"), {**draft, "preview": "1"})
    assert "<strong>open</strong>" in response.content.decode()
    assert not Letter.objects.exists()
    client.post(reverse("organize:letter-create"), draft)
    letter = Letter.objects.get(slug="open-archives")
    preview = client.get(reverse("organize:letter-preview", kwargs={"slug": letter.slug}))
    assert "Preview — not published" in preview.content.decode()
    assert client.get(letter.get_absolute_url()).status_code == 404

    # Publish.
    response = client.post(
        reverse("organize:letter-publish", kwargs={"slug": letter.slug}), follow=True
    )
    assert "The letter is published and accepts signatures." in response.content.decode()
    assert client.get(letter.get_absolute_url()).status_code == 200

    # A signature arrives and is confirmed through the emailed link.
    signer = Client()
    signer.post(reverse("signatories:sign", kwargs={"slug": letter.slug}), sign_data(updates="on"))
    mail.outbox.clear()
    assert signer_outbox.outbox_drain() == (1, 0)
    confirm = link_in(mail.outbox[0].body, "/confirm/")
    with django_capture_on_commit_callbacks(execute=True):
        done = signer.post(confirm)
    assert "Thank you for signing." in done.content.decode()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.letter_version.number == 1

    # It appears in the dashboard: counted today and in total, and among the newest.
    dashboard = client.get(reverse("signatories:dashboard"))
    (row,) = dashboard.context["rows"]
    assert (row.letter.slug, row.today, row.total) == ("open-archives", 1, 1)
    assert "Ada Example" in dashboard.content.decode()

    # Verify the signatory: listed first on the public page, with the mark.
    response = client.post(
        reverse("moderation:verify", kwargs={"slug": letter.slug, "pk": signature.pk}),
        {"method": "contact", "note": "Called her studio."},
    )
    assert response.status_code == 302
    public = client.get(letter.get_absolute_url()).content.decode()
    assert "Verified by the organizers" in public

    # Export the signatories as CSV.
    response = client.post(
        reverse("signatories:export", kwargs={"slug": letter.slug}),
        {"format": "csv", "columns": ["name", "email"]},
    )
    assert response.status_code == 200
    exported = b"".join(response.streaming_content).decode()
    assert "Ada Example" in exported and "ada@example.org" in exported

    # Write an update and send it; the bulk task delivers it to the signer who opted in.
    response = client.post(
        reverse("updates:organizer-list", kwargs={"slug": letter.slug}),
        {"title": "The archives answered", "body": "The city will *reply* in March."},
    )
    assert response.status_code == 302
    update = Update.objects.get()
    client.post(reverse("updates:send", kwargs={"slug": letter.slug, "pk": update.pk}))
    mail.outbox.clear()
    update_deliver.run(update_id=update.pk)
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert "The archives answered" in message.subject
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    update.refresh_from_db()
    assert (update.status, update.sent_count) == (Update.Status.SENT, 1)
    assert "The archives answered" in client.get(letter.get_absolute_url()).content.decode()
