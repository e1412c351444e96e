"""The append-only log of a letter's public count (``CountEvent``).

Every change that moves the public count writes its event in the same transaction: the
confirmation (inside its one UPDATE statement on PostgreSQL, see
``signatories.services._confirm_row``), the withdrawal, and moderation's holds, releases,
removals and restorations (``moderation.services`` calls ``count_event_add``). So the
count always equals the sum of the events, which ``counts_check`` proves periodically.
Nothing updates or deletes an event; on PostgreSQL a trigger refuses it, except while the
letter itself is being deleted (``letters_deleting``).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Count, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from letters.models import Letter
from signatories.models import CountCheck, CountEvent, Signature

log = logging.getLogger(__name__)

Kind = CountEvent.Kind


def count_event_add(
    *,
    letter_id: int,
    kind: str,
    delta: int,
    reason: str = "",
    action_id: int | None = None,
    signature_id: int | None = None,
    occurred_at: datetime | None = None,
) -> CountEvent | None:
    """Record one move of the public count; call inside the change's transaction.

    A change that moved nothing (``delta`` 0, such as holding a pending signature) writes
    nothing and returns None.
    """
    if delta == 0:
        return None
    return CountEvent.objects.create(
        letter_id=letter_id,
        kind=kind,
        delta=delta,
        reason=reason,
        action_id=action_id,
        signature_id=signature_id,
        occurred_at=occurred_at or timezone.now(),
    )


def count_events_total(*, letter_id: int) -> int:
    """The sum of a letter's events: what its public count must be."""
    total = CountEvent.objects.filter(letter_id=letter_id).aggregate(total=Sum("delta"))["total"]
    return int(total or 0)


def letters_deleting(*, letter_ids: Iterable[int]) -> None:
    """Tell the append-only trigger that these letters are being deleted in the current
    transaction, so that their events may go with them (and only theirs)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('undersigned.letters_deleting', "
            "coalesce(nullif(current_setting('undersigned.letters_deleting', true), ''), ',')"
            " || %s, true)",
            ["".join(f"{letter_id}," for letter_id in letter_ids)],
        )


@dataclass(frozen=True)
class CheckResult:
    letter_id: int
    slug: str
    public_count: int
    events_total: int

    @property
    def matches(self) -> bool:
        return self.public_count == self.events_total


def _count_and_total(*, letter_id: int) -> tuple[int, int]:
    """The confirmed signatures of a letter and the sum of its events, read by one
    statement, so that both come from the same snapshot: a change committing between two
    reads would look like a mismatch."""
    confirmed = (
        Signature.objects.filter(letter_id=OuterRef("pk"), status=Signature.Status.CONFIRMED)
        .order_by()
        .values("letter_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    total = (
        CountEvent.objects.filter(letter_id=OuterRef("pk"))
        .order_by()
        .values("letter_id")
        .annotate(moved=Sum("delta"))
        .values("moved")
    )
    zero = Value(0)
    public, moved = (
        Letter.objects.filter(pk=letter_id)
        .annotate(public=Coalesce(Subquery(confirmed), zero), moved=Coalesce(Subquery(total), zero))
        .values_list("public", "moved")
        .get()
    )
    return int(public), int(moved)


def count_check(*, letter: Letter) -> CheckResult:
    """Compare a letter's public count (recounted from the rows, which the live count is
    rebuilt from and reconciled with) with the sum of its events; log a mismatch and store
    the result."""
    public, total = _count_and_total(letter_id=letter.pk)
    result = CheckResult(letter.pk, letter.slug, public, total)
    now = timezone.now()
    if not result.matches:
        log.warning(
            "Count of letter %s does not match its events: count %s, events %s",
            letter.slug,
            result.public_count,
            result.events_total,
        )
    previous = CountCheck.objects.filter(letter_id=letter.pk).first()
    since = None
    if not result.matches:
        since = previous.mismatch_since if previous and previous.mismatch_since else now
    CountCheck.objects.update_or_create(
        letter_id=letter.pk,
        defaults={
            "checked_at": now,
            "public_count": result.public_count,
            "events_total": result.events_total,
            "mismatch_since": since,
        },
    )
    return result


def count_check_get(*, letter_id: int) -> CountCheck | None:
    """The last check of a letter, for its organizers."""
    return CountCheck.objects.filter(letter_id=letter_id).first()


def count_mismatches(*, letter_ids: Iterable[int]) -> dict[int, CountCheck]:
    """The letters among ``letter_ids`` whose last check found a mismatch (the dashboard)."""
    rows = CountCheck.objects.filter(letter_id__in=list(letter_ids), mismatch_since__isnull=False)
    return {row.letter_id: row for row in rows}
