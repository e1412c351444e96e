import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from notifications.models import Notification
from signatories import counters
from signatories.services import signature_confirm
from tests.factories import make_letter, make_member, make_pending_signature, make_signatures

WAIT_SECONDS = 30


def test_notification_tasks_are_routed_to_the_default_queue():
    route = app.amqp.router.route({}, "notifications.tasks.notifications_send")
    assert route["queue"].name == "default"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_the_organizers_when_a_confirmation_reaches_100():
    letter = make_letter(title="Fair pay for illustrators")
    owner = make_member(letter=letter)
    make_signatures(letter=letter, count=99)
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    make_pending_signature(letter=letter, token="the-hundredth")
    with start_worker(app, queues=["default"], pool="solo", perform_ping_check=False):
        signature_confirm(token="the-hundredth")  # announces the count after commit
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not mail.outbox:
            time.sleep(0.1)
    [message] = mail.outbox
    assert message.to == [owner.user.email]
    assert message.subject == "“Fair pay for illustrators” reached 100 signatures"
    assert Notification.objects.get().status == Notification.Status.SENT
