"""The public letter pages, composed from parts that the apps above letters contribute.

letters imports no app above it, yet its letter page shows the count and sign form
(signatories), the correction log link (moderation), the updates (updates) and the embed
panel (embeds). Each of those apps registers a part here from its ``AppConfig.ready()``;
a part adds names to the template context. The template, in the project's templates/
folder, places them.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.http import HttpRequest

from letters import services, translations
from letters.models import Letter

# part(letter=..., context=...) -> names to add; ``context`` holds what earlier parts added.
LetterPart = Callable[..., Mapping[str, object]]
# part(letters=...) -> {letter id: names to add} for the rows of the index.
IndexPart = Callable[..., Mapping[int, Mapping[str, object]]]

_letter_parts: list[LetterPart] = []
_index_parts: list[IndexPart] = []


def letter_part_register(part: LetterPart) -> LetterPart:
    """Add ``part`` to every letter page (parts run in the order apps are installed)."""
    if part not in _letter_parts:
        _letter_parts.append(part)
    return part


def index_part_register(part: IndexPart) -> IndexPart:
    """Add ``part`` to every row of the index of letters."""
    if part not in _index_parts:
        _index_parts.append(part)
    return part


def letter_page_context(
    *, letter: Letter, request: HttpRequest | None = None, **overrides: object
) -> dict[str, Any]:
    """What the letter page shows. ``overrides`` replace parts' names, such as the bound
    sign form that comes back with errors. Parts may look at the ``request`` (for the
    visitor's network) when the page is drawn for one.

    The text is the one the request asks for (``?lang=``, else the page's language, else
    the original: ``letters.translations``); ``languages`` lists every language it can be
    read in, for the "also in" list and the ``hreflang`` alternates."""
    texts = translations.letter_texts(letter=letter)
    text = translations.text_for_request(letter=letter, request=request, texts=texts)
    version = text.version
    languages = translations.languages_for(letter=letter, texts=texts)
    context: dict[str, Any] = {
        "letter": letter,
        "text": text,
        "languages": languages,
        "also_in": [language for language in languages if language.code != text.language],
        "body_html": services.letter_body_html(letter=letter, body=text.body),
        "last_changed": version if version is not None and version.number > 1 else None,
    }
    if request is not None:
        context["request"] = request
    for part in _letter_parts:
        context.update(part(letter=letter, context=context))
    context.update(overrides)
    return context


def index_rows(*, letters: Sequence[Letter]) -> list[tuple[Letter, dict[str, object]]]:
    """The index as (letter, names for its row) pairs, most active first.

    Letters open to signing come before closed ones; within each, a part's ``activity``
    (an int; signatories gives the count) orders them, and ties keep the given order.
    """
    extras: dict[int, dict[str, object]] = {letter.pk: {} for letter in letters}
    for part in _index_parts:
        for letter_id, names in part(letters=letters).items():
            extras[letter_id].update(names)
    rows = [(letter, extras[letter.pk]) for letter in letters]
    return sorted(rows, key=lambda row: (not row[0].is_open, -_activity(row[1])))


def _activity(names: Mapping[str, object]) -> int:
    activity = names.get("activity", 0)
    return activity if isinstance(activity, int) else 0
