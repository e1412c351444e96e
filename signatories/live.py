"""A public letter's facts and its live count, read together.

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
"""

from dataclasses import dataclass

from letters.facts import LetterFacts, facts_get
from signatories import challenge, counters


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


type _Read = tuple[str | None, counters.Counts, tuple[bool, ...]]


def _fetch(letter_id: int, key: str) -> tuple[str | None, _Read]:
    read = counters.counts_get_with(letter_id=letter_id, key=key)
    return read[0], read


def _fallback(letter_id: int) -> _Read:
    # Redis unavailable (or not configured): counts_get counts the rows or reads the
    # embedded default's local cache.
    return None, counters.counts_get(letter_id=letter_id), ()


def letter_live_get(*, slug: str, network: str | None = None) -> LetterLive | None:
    """The facts and counts of the published or closed letter with this slug, or None.

    With ``network`` (``challenge.request_network``), the same round trip also reads the
    switches of the proof of work for the letter and that network.
    """
    fetch = _fetch
    if network is not None:

        def fetch(letter_id: int, key: str) -> tuple[str | None, _Read]:
            flags = challenge.switch_keys(letter_id=letter_id, network=network)
            read = counters.counts_get_with(letter_id=letter_id, key=key, flags=flags)
            return read[0], read

    found = facts_get(slug=slug, fetch=fetch, fallback=_fallback)
    if found is None:
        return None
    facts, (version, counts, flags) = found
    if network is None:
        return LetterLive(facts=facts, counts=counts, version=version)
    reason = challenge.reason_of(require=facts.require_challenge, switches=flags)
    return LetterLive(facts=facts, counts=counts, version=version, challenge=reason)
