"""Every email about a signature is built here, from templates/emails/<name>*."""

from email.policy import Policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from signatories.models import Signature, Update


def connection() -> BaseEmailBackend:
    """The configured mailer; use it as a context manager to reuse one connection."""
    return mailers.default


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _build(
    *, name: str, to: str, language: str, context: dict[str, object]
) -> EmailMultiAlternatives:
    context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
    with translation.override(language):
        subject = str(render_to_string(f"emails/{name}_subject.txt", context))
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    # A subject is one line whatever a letter title contains.
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def confirmation(*, signature: Signature, token: str) -> EmailMultiAlternatives:
    letter = signature.letter
    return _build(
        name="confirm",
        to=signature.email,
        language=letter.language,
        context={
            "signature": signature,
            "letter": letter,
            "confirm_url": _absolute(reverse("signatories:confirm", kwargs={"token": token})),
            "letter_url": _absolute(letter.get_absolute_url()),
            "max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        },
    )


def already_signed(*, signature: Signature, withdraw_token: str) -> EmailMultiAlternatives:
    return _build(
        name="already_signed",
        to=signature.email,
        language=signature.letter.language,
        context=_withdraw_context(signature, withdraw_token),
    )


def withdraw(*, signature: Signature, token: str) -> EmailMultiAlternatives:
    return _build(
        name="withdraw",
        to=signature.email,
        language=signature.letter.language,
        context=_withdraw_context(signature, token),
    )


def _withdraw_context(signature: Signature, token: str) -> dict[str, object]:
    return {
        "signature": signature,
        "letter": signature.letter,
        "letter_url": _absolute(signature.letter.get_absolute_url()),
        "withdraw_url": _absolute(reverse("signatories:withdraw", kwargs={"token": token})),
        "max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
    }


class OneLineHeader(str):
    """A header value that the email package writes on one line, exactly as given.

    Python folds a long value without spaces, such as a URL, into RFC 2047 encoded words,
    and mail clients do not decode those in List-Unsubscribe, which must hold a bare
    <URL> (RFC 2369). RFC 5322 allows lines of up to 998 characters, so the value is
    written unfolded. The email package keeps any value that has a ``name`` and ``fold``.
    """

    name: str

    def __new__(cls, name: str, value: str) -> "OneLineHeader":
        if not value.isascii() or len(name) + len(value) > 990:
            raise ValueError("A one-line header must be short ASCII.")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return self.name, str(self)

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def update(
    *, update: Update, signature: Signature, body_html: str, token: str
) -> EmailMultiAlternatives:
    """An organizers' update, with a one-click unsubscribe link in headers and body (RFC 8058).

    ``body_html`` is the sanitised Markdown of the update, rendered once per batch.
    """
    letter = update.letter
    unsubscribe_url = _absolute(reverse("updates:unsubscribe", kwargs={"token": token}))
    message = _build(
        name="update",
        to=signature.email,
        language=letter.language,
        context={
            "signature": signature,
            "letter": letter,
            "update": update,
            "body_html": body_html,
            "update_url": _absolute(update.get_absolute_url()),
            "letter_url": _absolute(letter.get_absolute_url()),
            "unsubscribe_url": unsubscribe_url,
        },
    )
    message.extra_headers["List-Unsubscribe"] = OneLineHeader(
        "List-Unsubscribe", f"<{unsubscribe_url}>"
    )
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
