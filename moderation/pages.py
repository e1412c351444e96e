"""What moderation adds to the letter page of letters (registered in apps.py)."""

from collections.abc import Mapping

from letters.models import Letter
from moderation.selectors import correction_log_exists


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """Whether to link the public correction log."""
    return {"has_corrections": correction_log_exists(letter=letter)}
