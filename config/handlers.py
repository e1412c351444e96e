"""The site's WSGI handler: the public reads go through a shorter middleware stack.

A public read (a view marked by ``embeds.http.public_read``: the counter JSON, the badges,
the widget, the rest of the API) reads no cookie, no session, no user and no message, and
answers in a language it chooses itself. Eight of the site's middleware exist for what
such a view never touches, and together they cost about as much CPU as the whole bare
Django project spends on a request (docs/read-performance.md, "The hot reads"). So a
GET, HEAD or OPTIONS whose URL resolves to a public read is served through
``settings.PUBLIC_READ_MIDDLEWARE``, the middleware that shape its response headers
(security headers, Permissions-Policy, CSP, X-Frame-Options, JSON errors, the host check);
every other request goes through ``settings.MIDDLEWARE``, as before. The URL is resolved
once: the stack chosen reuses the match. tests/caching/test_public_read_headers.py checks
that both stacks send the same headers.
"""

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, ResolverMatch, get_resolver

_LEAN_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _reuse_match(handler: BaseHandler, request: HttpRequest) -> ResolverMatch:
    """The match found before the middleware ran, unless a middleware chose another
    URLconf for the request meanwhile."""
    match: ResolverMatch | None = getattr(request, "_site_match", None)
    if match is None or hasattr(request, "urlconf"):
        return BaseHandler.resolve_request(handler, request)
    request.resolver_match = match
    return match


class PublicReadHandler(BaseHandler):
    """Django's request handling with ``settings.PUBLIC_READ_MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        # BaseHandler reads the list from settings.MIDDLEWARE: hand it the short one
        # while it builds the chain (once, at start-up, before any request).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.PUBLIC_READ_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        return _reuse_match(self, request)


class SiteWSGIHandler(WSGIHandler):
    """The WSGI application: public reads through the short stack, the rest as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.public_reads = PublicReadHandler()
        self.public_reads.load_middleware()

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in _LEAN_METHODS:
            try:
                match = get_resolver().resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None:
                request._site_match = match  # type: ignore[attr-defined]
                if getattr(match.func, "public_read", False):
                    return self.public_reads.get_response(request)
        return super().get_response(request)

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        return _reuse_match(self, request)
