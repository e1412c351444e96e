import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from tests.factories import make_letter, make_signatures
from updates import services as updates
from updates.models import Update

WAIT_SECONDS = 30


def _wait_until_sent(update: Update) -> None:
    """Wait, bounded, for the worker; the assertions that follow do not depend on time."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        update.refresh_from_db()
        if update.status == Update.Status.SENT:
            return
        time.sleep(0.1)


def test_update_tasks_are_routed_to_the_bulk_queue():
    route = app.amqp.router.route({}, "updates.tasks.update_deliver")
    assert route["queue"].name == "bulk"
    assert app.amqp.router.route({}, "signatories.tasks.outbox_drain")["queue"].name == "mail"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_the_bulk_queue_delivers_an_update():
    letter = make_letter()
    signers = make_signatures(letter=letter, count=7, opt_in_updates=True)
    update = Update.objects.create(letter=letter, title="Delivered", body="We did it.")
    with start_worker(app, queues=["bulk"], pool="solo", perform_ping_check=False):
        updates.update_send(update=update)  # enqueues on commit: autocommit here
        _wait_until_sent(update)
    assert update.status == Update.Status.SENT
    assert update.sent_count == 7
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in signers)
    assert all("List-Unsubscribe" in m.extra_headers for m in mail.outbox)
