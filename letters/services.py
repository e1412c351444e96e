import hashlib

import markdown
import nh3
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from letters.models import Letter

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "strong", "ul",
}  # fmt: skip


def letter_render_markdown(*, text: str) -> str:
    """Render Markdown to HTML that keeps formatting and drops scripts and handlers."""
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def letter_body_html(*, letter: Letter) -> str:
    """The sanitised body, cached by the hash of its text so edits show at once."""
    digest = hashlib.sha256(letter.body.encode()).hexdigest()[:32]
    key = f"letter-body:{digest}"
    html = cache.get(key)
    if html is None:
        html = letter_render_markdown(text=letter.body)
        cache.set(key, html, timeout=24 * 3600)
    return html


@transaction.atomic
def letter_publish(*, letter: Letter) -> Letter:
    """Make a draft public; it then accepts signatures until it closes."""
    letter.status = Letter.Status.PUBLISHED
    letter.published_at = letter.published_at or timezone.now()
    letter.save(update_fields=["status", "published_at", "updated_at"])
    transaction.on_commit(lambda: _share_card_refresh(letter_id=letter.pk), robust=True)
    return letter


def _share_card_refresh(*, letter_id: int) -> None:
    from embeds.services import share_card_maybe_refresh
    from signatories.counters import counts_get

    share_card_maybe_refresh(letter_id=letter_id, count=counts_get(letter_id=letter_id).all)


@transaction.atomic
def letter_close(*, letter: Letter) -> Letter:
    """Stop accepting signatures; the text, count and list stay public."""
    letter.status = Letter.Status.CLOSED
    letter.save(update_fields=["status", "updated_at"])
    return letter
