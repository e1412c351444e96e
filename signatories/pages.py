"""What signatories adds to the letter pages of letters (registered in apps.py)."""

import contextlib
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from redis import RedisError

from letters.facts import FACTS_MAX_AGE, index_version_key, version_claim
from letters.http import page_is_personal
from letters.models import Letter, signing_is_open
from letters.pagecache import page_forget_all, page_marker
from letters.selectors import INDEX_SIZE, letter_list_index
from mailing.kept import Kept
from signatories import challenge, counters
from signatories.counters import Counts
from signatories.figures import local_day
from signatories.forms import SignForm, form_stamp
from signatories.live import LetterLive, letter_live_get
from signatories.selectors import Breakdown, signatory_showcase, signatory_top_countries
from signatories.services import source_clean

# A safety net only: the block is redrawn as soon as the count or the letter's version moves.
SHOWCASE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class ShowcaseBlock:
    """The names under a letter, drawn: the verified list, the latest list, and how many
    names they hold together."""

    featured: SafeString
    latest: SafeString
    shown: int


def _showcase_key(letter_id: int, language: str) -> str:
    return f"letter-showcase:2:{letter_id}:{language}"


def _showcase_draw(letter: Letter) -> ShowcaseBlock:
    showcase = signatory_showcase(letter=letter)
    draw = "letters/_signatory_list.html"
    return ShowcaseBlock(
        featured=mark_safe(render_to_string(draw, {"signatures": showcase.featured})),  # noqa: S308
        latest=mark_safe(render_to_string(draw, {"signatures": showcase.latest})),  # noqa: S308
        shown=showcase.shown,
    )


def showcase_block(*, letter: Letter, live: LetterLive | None) -> ShowcaseBlock:
    """The showcase of ``letter``, drawn once per language for each state of the letter.

    The names shown change when a signature is confirmed, withdrawn, held, removed or
    restored, each of which moves the count in Redis, and when moderation marks a name
    verified, which replaces the letter's facts version (``letters.facts``). Both are
    read in one round trip (``signatories.live``): the block is kept with the version and
    counts it was drawn for and redrawn when they differ. Without them (Redis down, a
    draft's preview) it is drawn each time. The block holds only what every visitor sees;
    the sign-off line around it, which depends on the letter's state, is drawn each time.
    """
    if live is None or live.version is None:
        return _showcase_draw(letter)
    counts = live.counts
    stamp = (live.version, counts.updated, counts.all, counts.hidden)
    key = _showcase_key(letter.pk, get_language() or settings.LANGUAGE_CODE)
    try:
        kept = cache.get(key)
    except RedisError:
        return _showcase_draw(letter)
    if kept is not None and kept[0] == stamp:
        return ShowcaseBlock(mark_safe(kept[1]), mark_safe(kept[2]), kept[3])  # noqa: S308
    block = _showcase_draw(letter)
    with contextlib.suppress(RedisError):
        value = (stamp, str(block.featured), str(block.latest), block.shown)
        cache.set(key, value, timeout=SHOWCASE_CACHE_SECONDS)
    return block


def letter_page_state(request: HttpRequest, slug: str) -> Hashable | None:
    """What the letter page kept for anonymous visitors (``letters.pagecache``) must
    have been drawn for: the letter's facts version, its count and whether the proof of
    work is on for everybody, read in one round trip. None (draw the page) for a letter
    that is not public, when Redis is unavailable, and when the proof of work is on for
    the visitor's network alone (that page is theirs)."""
    live = letter_live_get(slug=slug, network=challenge.request_network(request))
    if live is None:
        return None
    if live.version is None:
        page_forget_all()
        return None
    if live.challenge == "network":
        return None
    request.letter_live = live  # type: ignore[attr-defined]
    counts = live.counts
    # The day in the letter's time zone: the chart of daily figures starts a new bar.
    today = local_day(timezone.now(), live.facts.time_zone)
    return (live.version, counts.updated, counts.all, counts.hidden, live.challenge,
            live.facts.is_open, today)  # fmt: skip


