"""What updates adds to the letter page of letters (registered in apps.py)."""

from collections.abc import Mapping

from letters.models import Letter
from updates.services import update_list_public


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The newest updates from the organizers."""
    return {"updates": update_list_public(letter=letter)[:10]}
