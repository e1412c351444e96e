"""The public, read-only JSON API (documented in docs/api.md and at /api/openapi.json).

Every view here is a public read: the same answer for everybody, CORS for any origin,
an ETag computed from the counter and ``updated_at`` before any body is built, and
Cache-Control that lets browsers and CDNs absorb the traffic. One letter's JSON is built
from the facts each process keeps (letters/facts.py), read with the count in one Redis
round trip: a warm request, and its 304, touch no database.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from embeds import openapi
from embeds.http import etag_for, json_error, public_read, respond
from embeds.pagination import BadQuery, cursor_page, page_query
from letters import selectors, translations
from letters.facts import LetterFacts
from letters.models import Letter
from letters.translations import LetterText, TextLanguage
from signatories import counters
from signatories.figures import Day, daily_figures, figures_csv, local_day
from signatories.live import LetterLive, letter_live_get
from signatories.models import Signature
from signatories.selectors import signatory_list_public


def letter_json(*, letter: LetterFacts, counts: counters.Counts) -> dict[str, object]:
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


def letter_etag_parts(
    *, letter: Letter | LetterFacts, counts: counters.Counts
) -> tuple[object, ...]:
    """What one letter's public JSON depends on; cheap to compute, no body rendered."""
    return (letter.pk, letter.updated_at.isoformat(), letter.is_open, counts.all, counts.updated)


def respond_live(
    request: HttpRequest,
    live: LetterLive,
    *,
    name: str,
    render: Callable[[], bytes],
    content_type: str,
) -> HttpResponse:
    """A public read of one letter that depends on nothing but its facts and count: the
    ETag and the body are built once for them and kept with ``live`` (signatories/live.py),
    so a read the memo answers only builds the response."""
    etag = live.part(
        (name, "etag"),
        lambda: etag_for(name, *letter_etag_parts(letter=live.facts, counts=live.counts)),
    )
    return respond(
        request,
        etag=etag,
        build=lambda: HttpResponse(live.part((name, "body"), render), content_type=content_type),
    )


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
        query = page_query(request)
    except BadQuery as error:
        return json_error(400, str(error))
    page = cursor_page(
        selectors.letter_list_index(), query=query, order_field="published_at", path=request.path
    )
    counts_of = counters.counts_get_many(letter_ids=[letter.pk for letter in page.rows])
    rows = [(LetterFacts.from_letter(letter), counts_of[letter.pk]) for letter in page.rows]
    parts = [
        part for letter, counts in rows for part in letter_etag_parts(letter=letter, counts=counts)
    ]
    etag = etag_for("letters", query.cursor, query.limit, page.next, *parts)

    def build() -> HttpResponse:
        results = [letter_json(letter=letter, counts=counts) for letter, counts in rows]
        return JsonResponse({"results": results, "next": page.next})

    return respond(request, etag=etag, build=build)


@public_read()
def letter_detail(request: HttpRequest, slug: str) -> HttpResponse:
    live = letter_live_get(slug=slug)
    if live is None:
        return _no_letter(slug)
    if translations.LANG_PARAM in request.GET:
        return _letter_in_language(request, live)
    return respond_live(
        request,
        live,
        name="letter",
        # Encoded as JsonResponse would.
        render=lambda: _json_bytes(letter_json(letter=live.facts, counts=live.counts)),
        content_type="application/json",
    )


def _texts_of(slug: str) -> tuple[list[LetterText], list[TextLanguage]]:
    letter = public_letter_or_none(slug)
    if letter is None:  # unpublished since the facts were read
        return [], []
    texts = translations.letter_texts(letter=letter)
    return texts, translations.languages_for(letter=letter, texts=texts)


