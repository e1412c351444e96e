"""Passing a letter on: share links to other sites, the Mastodon server a person names,
and the QR code of the letter's address for posters.

Share links are plain links: no script or image of another site is loaded, so the site's
Content Security Policy holds and nobody is tracked before they choose to share.
"""

import io
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import segno
from django.utils.translation import gettext_lazy as _

from embeds.snippets import absolute
from letters.models import Letter

# A host name of at least two labels, letters, digits and hyphens (after IDNA), no port.
_HOST = re.compile(
    r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$"
)
MASTODON_HELP = _("Enter the address of your Mastodon server, like mastodon.social.")


@dataclass(frozen=True)
class ShareLink:
    key: str
    label: str
    url: str


def letter_url(*, letter: Letter) -> str:
    return absolute(letter.get_absolute_url())


def share_text(*, letter: Letter) -> str:
    return f"{letter.title} {letter_url(letter=letter)}"


def share_links(*, letter: Letter) -> list[ShareLink]:
    """Links that open another site's own share page with the letter filled in."""
    url, text = quote(letter_url(letter=letter), safe=""), quote(share_text(letter=letter), safe="")
    subject = quote(letter.title, safe="")
    return [
        ShareLink("email", str(_("Email")), f"mailto:?subject={subject}&body={text}"),
        ShareLink("whatsapp", "WhatsApp", f"https://wa.me/?text={text}"),
        ShareLink("bluesky", "Bluesky", f"https://bsky.app/intent/compose?text={text}"),
        ShareLink(
            "linkedin", "LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={url}"
        ),
        ShareLink("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
    ]


def mastodon_host(raw: str) -> str | None:
    """The host of the Mastodon server a person typed, or None when it is not one.

    Takes "mastodon.social", "https://mastodon.social/" or "@me@mastodon.social"; never an
    IP address, a port, a single label such as "localhost", or credentials.
    """
    value = raw.strip()
    if not value or len(value) > 300 or any(c.isspace() for c in value):
        return None
    if "://" in value:
        parts = urlsplit(value)
        if parts.scheme.lower() not in {"http", "https"} or parts.port or "@" in parts.netloc:
            return None
        value = parts.hostname or ""
    else:
        value = value.split("/", 1)[0].rsplit("@", 1)[-1]
    try:
        host = value.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return host if _HOST.match(host) else None


def mastodon_share_url(*, letter: Letter, host: str) -> str:
    return f"https://{host}/share?text={quote(share_text(letter=letter), safe='')}"


def qr_svg(*, url: str) -> str:
    """The QR code of ``url`` as an SVG file, dark on white whatever the page's colours,
    with a quiet zone, at a size that prints sharp."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", scale=10, border=4, dark="#000", light="#fff", xmldecl=True
    )
    return out.getvalue().decode()
