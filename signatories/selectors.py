from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from letters.models import Letter
from signatories import counters
from signatories.models import Signature

PUBLIC_FIELDS = ("pk", "name", "role", "organization", "country", "city", "comment", "confirmed_at")


def signatory_list_public(*, letter: Letter) -> QuerySet[Signature]:
    """Confirmed signatories who chose to be named, newest first. Never with emails."""
    return (
        Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED, show_name=True)
        .order_by("-confirmed_at", "-pk")
        .only(*PUBLIC_FIELDS)
    )


def signatory_latest(*, letter: Letter, limit: int = 10) -> list[Signature]:
    return list(signatory_list_public(letter=letter)[:limit])


def signatory_page(*, letter: Letter, number: str | int | None, per_page: int = 50) -> Page:
    counts = counters.counts_get(letter_id=letter.pk)
    # The named count comes from the counter, so paging never runs a COUNT(*).
    paginator = Paginator(signatory_list_public(letter=letter), per_page)
    paginator.count = counts.named  # type: ignore[misc]
    return paginator.get_page(number)
