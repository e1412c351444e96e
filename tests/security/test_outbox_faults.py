"""The outbox survives faults: a refusing or vanishing mail server, a worker killed
mid-batch, a message sent twice. See docs/security.md."""

import logging
import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mailing import outbox as mail_outbox
from signatories import outbox as signer_outbox
from signatories.models import OutboxMessage, Signature
from tests.factories import form_data, make_letter, make_signature, make_user, sign_data
from tests.security.smtp_sink import smtp_sink
from updates import services as updates
from updates import tasks as update_tasks
from updates.models import UpdateDelivery

pytestmark = pytest.mark.django_db

EMAIL = "ada.lovelace@example.org"


def _sign(client, letter=None, email=EMAIL):
    letter = letter or make_letter()
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(email=email))
    return letter


def _confirm_path(message):
    match = re.search(r"http://testserver(/confirm/[^\s\"<]+)", message.body)
    assert match
    return match.group(1)


# Refusals --------------------------------------------------------------------------------


def test_a_permanent_refusal_marks_the_message_failed_at_once_without_retry(
    client, settings, caplog
):
    _sign(client)
    with smtp_sink(rcpt_reply=b"550 5.1.1 <ada.lovelace@example.org>: no such user") as sink:
        settings.MAILERS = {"default": sink.mailer()}
        with caplog.at_level(logging.WARNING, logger="signatories.outbox"):
            assert signer_outbox.outbox_drain() == (0, 1)
        message = OutboxMessage.objects.get()
        assert message.failed_at is not None
        assert message.sent_at is None
        assert message.attempts == 1
        assert message.last_error.startswith("recipient refused: 550")
        assert EMAIL not in message.last_error  # the server quoted it; we mask it
        assert "failed for good" in caplog.text
        assert EMAIL not in caplog.text
        # Never tried again, whenever the next drain runs.
        with time_machine.travel(timezone.now() + timedelta(days=1)):
            assert signer_outbox.outbox_drain() == (0, 0)
        assert sink.messages == []


@pytest.mark.parametrize(
    "reply", [b"451 4.7.1 greylisted, try later", b"452 4.2.2 mailbox full"], ids=["451", "452"]
)
def test_a_temporary_refusal_is_retried_with_capped_backoff(client, settings, reply):
    _sign(client)
    with smtp_sink(rcpt_reply=reply) as sink:
        settings.MAILERS = {"default": sink.mailer()}
        assert signer_outbox.outbox_drain() == (0, 1)
        message = OutboxMessage.objects.get()
        assert (message.failed_at, message.sent_at, message.attempts) == (None, None, 1)
        assert message.due_at > timezone.now()
        assert message.last_error.startswith(f"recipient refused: {reply[:3].decode()}")
        sink.rcpt_reply = b"250 OK"
        with time_machine.travel(message.due_at + timedelta(seconds=1)):
            assert signer_outbox.outbox_drain() == (1, 0)
        assert len(sink.messages) == 1
    # However often it failed, the next try is at most half an hour away.
    cap = signer_outbox.OUTBOX_BACKOFF_MAX
    assert cap <= timedelta(minutes=30)
    assert mail_outbox.backoff(attempts=500, base=signer_outbox.OUTBOX_BACKOFF, cap=cap) == cap


def test_a_message_keeps_retrying_for_as_long_as_its_link_works_then_gives_up(client, settings):
    _sign(client)
    settings.MAILERS = {"default": {"BACKEND": "tests.signatories.failing_mail.TransientBackend"}}
    created = OutboxMessage.objects.get().created_at
    lifetime = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    # Many failures over almost the whole lifetime: still retried (no attempt cap).
    OutboxMessage.objects.update(attempts=200)
    with time_machine.travel(created + lifetime - timedelta(minutes=5)):
        assert signer_outbox.outbox_drain() == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.failed_at is None
    assert message.attempts == 201
    # Its next try comes after the link it would carry has expired: it is given up.
    assert message.due_at <= created + lifetime + signer_outbox.OUTBOX_BACKOFF_MAX
    with time_machine.travel(message.due_at + timedelta(seconds=1)):
        assert signer_outbox.outbox_drain() == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.failed_at is not None
    assert message.sent_at is None


def test_a_server_that_vanishes_mid_batch_loses_no_message_and_repeats_none(client, settings):
    letter = make_letter()
    for n in range(3):
        _sign(client, letter, email=f"s{n}@example.org")
    with smtp_sink(drop_after=1) as sink:
        settings.MAILERS = {"default": sink.mailer()}
        assert signer_outbox.outbox_drain() == (1, 2)
        assert len(sink.messages) == 1
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert waiting.count() == 2
    assert not waiting.filter(failed_at__isnull=False).exists()
    with smtp_sink() as sink:
        settings.MAILERS = {"default": sink.mailer()}
        with time_machine.travel(timezone.now() + signer_outbox.OUTBOX_BACKOFF_MAX):
            assert signer_outbox.outbox_drain() == (2, 0)
        assert len(sink.messages) == 2
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_an_update_refused_for_good_is_failed_at_once_and_not_retried(settings, monkeypatch):
    settings.MAILERS = {"default": {"BACKEND": "tests.signatories.failing_mail.Backend"}}
    letter = make_letter()
    make_signature(letter=letter, opt_in_updates=True)
    update = updates.update_create(letter=letter, author=make_user(), title="News", body="Text.")
    updates.update_send(update=update)
    kicks = []
    monkeypatch.setattr(updates, "update_kick", lambda **kwargs: kicks.append(kwargs))
    update_tasks.update_deliver(update_id=update.pk)
    delivery = UpdateDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.failed_at is not None
    update.refresh_from_db()
    assert (update.status, update.failed_count) == ("sent", 1)
    assert kicks == []  # nothing left to retry


