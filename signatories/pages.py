"""What signatories adds to the letter pages of letters (registered in apps.py)."""

from collections.abc import Mapping, Sequence

from letters.models import Letter
from signatories import counters
from signatories.forms import SignForm
from signatories.selectors import signatory_latest


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The count, the goal, the sign form and the latest signatories."""
    counts = counters.counts_get(letter_id=letter.pk)
    return {
        "counts": counts,
        "progress": min(100, round(100 * counts.all / letter.goal)) if letter.goal else None,
        "latest": signatory_latest(letter=letter),
        "form": SignForm(letter=letter),
    }


def index_part(*, letters: Sequence[Letter]) -> dict[int, dict[str, object]]:
    """Each letter's count on the index, read in one round trip."""
    counts = counters.counts_get_many(letter_ids=[letter.pk for letter in letters])
    return {letter.pk: {"counts": counts[letter.pk]} for letter in letters}
