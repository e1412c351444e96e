"""``{% share_panel letter %}``: the "pass it on" panel that pages of lower apps show (the
confirmed signature in signatories, the organizer's letter page in letters) without
importing embeds."""

from django import template

from embeds import sharing
from letters.models import Letter

register = template.Library()


@register.inclusion_tag("embed/_share.html")
def share_panel(
    letter: Letter, heading: str = "", mastodon_error: str = "", instance: str = ""
) -> dict[str, object]:
    return {
        "letter": letter,
        "heading": heading,
        "url": sharing.letter_url(letter=letter),
        "text": sharing.share_text(letter=letter),
        "links": sharing.share_links(letter=letter),
        "mastodon_error": mastodon_error,
        "instance": instance,
    }
