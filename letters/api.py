"""The public, read-only JSON API."""

from datetime import UTC, datetime

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from letters import selectors
from letters.models import Letter
from signatories import counters


def letter_json(*, letter: Letter) -> dict[str, object]:
    counts = counters.counts_get(letter_id=letter.pk)
    updated = letter.updated_at
    if counts.updated:
        updated = max(updated, datetime.fromtimestamp(counts.updated, tz=UTC))
    return {
        "slug": letter.slug,
        "title": letter.title,
        "summary": letter.summary,
        "status": letter.public_status,
        "open": letter.is_open,
        "language": letter.language,
        "signature_count": counts.all,
        "goal": letter.goal,
        "published_at": letter.published_at.isoformat() if letter.published_at else None,
        "closes_at": letter.closes_at.isoformat() if letter.closes_at else None,
        "url": f"{settings.SITE_URL}{letter.get_absolute_url()}",
        "updated_at": updated.isoformat(),
    }


def json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "message": message}}, status=status)


@require_GET
def letter_detail(request: HttpRequest, slug: str) -> JsonResponse:
    try:
        letter = selectors.letter_get_public(slug=slug)
    except Http404:
        return json_error(404, f"No published letter has the slug {slug!r}.")
    return JsonResponse(letter_json(letter=letter))
