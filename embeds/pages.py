"""What embeds adds to the letter page of letters (registered in apps.py)."""

from collections.abc import Mapping

from embeds.snippets import page_context
from letters.models import Letter
from letters.translations import LetterText
from signatories.counters import Counts


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The "Embed this letter" panel and the share metadata, for the count on the page and
    the text it shows (letters.pages puts ``text`` and ``languages`` first)."""
    counts = context.get("counts")
    count = counts.all if isinstance(counts, Counts) else 0
    text = context.get("text")
    languages = context.get("languages")
    return {
        "embed": page_context(
            letter=letter,
            count=count,
            text=text if isinstance(text, LetterText) else None,
            languages=languages if isinstance(languages, list) else [],
        )
    }
