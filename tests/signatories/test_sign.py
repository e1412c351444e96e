import pytest
from django.core import mail
from django.urls import reverse

from signatories import services
from signatories.models import OutboxMessage, Signature
from tests.factories import make_letter, sign_data

pytestmark = pytest.mark.django_db


def test_a_valid_signature_is_stored_pending_and_leads_to_check_your_inbox(client):
    letter = make_letter()
    response = client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("signatories:check-inbox", args=[letter.slug])
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert signature.email_normalized == "ada@example.org"
    assert OutboxMessage.objects.filter(signature=signature, sent_at=None).count() == 1


def test_the_confirmation_email_has_a_link_that_confirms_on_post_only(client):
    letter = make_letter()
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    assert services.outbox_drain() == (1, 0)
    (message,) = mail.outbox
    link = next(w for w in message.body.split() if "/confirm/" in w)
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert client.post(path).status_code == 200
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
