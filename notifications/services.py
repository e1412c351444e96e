"""Notifications to organizers: what they asked for, and the rows that say what to send.

Nothing here sends mail. Each service writes ``Notification`` rows (the outbox) and
queues a run after commit; ``notifications.outbox`` sends them from a worker. Unique
constraints make every notification happen once: one digest per organizer per day, one
email per milestone per organizer, one per verified signatory per organizer.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from letters.models import Letter, Membership
from mailing.tasks import enqueue, enqueue_after_commit
from moderation.selectors import moderation_signals
from notifications.models import PREFERENCE_DEFAULTS, Milestone, Notification, Preference
from signatories.counters import counts_get, counts_get_many
from signatories.figures import zone_of
from signatories.models import Signature

# The counts announced besides a letter's goal: 100, 500, 1,000, 5,000 ... 10 million.
MILESTONES: tuple[int, ...] = tuple(step * 10**power for power in range(2, 8) for step in (1, 5))
_MILESTONE_SET = frozenset(MILESTONES)
# The hour of the organizer's day (in the letter's time zone) from which its digest goes.
DIGEST_HOUR = 8
# The first digest of an organizer counts at most this far back.
DIGEST_FIRST_SPAN = timedelta(days=1)
_DIGEST_STATUSES = (Letter.Status.PUBLISHED, Letter.Status.CLOSED)


# Preferences ----------------------------------------------------------------------------


def preference_get(*, membership: Membership) -> Preference:
    """The organizer's preferences, the defaults (unsaved) when they never chose."""
    found = Preference.objects.filter(membership=membership).first()
    return found or Preference(membership=membership)


