"""Answer pages drawn once per process, with holes for what differs between requests.

The "check your inbox" answer to a sign POST and the "thank you" answer to a confirm POST
are full pages (base template, menus, footer, share panel) that are the same for every
visitor without a session, on one letter in one language, but for a few values: the
address typed, the fields sent again, the link to withdraw, the page's own path. Drawing
them through the template engine cost a sign POST about a sixth of its time and a
confirm POST about half of its CPU, so each is drawn once per process and key with a
marker in place of each of those values, and every answer fills the markers in, escaped,
in one pass over the text.

The key must hold every other value the page prints (the caller passes the letter's
fields it shows, never a version of the row that could lag). A visitor with a session
or with messages waiting (an organizer, someone who just logged in) gets the page drawn
in full, as does a page that asked for a CSRF token while it was drawn: a token must
never be shared.
"""

import copy
import re
import secrets
from collections.abc import Hashable, Mapping

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from letters import translations
from letters.models import Letter
from mailing.kept import Kept
from mailing.messages import subject_render

# Letters, digits and colons: autoescaping and URL quoting leave a marker as it is.
_TAG = secrets.token_hex(8)
_MARKER = re.compile(rf"{_TAG}:(\w+):")
PATH = "path"  # the hole of the page's own path (the language switcher's "next")

_drawn: Kept[Hashable, str] = Kept(256)


def _marker(name: str) -> SafeString:
    return mark_safe(f"{_TAG}:{name}:")  # noqa: S308 - letters, digits and colons


def request_is_anonymous_and_quiet(request: HttpRequest) -> bool:
    """No session (so nobody logged in and no message kept in one) and no message in a
    cookie: the page is drawn for this visitor as for any other."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def render_with_holes(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object],
    *,
    key: Hashable,
    holes: Mapping[str, str],
    status: int = 200,
) -> HttpResponse:
    """``render(request, template, {**context, **holes})``, from a copy drawn once.

    ``holes`` are the context values that differ between requests; the template may only
    print them (``{{ name }}``, no filter, no test other than ``{% if name %}`` of a
    value that is never empty). ``key`` holds every other value of ``context`` that the
    page shows.
    """
    values = {name: conditional_escape(value) for name, value in holes.items()}
    values[PATH] = conditional_escape(request.get_full_path())
    if not request_is_anonymous_and_quiet(request):
        return render(request, template, {**context, **holes}, status=status)
    full_key = (template, get_language(), key, tuple(sorted(holes)))
    page = _drawn.get(full_key)
    if page is None:
        page = _draw(request, template, context, holes=holes)
        if page is None:  # it asked for a CSRF token: never shared
            return render(request, template, {**context, **holes}, status=status)
        _drawn.keep(full_key, page)
    filled = _MARKER.sub(lambda match: values[match[1]], page)
    return HttpResponse(filled, status=status)


def _draw(
    request: HttpRequest,
    template: str,
    context: Mapping[str, object],
    *,
    holes: Mapping[str, str],
) -> str | None:
    """The page with markers for its holes and its path; None if it used a CSRF token."""
    shadow = copy.copy(request)
    shadow.META = {**request.META, "QUERY_STRING": ""}
    shadow.path = _marker(PATH)
    markers = {name: _marker(name) for name in holes}
    page = render_to_string(template, {**context, **markers}, request=shadow)
    if shadow.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # set by get_token(), {% csrf_token %}
        return None
    return page


# The subjects a "check your inbox" answer names --------------------------------------


def text_title(letter: Letter, text_language: str | None) -> str:
    """The title of the text signed, which the signer's mail names (one query for a
    translation, none for the original)."""
    if not text_language or text_language == letter.language:
        return letter.title
    return translations.text_for(letter=letter, language=text_language).title


# Rendered subjects by (name, language, letter id, title).
_subjects: Kept[tuple[str, str, int, str], str] = Kept(512)


def subject(name: str, language: str, letter: Letter, title: str) -> str:
    """The subject of an email as its recipient will see it. The same for every signer
    of a text in one language while its title stays (the only field of the letter the
    subjects print), so it is rendered once per process rather than on every request."""
    key = (name, language, letter.pk, title)
    found = _subjects.get(key)
    if found is not None:
        return found
    context = {"letter": letter, "letter_title": title}
    return _subjects.keep(key, subject_render(name=name, language=language, context=context))


def sign_subjects(*, letter: Letter, language: str, text_language: str | None = None) -> list[str]:
    """The subjects a signer's mail may have (a first signature, or a repeat), as the
    "check your inbox" answer names them; ``language`` "" for the letter's, and
    ``text_language`` the language of the text signed (none: the original)."""
    language = language or letter.language
    title = text_title(letter, text_language)
    return [subject(name, language, letter, title) for name in ("confirm", "already_signed")]
