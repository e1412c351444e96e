"""The public, read-only JSON API (documented in docs/api.md and at /api/openapi.json).

Every view here is a public read: the same answer for everybody, CORS for any origin,
an ETag computed from the counter and ``updated_at`` before any body is built, and
Cache-Control that lets browsers and CDNs absorb the traffic.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from embeds import openapi
from embeds.http import etag_for, public_read, respond
from letters import selectors
from letters.models import Letter
from signatories import counters
from signatories.models import Signature
from signatories.selectors import signatory_list_public

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def letter_json(*, letter: Letter, counts: counters.Counts | None = None) -> dict[str, object]:
    counts = counts or counters.counts_get(letter_id=letter.pk)
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


def letter_etag_parts(*, letter: Letter, counts: counters.Counts) -> tuple[object, ...]:
    """What one letter's public JSON depends on; cheap to compute, no body rendered."""
    return (letter.pk, letter.updated_at.isoformat(), letter.is_open, counts.all, counts.updated)


def json_error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": {"status": status, "message": message}}, status=status)


class BadQuery(ValueError):
    """A query parameter the API cannot use; its message is shown to the client."""


def cursor_encode(*, at: datetime, pk: int) -> str:
    return urlsafe_base64_encode(f"{at.isoformat()}|{pk}".encode())


def cursor_decode(raw: str) -> tuple[datetime, int]:
    """Read an opaque cursor given out in a ``next`` link."""
    try:
        at, pk = urlsafe_base64_decode(raw).decode().split("|")
        return datetime.fromisoformat(at), int(pk)
    except (ValueError, UnicodeDecodeError):
        raise BadQuery("The cursor is not valid: use the `next` link of a previous page.") from None


def page_limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "")
    if not raw:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadQuery(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    return int(raw)


def next_url(*, path: str, cursor: str, limit: int) -> str:
    query = {"cursor": cursor} | ({"limit": limit} if limit != PAGE_SIZE else {})
    return f"{settings.SITE_URL}{path}?{urlencode(query)}"


def public_letter_or_none(slug: str) -> Letter | None:
    """The published or closed letter with this slug; None for drafts and unknown slugs."""
    try:
        return selectors.letter_get_public(slug=slug)
    except Http404:
        return None


def _no_letter(slug: str) -> JsonResponse:
    return json_error(404, f"No published letter has the slug {slug!r}.")


@public_read()
def letter_list(request: HttpRequest) -> HttpResponse:
    """The letters of the public index (published and closed), newest first, by pages."""
    try:
        limit = page_limit(request)
        after = cursor_decode(request.GET["cursor"]) if "cursor" in request.GET else None
    except BadQuery as error:
        return json_error(400, str(error))
    letters = selectors.letter_list_index().order_by("-published_at", "-pk")
    if after is not None:
        at, pk = after
        letters = letters.filter(Q(published_at__lt=at) | Q(published_at=at, pk__lt=pk))
    page = list(letters[: limit + 1])
    counts_of = counters.counts_get_many(letter_ids=[letter.pk for letter in page[:limit]])
    rows = [(letter, counts_of[letter.pk]) for letter in page[:limit]]
    parts = [
        part for letter, counts in rows for part in letter_etag_parts(letter=letter, counts=counts)
    ]
    etag = etag_for("letters", request.GET.get("cursor", ""), limit, len(page), *parts)

    def build() -> HttpResponse:
        more = None
        if len(page) > limit:
            last = rows[-1][0]
            assert last.published_at is not None
            cursor = cursor_encode(at=last.published_at, pk=last.pk)
            more = next_url(path=request.path, cursor=cursor, limit=limit)
        results = [letter_json(letter=letter, counts=counts) for letter, counts in rows]
        return JsonResponse({"results": results, "next": more})

    return respond(request, etag=etag, build=build)


@public_read()
def letter_detail(request: HttpRequest, slug: str) -> HttpResponse:
    letter = public_letter_or_none(slug)
    if letter is None:
        return _no_letter(slug)
    counts = counters.counts_get(letter_id=letter.pk)
    etag = etag_for("letter", *letter_etag_parts(letter=letter, counts=counts))
    return respond(
        request, etag=etag, build=lambda: JsonResponse(letter_json(letter=letter, counts=counts))
    )


def signatory_json(signature: Signature) -> dict[str, object]:
    assert signature.confirmed_at is not None
    return {
        "name": signature.name,
        "role": signature.role,
        "organization": signature.organization,
        "country": str(signature.country),
        "city": signature.city,
        "comment": signature.comment,
        "confirmed_at": signature.confirmed_at.isoformat(),
        "verified": signature.verified_at is not None,
    }


@public_read()
def signatory_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Confirmed signatories who chose to be named, newest first; never an email."""
    letter = public_letter_or_none(slug)
    if letter is None:
        return _no_letter(slug)
    try:
        limit = page_limit(request)
        after = cursor_decode(request.GET["cursor"]) if "cursor" in request.GET else None
    except BadQuery as error:
        return json_error(400, str(error))
    counts = counters.counts_get(letter_id=letter.pk)
    # Verifying or unverifying a signatory moves no count; the moderation log records it.
    last_action = letter.moderation.aggregate(last=Max("pk"))["last"]
    etag = etag_for(
        "signatories",
        *letter_etag_parts(letter=letter, counts=counts),
        counts.hidden,
        last_action,
        request.GET.get("cursor", ""),
        limit,
    )

    def build() -> HttpResponse:
        # Newest first, not verified first as on the page: the cursor is over these keys.
        signatures = signatory_list_public(letter=letter).order_by("-confirmed_at", "-pk")
        if after is not None:
            at, pk = after
            signatures = signatures.filter(Q(confirmed_at__lt=at) | Q(confirmed_at=at, pk__lt=pk))
        page = list(signatures[: limit + 1])
        more = None
        if len(page) > limit:
            last = page[limit - 1]
            assert last.confirmed_at is not None
            cursor = cursor_encode(at=last.confirmed_at, pk=last.pk)
            more = next_url(path=request.path, cursor=cursor, limit=limit)
        return JsonResponse(
            {
                "letter": letter.slug,
                "signature_count": counts.all,
                "named_count": counts.named,
                "results": [signatory_json(signature) for signature in page[:limit]],
                "next": more,
            }
        )

    return respond(request, etag=etag, build=build)


@public_read(max_age=3600)
def openapi_document(request: HttpRequest) -> HttpResponse:
    document = openapi.document()
    return respond(
        request,
        etag=etag_for("openapi", openapi.digest()),
        build=lambda: JsonResponse(document, json_dumps_params={"indent": 2}),
    )
