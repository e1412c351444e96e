"""The task that performs a large bulk removal outside the web request. It runs on the
"default" queue (CELERY_TASK_ROUTES), never ahead of confirmation emails."""

from typing import Any

from django.db import OperationalError

from mailing.tasks import TRANSIENT_ERRORS, durable_task, enqueue, periodic_task
from moderation import services as moderation
from moderation.forms import PreviewForm


@durable_task(retry_for=(*TRANSIENT_ERRORS, OperationalError))
def signatures_bulk_remove_run(*, action_id: int, letter_id: int, criteria: dict[str, Any]) -> None:
    """Remove what a running bulk removal matches now; safe to run twice.

    The filter is read back from ``criteria`` by the same form the organizer filled in,
    so it means exactly what was previewed. ``letter_id`` is the letter the action must
    belong to: a mismatch fails the action instead of removing anything.
    """
    form = PreviewForm(data=criteria)
    filters = form.filters() if form.is_valid() else None
    moderation.signatures_bulk_remove_finish(
        action_id=action_id, letter_id=letter_id, filters=filters
    )


@periodic_task()
def bulk_removals_resume() -> int:
    """Periodic: queue again the bulk removals still running after a while, in case their
    message was lost (broker down when it was queued). Running one twice changes nothing."""
    stale = moderation.bulk_removals_stale()
    for action in stale:
        enqueue(
            signatures_bulk_remove_run,
            action_id=action.pk,
            letter_id=action.letter_id,
            criteria=action.criteria,
        )
    return len(stale)
