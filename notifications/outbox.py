"""Sending the organizers' notifications: claim a batch of outbox rows, send each once.

Rows are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (``mailing.outbox``), each
claim renewed just before its row is sent, so parallel workers, or one run queued twice,
never send a row twice. A failure waits with capped back-off; a permanent refusal, or
one still failing after NOTIFY_RETRY_FOR, gives up.
"""

import logging
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import QuerySet
from django.utils import timezone

from mailing import outbox
from mailing.addresses import address_mask
from mailing.messages import connection as mail_connection_open
from mailing.status import Failure, QueueStatus
from mailing.suppression import address_is_suppressed
from notifications import emails
from notifications.models import PREFERENCE_DEFAULTS, Notification, Preference
from signatories.models import Signature

log = logging.getLogger(__name__)

NOTIFY_BATCH = 50
NOTIFY_CLAIM = timedelta(minutes=5)
NOTIFY_BACKOFF = timedelta(minutes=1)
NOTIFY_BACKOFF_MAX = timedelta(hours=1)
NOTIFY_RETRY_FOR = timedelta(days=2)

Status = Notification.Status


def _pending() -> QuerySet[Notification]:
    return Notification.objects.filter(status=Status.PENDING)


def notifications_send_batch(*, limit: int = NOTIFY_BATCH) -> int:
    """Claim and send one batch over one connection; how many rows were claimed."""
    ids, held = outbox.rows_claim_until(
        _pending(), limit=limit, claim_for=NOTIFY_CLAIM, order_by="pk"
    )
    if not ids:
        return 0
    rows = (
        Notification.objects.filter(pk__in=ids)
        .select_related(
            "membership__user",
            "membership__letter",
            "membership__notification_preference",
            "milestone",
            "signature",
        )
        .order_by("pk")
    )
    with mail_connection_open() as mail_connection:
        for row in rows:
            if outbox.claim_renew(_pending(), pk=row.pk, held=held, claim_for=NOTIFY_CLAIM):
                _send_one(row=row, mail_connection=mail_connection)
    return len(ids)


def _still_wanted(row: Notification, preference: Preference | None) -> bool:
    """Whether the organizer still wants this kind and it is still true."""
    if row.kind == Notification.Kind.VERIFIED:
        signature = row.signature
        if signature is None or signature.verified_at is None:
            return False
        if signature.status == Signature.Status.REMOVED:
            return False
    field = {
        Notification.Kind.DIGEST: "digest",
        Notification.Kind.MILESTONE: "milestones",
        Notification.Kind.VERIFIED: "each_verified",
    }[Notification.Kind(row.kind)]
    if preference is None:
        return PREFERENCE_DEFAULTS[field]
    return bool(getattr(preference, field))


def _send_one(*, row: Notification, mail_connection: BaseEmailBackend) -> None:
    address = row.membership.user.email
    # Read with the row (select_related); no row: the defaults.
    preference: Preference | None = getattr(row.membership, "notification_preference", None)
    if not address or not _still_wanted(row, preference) or address_is_suppressed(email=address):
        _finish(row=row, status=Status.SKIPPED)
        return
    language = preference.language if preference else settings.LANGUAGE_CODE
    message = emails.notification(notification=row, to=address, language=language)
    try:
        mail_connection.send_messages([message])
    except (SMTPException, OSError) as error:
        _failed(row=row, error=error)
    else:
        _finish(row=row, status=Status.SENT)


def _finish(*, row: Notification, status: str, error: str = "") -> None:
    now = timezone.now()
    _pending().filter(pk=row.pk).update(
        status=status,
        claimed_until=None,
        attempts=row.attempts + 1,
        sent_at=now if status == Status.SENT else None,
        failed_at=now if status == Status.FAILED else None,
        last_error=error[:300],
    )


def _failed(*, row: Notification, error: Exception) -> None:
    attempts = row.attempts + 1
    text = outbox.error_text(error)
    now = timezone.now()
    if outbox.error_is_permanent(error) or row.created_at + NOTIFY_RETRY_FOR <= now:
        log.warning(
            "Notification %s failed for good after %s attempt(s): %s", row.pk, attempts, text
        )
        _finish(row=row, status=Status.FAILED, error=text)
        return
    log.warning("Notification %s failed (attempt %s), retrying: %s", row.pk, attempts, text)
    _pending().filter(pk=row.pk).update(
        attempts=attempts,
        claimed_until=now
        + outbox.backoff(attempts=attempts, base=NOTIFY_BACKOFF, cap=NOTIFY_BACKOFF_MAX),
        last_error=text,
    )


def notifications_due() -> bool:
    """Whether some row waits that no claim or back-off holds."""
    return _pending().exclude(claimed_until__gt=timezone.now()).exists()


def notifications_status(failures: int) -> QueueStatus:
    """Organizer notifications for ``manage.py mail_status`` (addresses masked)."""
    now = timezone.now()
    pending = _pending()
    oldest = pending.order_by("created_at").values_list("created_at", flat=True)[:1]
    failed = Notification.objects.filter(status=Status.FAILED)
    recent = failed.filter(failed_at__isnull=False).select_related("membership__user")
    return QueueStatus(
        name="notifications",
        due=pending.exclude(claimed_until__gt=now).count(),
        backing_off=pending.filter(claimed_until__gt=now, attempts__gt=0).count(),
        failed_last_day=failed.filter(failed_at__gte=now - timedelta(days=1)).count(),
        oldest_unsent=now - oldest[0] if oldest else None,
        claimed_expired=pending.filter(claimed_until__lt=now, attempts=0).count(),
        failures=[
            Failure(
                id=row.pk,
                kind=row.kind,
                address=address_mask(row.membership.user.email),
                failed_at=row.failed_at or now,
                error=row.last_error,
            )
            for row in recent.order_by("-failed_at")[:failures]
        ],
    )
