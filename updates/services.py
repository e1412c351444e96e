"""Updates from organizers to the signers who asked for them.

An update is written as a draft, then sent once. Sending creates one UpdateDelivery row
per recipient (confirmed, opted in, not unsubscribed); workers claim those rows in
batches with SELECT ... FOR UPDATE SKIP LOCKED, so two workers, or one task run twice,
never mail anyone twice. Each email carries a one-click unsubscribe link (RFC 8058).
"""

import logging
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from letters.errors import ServiceError
from letters.models import Letter
from letters.services import letter_render_markdown
from mailing import outbox
from mailing.addresses import address_mask
from mailing.messages import connection as mail_connection_open
from mailing.status import Failure, QueueStatus
from mailing.suppression import address_is_suppressed
from mailing.tasks import enqueue
from signatories.models import Signature
from updates import emails
from updates.models import Update, UpdateDelivery

log = logging.getLogger(__name__)

UPDATE_BATCH = 50
UPDATE_CLAIM = timedelta(minutes=5)
UPDATE_BACKOFF = timedelta(minutes=1)
UPDATE_BACKOFF_MAX = timedelta(minutes=30)
# A delivery that still fails this long after the update was sent is given up.
UPDATE_RETRY_FOR = timedelta(days=2)
# How long "a run is queued" is believed without the run starting (lost messages).
UPDATE_QUEUED_TTL = 15 * 60
UNSUBSCRIBE_SALT = "signatories.updates.unsubscribe"


class UpdateNotDraft(ServiceError):
    """The update was already sent (or is being sent); it is sent only once."""

    default_message = _("This update was already sent. An update is sent only once.")


class NoRecipients(ServiceError):
    """Nobody who signed this letter asked for updates."""

    default_message = _(
        "Nobody who confirmed a signature asked for updates yet, so nothing was sent."
    )


def update_recipients(*, letter: Letter) -> QuerySet[Signature]:
    """Confirmed signers of the letter who opted in and have not unsubscribed since."""
    return Signature.objects.filter(
        letter=letter, status=Signature.Status.CONFIRMED, opt_in_updates=True
    )


def update_list_public(*, letter: Letter) -> QuerySet[Update]:
    """Updates whose sending has started are public on the letter, newest first."""
    return (
        Update.objects.filter(letter=letter)
        .exclude(status=Update.Status.DRAFT)
        .order_by("-published_at", "-pk")
    )


