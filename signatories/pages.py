"""What signatories adds to the letter pages of letters (registered in apps.py)."""

from collections.abc import Mapping, Sequence

from django.http import HttpRequest

from letters.http import page_is_personal
from letters.models import Letter
from signatories import challenge, counters
from signatories.forms import SignForm
from signatories.selectors import signatory_showcase, signatory_top_countries


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
    showcase = signatory_showcase(letter=letter)
    return {
        "counts": counts,
        "progress": min(100, round(100 * counts.all / letter.goal)) if letter.goal else None,
        "featured": showcase.featured,
        "latest": showcase.latest,
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
