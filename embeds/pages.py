"""What embeds adds to the letter page of letters (registered in apps.py)."""

from collections.abc import Mapping

from embeds.snippets import page_context
from letters.models import Letter
from signatories.counters import Counts


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The "Embed this letter" panel and the share metadata, for the count on the page."""
    counts = context.get("counts")
    count = counts.all if isinstance(counts, Counts) else 0
    return {"embed": page_context(letter=letter, count=count)}
