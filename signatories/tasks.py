import logging

from letters.models import Letter
from mailing.breaker import BreakerOpen
from mailing.tasks import durable_task, enqueue, periodic_task
from signatories import counters, events, outbox, services

log = logging.getLogger(__name__)


@durable_task()
def outbox_drain() -> int:
    """Send due emails in batches until none is left; safe to run twice at once.

    Failed messages get their own backoff in the outbox; the task itself retries only
    when the database or the mail server cannot be reached at all.
    """
    total = 0
    while True:
        # Re-arm the kick before each look at the outbox: a row committed after this
        # point publishes a new task, and one committed before it is claimed below.
        outbox.outbox_rearm()
        sent, failed = outbox.outbox_drain()
        total += sent
        if sent + failed < outbox.OUTBOX_BATCH:
            return total


@periodic_task()
def outbox_sweep() -> None:
    """Periodic: send what no kick announced (broker down, worker lost, retries due), and
    warn about mail that has waited too long."""
    outbox.outbox_overdue_warn()
    enqueue(outbox_drain)


@periodic_task()
def counts_reconcile() -> None:
    """Periodic: correct any drift between the Redis counts and the rows.

    One letter that cannot be reconciled is logged and skipped; the others still are.
    """
    letter_ids = (
        Letter.objects.exclude(status=Letter.Status.DRAFT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for letter_id in letter_ids:
        try:
            counters.counts_reconcile(letter_id=letter_id)
        except BreakerOpen:
            log.warning("Redis unavailable: counts not reconciled until the next run")
            return
        # Whatever broke one letter (a bad value, a timeout, a database error) must not
        # leave the letters after it unreconciled until the end of time.
        except Exception:
            log.exception("Could not reconcile the count of letter %s; going on", letter_id)


@periodic_task()
def signatures_purge_unconfirmed() -> int:
    """Periodic: forget signers who never confirmed."""
    return services.signature_purge_unconfirmed()


@periodic_task()
def counts_check() -> int:
    """Periodic: prove that each public letter's count equals the sum of its events.

    A mismatch is logged and stored for the organizers (``signatories.events.count_check``);
    one letter that cannot be checked is logged and skipped. Returns how many mismatched.
    """
    mismatches = 0
    for letter in Letter.objects.exclude(status=Letter.Status.DRAFT).order_by("pk").iterator():
        try:
            mismatches += not events.count_check(letter=letter).matches
        except Exception:
            log.exception("Could not check the count of letter %s; going on", letter.pk)
    return mismatches
