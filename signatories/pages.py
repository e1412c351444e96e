"""What signatories adds to the letter pages of letters (registered in apps.py)."""

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from redis import RedisError

from letters.http import page_is_personal
from letters.models import Letter
from signatories import challenge, counters
from signatories.forms import SignForm
from signatories.selectors import signatory_showcase, signatory_top_countries

# A safety net only: the block is redrawn as soon as the count moves or a mark changes.
SHOWCASE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class ShowcaseBlock:
    """The names under a letter, drawn: the verified list, the latest list, and how many
    names they hold together."""

    featured: SafeString
    latest: SafeString
    shown: int


def _showcase_key(letter_id: int, language: str) -> str:
    return f"letter-showcase:1:{letter_id}:{language}"


def _showcase_draw(letter: Letter) -> ShowcaseBlock:
    showcase = signatory_showcase(letter=letter)
    draw = "letters/_signatory_list.html"
    return ShowcaseBlock(
        featured=mark_safe(render_to_string(draw, {"signatures": showcase.featured})),  # noqa: S308
        latest=mark_safe(render_to_string(draw, {"signatures": showcase.latest})),  # noqa: S308
        shown=showcase.shown,
    )


def showcase_block(*, letter: Letter, counts: counters.Counts) -> ShowcaseBlock:
    """The showcase of ``letter``, drawn once per language for each state of its count.

    The names shown change when a signature is confirmed, withdrawn, held, removed or
    restored, and each of these moves the count in Redis, whose time stamp (``updated``)
    then changes: the block is kept with the counts it was drawn for and redrawn when they
    differ. Marking a signatory verified moves no count, so moderation forgets the block
    (``showcase_forget``). The block holds only what every visitor sees; the sign-off
    line around it, which depends on the letter's state, is drawn each time.
    """
    stamp = (counts.updated, counts.all, counts.hidden)
    key = _showcase_key(letter.pk, get_language() or settings.LANGUAGE_CODE)
    try:
        kept = cache.get(key)
    except RedisError:
        return _showcase_draw(letter)
    if kept is not None and kept[0] == stamp and counts.updated is not None:
        return ShowcaseBlock(mark_safe(kept[1]), mark_safe(kept[2]), kept[3])  # noqa: S308
    block = _showcase_draw(letter)
    with contextlib.suppress(RedisError):
        value = (stamp, str(block.featured), str(block.latest), block.shown)
        cache.set(key, value, timeout=SHOWCASE_CACHE_SECONDS)
    return block


def showcase_forget(*, letter_id: int) -> None:
    """Drop the drawn showcase of a letter in every language; call after a change to the
    names shown that moves no count (a verified mark) has committed."""
    with contextlib.suppress(RedisError):
        cache.delete_many([_showcase_key(letter_id, code) for code, _name in settings.LANGUAGES])


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The count, the goal, the sign form and the names: verified ones, then the latest,
    then how many others signed."""
    counts = counters.counts_get(letter_id=letter.pk)
    request = context.get("request")
    network = challenge.request_network(request) if isinstance(request, HttpRequest) else ""
    reason = challenge.challenge_reason(letter=letter, network=network)
    if reason == "network" and isinstance(request, HttpRequest):
        # Drawn for this network only: a shared cache must not give it to everybody.
        page_is_personal(request)
    needs_challenge = bool(reason)
    showcase = showcase_block(letter=letter, counts=counts)
    return {
        "counts": counts,
        "progress": min(100, round(100 * counts.all / letter.goal)) if letter.goal else None,
        "showcase": showcase,
        # The counter may lag the list by a moment; never print a negative number.
        "others": max(0, counts.all - showcase.shown),
        "form": SignForm(
            letter=letter,
            needs_challenge=needs_challenge,
            top_countries=signatory_top_countries(letter=letter) if letter.ask_country else (),
        ),
    }


def index_part(*, letters: Sequence[Letter]) -> dict[int, dict[str, object]]:
    """Each letter's count on the index, read in one round trip, and its activity (the
    count) to order it by."""
    counts = counters.counts_get_many(letter_ids=[letter.pk for letter in letters])
    return {pk: {"counts": each, "activity": each.all} for pk, each in counts.items()}