def update_create(*, letter: Letter, author: AbstractBaseUser, title: str, body: str) -> Update:
    """Store a draft update; nothing is sent until update_send."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ValueError("An update needs a title and a text.")
    return Update.objects.create(letter=letter, author_id=author.pk, title=title, body=body)


def update_body_html(*, update: Update) -> str:
    return letter_render_markdown(text=update.body)


def update_send(*, update: Update) -> Update:
    """Start sending a draft to every current recipient; the mail leaves from Celery.

    Raises UpdateNotDraft on a second attempt and NoRecipients when nobody opted in; in
    both cases nothing changes and nothing is queued.
    """
    with transaction.atomic():
        locked = Update.objects.select_for_update().get(pk=update.pk)
        if locked.status != Update.Status.DRAFT:
            raise UpdateNotDraft
        total = update_recipients(letter=locked.letter).count()
        if total == 0:
            raise NoRecipients
        locked.status = Update.Status.SENDING
        locked.published_at = timezone.now()
        locked.recipients_total = total
        locked.save(update_fields=["status", "published_at", "recipients_total"])
        update_id = locked.pk
        transaction.on_commit(lambda: update_kick(update_id=update_id))
    return locked


def _queued_key(update_id: int) -> str:
    return f"update-queued:{update_id}"


def update_kick(*, update_id: int, countdown: int = 0) -> None:
    """Queue a delivery run on the bulk queue unless one is already waiting there.

    Never raises: a broker or cache failure only leaves the work to updates_sweep.
    """
    from updates.tasks import update_deliver

    if countdown and settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process tasks ignore the countdown and would retry at once, forever.
        log.warning("Update %s has messages to retry; run a worker to send them", update_id)
        return
    try:
        queued = cache.add(_queued_key(update_id), 1, timeout=UPDATE_QUEUED_TTL + countdown)
    except RedisError:  # the sweep tries again
        log.warning("Could not queue update %s; the sweep will send it", update_id)
        return
    if queued:
        enqueue(update_deliver, countdown=countdown, update_id=update_id)


def update_run_started(*, update_id: int) -> None:
    """A run left the queue: the next kick may queue another one."""
    cache.delete(_queued_key(update_id))


def update_prepare(*, update_id: int) -> None:
    """Create the delivery rows once, in one statement, and fix the recipient count."""
    with transaction.atomic():
        update = Update.objects.select_for_update().filter(pk=update_id).first()
        if update is None or update.status != Update.Status.SENDING or update.prepared_at:
            return
        recipients = update_recipients(letter=update.letter)
        select_sql, params = recipients.values(sid=F("pk")).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {UpdateDelivery._meta.db_table} "  # noqa: S608 - names from models
                "(update_id, signature_id, status, attempts, last_error) "
                f"SELECT %s, sub.sid, %s, 0, '' FROM ({select_sql}) AS sub "
                "WHERE true ON CONFLICT DO NOTHING",
                [update.pk, UpdateDelivery.Status.PENDING, *params],
            )
        total = UpdateDelivery.objects.filter(update=update).count()
        Update.objects.filter(pk=update.pk).update(
            prepared_at=timezone.now(), recipients_total=total
        )


def _claim_batch(*, update_id: int, limit: int) -> list[int]:
    pending = UpdateDelivery.objects.filter(
        update_id=update_id, status=UpdateDelivery.Status.PENDING
    )
    return outbox.rows_claim(pending, limit=limit, claim_for=UPDATE_CLAIM, order_by="pk")


def update_deliver_batch(*, update_id: int, limit: int = UPDATE_BATCH) -> int:
    """Claim and send one batch over one connection; return how many rows were handled."""
    ids = _claim_batch(update_id=update_id, limit=limit)
    if not ids:
        return 0
    update = Update.objects.select_related("letter").get(pk=update_id)
    body_html = update_body_html(update=update)
    deliveries = UpdateDelivery.objects.filter(pk__in=ids).select_related("signature")
    with mail_connection_open() as mail_connection:
        for delivery in deliveries.order_by("pk"):
            _deliver_one(
                delivery=delivery,
                update=update,
                body_html=body_html,
                mail_connection=mail_connection,
            )
    return len(ids)


def _deliver_one(
    *, delivery: UpdateDelivery, update: Update, body_html: str, mail_connection: BaseEmailBackend
) -> None:
    signature = delivery.signature
    if not signature.opt_in_updates or address_is_suppressed(email=signature.email):
        _delivery_finish(delivery=delivery, status=UpdateDelivery.Status.SKIPPED)
        return
    signature.letter = update.letter
    message = emails.update(
        update=update,
        signature=signature,
        body_html=body_html,
        token=unsubscribe_token(signature=signature),
    )
    try:
        mail_connection.send_messages([message])
    except (SMTPException, OSError) as error:
        _delivery_failed(delivery=delivery, update=update, error=error)
    else:
        _delivery_finish(delivery=delivery, status=UpdateDelivery.Status.SENT)


_COUNTER = {
    UpdateDelivery.Status.SENT: "sent_count",
    UpdateDelivery.Status.FAILED: "failed_count",
    UpdateDelivery.Status.SKIPPED: "skipped_count",
}


def _delivery_finish(*, delivery: UpdateDelivery, status: str, error: str = "") -> None:
    now = timezone.now()
    with transaction.atomic():
        moved = UpdateDelivery.objects.filter(
            pk=delivery.pk, status=UpdateDelivery.Status.PENDING
        ).update(
            status=status,
            claimed_until=None,
            sent_at=now if status == UpdateDelivery.Status.SENT else None,
            failed_at=now if status == UpdateDelivery.Status.FAILED else None,
            attempts=F("attempts") + 1,
            last_error=error[:300],
        )
        if moved:
            counter = _COUNTER[UpdateDelivery.Status(status)]
            Update.objects.filter(pk=delivery.update_id).update(**{counter: F(counter) + 1})


def _delivery_failed(*, delivery: UpdateDelivery, update: Update, error: Exception) -> None:
    """Give up at once on a permanent refusal (5xx) or once the update is older than
    UPDATE_RETRY_FOR; otherwise retry with capped back-off."""
    attempts = delivery.attempts + 1
    text = outbox.error_text(error)
    now = timezone.now()
    too_old = (update.published_at or now) + UPDATE_RETRY_FOR <= now
    if outbox.error_is_permanent(error) or too_old:
        log.warning(
            "Update email %s failed for good after %s attempt(s): %s", delivery.pk, attempts, text
        )
        _delivery_finish(delivery=delivery, status=UpdateDelivery.Status.FAILED, error=text)
        return
    log.warning("Update email %s failed (attempt %s), retrying: %s", delivery.pk, attempts, text)
    UpdateDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        claimed_until=now
        + outbox.backoff(attempts=attempts, base=UPDATE_BACKOFF, cap=UPDATE_BACKOFF_MAX),
        last_error=text,
    )


def deliveries_status(failures: int) -> QueueStatus:
    """Update deliveries for ``manage.py mail_status`` (addresses masked). A pending row
    holds in ``claimed_until`` either a worker's claim or, after a failure, its retry time."""
    now = timezone.now()
    pending = UpdateDelivery.objects.filter(status=UpdateDelivery.Status.PENDING)
    oldest = pending.order_by("update__published_at").values_list(
        "update__published_at", flat=True
    )[:1]
    failed = UpdateDelivery.objects.filter(status=UpdateDelivery.Status.FAILED)
    recent = failed.filter(failed_at__isnull=False).select_related("signature")
    return QueueStatus(
        name="updates",
        due=pending.exclude(claimed_until__gt=now).count(),
        backing_off=pending.filter(claimed_until__gt=now, attempts__gt=0).count(),
        failed_last_day=failed.filter(failed_at__gte=now - timedelta(days=1)).count(),
        oldest_unsent=now - oldest[0] if oldest and oldest[0] else None,
        claimed_expired=pending.filter(claimed_until__lt=now, attempts=0).count(),
        failures=[
            Failure(
                id=row.pk,
                kind="update",
                address=address_mask(row.signature.email),
                failed_at=row.failed_at or now,
                error=row.last_error,
            )
            for row in recent.order_by("-failed_at")[:failures]
        ],
    )