def signatories_page_state(request: HttpRequest, slug: str) -> Hashable | None:
    """What the first page of a letter's signatories kept for anonymous visitors must have
    been drawn for: the letter's facts version and its count (the names, the breakdown and
    the totals move with one or the other). None (draw it) as for ``letter_page_state``."""
    live = letter_live_get(slug=slug)
    if live is None:
        return None
    if live.version is None:
        page_forget_all()
        _breakdowns.forget_all()
        return None
    request.letter_live = live  # type: ignore[attr-defined]
    counts = live.counts
    return (live.version, counts.updated, counts.all, counts.hidden, live.facts.is_open)


@dataclass(frozen=True)
class _IndexKept:
    """The letters on the index (id, status, closing time), read under ``version``."""

    version: str
    rows: tuple[tuple[int, str, datetime | None], ...]
    stored: float


_index_kept: _IndexKept | None = None


def index_page_state(request: HttpRequest, slug: str) -> Hashable | None:
    """What the index kept for anonymous visitors must have been drawn for: the version of
    the index (replaced with any letter's, ``letters.facts``), and each letter's count and
    whether it is open, read with the version in one round trip. The letters listed are
    kept in the process under the version; after a change they are read again (one query,
    one more round trip for their counts). None (draw it) when Redis is unavailable or not
    configured."""
    global _index_kept
    if not settings.REDIS_URL:  # the embedded default: no version to check
        return None
    kept = _index_kept
    if kept is not None and time.monotonic() - kept.stored >= FACTS_MAX_AGE:
        kept = None
    ids = [row[0] for row in kept.rows] if kept is not None else []
    try:
        version, totals = counters.counts_totals_with(letter_ids=ids, key=index_version_key())
        if kept is None or version is None or kept.version != version:
            version = version or version_claim(index_version_key())
            if version is None:
                raise RedisError("no version of the index")
            rows = tuple(letter_list_index().values_list("id", "status", "closes_at")[:INDEX_SIZE])
            kept = _index_kept = _IndexKept(version, rows, time.monotonic())
            totals = None
        if totals is None:
            counts = counters.counts_get_many(letter_ids=[row[0] for row in kept.rows])
            totals = ",".join(str(counts[pk].all) for pk, _status, _closes in kept.rows)
    except RedisError:
        page_forget_all()
        return None
    closed = tuple(
        pk
        for pk, status, closes_at in kept.rows
        if not signing_is_open(status=status, closes_at=closes_at)
    )
    return (kept.version, totals, closed)


def _live_for(letter: Letter, request: HttpRequest | None) -> LetterLive | None:
    """The live state read for this request (``letter_page_state``), else read now."""
    live = getattr(request, "letter_live", None)
    if isinstance(live, LetterLive) and live.facts.id == letter.pk:
        return live
    if letter.status == Letter.Status.DRAFT:
        return None
    network = challenge.request_network(request) if request is not None else None
    return letter_live_get(slug=letter.slug, network=network)


def _fresh_stamp(request: HttpRequest) -> str:
    return form_stamp()


