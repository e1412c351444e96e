"""The whole flow once with a real Celery worker consuming the Redis broker."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.urls import reverse

from config.celery import app as celery_app
from signatories import counters
from signatories.models import OutboxMessage, Signature
from tests.factories import is_check_inbox, make_letter, sign_data


@pytest.fixture
def celery_worker(transactional_db):
    with start_worker(
        celery_app, pool="solo", queues=["default", "mail"], perform_ping_check=False,
        shutdown_timeout=10,
    ) as worker:  # fmt: skip
        yield worker


def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_sign_the_worker_mails_follow_the_link_confirm_and_the_count_moves(client, celery_worker):
    letter = make_letter()
    assert counters.counts_get(letter_id=letter.pk).all == 0

    response = client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    assert is_check_inbox(response)

    assert wait_for(lambda: len(mail.outbox) == 1), "the worker sent no email"
    # The worker records the send just after the mail leaves: give it that moment.
    assert wait_for(lambda: OutboxMessage.objects.get().sent_at is not None)
    link = next(w for w in mail.outbox[0].body.split() if "/confirm/" in w)
    path = link.removeprefix("http://testserver")

    assert "Confirm my signature" in client.get(path).content.decode()
    assert client.post(path).status_code == 200

    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    api = client.get(reverse("embeds:api-detail", args=[letter.slug])).json()
    assert api["signature_count"] == 1
    listing = client.get(reverse("signatories:list", args=[letter.slug])).content.decode()
    assert "Ada Example" in listing
