"""Signing inside the widget: the compact sign form a letter's organizers can switch on
(``Letter.widget_sign``) and a snippet shows with ``?form=1`` (docs/embeds.md).

The form is the letter page's sign form cut to its essentials (name, email, show-name,
consent) with the same honeypot, signed fill-time stamp, proof-of-work and rate limits;
it posts, without a cookie, to ``embeds.sign_views.widget_sign`` inside the frame.
"""

import base64
import hashlib
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.urls import reverse

from embeds import snippets
from embeds.http import etag_for
from letters.facts import LetterFacts
from letters.models import Letter
from signatories.forms import SignForm
from signatories.services import SignatureData

FORM_CSS = (Path(settings.BASE_DIR) / "static" / "embed" / "widget-form.css").read_text().strip()
# The letter's optional questions, all off: the widget asks only what signing needs.
_NO_QUESTIONS = SimpleNamespace(
    ask_role=False, ask_organization=False, ask_country=False, ask_city=False, ask_comment=False
)


class WidgetSignForm(SignForm):
    """The sign form of the widget: name, email, show-name and consent, with the traps
    (honeypot, stamp), the source (``ref``) and, when needed, the challenge."""

    def __init__(
        self, *args: object, letter: Letter | LetterFacts, needs_challenge: bool = False
    ) -> None:
        super().__init__(*args, letter=_NO_QUESTIONS, needs_challenge=needs_challenge)  # type: ignore[arg-type]
        self.letter = letter  # type: ignore[assignment]
        del self.fields["updates"]

    def signature_data(self) -> SignatureData:
        self.cleaned_data.setdefault("updates", False)  # never asked in the widget
        return super().signature_data()


def shows_form(*, letter: Letter | LetterFacts, options: snippets.WidgetOptions) -> bool:
    return options.form and letter.widget_sign and letter.is_open


def form_query(*, letter: Letter | LetterFacts, options: snippets.WidgetOptions) -> str:
    """What the form's address ends with: the widget's options but its source, which the
    form sends as a field (it is filled in per request, see embeds/widget.py)."""
    return replace(options, ref="", form=True).query(letter=letter)


def css_hash(css: str) -> str:
    """The CSP source that lets ``css`` in a <style> element."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def form_etag(etag: str) -> str:
    """The ETag of a widget with the form. Its body carries a stamp drawn per request,
    so the tag is weak, and it changes every hour: a copy kept by a browser or a cache
    never holds a stamp too old to be accepted (``FORM_STAMP_MAX_AGE_HOURS``)."""
    return "W/" + etag_for("widget.form", etag, int(time.time() // 3600))


def form_context(
    *, letter: Letter | LetterFacts, options: snippets.WidgetOptions
) -> dict[str, object]:
    """What the widget template needs to draw the sign form; empty when it shows none."""
    if not shows_form(letter=letter, options=options):
        return {}
    return {
        "sign_url": reverse("embeds:widget-sign", kwargs={"slug": letter.slug}),
        "form_query": form_query(letter=letter, options=options),
        "form_css": FORM_CSS,
        "form": WidgetSignForm(letter=letter),
        "privacy_url": snippets.absolute(reverse("privacy")),
        "resend_url": snippets.absolute(
            reverse("signatories:resend", kwargs={"slug": letter.slug})
        ),
    }