def _letter_in_language(request: HttpRequest, live: LetterLive) -> HttpResponse:
    """The letter's JSON with its text in the language of ``?lang=``, and every language it
    can be read in. Its texts are read once for each state of the letter's facts (which a
    saved translation replaces), and the ETag names the text."""
    language = translations.lang_param(request)
    if language is None:
        given = request.GET.get(translations.LANG_PARAM, "")[:20]
        return json_error(400, f"lang must be a language code such as fr or pt-br, not {given!r}.")
    texts, languages = live.part(("texts",), lambda: _texts_of(live.facts.slug))
    text = next((text for text in texts if text.language == language), None)
    if text is None:
        codes = ", ".join(text.language for text in texts)
        return json_error(404, f"This letter has no text in {language!r}. It has: {codes}.")

    def render() -> bytes:
        return _json_bytes(_text_json(request, live, text, languages))

    # What the answer shows beyond the facts and the count: the text it picked.
    shown = (text.language, text.title, text.summary, text.body, text.version_number)
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
    return respond_live(
        request, live, name=f"letter:{language}:{digest}", render=render,
        content_type="application/json",
    )  # fmt: skip


def _text_json(
    request: HttpRequest, live: LetterLive, text: LetterText, languages: list[TextLanguage]
) -> dict[str, object]:
    path = translations.text_path(letter=live.facts, language=text.language)
    return {
        **letter_json(letter=live.facts, counts=live.counts),
        "title": text.title,
        "summary": text.summary,
        "url": f"{settings.SITE_URL}{path}",
        "text": {
            "language": text.language,
            "original": text.is_original,
            "direction": text.direction,
            "title": text.title,
            "summary": text.summary,
            "body": text.body,
            "version": text.version_number,
        },
        "languages": [
            {
                "code": other.code,
                "name": other.name,
                "original": other.is_original,
                "url": f"{settings.SITE_URL}{other.path}",
                "api_url": f"{settings.SITE_URL}{request.path}?lang={other.code}",
            }
            for other in languages
        ],
    }


def _json_bytes(data: dict[str, object]) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder).encode()


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
        query = page_query(request)
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
        query.cursor,
        query.limit,
    )

    def build() -> HttpResponse:
        # Newest first, not verified first as on the page: the cursor is over these keys.
        page = cursor_page(
            signatory_list_public(letter=letter),
            query=query,
            order_field="confirmed_at",
            path=request.path,
        )
        return JsonResponse(
            {
                "letter": letter.slug,
                "signature_count": counts.all,
                "named_count": counts.named,
                "results": [signatory_json(signature) for signature in page.rows],
                "next": page.next,
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


def _figures_etag(live: LetterLive) -> str:
    """The ETag of a letter's daily figures: they change with its count (every event moves
    it), its time zone, and the day."""
    today = local_day(timezone.now(), live.facts.time_zone)
    counts = live.counts
    return etag_for(
        "figures", live.facts.id, live.facts.time_zone, today, counts.all, counts.updated
    )


def _figures_respond(
    request: HttpRequest, slug: str, draw: Callable[[LetterLive, list[Day]], HttpResponse]
) -> HttpResponse:
    """A letter's daily figures drawn by ``draw``, behind the figures' ETag."""
    live = letter_live_get(slug=slug)
    if live is None:
        return _no_letter(slug)
    etag = _figures_etag(live)

    def build() -> HttpResponse:
        return draw(live, daily_figures(letter_id=live.facts.id, time_zone=live.facts.time_zone))

    return respond(request, etag=etag, build=build)


def _figures_json(live: LetterLive, days: list[Day]) -> HttpResponse:
    facts = live.facts
    return JsonResponse(
        {
            "slug": facts.slug,
            "time_zone": facts.time_zone,
            "signature_count": live.counts.all,
            "days": [day.as_dict() for day in days],
        }
    )


def _figures_csv(live: LetterLive, days: list[Day]) -> HttpResponse:
    response = HttpResponse(figures_csv(days), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{live.facts.slug}-figures.csv"'
    return response


@public_read()
def letter_figures_json(request: HttpRequest, slug: str) -> HttpResponse:
    """A letter's public count day by day, in its time zone, from its event log."""
    return _figures_respond(request, slug, _figures_json)


@public_read()
def letter_figures_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The same figures as CSV, one row per day."""
    return _figures_respond(request, slug, _figures_csv)
