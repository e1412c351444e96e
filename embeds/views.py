"""Public embeds: the framable widget, its loader script, badges, oEmbed and share cards.

These views never read or set a cookie or touch the session, so that a CDN may cache
them; only the widget may be framed, and only it relaxes the site's CSP.
"""

import functools
import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from embeds import badge, services, sharing, snippets, widget_sign
from embeds.api import json_error, letter_etag_parts, public_letter_or_none, respond_live
from embeds.http import READ, etag_for, public_read, respond, whole_number
from embeds.widget import WIDGET_CSS, widget_html, widget_text
from letters.models import Letter
from letters.selectors import letter_get_public
from letters.translations import LANG_PARAM, LetterText, lang_param, language_code_clean, text_for
from signatories import counters
from signatories.live import letter_live_get
from signatories.services import source_clean

WIDGET_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    # The widget's styles and, when it shows the sign form, the form's.
    "style-src": [widget_sign.css_hash(WIDGET_CSS), widget_sign.css_hash(widget_sign.FORM_CSS)],
    "connect-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "base-uri": [CSP.NONE],
    # Only to our own origin, where the widget's sign form posts (embeds/widget_sign.py).
    # 'self' rather than SITE_URL's path: the policy is built once at import, and the
    # widget is always served from the origin it posts to.
    "form-action": [CSP.SELF],
    "frame-ancestors": ["*"],
}
YEAR = 365 * 24 * 3600
# Served while a letter has no card drawn yet: no text, so it suits any SITE_NAME.
SHARE_FALLBACK = (Path(settings.BASE_DIR) / "static" / "embed" / "share-fallback.png").read_bytes()
SHARE_FALLBACK_DIGEST = hashlib.sha256(SHARE_FALLBACK).hexdigest()


@functools.cache
def _widget_scripts() -> tuple[str, str]:
    """The addresses of the widget's scripts, which name their content's hash: a new
    deployment that changes them changes every widget's ETag. Fixed for a process's life."""
    return static("js/live-count.js"), static("embed/widget.js")


def _not_found() -> HttpResponse:
    return HttpResponseNotFound(gettext("No published letter here."), content_type="text/plain")


@xframe_options_exempt
@csp_override(WIDGET_CSP)
@public_read()
def widget(request: HttpRequest, slug: str) -> HttpResponse:
    """The live counter, made to be framed by any site."""
    live = letter_live_get(slug=slug)
    if live is None:
        return _not_found()
    letter, counts = live.facts, live.counts
    options = snippets.WidgetOptions.from_query(request.GET, letter=letter)
    text = None
    if options.text:  # ?lang= names a translation: its title, kept with the facts' version
        text = widget_text(letter=letter, language=options.text, version=live.version)
        if text is None:  # the letter has no text in that language: the original
            options = options.without_text()
    etag = live.part(
        ("widget.etag", options.key),
        lambda: etag_for(
            "widget",
            *letter_etag_parts(letter=letter, counts=counts),
            options.key,
            text.title if text is not None else "",
            *_widget_scripts(),
        ),
    )

    if options.ref:  # the links differ by source: so must the tag
        etag = etag_for("widget.ref", etag, options.ref)
    if options.form:
        etag = widget_sign.form_etag(etag)

    def render() -> bytes:
        with translation.override(options.lang):
            return widget_html(letter=letter, options=options, count=counts.all, text=text).encode()

    def build() -> HttpResponse:
        # A widget with a source is joined from the kept pieces each time; it is not
        # memoised per source, which any page could make up. Nor is one with the sign
        # form: each carries a fresh fill-time stamp.
        if options.ref or options.form:
            body = render()
        else:
            body = live.part(("widget.body", options.key), render)
        response = HttpResponse(body)
        response["Content-Language"] = options.lang
        return response

    return respond(request, etag=etag, build=build)


