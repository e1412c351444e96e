"""Public pages a shared cache may keep, and POST forms that need no cookie.

A public page (the index, a letter, its signatories, changes and corrections) is the same
for every anonymous visitor: it sets no cookie, does not read the session, and varies only
on ``Accept-Language``. ``PublicPageMiddleware`` sends it with ``Cache-Control: public`` so
that a CDN or Varnish can hold it. A visitor who carries a session, language or messages
cookie (an organizer, somebody who chose a language with the switcher) gets the page drawn
for them, marked private, with ``Vary: Cookie``: a shared cache never stores it.

A form on such a page cannot carry a CSRF token (the token comes with a cookie). The few
POSTs that must work from a cached page (signing, the language switcher) are
``origin_checked`` instead: the browser's ``Sec-Fetch-Site`` header, else the ``Origin``
or ``Referer`` header, must say the form was sent from this site. docs/security.md says
why that is enough for them.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import is_same_domain, split_header_value
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

log = logging.getLogger(__name__)

# A cache may keep serving a page or a public read while the site is down.
STALE_IF_ERROR = 24 * 3600
# Statuses whose answer is the same for every anonymous visitor of a URL.
_SHARED_STATUSES = {200, 404}

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Freshness:
    """How long a browser or a shared cache may keep a public answer, and serve it stale
    while it fetches a new one."""

    max_age: int
    stale_while_revalidate: int

    def cache_control(self) -> str:
        return (
            f"public, max-age={self.max_age}, "
            f"stale-while-revalidate={self.stale_while_revalidate}, "
            f"stale-if-error={STALE_IF_ERROR}"
        )


PAGE = Freshness(max_age=30, stale_while_revalidate=120)


def response_cache_set(response: HttpResponse, *, shared: Freshness | None) -> None:
    """The one place a public page or public read (embeds.http) is said to be cacheable.

    ``shared``: the same answer for everybody, kept that long (unless the view set its own
    Cache-Control). None: an answer for this visitor alone, never stored by a shared cache
    and revalidated by their browser.
    """
    if shared is not None:
        response.setdefault("Cache-Control", shared.cache_control())
        return
    del response["Cache-Control"]
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ("Cookie",))


def _personal_cookies() -> tuple[str, ...]:
    return (
        settings.SESSION_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        CookieStorage.cookie_name,
    )


def request_is_personal(request: HttpRequest) -> bool:
    """Whether the request carries a cookie that may change the page: a session (so maybe
    a logged-in organizer), a chosen language, or messages waiting to be shown."""
    return any(name in request.COOKIES for name in _personal_cookies())


def page_is_personal(request: HttpRequest) -> None:
    """Say that the page drawn for ``request`` holds something for this visitor alone (such
    as the challenge switched on for their network): it is sent private."""
    request.page_personal = True  # type: ignore[attr-defined]


def public_page(view: View) -> View:
    """Mark a GET view as a public page (see the module's docstring)."""
    view.public_page = True  # type: ignore[attr-defined]
    return view


def _varies_on_cookie(response: HttpResponse) -> bool:
    fields = split_header_value(response.get("Vary", ""))
    return any(field.strip().lower() in {"cookie", "*"} for field in fields)


class PublicPageMiddleware:
    """Send public pages to anonymous visitors as ``Cache-Control: public``.

    Before the view: a request with no session cookie belongs to nobody, so its user is
    ``AnonymousUser`` without a look into the (empty) session, which would add
    ``Vary: Cookie``. After it: the page is public only when the request carried no
    personal cookie, the response sets none and nothing made it vary on cookies; otherwise
    it is private. It comes before SessionMiddleware in MIDDLEWARE, to see what that adds.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "public_page", False) and request.method in {"GET", "HEAD"}:
            self._mark(request, response)
        return response

    def process_view(self, request: HttpRequest, view: View, args: object, kwargs: object) -> None:
        if not getattr(view, "public_page", False):
            return
        # Marked on the request, not the response, so that a 404 raised by the view counts.
        request.public_page = True  # type: ignore[attr-defined]
        if not request_is_personal(request):
            request.user = AnonymousUser()

    def _mark(self, request: HttpRequest, response: HttpResponse) -> None:
        shared = (
            response.status_code in _SHARED_STATUSES
            and not request_is_personal(request)
            and not getattr(request, "page_personal", False)
            and not response.cookies
            and not _varies_on_cookie(response)
        )
        response_cache_set(response, shared=PAGE if shared else None)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def _origin_trusted(request: HttpRequest, origin: str) -> bool:
    if not origin:
        return False
    # get_host() has checked the host against ALLOWED_HOSTS.
    own = {_origin_of(settings.SITE_URL), f"{request.scheme}://{request.get_host()}".lower()}
    if origin in own or origin in {o.lower() for o in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    parts = urlsplit(origin)
    return any(  # CSRF_TRUSTED_ORIGINS may name subdomains as https://*.example.org
        "*" in trusted
        and urlsplit(trusted).scheme == parts.scheme
        and is_same_domain(parts.netloc, urlsplit(trusted).netloc.replace("*", "", 1))
        for trusted in settings.CSRF_TRUSTED_ORIGINS
    )


def cross_site_reason(request: HttpRequest) -> str:
    """Why this POST looks sent from another site, or "" when it does not.

    ``Sec-Fetch-Site`` (sent by every current browser, and not settable by a page) decides
    first: ``same-origin`` and ``none`` (typed or bookmarked) pass; ``same-site`` and
    ``cross-site`` pass only from an origin we trust. Without it, ``Origin`` decides, then
    ``Referer``. A request with none of the three comes from no browser a page could steer.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    origin = request.headers.get("Origin", "").strip().lower()
    if fetch_site in {"same-origin", "none"}:
        return ""
    if fetch_site:
        if _origin_trusted(request, _origin_of(origin)):
            return ""
        return f"Sec-Fetch-Site: {fetch_site}"
    if origin:
        return "" if _origin_trusted(request, _origin_of(origin)) else f"Origin: {origin}"
    referer = request.headers.get("Referer", "")
    if referer and not _origin_trusted(request, _origin_of(referer)):
        return "Referer from another site"
    return ""


def cross_site_refusal(request: HttpRequest) -> HttpResponse:
    """The clear 403 answer to a POST sent from another site: JSON under /api/."""
    message = _(
        "This form was sent from another website, so nothing was saved. "
        "Open the page on %(site)s and send the form from there."
    ) % {"site": settings.SITE_NAME}
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"status": 403, "message": message}}, status=403)
    return render(request, "403_cross_site.html", {"message": message}, status=403)


def origin_checked(view: View) -> View:
    """A POST view that works without the CSRF cookie: Django's CSRF check is off for it
    alone, and the request's origin is checked instead (``cross_site_reason``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        reason = "" if request.method in {"GET", "HEAD", "OPTIONS"} else cross_site_reason(request)
        if reason:
            log.info("Refused a cross-site POST to %s (%s)", request.path_info, reason)
            return cross_site_refusal(request)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
