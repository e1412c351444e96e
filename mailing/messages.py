"""Building and sending emails: every message is made here from templates/emails/<name>*."""

import re
import unicodedata
from email.headerregistry import Address
from email.policy import Policy
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.template import Context, Engine, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mailing.suppression import never_token

GREETING_MAX_CHARS = 60
# Characters that a mail client or IDNA may read as the dot of a domain name.
_DOTS = ".\u3002\uff0e\uff61\u2024"
_ONE_DOT_LEADER = "\u2024"
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:/+", re.IGNORECASE)
_WWW = re.compile(rf"\bwww\d*[{_DOTS}]", re.IGNORECASE)
# A dot between two word characters: what makes "evil.example" a link in a mail client.
_INNER_DOT = re.compile(rf"(?<=\w)[{_DOTS}](?=\w)")
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def connection() -> BaseEmailBackend:
    """The configured mailer; use it as a context manager to reuse one connection."""
    return mailers.default


def absolute_url(path: str) -> str:
    """A link for an email: mail is read far from the request that caused it."""
    return f"{settings.SITE_URL}{path}"


def name_for_greeting(name: str) -> str:
    """A signer's name as every email may print it: no link, no control character, short.

    A name is typed by anyone, and an email greeting is where a spammer would put a link
    ("Hello www.win-a-prize.example") for our mail server to deliver. Schemes and "www."
    are dropped, a dot inside a word becomes a one-dot leader (so "evil.example" is no
    longer a domain any client links), control and format characters go, and the result
    is cut at GREETING_MAX_CHARS with an ellipsis.
    """
    text = unicodedata.normalize("NFKC", name)
    text = "".join(" " if unicodedata.category(char) in _INVISIBLE else char for char in text)
    text = _SCHEME.sub("", text)
    text = _WWW.sub("", text)
    text = _INNER_DOT.sub(_ONE_DOT_LEADER, text)
    text = " ".join(text.split())
    if len(text) > GREETING_MAX_CHARS:
        text = text[: GREETING_MAX_CHARS - 1].rstrip() + "\u2026"
    return text


def _render_plain(template_name: str, context: dict[str, object]) -> str:
    """A template rendered without autoescape, for subjects and text parts: a title
    "Artists & AI" must arrive as written, not as "Artists &amp; AI"."""
    engine: Engine = engines["django"].engine  # type: ignore[attr-defined]
    return engine.get_template(template_name).render(Context(context, autoescape=False))


def subject_render(*, name: str, language: str, context: dict[str, object]) -> str:
    """The subject of an ``emails/<name>`` message as its recipient will see it, for pages
    that tell people what to look for in their inbox."""
    context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
    with translation.override(language):
        subject = _render_plain(f"emails/{name}_subject.txt", context)
    return " ".join(subject.split())


def message_build(
    *,
    name: str,
    to: str,
    language: str,
    context: dict[str, object],
    recipient_name: str = "",
    from_name: str = "",
    reply_to: str = "",
) -> EmailMultiAlternatives:
    """A text and HTML email from ``emails/<name>_subject.txt``, ``<name>.txt`` and
    ``<name>.html``, rendered in ``language``.

    Subject and text are rendered as plain text, the HTML part escaped (its ``<title>`` is
    the subject, its ``lang`` the language). Every template gets ``greeting_name`` (the
    neutralised ``recipient_name``) and ``never_url``, the link that puts the address on
    the global "never email me again" list.

    ``from_name`` speaks for the sender ("<from_name> via <SITE_NAME>", from our own
    DEFAULT_FROM_EMAIL address, so that the mail still passes SPF and DKIM);
    ``reply_to`` is where answers go instead of that address.
    """
    token = never_token(email=to)
    context = {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        **context,
        "greeting_name": name_for_greeting(recipient_name),
        "never_url": absolute_url(reverse("mailing:never", kwargs={"token": token})),
    }
    with translation.override(language):
        # A subject is one line whatever a letter title contains.
        subject = " ".join(_render_plain(f"emails/{name}_subject.txt", context).split())
        text = _render_plain(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", {**context, "subject": subject})
        from_email = sender(from_name=from_name)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def sender(*, from_name: str = "") -> str:
    """The From header: DEFAULT_FROM_EMAIL, or its address under "<from_name> via <SITE_NAME>".

    The name is typed by an organizer, so it is neutralised like a greeting (no link, no
    control character, short) before it goes into a header.
    """
    name = name_for_greeting(from_name)
    if not name:
        return settings.DEFAULT_FROM_EMAIL
    display = _("%(organizer)s via %(site)s") % {"organizer": name, "site": settings.SITE_NAME}
    return str(Address(display_name=display, addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def message_to_payload(message: EmailMessage) -> dict[str, Any]:
    """A rendered message as JSON-safe data, for a task that sends it later."""
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "reply_to": list(message.reply_to),
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
        reply_to=payload.get("reply_to"),
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
