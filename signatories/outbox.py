"""The outbox of signer mail: rows written with the change that causes them, sent by
workers in batches (claim and back-off mechanics from mailing.outbox)."""

import contextlib
import functools
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Min, QuerySet
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from letters import ratelimits
from letters.prepared import column_sql, table_sql
from mailing import outbox as mail_outbox
from mailing.addresses import address_hash, address_mask
from mailing.messages import connection as mail_connection
from mailing.models import SuppressedAddress
from mailing.status import Failure, QueueStatus
from mailing.tasks import enqueue
from signatories import emails
from signatories.models import LetterSuppression, OutboxMessage, Signature
from signatories.tokens import confirmation_token, token_hash, withdraw_token

log = logging.getLogger(__name__)

OUTBOX_BATCH = 50
# How long a worker holds the rows it claimed. It renews the claim of each message just
# before sending it, so a claim only has to outlast one SMTP exchange (a few times
# EMAIL_TIMEOUT); the rows of a worker that died are sent by another within this time.
OUTBOX_CLAIM = timedelta(seconds=45)
OUTBOX_BACKOFF = timedelta(seconds=30)
OUTBOX_BACKOFF_MAX = timedelta(minutes=30)


def outbox_add(*, signature: Signature, kind: str) -> bool:
    """Queue an email to a signer; False when its address already had its emails today.

    Every email to a signer counts against EMAIL_LIMIT_PER_ADDRESS, over all letters
    together, so that nobody can use the site to flood someone else's inbox.
    """
    key = address_limit_key(address=signature.email_normalized)
    if ratelimits.limit_hit(name="EMAIL_LIMIT_PER_ADDRESS", key=key):
        log.info("Email limit per address reached: no %s email for %s", kind, signature.pk)
        return False
    outbox_queue(signature=signature, kind=kind)
    return True


def address_limit_key(*, address: str) -> str:
    """The key of a normalized address under EMAIL_LIMIT_PER_ADDRESS."""
    return f"address:{address}"


def outbox_queue(*, signature: Signature, kind: str) -> None:
    """Queue an email whose caller already counted it against EMAIL_LIMIT_PER_ADDRESS
    (a new signature counts all its limits at once: ``signing_limit_reason``)."""
    OutboxMessage.objects.create(signature=signature, kind=kind, due_at=timezone.now())
    transaction.on_commit(outbox_kick)


def outbox_add_limited(*, signature: Signature, kind: str) -> bool:
    """Repeat an email only a few times a day, so a form cannot be used to flood an inbox."""
    since = timezone.now() - timedelta(days=1)
    recent = signature.outbox.filter(created_at__gte=since).count()
    if recent < settings.EMAILS_PER_SIGNATURE_PER_DAY:
        return outbox_add(signature=signature, kind=kind)
    log.info("Email limit reached for signature %s", signature.pk)
    return False


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


def _open() -> QuerySet[OutboxMessage]:
    """Messages neither sent, nor given up, nor skipped."""
    return OutboxMessage.objects.filter(
        sent_at__isnull=True, failed_at__isnull=True, skipped_at__isnull=True
    )


def _claim(*, limit: int) -> tuple[list[int], datetime]:
    due = _open().filter(due_at__lte=timezone.now())
    return mail_outbox.rows_claim_until(due, limit=limit, claim_for=OUTBOX_CLAIM, order_by="due_at")


def _claim_batch(*, limit: int) -> list[int]:
    return _claim(limit=limit)[0]


def outbox_drain(*, limit: int = OUTBOX_BATCH) -> tuple[int, int]:
    """Send one batch of due outbox messages over one connection; return (handled, not).

    Rows are claimed first so that parallel workers never send the same message, and a
    worker that dies mid-batch leaves rows that are claimed again when the claim expires
    (OUTBOX_CLAIM). Each message's claim is renewed just before it is sent, so a slow
    server makes the late rows of a batch pass to another worker instead of going twice.
    """
    ids, held = _claim(limit=limit)
    if not ids:
        return 0, 0
    messages = (
        OutboxMessage.objects.filter(pk__in=ids)
        .select_related("signature__letter")
        .order_by("due_at")
    )
    return _send_all(messages, held=held)


def _send_all(messages: Iterable[OutboxMessage], *, held: datetime) -> tuple[int, int]:
    messages = list(messages)
    handled: set[int] = set()
    sent = 0
    try:
        with mail_connection() as mail:
            for message in messages:
                handled.add(message.pk)
                if not mail_outbox.claim_renew(
                    _open(), pk=message.pk, held=held, claim_for=OUTBOX_CLAIM
                ):
                    continue  # another worker took it over: never send twice
                try:
                    _send_one(message=message, connection=mail)
                except (SMTPException, OSError) as error:
                    _outbox_failed(message=message, error=error)
                else:
                    sent += 1
    except (SMTPException, OSError) as error:
        # The server could not be reached at all: every message still under our first
        # claim backs off.
        for message in messages:
            if message.pk not in handled:
                _outbox_failed(message=message, error=error, held=held)
    return sent, len(messages) - sent