@public_read(max_age=3600)
def loader(request: HttpRequest) -> HttpResponse:
    """embed.js: turns each <script data-letter="slug"> into a live, self-sizing iframe."""
    body = render_to_string(
        "embed/embed.js",
        {"widget_base": snippets.absolute("/embed/letters/"), "site_url": settings.SITE_URL},
    )
    return respond(
        request,
        etag=etag_for("loader", hashlib.sha256(body.encode()).hexdigest()),
        build=lambda: HttpResponse(body, content_type="text/javascript; charset=utf-8"),
    )


@public_read()
def badge_svg(request: HttpRequest, slug: str) -> HttpResponse:
    live = letter_live_get(slug=slug)
    if live is None:
        return _not_found()
    letter = live.facts

    def render() -> bytes:
        with translation.override(letter.language):
            return badge.badge_svg(letter=letter, count=live.counts.all).encode()

    return respond_live(
        request, live, name="badge", render=render, content_type="image/svg+xml; charset=utf-8"
    )


@public_read()
def shields(request: HttpRequest, slug: str) -> HttpResponse:
    live = letter_live_get(slug=slug)
    if live is None:
        return json_error(404, f"No published letter has the slug {slug!r}.")
    letter = live.facts

    def render() -> bytes:
        with translation.override(letter.language):
            payload = badge.shields_payload(count=live.counts.all, language=letter.language)
            return bytes(JsonResponse(payload).content)

    return respond_live(
        request, live, name="shields", render=render, content_type="application/json"
    )


def _lang_differs(request: HttpRequest, text: LetterText) -> bool:
    """Whether the ``?lang=`` of the request is not the one that names ``text`` (absent
    for the original): the canonical address of a card carries exactly that."""
    wanted = "" if text.is_original else text.language
    return request.GET.get(LANG_PARAM, "") != wanted


class _BadSize(ValueError):
    pass


def _size(request: HttpRequest, name: str) -> int | None:
    """An optional maxwidth or maxheight: absent, or a whole number of pixels above 0."""
    raw = request.GET.get(name, "")
    if not raw:
        return None
    size = whole_number(raw)
    if not size:
        raise _BadSize(f"{name} must be a whole number of pixels, 1 or more.")
    return size


def _resolve_page(path: str) -> ResolverMatch | None:
    """The view of a path of this site; a path people pasted without its trailing slash
    (``/letters/<slug>``) is read as the page it redirects to."""
    for candidate in (path, f"{path}/") if not path.endswith("/") else (path,):
        try:
            return resolve(candidate)
        except Resolver404:
            continue
    return None


def letter_for_url(url: str) -> Letter | None:
    """The published letter a URL of this site points to, or None for anything else."""
    parts, site = urlsplit(url), urlsplit(settings.SITE_URL)
    if parts.scheme not in {"http", "https"} or parts.netloc.lower() != site.netloc.lower():
        return None
    match = _resolve_page(parts.path or "/")
    if match is None or match.view_name not in {"letters:detail", "embeds:widget"}:
        return None
    return public_letter_or_none(match.kwargs["slug"])


def oembed_ref(*, request: HttpRequest, url: str) -> str:
    """The source an oEmbed answer's HTML keeps: the request's own ``ref``, else the one
    in the letter URL's query (``/letters/<slug>/?ref=daily-news``); "" when neither is a
    valid source token."""
    ref = source_clean(request.GET.get("ref", ""))
    if ref:
        return ref
    return source_clean(parse_qs(urlsplit(url).query).get("ref", [""])[0])


