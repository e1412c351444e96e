"""The outbox of signer mail: rows written with the change that causes them, sent by
workers in batches (claim and back-off mechanics from mailing.outbox)."""

import contextlib
import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from mailing import outbox as mail_outbox
from mailing.messages import connection
from mailing.tasks import enqueue
from signatories import emails
from signatories.models import OutboxMessage, Signature
from signatories.tokens import token_hash, withdraw_token

log = logging.getLogger(__name__)

OUTBOX_BATCH = 50
OUTBOX_CLAIM = timedelta(minutes=5)
OUTBOX_MAX_ATTEMPTS = 8
OUTBOX_BACKOFF = timedelta(seconds=30)
OUTBOX_BACKOFF_MAX = timedelta(hours=6)


def outbox_add(*, signature: Signature, kind: str) -> None:
    OutboxMessage.objects.create(signature=signature, kind=kind, due_at=timezone.now())
    transaction.on_commit(outbox_kick)


def outbox_add_limited(*, signature: Signature, kind: str) -> None:
    """Repeat an email only a few times a day, so a form cannot be used to flood an inbox."""
    since = timezone.now() - timedelta(days=1)
    recent = signature.outbox.filter(created_at__gte=since).count()
    if recent < settings.EMAILS_PER_SIGNATURE_PER_DAY:
        outbox_add(signature=signature, kind=kind)
    else:
        log.info("Email limit reached for signature %s", signature.pk)


OUTBOX_KICK_KEY = "outbox-kick"
OUTBOX_KICK_SECONDS = 1  # at most one drain task published per second


def outbox_rearm() -> None:
    """Let the next commit publish a drain task again (called by the draining worker)."""
    with contextlib.suppress(RedisError):
        cache.delete(OUTBOX_KICK_KEY)


def outbox_kick() -> None:
    """Ask a worker to drain the outbox; never fails and never blocks for long.

    At most one task a second is published however many signatures arrive, and a broker
    that is down only delays the email until the periodic sweep.
    """
    from signatories.tasks import outbox_drain

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER or cache.add(
            OUTBOX_KICK_KEY, 1, timeout=OUTBOX_KICK_SECONDS
        ):
            enqueue(outbox_drain)
    except (KombuError, RedisError, OSError, RuntimeError):
        log.warning(
            "Could not announce new outbox messages; the sweep will send them", exc_info=True
        )


def _claim_batch(*, limit: int) -> list[int]:
    due = OutboxMessage.objects.filter(
        sent_at__isnull=True, due_at__lte=timezone.now(), attempts__lt=OUTBOX_MAX_ATTEMPTS
    )
    return mail_outbox.rows_claim(due, limit=limit, claim_for=OUTBOX_CLAIM, order_by="due_at")


def outbox_drain(*, limit: int = OUTBOX_BATCH) -> tuple[int, int]:
    """Send one batch of due outbox messages over one connection; return (sent, failed).

    Rows are claimed first so that parallel workers never send the same message, and a
    worker that dies mid-batch leaves rows that are claimed again when the claim expires.
    """
    ids = _claim_batch(limit=limit)
    if not ids:
        return 0, 0
    messages = OutboxMessage.objects.filter(pk__in=ids).select_related("signature__letter")
    return _send_all(messages)


def _send_all(messages: Iterable[OutboxMessage]) -> tuple[int, int]:
    messages = list(messages)
    sent = 0
    try:
        with connection() as mail:
            for message in messages:
                try:
                    _send_one(message=message, connection=mail)
                except (SMTPException, OSError) as error:
                    _outbox_failed(message=message, error=error)
                else:
                    sent += 1
    except (SMTPException, OSError) as error:
        # The server could not be reached at all: every message still claimed backs off.
        for message in messages:
            if not OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=False).exists():
                _outbox_failed(message=message, error=error)
    return sent, len(messages) - sent


def _send_one(*, message: OutboxMessage, connection: BaseEmailBackend) -> None:
    signature = message.signature
    if message.kind == OutboxMessage.Kind.CONFIRM:
        if signature.status != Signature.Status.PENDING:
            _outbox_done(message=message)
            return
        token = secrets.token_urlsafe(32)
        email = emails.confirmation(signature=signature, token=token)
        Signature.objects.filter(pk=signature.pk).update(
            token_hash=token_hash(token=token), token_issued_at=timezone.now()
        )
    elif message.kind == OutboxMessage.Kind.WITHDRAW:
        email = emails.withdraw(signature=signature, token=withdraw_token(signature=signature))
    else:
        email = emails.already_signed(
            signature=signature, withdraw_token=withdraw_token(signature=signature)
        )
    connection.send_messages([email])
    _outbox_done(message=message)


def _outbox_done(*, message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), claimed_until=None, attempts=F("attempts") + 1
    )


def _outbox_failed(*, message: OutboxMessage, error: Exception) -> None:
    attempts = message.attempts + 1
    backoff = mail_outbox.backoff(attempts=attempts, base=OUTBOX_BACKOFF, cap=OUTBOX_BACKOFF_MAX)
    log.warning("Email %s failed (attempt %s): %s", message.pk, attempts, error)
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        due_at=timezone.now() + backoff,
        claimed_until=None,
        last_error=str(error)[:300],
    )
