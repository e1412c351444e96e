"""The SVG badge and its Shields.io twin: a label and the live count."""

from django.conf import settings
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.translation import check_for_language, gettext, ngettext

from letters.facts import LetterFacts
from letters.models import Letter

COLOR = "8a1c1c"
LABEL_COLOR = "555"
# Average advance of Verdana 11px, enough to size a badge without measuring fonts.
_CHAR_WIDTH = 7
_PADDING = 10


def count_text(count: int, *, language: str) -> str:
    """A count written as ``language`` groups its digits: "100,000" in English, "100.000"
    in German, "100 000" (a narrow no-break space) in French. A language Django has no
    number formats for gets the site's. The formats are read for ``language`` directly
    (Django keeps them per language): no translation is activated."""
    if not check_for_language(language):
        language = settings.LANGUAGE_CODE
    return numberformat.format(
        count,
        get_format("DECIMAL_SEPARATOR", language),
        grouping=get_format("NUMBER_GROUPING", language),
        thousand_sep=get_format("THOUSAND_SEPARATOR", language),
        force_grouping=True,
        use_l10n=True,
    )


def shields_payload(*, count: int, language: str) -> dict[str, object]:
    """Shields.io's endpoint schema; call inside ``translation.override`` of the label's
    language."""
    return {
        "schemaVersion": 1,
        "label": gettext("signatures"),
        "message": count_text(count, language=language),
        "color": COLOR,
    }


def _width(text: str) -> int:
    return len(text) * _CHAR_WIDTH + 2 * _PADDING


def badge_svg(*, letter: Letter | LetterFacts, count: int) -> str:
    """A flat badge, its count written the letter's way; every piece of text is escaped,
    so a title cannot inject markup. Call inside ``translation.override`` of its words."""
    label = gettext("signatures")
    message = count_text(count, language=letter.language)
    left, right = _width(label), _width(message)
    words = ngettext("%(count)s signature", "%(count)s signatures", count) % {"count": message}
    title = escape(f"{letter.title}: {words}")
    aria = escape(f"{label}: {message}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="20" '
        f'role="img" aria-label="{aria}"><title>{title}</title>'
        f'<rect width="{left}" height="20" fill="#{LABEL_COLOR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="#{COLOR}"/>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:g}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2:g}" y="14">{escape(message)}</text>'
        "</g></svg>"
    )