# Operators --------------------------------------------------------------------------------


def test_mail_status_prints_the_counts_and_masks_addresses(client, settings):
    letter = make_letter()
    for name in ("due", "backoff", "failed", "claimed"):
        _sign(client, letter, email=f"{name}.person@example.org")
    now = timezone.now()
    rows = {row.signature.email.split(".")[0]: row for row in OutboxMessage.objects.all()}
    OutboxMessage.objects.filter(pk=rows["backoff"].pk).update(
        attempts=2, due_at=now + timedelta(minutes=5), last_error="451 later"
    )
    OutboxMessage.objects.filter(pk=rows["failed"].pk).update(
        attempts=1, failed_at=now, last_error="recipient refused: 550 f***@e***.org unknown"
    )
    OutboxMessage.objects.filter(pk=rows["claimed"].pk).update(
        claimed_until=now - timedelta(seconds=5)
    )
    OutboxMessage.objects.update(created_at=now - timedelta(minutes=20))

    out = StringIO()
    call_command("mail_status", "--failed", stdout=out)
    text = out.getvalue()
    signers = next(line for line in text.splitlines() if line.startswith("signers"))
    # due (due + claimed-but-expired), backing off, failed in 24 h, oldest, claim expired
    assert signers.split() == ["signers", "2", "1", "1", "20m", "1"]
    assert "f***@e***.org" in text
    assert "550" in text
    assert "@example.org" not in text


def test_the_sweep_warns_about_mail_that_waits_too_long(client, settings, caplog):
    _sign(client)
    settings.MAIL_DELAY_WARNING_MINUTES = 15
    assert signer_outbox.outbox_overdue_warn() == 0
    later = timezone.now() + timedelta(minutes=16)
    with time_machine.travel(later), caplog.at_level(logging.WARNING, "signatories.outbox"):
        assert signer_outbox.outbox_overdue_warn() == 1
    assert "waiting longer than 15 minutes" in caplog.text


# A dead or slow worker ----------------------------------------------------------------------


def test_rows_claimed_by_a_worker_that_died_are_sent_by_the_next_drain_within_a_minute(client):
    assert signer_outbox.OUTBOX_CLAIM.total_seconds() < 60
    _sign(client)
    assert len(signer_outbox._claim_batch(limit=50)) == 1  # the worker dies here
    assert signer_outbox.outbox_drain() == (0, 0)  # its claim still holds
    with time_machine.travel(timezone.now() + signer_outbox.OUTBOX_CLAIM + timedelta(seconds=1)):
        assert signer_outbox.outbox_drain() == (1, 0)
    assert len(mail.outbox) == 1


def test_a_slow_worker_that_lost_its_claim_never_sends_the_message_again(client):
    _sign(client)
    ids, held = signer_outbox._claim(limit=50)  # worker A claims, then stalls
    late = timezone.now() + signer_outbox.OUTBOX_CLAIM + timedelta(seconds=1)
    with time_machine.travel(late):
        assert signer_outbox.outbox_drain() == (1, 0)  # worker B takes over and sends
        messages = OutboxMessage.objects.filter(pk__in=ids).select_related("signature__letter")
        assert signer_outbox._send_all(messages, held=held) == (0, 1)  # A wakes up
    assert len(mail.outbox) == 1


def test_a_message_sent_twice_carries_the_same_link_and_the_first_still_confirms(client):
    letter = _sign(client)
    assert signer_outbox.outbox_drain() == (1, 0)
    # A redelivery: the worker sent the email, then died before recording it.
    OutboxMessage.objects.update(sent_at=None, claimed_until=None)
    assert signer_outbox.outbox_drain() == (1, 0)
    first, second = mail.outbox
    assert _confirm_path(first) == _confirm_path(second)
    # A new link the signer asks for replaces the old one, as it always did.
    client.post(reverse("signatories:resend", args=[letter.slug]), form_data(email=EMAIL))
    signer_outbox.outbox_drain()
    third = mail.outbox[2]
    assert _confirm_path(third) != _confirm_path(first)
    old = client.post(_confirm_path(first))
    assert old.status_code == 404
    assert "replaced by a newer email" in old.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert client.post(_confirm_path(third)).status_code == 200
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_a_redelivered_message_does_not_kill_the_link_already_in_the_inbox(client):
    _sign(client)
    assert signer_outbox.outbox_drain() == (1, 0)
    OutboxMessage.objects.update(sent_at=None, claimed_until=None)
    assert signer_outbox.outbox_drain() == (1, 0)
    response = client.post(_confirm_path(mail.outbox[0]))
    assert response.status_code == 200
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
