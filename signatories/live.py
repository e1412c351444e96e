"""A public letter's facts and its live count, read together, and remembered a moment.

The counter JSON, the badges and the widget need both on every request. With the facts
cached in the process (letters/facts.py), one Redis round trip reads the facts' version
and the count: a warm request touches no database.

The facts' version is also the one token that says "the letter page changed" for
everything the page shows besides the count: the letter's row and text (saved), its
updates and its correction log (``letters.facts.facts_changed`` when they change) and the
names shown (the count moves, or moderation marks a name verified and calls
``facts_changed``). The whole page kept for anonymous visitors (``letters.pagecache``)
and the drawn names (``signatories.pages.showcase_block``) are keyed on it and on the
count, both read here.

The hot reads' answers carry ``max-age=15`` for browsers and CDNs, so a web process may also
answer from what it read a moment ago: each process keeps the last ``LetterLive`` of each
slug it served (the **memo**) and trusts it for ``settings.PUBLIC_READ_MEMO_SECONDS``
(1 s by default; 0 turns it off) without asking Redis. The facts' version rides in it, so
a letter closed, unpublished or edited is seen by every process at most that long after
the change; a new signature likewise. Only what came through Redis is kept: an unknown
slug, a draft, or an answer read from the database while Redis is unavailable is never
remembered, and at most ``MEMO_SLUGS`` slugs are (the oldest read leaves first).

A ``LetterLive`` also carries the finished parts of the answers built from it (``part``:
ETags, JSON, SVG and widget bodies), so that a read the memo answers only builds the
HttpResponse. A fresh read that finds the same facts and counts, and the letter still as
open as it was, keeps the parts.

The memo never answers the letter page (it asks with ``network``, for the proof of work),
the confirm page or the organizer's pages (they read the count with
``counters.counts_get``). The kept first page of signatories may be drawn from it: like
the hot reads, it is at most that window behind.
"""

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from letters.facts import LetterFacts, facts_get
from mailing.kept import Kept
from signatories import challenge, counters

# Slugs remembered per process; the one read longest ago leaves first.
MEMO_SLUGS = 256
# Parts kept per letter: an ETag and a body for each of four views, and a few more widget
# options. With widget bodies of about 3 KB, the memo stays near 12 MB at worst.
MEMO_PARTS = 16


@dataclass(frozen=True)
class LetterLive:
    facts: LetterFacts
    counts: counters.Counts
    # The facts' version read with the count; None when Redis was not read (unavailable,
    # or not configured): nothing may then be kept under it.
    version: str | None = None
    # Whether the proof of work is on for the letter ("letter"), only for the network
    # asked about ("network") or not at all (""); asked only with ``network``.
    challenge: str = ""
    # Finished parts of the answers built from these facts and counts; see ``part``.
    parts: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    def part[T](self, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make()`` returns, built once for these facts and counts.

        ``key`` must name everything else the part depends on (the view, the query
        options, the language). Two threads may both build a missing part: same result.
        """
        try:
            return self.parts[key]  # type: ignore[no-any-return]
        except KeyError:
            value = make()
            if len(self.parts) < MEMO_PARTS:
                self.parts[key] = value
            return value


@dataclass(frozen=True)
class _Held:
    read_at: float
    live: LetterLive
    # Whether the letter was open when read: its closing time may pass with nothing else
    # changing, and the parts say "open".
    open: bool


_memo: Kept[str, _Held] = Kept(MEMO_SLUGS)


def _now() -> float:
    """The memo's clock (the tests move it)."""
    return time.monotonic()


type _Read = tuple[str | None, counters.Counts, tuple[bool, ...]]


def _fetch(letter_id: int, key: str) -> tuple[str | None, _Read]:
    read = counters.counts_get_with(letter_id=letter_id, key=key)
    return read[0], read


def letter_live_get(*, slug: str, network: str | None = None) -> LetterLive | None:
    """The facts and counts of the published or closed letter with this slug, or None.

    Without ``network``: possibly as this process read them up to
    PUBLIC_READ_MEMO_SECONDS ago (the memo). With ``network``
    (``challenge.request_network``), always read now, and the same round trip also reads
    the switches of the proof of work for the letter and that network.
    """
    window = settings.PUBLIC_READ_MEMO_SECONDS if network is None else 0
    held = _memo.get(slug) if network is None else None
    started = _now()
    if held is not None and started - held.read_at < window:
        return held.live
    fell_back = False

    def fallback(letter_id: int) -> _Read:
        # Redis unavailable (or not configured), or the slug changed letters: counts_get
        # counts the rows or reads the embedded default's local cache. Not remembered.
        nonlocal fell_back
        fell_back = True
        return None, counters.counts_get(letter_id=letter_id), ()

    fetch = _fetch
    if network is not None:

        def fetch(letter_id: int, key: str) -> tuple[str | None, _Read]:
            flags = challenge.switch_keys(letter_id=letter_id, network=network)
            read = counters.counts_get_with(letter_id=letter_id, key=key, flags=flags)
            return read[0], read

    found = facts_get(slug=slug, fetch=fetch, fallback=fallback)
    if found is None:
        if held is not None:
            _memo.forget(slug)
        return None
    facts, (version, counts, flags) = found
    if network is not None:
        reason = challenge.reason_of(require=facts.require_challenge, switches=flags)
        return LetterLive(facts=facts, counts=counts, version=version, challenge=reason)
    if fell_back or window <= 0:
        if held is not None:
            _memo.forget(slug)
        return LetterLive(facts=facts, counts=counts, version=version)
    is_open = facts.is_open
    if (
        held is not None
        and held.live.facts is facts
        and held.live.version == version
        and held.live.counts == counts
        and held.open == is_open
    ):
        live = held.live  # nothing changed: keep the parts already built
    else:
        live = LetterLive(facts=facts, counts=counts, version=version)
    _memo.keep(slug, _Held(read_at=started, live=live, open=is_open))
    return live


def memo_forget_all() -> None:
    """Drop everything this process remembers (the tests start each from nothing)."""
    _memo.forget_all()


def memo_size() -> int:
    return len(_memo)