def _ref(request: HttpRequest | None) -> str:
    """The source a link to the page names (``?ref=``), for the sign form to carry. A page
    with a query string is drawn for its request and never kept (letters/pagecache.py), so
    one visitor's ref cannot reach another's page."""
    return source_clean(request.GET.get("ref")) if request is not None else ""


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The count, the goal, the sign form and the names: verified ones, then the latest,
    then how many others signed."""
    request = context.get("request")
    request = request if isinstance(request, HttpRequest) else None
    live = _live_for(letter, request)
    if live is None or live.version is None:
        counts = counters.counts_get(letter_id=letter.pk)
        network = challenge.request_network(request) if request is not None else ""
        reason = challenge.challenge_reason(letter=letter, network=network)
    else:
        counts, reason = live.counts, live.challenge
    if reason == "network" and request is not None:
        # Drawn for this network only: a shared cache must not give it to everybody.
        page_is_personal(request)
    showcase = showcase_block(letter=letter, live=live)
    stamp = page_marker(request, _fresh_stamp) if request is not None else form_stamp()
    return {
        "counts": counts,
        "progress": min(100, round(100 * counts.all / letter.goal)) if letter.goal else None,
        "showcase": showcase,
        # The counter may lag the list by a moment; never print a negative number.
        "others": max(0, counts.all - showcase.shown),
        "form": SignForm(
            letter=letter,
            needs_challenge=bool(reason),
            top_countries=signatory_top_countries(letter=letter) if letter.ask_country else (),
            initial={"stamp": stamp, "ref": _ref(request)},
        ),
    }


def index_part(*, letters: Sequence[Letter]) -> dict[int, dict[str, object]]:
    """Each letter's count on the index, read in one round trip, and its activity (the
    count) to order it by."""
    counts = counters.counts_get_many(letter_ids=[letter.pk for letter in letters])
    return {pk: {"counts": each, "activity": each.all} for pk, each in counts.items()}


# Breakdowns drawn per process: (letter, version, counts, language) -> HTML.
_BREAKDOWNS_KEPT = 100
_breakdowns: Kept[Hashable, SafeString] = Kept(_BREAKDOWNS_KEPT)


def breakdown_html(
    *, letter_id: int, breakdown: Breakdown, counts: Counts, live: LetterLive | None
) -> SafeString:
    """The "Who signed" tables of the signatories page, drawn once per process for each
    state of the letter (its facts version and count, as ``signatories_page_state``
    reads them) and language, and reused by every page of the list: they are letter-wide,
    and drawing them was a large part of a page reached by a position link. Drawn each
    time without a version (Redis down)."""

    def draw() -> SafeString:
        context = {"breakdown": breakdown, "counts": counts}
        return mark_safe(render_to_string("letters/_breakdown.html", context))  # noqa: S308

    if live is None or live.version is None or live.facts.id != letter_id:
        return draw()
    key = (letter_id, live.version, counts.updated, counts.all, counts.hidden, get_language())
    html = _breakdowns.get(key)
    if html is None:
        html = draw()
        _breakdowns.keep(key, html)
    return html


def _pair_html(css_class: str, first: str, second: str) -> str:
    """``<span class="css_class">first, second</span>`` with what is there, or nothing."""
    if not (first or second):
        return ""
    comma = ", " if first and second else ""
    return (
        f'<span class="{css_class}">{conditional_escape(first)}{comma}'
        f"{conditional_escape(second)}</span>"
    )


def signatory_items_html(signatures: Iterable[Any]) -> SafeString:
    """The ``<li>`` of each signature, as ``letters/_signatory.html`` draws it, drawn in
    Python: fifty includes of that template were most of the CPU of a list page drawn.
    tests/letters/test_page_cache.py holds the two to the same bytes."""
    verified_label = conditional_escape(gettext("Verified by the organizers"))
    parts: list[str] = []
    for s in signatures:
        verified = s.verified_at
        parts.append('<li class="verified">' if verified else "<li>")
        parts.append(f'<span class="name">{conditional_escape(s.name)}</span>')
        if verified:
            parts.append(
                f'<span class="verified-badge" title="{verified_label}">'
                f'<span aria-hidden="true">✓</span> {verified_label}</span>'
            )
        parts.append(_pair_html("role", s.role, s.organization))
        parts.append(_pair_html("place", s.city, s.country.name if s.country else ""))
        if s.comment:
            parts.append(f'<q class="comment">{conditional_escape(s.comment)}</q>')
        parts.append("</li>\n")  # the template ends with a line break
    return mark_safe("".join(parts))  # noqa: S308
