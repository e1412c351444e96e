"""Caching headers for the public reads that other sites and CDNs fetch.

Every public read is answered the same way for everybody: no cookie is read or set, no
session is touched, so a browser or CDN cache may keep it. The ETag is computed from
small facts (the counter and the letter's ``updated_at``) before any body is built, so a
revalidation costs one Redis read (the letter's facts are kept per process,
letters/facts.py) and returns a 304.
"""

import hashlib
from collections.abc import Callable
from dataclasses import replace
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils import translation
from django.utils.http import parse_etags, split_header_value

from letters.http import Freshness, response_cache_set

# The public reads change with every signature: kept less long than a page.
READ = Freshness(max_age=15, stale_while_revalidate=30)
# Bump when the shape of any public response changes, so cached ETags stop matching.
FORMAT_VERSION = "2"

View = Callable[..., HttpResponse]


def json_error(status: int, message: str) -> JsonResponse:
    """The one shape of every error the API and oEmbed answer."""
    return JsonResponse({"error": {"status": status, "message": message}}, status=status)


def whole_number(raw: str) -> int | None:
    """A query parameter as a whole number, or None: ASCII digits only.

    ``str.isdigit`` accepts "²" (which ``int`` then refuses) and "١٢" (which ``int`` reads
    as 12): a parameter in any other digits is a mistake to report, not one to guess at.
    """
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return None
    return int(raw)


def etag_for(*parts: object) -> str:
    """A strong ETag from the facts that decide a response's body."""
    raw = "\x1f".join(str(part) for part in (FORMAT_VERSION, *parts))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def respond(request: HttpRequest, *, etag: str, build: Callable[[], HttpResponse]) -> HttpResponse:
    """A 304 when the client already holds ``etag``; otherwise the built response."""
    held = parse_etags(request.headers.get("If-None-Match", ""))
    if etag in held or "*" in held:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = build()
    response["ETag"] = etag
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "If-None-Match"
    response["Access-Control-Max-Age"] = "86400"
    return response


def _in_site_language(
    view: View, request: HttpRequest, *args: object, **kwargs: object
) -> HttpResponse:
    """The same answer whatever the visitor's Accept-Language: views that speak another
    language choose it from the letter or the query string. Through the short stack of
    config/handlers.py no language is active, which is the site's already."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return view(request, *args, **kwargs)
    with translation.override(settings.LANGUAGE_CODE):
        return view(request, *args, **kwargs)


def public_read(*, max_age: int = READ.max_age, cors: bool = True) -> Callable[[View], View]:
    """Mark a GET view as a public read: CORS for anyone (never with credentials) and
    Cache-Control that lets browsers and CDNs keep it and serve it stale while it is
    refreshed or while we are down (letters.http.response_cache_set: always shared, as
    it reads no cookie). Other methods than GET, HEAD and OPTIONS get a 405.
    """
    freshness = replace(READ, max_age=max_age)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method == "OPTIONS":
                response = _preflight()
            elif request.method in {"GET", "HEAD"}:
                response = _in_site_language(view, request, *args, **kwargs)
            else:
                response = HttpResponse(status=405)
                response["Allow"] = "GET, HEAD, OPTIONS"
            if cors:
                response["Access-Control-Allow-Origin"] = "*"
                response["Access-Control-Expose-Headers"] = "ETag"
            # The language the view answered in, unless it said another: not the
            # visitor's, which LocaleMiddleware would name (and which config/handlers.py
            # does not even work out for a public read).
            response.setdefault("Content-Language", settings.LANGUAGE_CODE)
            response_cache_set(response, shared=freshness)
            response.public_read = True  # type: ignore[attr-defined]
            return response

        # Served through the short middleware stack (config/handlers.py).
        wrapped.public_read = True  # type: ignore[attr-defined]
        return wrapped

    return decorator


class PublicReadVaryMiddleware:
    """Drop the ``Vary: Accept-Language`` that LocaleMiddleware adds to every response,
    on public reads only: their bodies do not depend on it (see ``public_read``), and a
    CDN that honours Vary would otherwise keep one copy per browser language.

    It must come before LocaleMiddleware in MIDDLEWARE, so that it sees the response
    after LocaleMiddleware has patched it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "public_read", False) and response.has_header("Vary"):
            kept = [
                field
                for field in split_header_value(response["Vary"])
                if field.lower() != "accept-language"
            ]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response


_ERROR_MESSAGES = {
    403: "This API is read-only: only GET, HEAD and OPTIONS are allowed.",
    404: "Nothing here: the API's paths are listed in /api/openapi.json.",
    405: "Only GET, HEAD and OPTIONS are allowed here.",
}


def _answers_json(path: str) -> bool:
    return path.startswith("/api/") or path == "/oembed"


class JsonErrorMiddleware:
    """Every error under /api/ and on /oembed is JSON, never an HTML page.

    The views answer their own errors in JSON; this catches the rest before a client that
    expects JSON sees HTML: an unknown path (404), a method the view does not take (405),
    a POST stopped by the CSRF check (403), and an unexpected failure (500). It must come
    before CsrfViewMiddleware in MIDDLEWARE, so that it sees the CSRF failure.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not _answers_json(request.path_info)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        default = "The request is not valid." if status < 500 else "Something went wrong here."
        replaced = json_error(status, _ERROR_MESSAGES.get(status, default))
        for header, value in response.headers.items():
            if header.lower() not in {"content-type", "content-length"}:
                replaced[header] = value
        replaced.public_read = getattr(response, "public_read", False)  # type: ignore[attr-defined]
        return replaced
