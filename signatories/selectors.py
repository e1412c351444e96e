from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from letters.models import Letter, Membership
from signatories import counters
from signatories.models import Signature

PUBLIC_FIELDS = (
    "pk",
    "name",
    "role",
    "organization",
    "country",
    "city",
    "comment",
    "confirmed_at",
    "verified_at",
)


def signatory_list_public(*, letter: Letter) -> QuerySet[Signature]:
    """Confirmed signatories who chose to be named: verified first, then newest first.

    Never with emails.
    """
    return (
        Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED, show_name=True)
        .order_by(F("verified_at").desc(nulls_last=True), "-confirmed_at", "-pk")
        .only(*PUBLIC_FIELDS)
    )


@dataclass(frozen=True)
class Showcase:
    """The names under a letter: those the organizers verified, then the newest others."""

    featured: list[Signature]
    latest: list[Signature]

    @property
    def shown(self) -> int:
        return len(self.featured) + len(self.latest)


def signatory_showcase(*, letter: Letter, featured: int = 6, latest: int = 10) -> Showcase:
    """Up to ``featured`` verified signatories (most recently verified first) and the
    ``latest`` newest of the rest, in one query."""
    public = signatory_list_public(letter=letter).order_by()
    verified = public.filter(verified_at__isnull=False).order_by("-verified_at", "-pk")
    others = public.filter(verified_at__isnull=True).order_by("-confirmed_at", "-pk")
    rows = list(verified[:featured].union(others[:latest], all=True))
    return Showcase(
        featured=sorted(
            (row for row in rows if row.verified_at is not None),
            key=lambda row: (row.verified_at, row.pk),
            reverse=True,
        ),
        latest=sorted(
            (row for row in rows if row.verified_at is None),
            key=lambda row: (row.confirmed_at, row.pk),
            reverse=True,
        ),
    )


def signatory_page(*, letter: Letter, number: str | int | None, per_page: int = 50) -> Page:
    counts = counters.counts_get(letter_id=letter.pk)
    # The named count comes from the counter, so paging never runs a COUNT(*).
    paginator = Paginator(signatory_list_public(letter=letter), per_page)
    paginator.count = counts.named  # type: ignore[misc]
    return paginator.get_page(number)


# The organizer's dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    letter: Letter
    role: str
    today: int
    total: int


def _start_of_today() -> datetime:
    return datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())


def dashboard_rows(*, user: User) -> list[DashboardRow]:
    """The caller's letters with their role, confirmed signatures today and in total."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("letter")
        .order_by("-letter__created_at")
    )
    letter_ids = [m.letter_id for m in memberships]
    totals = counters.counts_get_many(
        letter_ids=[m.letter_id for m in memberships if m.letter.is_public]
    )
    today = dict(
        Signature.objects.filter(
            letter_id__in=letter_ids,
            status=Signature.Status.CONFIRMED,
            confirmed_at__gte=_start_of_today(),
        )
        .values_list("letter_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        DashboardRow(
            letter=m.letter,
            role=m.role,
            today=today.get(m.letter_id, 0),
            total=totals[m.letter_id].all if m.letter.is_public else 0,
        )
        for m in memberships
    ]


def signature_list_newest_for_user(*, user: User, limit: int = 10) -> list[Signature]:
    """The newest confirmed signatures on any of the caller's letters. Never with emails."""
    return list(
        Signature.objects.filter(
            letter__memberships__user=user, status=Signature.Status.CONFIRMED
        )
        .select_related("letter")
        .only("name", "show_name", "role", "organization", "confirmed_at", "letter__title",
              "letter__slug")
        .order_by("-confirmed_at", "-pk")[:limit]
    )  # fmt: skip
