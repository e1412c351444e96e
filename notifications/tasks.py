"""Tasks that queue and send the organizers' notifications (on the default queue)."""

from mailing.tasks import durable_task, enqueue, periodic_task
from notifications import outbox, services

MAX_BATCHES_PER_RUN = 20


@durable_task()
def notifications_send(*, max_batches: int = MAX_BATCHES_PER_RUN) -> None:
    """Send what the outbox holds in batches; safe to run twice, or on many workers."""
    for _ in range(max_batches):
        if outbox.notifications_send_batch() == 0:
            return
    enqueue(notifications_send)


@durable_task()
def milestones_check(*, letter_id: int) -> None:
    services.milestones_check(letter_id=letter_id)


@periodic_task()
def notifications_sweep() -> None:
    """Periodic: find goals and milestones no confirmation announced, and send what a
    lost run or a back-off left waiting."""
    services.milestones_sweep()
    if outbox.notifications_due():
        enqueue(notifications_send)


@periodic_task()
def digests_queue() -> None:
    """Periodic (hourly): queue the day's digests whose hour has come."""
    services.digests_queue()