def preference_save(
    *, membership: Membership, digest: bool, milestones: bool, each_verified: bool, language: str
) -> Preference:
    """Store what the organizer wants to be emailed about, and in which language."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}.")
    preference, _created = Preference.objects.update_or_create(
        membership=membership,
        defaults={
            "digest": digest,
            "milestones": milestones,
            "each_verified": each_verified,
            "language": language,
        },
    )
    return preference


def _members_wanting(field: str) -> Q:
    """Memberships whose preference says yes to ``field``; no preference is the default."""
    default = PREFERENCE_DEFAULTS[field]
    chose = Q(**{f"notification_preference__{field}": True})
    return chose | Q(notification_preference__isnull=True) if default else chose


# Queueing a run ------------------------------------------------------------------------


def notifications_kick() -> None:
    """Queue a sending run after the current transaction commits; never raises."""
    from notifications.tasks import notifications_send

    enqueue_after_commit(notifications_send)


def _insert(rows: list[Notification]) -> None:
    """Write ``rows``, skipping any that a unique constraint says exist, and queue a run."""
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        notifications_kick()


# Milestones ----------------------------------------------------------------------------


def milestone_reached(count: int) -> int:
    """The highest of MILESTONES that ``count`` has reached; 0 below the first."""
    return max((m for m in MILESTONES if m <= count), default=0)


def milestones_maybe_check(*, letter_id: int, total: int | None) -> None:
    """After a confirmation: queue a check when the new count is a milestone (or was not
    known). Costs nothing on the other confirmations; a goal is found by the sweep."""
    from notifications.tasks import milestones_check

    if total is None or total in _MILESTONE_SET:
        enqueue(milestones_check, letter_id=letter_id)


def milestones_check(*, letter_id: int) -> int:
    """Record the goal and the highest milestone the letter's count has reached, each
    once, and queue one email to each organizer who wants it; how many were new.

    Milestones passed together (or before this existed) are not announced one by one:
    only the highest. The unique row per letter and count decides, under any
    concurrency, who announces it.
    """
    letter = Letter.objects.filter(pk=letter_id, status__in=_DIGEST_STATUSES).first()
    if letter is None:
        return 0
    reached = _reached(count=counts_get(letter_id=letter.pk).all, goal=letter.goal)
    return sum(
        _milestone_record(letter=letter, count=number, is_goal=is_goal)
        for number, is_goal in reached.items()
    )


def _reached(*, count: int, goal: int | None) -> dict[int, bool]:
    """The counts to announce for ``count``: the highest milestone and the goal, each
    with whether it is the goal."""
    reached = {milestone_reached(count): False}
    if goal and count >= goal:
        reached[goal] = True
    reached.pop(0, None)
    return reached


def _milestone_record(*, letter: Letter, count: int, is_goal: bool) -> bool:
    with transaction.atomic():
        milestone, created = Milestone.objects.get_or_create(
            letter=letter, count=count, defaults={"is_goal": is_goal}
        )
        if not created:
            return False
        members = Membership.objects.filter(letter=letter).filter(_members_wanting("milestones"))
        _insert(
            [
                Notification(membership=m, kind=Notification.Kind.MILESTONE, milestone=milestone)
                for m in members
            ]
        )
    return True


def milestones_sweep() -> int:
    """Check every public letter; catches goals and counts that moved without a signal.

    One read of the counts and one of the milestones recorded for all letters; a row is
    written only for a count not recorded yet."""
    letters = list(Letter.objects.filter(status__in=_DIGEST_STATUSES).only("pk", "goal"))
    ids = [letter.pk for letter in letters]
    counts = counts_get_many(letter_ids=ids)
    recorded = set(Milestone.objects.filter(letter_id__in=ids).values_list("letter_id", "count"))
    new = 0
    for letter in letters:
        reached = _reached(count=counts[letter.pk].all, goal=letter.goal)
        for number, is_goal in reached.items():
            if (letter.pk, number) not in recorded:
                new += _milestone_record(letter=letter, count=number, is_goal=is_goal)
    return new


# Each verified signatory ---------------------------------------------------------------


def verified_notify(*, signature_id: int) -> None:
    """Queue an email about a newly verified signatory to each organizer who asked."""
    signature = (
        Signature.objects.filter(pk=signature_id, verified_at__isnull=False)
        .exclude(status=Signature.Status.REMOVED)
        .first()
    )
    if signature is None:
        return
    members = Membership.objects.filter(letter_id=signature.letter_id).filter(
        _members_wanting("each_verified")
    )
    _insert(
        [
            Notification(membership=m, kind=Notification.Kind.VERIFIED, signature=signature)
            for m in members
        ]
    )


# The daily digest ----------------------------------------------------------------------


@dataclass(frozen=True)
class DigestCounts:
    confirmed: int
    verified: int
    signals: int
    held: int

    @property
    def any(self) -> bool:
        return bool(self.confirmed or self.verified or self.signals or self.held)


def digest_counts(*, letter: Letter, since: datetime, until: datetime) -> DigestCounts:
    """New confirmed and newly verified signatures in [since, until); open signals and
    held signatures as they are now."""
    rows = Signature.objects.filter(letter=letter)
    signals = moderation_signals(letter=letter)
    return DigestCounts(
        # Both values of show_name let the public list's index (letter, status,
        # show_name, -confirmed_at) find the range instead of reading the whole letter.
        confirmed=rows.filter(
            status=Signature.Status.CONFIRMED,
            show_name__in=(True, False),
            confirmed_at__gte=since,
            confirmed_at__lt=until,
        ).count(),
        verified=rows.filter(verified_at__gte=since, verified_at__lt=until)
        .exclude(status=Signature.Status.REMOVED)
        .count(),
        signals=len(signals.network_bursts)
        + len(signals.domain_bursts)
        + len(signals.disposable)
        + len(signals.namesakes),
        held=rows.filter(status=Signature.Status.HELD).count(),
    )


def digest_day(*, letter: Letter, now: datetime) -> date | None:
    """The organizer's day a digest made ``now`` belongs to, in the letter's time zone;
    None before DIGEST_HOUR there."""
    local = now.astimezone(zone_of(letter.time_zone))
    return local.date() if local.hour >= DIGEST_HOUR else None


def digest_queue(*, membership: Membership, now: datetime) -> bool:
    """Queue today's digest for one organizer unless it exists or has nothing to say."""
    day = digest_day(letter=membership.letter, now=now)
    if day is None:
        return False
    mine = Notification.objects.filter(membership=membership, kind=Notification.Kind.DIGEST)
    if mine.filter(day=day).exists():
        return False
    last = mine.aggregate(last=Max("period_end"))["last"]
    since = last or max(membership.created_at, now - DIGEST_FIRST_SPAN)
    counts = digest_counts(letter=membership.letter, since=since, until=now)
    if not counts.any:
        return False
    _insert(
        [
            Notification(
                membership=membership,
                kind=Notification.Kind.DIGEST,
                day=day,
                period_end=now,
                counts={"since": since.isoformat(), **counts.__dict__},
            )
        ]
    )
    return True


def digests_queue(*, now: datetime | None = None) -> int:
    """Periodic: queue the day's digest of every organizer who wants one; how many."""
    now = now or timezone.now()
    members = digest_members()
    return sum(digest_queue(membership=membership, now=now) for membership in members)


def digest_members() -> QuerySet[Membership]:
    return (
        Membership.objects.filter(letter__status__in=_DIGEST_STATUSES)
        .filter(_members_wanting("digest"))
        .select_related("letter")
        .order_by("pk")
    )
