"""The widget's HTML: the template rendered once per letter facts and options, the count
(and the source its links carry, ``ref``) filled in on each request.

Everything in the widget but the count (the number, its grouping and the word after it)
changes only when the letter's facts do, while the count may change between any two
requests. So the template is rendered with markers where the count goes, cut at the
markers, and kept per letter, options and open state; a request joins the pieces with
its count, escaped as the template would have escaped it.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.translation import ngettext

from embeds import snippets, widget_sign
from embeds.badge import count_text
from letters.facts import LetterFacts
from letters.models import LetterTranslation
from letters.translations import LANG_PARAM, language_is_rtl
from mailing.kept import Kept
from signatories.forms import form_stamp

WIDGET_CSS = (Path(settings.BASE_DIR) / "static" / "embed" / "widget.css").read_text().strip()
# Private-use characters and a random word: no title can contain the marker.
_MARK = f"\ue000{secrets.token_hex(6)}\ue001"
_SLOTS = ("count", "count_display", "word", "ref_query", "stamp", "ref")
# Widgets kept per process; the oldest leaves first.
MAX_KEPT = 500


@dataclass(frozen=True)
class WidgetText:
    """The title a widget shows, in the language of the letter's text it shows."""

    language: str
    title: str

    @property
    def direction(self) -> str:
        return "rtl" if language_is_rtl(self.language) else "ltr"


# Titles of translations kept per process, with the facts' version they were read under.
_titles: Kept[tuple[int, str], tuple[str, WidgetText | None]] = Kept(MAX_KEPT)


def widget_text(*, letter: LetterFacts, language: str, version: str | None) -> WidgetText | None:
    """The letter's title in ``language`` (a translation's code); None when the letter has
    no text in it. Kept per process under the facts' ``version`` (``LetterLive.version``),
    which saving or deleting a translation replaces: one query the first time, none after,
    whatever the count does. Without a version (Redis unavailable) it is read every time."""
    key = (letter.id, language)
    held = _titles.get(key)
    if version is not None and held is not None and held[0] == version:
        return held[1]
    title = (
        LetterTranslation.objects.filter(letter_id=letter.id, language=language)
        .values_list("title", flat=True)
        .first()
    )
    text = WidgetText(language=language, title=title) if title is not None else None
    if version is not None:
        _titles.keep(key, (version, text))
    return text


def _text(letter: LetterFacts, text: WidgetText | None) -> WidgetText:
    return text or WidgetText(language=letter.language, title=letter.title)


@dataclass(frozen=True)
class _Pieces:
    facts: LetterFacts
    text: WidgetText
    parts: tuple[str, ...]


_kept: Kept[tuple[int, str, bool], _Pieces] = Kept(MAX_KEPT)


def widget_context(
    letter: LetterFacts,
    options: snippets.WidgetOptions,
    count: int,
    text: WidgetText | None = None,
) -> dict[str, object]:
    """The template's context; call inside ``translation.override(options.lang)``."""
    goal = letter.goal if options.goal else None
    numbers = numbers_language(letter, options)
    return {
        "letter": letter,
        "text": _text(letter, text),
        "options": options,
        "count": count,
        "count_display": count_text(count, language=numbers),
        "numbers": numbers,
        "word": ngettext("signature", "signatures", count),
        "word_one": ngettext("signature", "signatures", 1),
        "word_other": ngettext("signature", "signatures", 2),
        "goal": goal,
        "goal_display": count_text(goal, language=numbers) if goal else "",
        "css": WIDGET_CSS,
        "api_url": reverse("embeds:api-detail", kwargs={"slug": letter.slug}),
        "letter_url": snippets.absolute(letter.get_absolute_url()),
        "ref_query": _ref_query(options),
        "ref": options.ref,
        **widget_sign.form_context(letter=letter, options=options),
    }


def numbers_language(letter: LetterFacts, options: snippets.WidgetOptions) -> str:
    """The language the widget writes its numbers in: that of the text it shows (a
    translation), else the one ``?lang=`` asked its words in, else the letter's own, even
    when the site does not speak it (an Italian letter's widget says "100.000")."""
    if options.text:
        return options.text
    if options.lang != snippets.WidgetOptions.defaults(letter=letter).lang:
        return options.lang
    return letter.language


def _ref_query(options: snippets.WidgetOptions) -> str:
    """What the links to the letter page end with: the language of the text shown, when
    not the original, and the embed's source, if it names one."""
    params = {LANG_PARAM: options.text} if options.text else {}
    if options.ref:
        params["ref"] = options.ref
    return f"?{urlencode(params)}" if params else ""


def _render_pieces(
    letter: LetterFacts, options: snippets.WidgetOptions, text: WidgetText | None
) -> tuple[str, ...]:
    context = widget_context(letter, options, 0, text)
    context.update({slot: f"{_MARK}{slot}{_MARK}" for slot in _SLOTS})
    html = render_to_string("embed/widget.html", context)
    return tuple(html.split(_MARK))


def widget_html(
    *,
    letter: LetterFacts,
    options: snippets.WidgetOptions,
    count: int,
    text: WidgetText | None = None,
) -> str:
    """The widget page, showing ``text`` (a translation's title, from ``widget_text``;
    None: the original); call inside ``translation.override(options.lang)``."""
    key = (letter.id, options.key, letter.is_open)
    kept = _kept.get(key)
    if kept is None or kept.facts != letter or kept.text != _text(letter, text):
        pieces = _render_pieces(letter, options, text)
        kept = _Pieces(facts=letter, text=_text(letter, text), parts=pieces)
        _kept.keep(key, kept)
    values = {
        "count": str(count),
        "count_display": conditional_escape(
            count_text(count, language=numbers_language(letter, options))
        ),
        "word": conditional_escape(ngettext("signature", "signatures", count)),
        "ref_query": conditional_escape(_ref_query(options)),
        # A fresh signed stamp for the sign form's fill time, when it is shown.
        "stamp": form_stamp() if options.form else "",
        "ref": conditional_escape(options.ref),
    }
    parts = kept.parts
    # Pieces alternate: text, slot name, text, slot name, ..., text.
    return "".join(values[part] if index % 2 else part for index, part in enumerate(parts))
