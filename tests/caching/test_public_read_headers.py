"""The public reads go through a shorter middleware stack (config/handlers.py): they answer
with exactly the headers the whole stack gives them, and every other request still goes
through the whole stack."""

import pytest
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.test import RequestFactory
from django.urls import reverse

from config.handlers import SiteWSGIHandler
from signatories import counters
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db

SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
CACHE = "public, max-age=15, stale-while-revalidate=30, stale-if-error=86400"
SITE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
ROUTES = {
    "api": ("embeds:api-detail", "", "application/json"),
    "shields": ("embeds:shields", "", "application/json"),
    "badge": ("embeds:badge", "", "image/svg+xml; charset=utf-8"),
    "widget": ("embeds:widget", "", "text/html; charset=utf-8"),
    "widget-fr": ("embeds:widget", "?lang=fr&theme=dark", "text/html; charset=utf-8"),
}


class WholeStack(BaseHandler):
    """Django's handler with settings.MIDDLEWARE, as every request was served before."""

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware()


@pytest.fixture
def letter():
    letter = make_letter(title="Fair pay")
    make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    return letter


def path_of(route: str, slug: str) -> str:
    name, query, _ = ROUTES[route]
    return reverse(name, args=[slug]) + query


def both(method: str, path: str, **headers: str):
    """The response of the short stack and of the whole stack, and whether the short
    stack served it (it never gives the request a session)."""
    request = getattr(RequestFactory(), method)(path, headers=headers)
    lean = SiteWSGIHandler().get_response(request)
    whole = WholeStack().get_response(getattr(RequestFactory(), method)(path, headers=headers))
    return lean, whole, not hasattr(request, "session")


def headers(response) -> dict[str, str]:
    return dict(response.headers)


def expected(route: str, response) -> dict[str, str]:
    csp = SITE_CSP
    framing = {"X-Frame-Options": "DENY"}
    language = "en"
    if route.startswith("widget"):
        csp = response["Content-Security-Policy"]  # the widget's own, checked below
        framing = {}
        language = "fr" if route == "widget-fr" else "en"
    return {
        "Content-Type": ROUTES[route][2],
        "Content-Length": str(len(response.content)),
        "Content-Language": language,
        "ETag": response["ETag"],
        "Cache-Control": CACHE,
        "Content-Security-Policy": csp,
        "Permissions-Policy": settings.PERMISSIONS_POLICY,
        **CORS,
        **SECURITY,
        **framing,
    }


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_hot_read_sends_the_expected_headers_and_no_other(letter, route):
    lean, whole, short = both("get", path_of(route, letter.slug))
    assert short
    assert lean.status_code == whole.status_code == 200
    assert headers(lean) == expected(route, lean)
    assert headers(lean) == headers(whole)
    assert lean.content == whole.content
    if route.startswith("widget"):
        assert "frame-ancestors *" in lean["Content-Security-Policy"]


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize(
    "extra",
    [
        {"Accept-Language": "de"},
        {"Cookie": "sessionid=abc; django_language=fr; csrftoken=x"},
        {"Origin": "https://elsewhere.example"},
    ],
    ids=["accept-language", "cookies", "origin"],
)
def test_a_hot_read_sends_the_same_headers_as_the_whole_stack(letter, route, extra):
    lean, whole, short = both("get", path_of(route, letter.slug), **extra)
    assert short
    assert headers(lean) == expected(route, lean)
    # The whole stack answered a request with a session or a malformed CSRF cookie with
    # ``Vary: Cookie`` (and a new CSRF cookie): never useful on an answer that is the same
    # for everybody, and a new cookie on it could end up in a shared cache.
    assert headers(lean) == {k: v for k, v in headers(whole).items() if k != "Vary"}
    assert not lean.cookies


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_a_revalidation_head_and_preflight_send_the_same_headers(letter, route):
    path = path_of(route, letter.slug)
    etag = both("get", path)[0]["ETag"]
    for method, extra in [
        ("get", {"If-None-Match": etag}),
        ("head", {}),
        ("options", {"Access-Control-Request-Method": "GET"}),
    ]:
        lean, whole, short = both(method, path, **extra)
        assert short, method
        assert lean.status_code == whole.status_code, method
        assert headers(lean) == headers(whole), method
    assert both("get", path, **{"If-None-Match": etag})[0].status_code == 304


@pytest.mark.parametrize("route", ["api", "shields", "badge", "widget"])
def test_an_unknown_letter_is_the_same_404(route):
    lean, whole, short = both("get", path_of(route, "no-such-letter"))
    assert short
    assert lean.status_code == whole.status_code == 404
    assert headers(lean) == headers(whole)
    assert lean.content == whole.content


def test_other_requests_go_through_the_whole_stack(letter):
    for method, path in [
        ("get", letter.get_absolute_url()),
        ("get", "/healthz"),
        ("get", "/no/such/page/"),
        ("post", path_of("api", letter.slug)),
    ]:
        request = getattr(RequestFactory(), method)(path)
        SiteWSGIHandler().get_response(request)
        assert hasattr(request, "session"), (method, path)


def test_a_post_to_a_public_read_is_refused_as_before(letter):
    request = RequestFactory().post(path_of("api", letter.slug))
    response = SiteWSGIHandler().get_response(request)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
