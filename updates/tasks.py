"""Tasks that mail organizers' updates. They run on the "bulk" queue (CELERY_TASK_ROUTES),
so a large update never delays a confirmation email on the "mail" queue."""

from mailing.tasks import durable_task, periodic_task
from updates import services as updates
from updates.models import Update

# One run sends at most this many batches, then queues the rest: a worker that also
# serves other queues gets a turn between runs.
MAX_BATCHES_PER_RUN = 20
RETRY_SECONDS = 60


@durable_task()
def update_deliver(
    *,
    update_id: int,
    batch_size: int = updates.UPDATE_BATCH,
    max_batches: int = MAX_BATCHES_PER_RUN,
) -> None:
    """Deliver an update in batches; safe to run twice, or in parallel on many workers."""
    updates.update_run_started(update_id=update_id)
    updates.update_prepare(update_id=update_id)
    for _ in range(max_batches):
        if updates.update_deliver_batch(update_id=update_id, limit=batch_size) == 0:
            break
    if updates.update_finish(update_id=update_id):
        return
    ready, _waiting = updates.update_pending(update_id=update_id)
    updates.update_kick(update_id=update_id, countdown=0 if ready else RETRY_SECONDS)


@periodic_task()
def updates_sweep() -> None:
    """Periodic: resume updates whose run was lost (broker down, worker killed)."""
    for update_id in Update.objects.filter(status=Update.Status.SENDING).values_list(
        "pk", flat=True
    ):
        updates.update_kick(update_id=update_id)
