"""Claim and back-off mechanics shared by every kind of outgoing mail.

Each app keeps its own rows (signatories' outbox, updates' deliveries); what they share is
how a worker claims a batch without ever sending a row twice, and how a failure waits.
"""

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone


def rows_claim(
    rows: "models.QuerySet[models.Model]", *, limit: int, claim_for: timedelta, order_by: str
) -> list[int]:
    """Claim up to ``limit`` of ``rows`` for ``claim_for``; return their ids.

    ``rows`` must have a ``claimed_until`` field. Rows locked by another worker are skipped
    (``SKIP LOCKED``) and rows under a live claim are left alone, so parallel workers never
    take the same row; a worker that dies leaves rows that are claimed again once the
    claim expires.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            rows.select_for_update(skip_locked=True)
            .exclude(claimed_until__gt=now)
            .order_by(order_by)
            .values_list("pk", flat=True)[:limit]
        )
        rows.model._default_manager.filter(pk__in=ids).update(claimed_until=now + claim_for)
    return ids


def backoff(*, attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """How long a message waits after its ``attempts``-th failure: doubling, capped."""
    return min(base * 2**attempts, cap)
