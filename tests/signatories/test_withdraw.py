from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from signatories import counters, services
from signatories import outbox as signer_outbox
from signatories.models import OutboxMessage, Signature
from tests.factories import form_data, is_check_inbox, make_letter, make_signature

pytestmark = pytest.mark.django_db


def withdraw_link(client, letter, email):
    client.post(reverse("signatories:withdraw-request", args=[letter.slug]), form_data(email=email))
    signer_outbox.outbox_drain()
    link = next(w for w in mail.outbox[-1].body.split() if "/withdraw/" in w)
    return link.removeprefix("http://testserver")


def test_a_confirmed_signer_withdraws_by_email_link_and_the_count_drops(
    client, django_capture_on_commit_callbacks
):
    letter = make_letter()
    make_signature(letter=letter, email="keep@example.org")
    make_signature(letter=letter, email="leave@example.org", name="Leaving Person", show_name=False)
    assert counters.counts_get(letter_id=letter.pk).all == 2
    path = withdraw_link(client, letter, "LEAVE@example.org")
    assert mail.outbox[-1].to == ["leave@example.org"]

    page = client.get(path)
    assert page.status_code == 200 and "Withdraw my signature" in page.content.decode()
    assert Signature.objects.count() == 2  # a GET changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path)
    assert "Your signature has been withdrawn" in done.content.decode()
    assert list(Signature.objects.values_list("email", flat=True)) == ["keep@example.org"]
    assert OutboxMessage.objects.filter(signature__email="leave@example.org").count() == 0
    counts = counters.counts_get(letter_id=letter.pk)
    assert (counts.all, counts.hidden) == (1, 0)

    again = client.post(path)
    assert again.status_code == 410
    assert "Already withdrawn" in again.content.decode()
    assert counters.counts_get(letter_id=letter.pk).all == 1


def test_asking_to_withdraw_an_address_that_never_signed_looks_the_same_and_sends_nothing(client):
    letter = make_letter()
    response = client.post(
        reverse("signatories:withdraw-request", args=[letter.slug]),
        form_data(email="x@example.org"),
    )
    assert response.status_code == 200
    assert "Check your inbox to withdraw" in response.content.decode()
    assert "x@example.org" in response.content.decode()
    assert OutboxMessage.objects.count() == 0


def test_a_withdrawal_request_with_a_bad_address_says_so(client):
    letter = make_letter()
    response = client.post(
        reverse("signatories:withdraw-request", args=[letter.slug]), form_data(email="nope")
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert OutboxMessage.objects.count() == 0


def test_a_tampered_or_expired_withdrawal_link_changes_nothing(client, settings):
    letter = make_letter()
    make_signature(letter=letter, email="stay@example.org")
    path = withdraw_link(client, letter, "stay@example.org")
    assert client.post(path[:-3] + "xx/").status_code == 404
    later = timezone.now() + timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS, minutes=1)
    with time_machine.travel(later):
        response = client.post(path)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert Signature.objects.count() == 1


def test_a_withdrawn_signer_may_sign_again(client):
    letter = make_letter()
    signature = make_signature(letter=letter, email="again@example.org")
    services.signature_withdraw(signature=signature)
    response = client.post(
        reverse("signatories:sign", args=[letter.slug]),
        form_data(name="Again", email="again@example.org", consent="on"),
    )
    assert is_check_inbox(response)
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_signatures_never_confirmed_are_forgotten_after_the_retention_period(settings):
    settings.PENDING_RETENTION_DAYS = 30
    letter = make_letter()
    old = make_signature(letter=letter, status=Signature.Status.PENDING)
    fresh = make_signature(letter=letter, status=Signature.Status.PENDING)
    confirmed = make_signature(letter=letter)
    Signature.objects.filter(pk__in=[old.pk, confirmed.pk]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    from signatories.tasks import signatures_purge_unconfirmed

    assert signatures_purge_unconfirmed.run() == 1
    assert set(Signature.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}
