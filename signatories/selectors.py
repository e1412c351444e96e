import contextlib
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from redis import RedisError

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


def signatory_latest(*, letter: Letter, limit: int = 10) -> list[Signature]:
    return list(signatory_list_public(letter=letter)[:limit])


TOP_COUNTRIES_CACHE_SECONDS = 600


def signatory_top_countries(*, letter: Letter, limit: int = 5) -> tuple[str, ...]:
    """The countries named confirmed signatories of ``letter`` gave most, most first.

    Cached per letter for some minutes: the sign form offers them first, on every view of
    the page. While the cache is down the form offers none rather than query each time.
    """
    key = f"top-countries:{letter.pk}:{limit}"
    try:
        top = cache.get(key)
    except RedisError:
        return ()
    if top is None:
        top = tuple(
            Signature.objects.filter(
                letter=letter, status=Signature.Status.CONFIRMED, show_name=True
            )
            .exclude(country="")
            .values_list("country", flat=True)
            .annotate(n=Count("pk"))
            .order_by("-n", "country")[:limit]
        )
        with contextlib.suppress(RedisError):
            cache.set(key, top, timeout=TOP_COUNTRIES_CACHE_SECONDS)
    return tuple(top)


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
            total=counters.counts_get(letter_id=m.letter_id).all if m.letter.is_public else 0,
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