def update_pending(*, update_id: int) -> tuple[int, int]:
    """(claimable now, waiting for a claim or a retry to expire)."""
    pending = UpdateDelivery.objects.filter(
        update_id=update_id, status=UpdateDelivery.Status.PENDING
    )
    now = timezone.now()
    later = pending.filter(claimed_until__gt=now).count()
    return pending.count() - later, later


def update_finish(*, update_id: int) -> bool:
    """Mark the update sent when no delivery is pending any more; True if it is done."""
    pending = UpdateDelivery.objects.filter(
        update_id=update_id, status=UpdateDelivery.Status.PENDING
    )
    if pending.exists():
        return False
    Update.objects.filter(
        pk=update_id, status=Update.Status.SENDING, prepared_at__isnull=False
    ).update(status=Update.Status.SENT, finished_at=timezone.now())
    return True


def unsubscribe_token(*, signature: Signature) -> str:
    """A signed token naming the signature; it does not expire, as RFC 8058 links must work."""
    return signing.dumps(signature.pk, salt=UNSUBSCRIBE_SALT, compress=False)


def signature_for_unsubscribe(*, token: str) -> Signature | None:
    if not token or len(token) > 200:
        return None
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Signature.objects.select_related("letter").filter(pk=pk).first()


def signature_unsubscribe(*, signature: Signature) -> bool:
    """Stop updates for this signature; True if this call changed anything. Idempotent."""
    changed = Signature.objects.filter(pk=signature.pk, opt_in_updates=True).update(
        opt_in_updates=False
    )
    signature.opt_in_updates = False
    return bool(changed)
