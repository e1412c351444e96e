"""A public letter's facts and its live count, read together.

The counter JSON, the badges and the widget need both on every request. With the facts
cached in the process (letters/facts.py), one Redis round trip reads the facts' version
and the count: a warm request touches no database.
"""

from dataclasses import dataclass

from letters.facts import LetterFacts, facts_get
from signatories import counters


@dataclass(frozen=True)
class LetterLive:
    facts: LetterFacts
    counts: counters.Counts


def _fetch(letter_id: int, key: str) -> tuple[str | None, counters.Counts]:
    return counters.counts_get_with(letter_id=letter_id, key=key)


def _fallback(letter_id: int) -> counters.Counts:
    # Redis unavailable (or not configured): counts_get counts the rows or reads the
    # embedded default's local cache.
    return counters.counts_get(letter_id=letter_id)


def letter_live_get(*, slug: str) -> LetterLive | None:
    """The facts and counts of the published or closed letter with this slug, or None."""
    found = facts_get(slug=slug, fetch=_fetch, fallback=_fallback)
    if found is None:
        return None
    facts, counts = found
    return LetterLive(facts=facts, counts=counts)