def _send_one(*, message: OutboxMessage, connection: BaseEmailBackend) -> None:
    signature = message.signature
    if _suppressed(signature=signature):
        _outbox_finish(message=message, outcome="skipped_at")
        return
    if message.kind == OutboxMessage.Kind.CONFIRM:
        if signature.status != Signature.Status.PENDING:
            _outbox_finish(message=message, outcome="sent_at")
            return
        # The same message always carries the same link: sending it again (after a
        # worker died or a claim ran out) never kills the link of the first email.
        token = confirmation_token(message=message)
        email = emails.confirmation(signature=signature, token=token)
        digest = token_hash(token=token)
        Signature.objects.filter(pk=signature.pk).exclude(token_hash=digest).update(
            token_hash=digest, token_issued_at=timezone.now()
        )
    elif message.kind == OutboxMessage.Kind.WITHDRAW:
        email = emails.withdraw(signature=signature, token=withdraw_token(signature=signature))
    else:
        email = emails.already_signed(
            signature=signature, withdraw_token=withdraw_token(signature=signature)
        )
    connection.send_messages([email])
    _outbox_finish(message=message, outcome="sent_at")


@functools.cache
def _suppressed_sql() -> str:
    never, never_hash = table_sql(SuppressedAddress), column_sql(SuppressedAddress, "address_hash")
    letters = table_sql(LetterSuppression)
    letter, letter_hash = (
        column_sql(LetterSuppression, "letter"),
        column_sql(LetterSuppression, "address_hash"),
    )
    return (
        f"SELECT EXISTS (SELECT 1 FROM {never} WHERE {never_hash} = %s) "  # noqa: S608
        f"OR EXISTS (SELECT 1 FROM {letters} WHERE {letter} = %s AND {letter_hash} = %s)"
    )


def _suppressed(*, signature: Signature) -> bool:
    """The address asked never to be emailed, or said it did not sign this letter.

    Checked just before each email, both lists in one statement written in SQL: it runs
    once per email sent, and the ORM spent more CPU compiling its two lookups than the
    database spent answering them (docs/write-path.md).
    """
    digest = address_hash(email=signature.email_normalized)
    with connection.cursor() as cursor:
        cursor.execute(_suppressed_sql(), [digest, signature.letter_id, digest])
        row = cursor.fetchone()
    return bool(row and row[0])


def _outbox_finish(*, message: OutboxMessage, outcome: str) -> None:
    """Mark a message sent (``sent_at``) or skipped on purpose (``skipped_at``)."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        **{outcome: timezone.now()}, claimed_until=None, attempts=F("attempts") + 1
    )


def _outbox_failed(
    *, message: OutboxMessage, error: Exception, held: datetime | None = None
) -> None:
    """Back off after a transient failure; give up at once after a permanent one (5xx),
    or when the message is older than the link it carries (CONFIRMATION_MAX_AGE_DAYS)."""
    now = timezone.now()
    attempts = message.attempts + 1
    text = mail_outbox.error_text(error)
    rows = _open().filter(pk=message.pk)
    if held is not None:
        rows = rows.filter(claimed_until=held)
    lifetime = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    if mail_outbox.error_is_permanent(error) or message.created_at + lifetime <= now:
        log.warning(
            "Email %s (%s) failed for good after %s attempt(s): %s",
            message.pk, message.kind, attempts, text,
        )  # fmt: skip
        rows.update(attempts=attempts, failed_at=now, claimed_until=None, last_error=text)
        return
    backoff = mail_outbox.backoff(attempts=attempts, base=OUTBOX_BACKOFF, cap=OUTBOX_BACKOFF_MAX)
    log.warning("Email %s failed (attempt %s), retrying: %s", message.pk, attempts, text)
    rows.update(attempts=attempts, due_at=now + backoff, claimed_until=None, last_error=text)


def outbox_overdue_warn() -> int:
    """Log a warning when messages have waited longer than MAIL_DELAY_WARNING_MINUTES;
    return how many have (called by the periodic sweep)."""
    now = timezone.now()
    threshold = timedelta(minutes=settings.MAIL_DELAY_WARNING_MINUTES)
    late = _open().filter(created_at__lt=now - threshold)
    count = late.count()
    if count:
        oldest = late.aggregate(oldest=Min("created_at"))["oldest"]
        log.warning(
            "%s signer email(s) waiting longer than %s minutes; the oldest since %s. "
            "See manage.py mail_status --failed",
            count, settings.MAIL_DELAY_WARNING_MINUTES, oldest,
        )  # fmt: skip
    return count


def outbox_status(failures: int) -> QueueStatus:
    """The signer outbox for ``manage.py mail_status`` (addresses masked)."""
    now = timezone.now()
    unsent = _open()
    oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
    failed = OutboxMessage.objects.filter(failed_at__isnull=False)
    recent = failed.select_related("signature").order_by("-failed_at")[:failures]
    return QueueStatus(
        name="signers",
        due=unsent.filter(due_at__lte=now).exclude(claimed_until__gt=now).count(),
        backing_off=unsent.filter(due_at__gt=now, attempts__gt=0).count(),
        failed_last_day=failed.filter(failed_at__gte=now - timedelta(days=1)).count(),
        oldest_unsent=now - oldest if oldest else None,
        claimed_expired=unsent.filter(claimed_until__lt=now).count(),
        failures=[
            Failure(
                id=row.pk,
                kind=row.kind,
                address=address_mask(row.signature.email),
                failed_at=row.failed_at or now,
                error=row.last_error,
            )
            for row in recent
        ],
    )
