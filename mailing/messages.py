"""Building and sending emails: every message is made here from templates/emails/<name>*."""

from email.policy import Policy
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.utils import translation


def connection() -> BaseEmailBackend:
    """The configured mailer; use it as a context manager to reuse one connection."""
    return mailers.default


def absolute_url(path: str) -> str:
    """A link for an email: mail is read far from the request that caused it."""
    return f"{settings.SITE_URL}{path}"


def message_build(
    *, name: str, to: str, language: str, context: dict[str, object]
) -> EmailMultiAlternatives:
    """A text and HTML email from ``emails/<name>_subject.txt``, ``<name>.txt`` and
    ``<name>.html``, rendered in ``language``."""
    context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
    with translation.override(language):
        subject = str(render_to_string(f"emails/{name}_subject.txt", context))
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    # A subject is one line whatever a letter title contains.
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def message_to_payload(message: EmailMessage) -> dict[str, Any]:
    """A rendered message as JSON-safe data, for a task that sends it later."""
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "alternatives": [[alt.content, alt.mimetype] for alt in alternatives],
        "content_subtype": message.content_subtype,
    }


def message_from_payload(payload: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        headers=payload["headers"],
    )
    message.content_subtype = payload["content_subtype"]
    for content, mimetype in payload["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


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
