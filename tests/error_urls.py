"""The site's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def bad_request(request: HttpRequest) -> HttpResponse:
    raise BadRequest("A malformed request.")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Not for you.")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("A bug.")


urlpatterns = [
    path("test-errors/400/", bad_request),
    path("test-errors/403/", forbidden),
    path("test-errors/500/", broken),
    *site_urlpatterns,
]
