"""The SVG badge and its Shields.io twin: a label and the live count."""

from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from letters.facts import LetterFacts
from letters.models import Letter

COLOR = "8a1c1c"
LABEL_COLOR = "555"
# Average advance of Verdana 11px, enough to size a badge without measuring fonts.
_CHAR_WIDTH = 7
_PADDING = 10


def count_text(count: int) -> str:
    return f"{count:,}"


def shields_payload(*, count: int) -> dict[str, object]:
    return {
        "schemaVersion": 1,
        "label": gettext("signatures"),
        "message": count_text(count),
        "color": COLOR,
    }


def _width(text: str) -> int:
    return len(text) * _CHAR_WIDTH + 2 * _PADDING


def badge_svg(*, letter: Letter | LetterFacts, count: int) -> str:
    """A flat badge; every piece of text is escaped, so a title cannot inject markup."""
    label = gettext("signatures")
    message = count_text(count)
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