@public_read(max_age=300)
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed (https://oembed.com) for letter pages: a rich type with one iframe."""
    # An empty format= (as some consumers send) is the default: JSON.
    if (request.GET.get("format") or "json") != "json":
        return json_error(501, gettext("Only format=json is supported."))
    url = request.GET.get("url", "")
    letter = letter_for_url(url)
    if letter is None:
        return json_error(404, gettext("No published letter of this site has that URL."))
    ref = oembed_ref(request=request, url=url)
    try:
        maxwidth, maxheight = _size(request, "maxwidth"), _size(request, "maxheight")
    except _BadSize as error:
        return json_error(400, str(error))
    text = text_for(letter=letter, language=_oembed_language(request))
    counts = counters.counts_get(letter_id=letter.pk)
    thumbnail = snippets.share_card_url(letter=letter, count=counts.all, text=text)
    etag = etag_for(
        "oembed", letter.pk, letter.updated_at.isoformat(), thumbnail, maxwidth, maxheight, ref,
        text.language, text.title,
    )  # fmt: skip

    def build() -> HttpResponse:
        return JsonResponse(
            snippets.oembed_payload(
                letter=letter,
                maxwidth=maxwidth,
                maxheight=maxheight,
                thumbnail=thumbnail,
                text=text,
                ref=ref,
            )
        )

    return respond(request, etag=etag, build=build)


def _oembed_language(request: HttpRequest) -> str | None:
    """The language an oEmbed request asks for: its own ``lang``, else the ``?lang=`` of
    the URL it names (a letter page in a language). None: the original."""
    own = lang_param(request)
    if own is not None:
        return own
    query = QueryDict(urlsplit(request.GET.get("url", "")).query)
    return language_code_clean(query.get(LANG_PARAM))


@public_read()
def share_card(request: HttpRequest, slug: str) -> HttpResponse:
    """The PNG share card, of the text ``?lang=`` names. A URL with the current version is
    cached for a year once its card is drawn; until then it answers, briefly cached, with
    the newest older card or the fallback, and queues the drawing. Any other version (or
    a ``?lang=`` the letter has no text in) redirects (briefly cached) to the current one."""
    letter = public_letter_or_none(slug)
    if letter is None:
        return _not_found()
    # ?lang= names a translation's card; a language the letter lacks gets the original's.
    text = text_for(letter=letter, language=lang_param(request))
    count = counters.counts_get(letter_id=letter.pk).all
    version = services.share_card_version(letter=letter, count=count, text=text)
    if request.GET.get("v") != version or _lang_differs(request, text):
        return HttpResponseRedirect(snippets.share_card_url(letter=letter, count=count, text=text))
    stored = services.share_card_stored_version(letter=letter, count=count, text=text)
    if stored != version:
        language = "" if text.is_original else text.language
        services.share_card_maybe_refresh(letter_id=letter.pk, count=count, language=language)

    def build() -> HttpResponse:
        if stored is None:
            return HttpResponse(SHARE_FALLBACK, content_type="image/png")
        data = services.share_card_read(letter=letter, version=stored)
        return HttpResponse(data, content_type="image/png")

    etag = etag_for("card", letter.pk, text.language, stored or SHARE_FALLBACK_DIGEST)
    response = respond(request, etag=etag, build=build)
    # Only the card of this URL's version is final; what stands in for it is not.
    response["Cache-Control"] = (
        f"public, max-age={YEAR}, immutable" if stored == version else READ.cache_control()
    )
    return response


@public_read(max_age=24 * 3600)
def qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    """The QR code of a letter's address, as an SVG file to print on posters."""
    letter = public_letter_or_none(slug)
    if letter is None:
        return _not_found()
    url = sharing.letter_url(letter=letter)

    def build() -> HttpResponse:
        response = HttpResponse(sharing.qr_svg(url=url), content_type="image/svg+xml")
        response["Content-Disposition"] = f'inline; filename="{letter.slug}-qr.svg"'
        return response

    return respond(request, etag=etag_for("qr", url), build=build)


@require_GET
def share_mastodon(request: HttpRequest, slug: str) -> HttpResponse:
    """Share on the Mastodon server a person names: the link to its share page, which the
    page's script follows at once. Not a redirect: the site's CSP lets forms go only to
    this site, and browsers apply that to a form's redirects too."""
    letter = letter_get_public(slug=slug)
    host = sharing.mastodon_host(request.GET.get("instance", ""))
    if host is None:
        context = {"letter": letter, "mastodon_error": sharing.MASTODON_HELP}
        return render(request, "embed/share_mastodon.html", context, status=400)
    context = {
        "letter": letter,
        "host": host,
        "share_url": sharing.mastodon_share_url(letter=letter, host=host),
    }
    return render(request, "embed/share_mastodon.html", context)
