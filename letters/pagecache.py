"""Whole public pages kept in each web process, for anonymous visitors.

A shared cache in front of the site (docs/caching.md) is optional; without one, every
anonymous view of a letter drew the whole page. Each web process now keeps the pages it
drew (the HTML, in a bounded dict, the oldest drawing leaving first), one per page,
language and host, with the **state** it was drawn for: what the app owning the page's
live parts reads in one Redis round trip (for the letter page,
``signatories.pages.letter_page_state``: the letter's facts version, the count and the
switches of the proof of work). A page whose state moved is drawn again and replaces the
kept one; a page is never used longer than ``PAGE_MAX_AGE`` seconds either, which bounds
a change that could not replace its version while Redis was down.

What differs between two responses of the same page is drawn as a **marker**
(``page_marker``) and filled for each response: the sign form's time stamp, and the CSP
nonce if the page uses one (it must be the nonce of that response's header).

A page is drawn, and not kept, for a visitor with a personal cookie (``request_is_personal``:
maybe an organizer), a URL with a query string (but a position link the view vouches
for, kept apart: ``page_serve(query=True)``), a page drawn for the visitor alone
(``page_is_personal``: the proof of work switched on for their network), an answer other
than 200 or one that sets a cookie, and whenever the state cannot be read (Redis down).

Process-local rather than in Redis: a hit then costs the one round trip that reads the
state, and no transfer or unpickling of some 50 kB of HTML; each process draws each page
once per state, which is cheap next to the views it saves.
"""

import secrets
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.utils.translation import get_language

from letters.http import request_is_personal
from mailing.kept import Kept

# Pages kept per process (a letter page is some 50 kB: at most about 25 MB).
MAX_PAGES = 500
# Pages reached by a position link (``page_serve(query=...)``) kept per process, apart:
# a crawler walking the positions of a long list cannot push out the pages above.
MAX_QUERY_PAGES = 200
# The longest a page is used, in seconds, even when its state still matches.
PAGE_MAX_AGE = 60.0

Fill = Callable[[HttpRequest], str]
# state(request, slug) -> what the page must have been drawn for, or None to draw it.
PageState = Callable[[HttpRequest, str], Hashable | None]


@dataclass(frozen=True)
class _Page:
    state: Hashable
    stored: float
    content_type: str
    html: str
    fills: tuple[tuple[str, Fill], ...]


_states: dict[str, PageState] = {}
_pages: Kept[Hashable, _Page] = Kept(MAX_PAGES)
_query_pages: Kept[Hashable, _Page] = Kept(MAX_QUERY_PAGES)


def page_state_register(kind: str, state: PageState) -> PageState:
    """Let ``state`` say what pages of ``kind`` are drawn for (see the module docstring).
    Without a state, pages of that kind are never kept."""
    _states[kind] = state
    return state


def page_marker(request: HttpRequest, fill: Fill) -> str:
    """A value of the page drawn for ``request`` that differs for each response.

    While a page is drawn to be kept, a marker stands in the HTML and ``fill(request)``
    replaces it in every response; otherwise this is ``fill(request)`` itself.
    """
    markers: list[tuple[str, Fill]] | None = getattr(request, "_page_markers", None)
    if markers is None:
        return fill(request)
    marker = f"page-marker-{secrets.token_hex(8)}"
    markers.append((marker, fill))
    return marker


def _csp_nonce(request: HttpRequest) -> str:
    return str(get_nonce(request))


def _key(
    request: HttpRequest, kind: str, slug: str, query: bool
) -> tuple[Hashable, Hashable] | None:
    """Which page this is, and the state it must have been drawn for; None: draw it."""
    state = _states.get(kind)
    query_string = request.META.get("QUERY_STRING", "")
    if (
        state is None
        or request.method != "GET"
        or bool(query_string) != query
        or request_is_personal(request)
        or request.user.is_authenticated
    ):
        return None
    found = state(request, slug)
    if found is None:
        return None
    page = (kind, slug, get_language(), request.get_host(), request.scheme, query_string)
    return page, found


def _filled(page: _Page, request: HttpRequest) -> str:
    html = page.html
    for marker, fill in page.fills:
        html = html.replace(marker, fill(request))
    return html


def page_serve(
    request: HttpRequest,
    *,
    kind: str,
    slug: str,
    draw: Callable[[], HttpResponse],
    query: bool = False,
) -> HttpResponse:
    """The page of ``kind`` for ``slug``: the kept one when its state still matches,
    else ``draw()``, kept when it may be.

    ``query``: the caller vouches that this request's query string names a page kept
    like the others (a valid position link): it is then part of the key, and the page
    is kept apart (``MAX_QUERY_PAGES``). Without it, a request with a query string is
    drawn and not kept."""
    found = _key(request, kind, slug, query)
    if found is None:
        return draw()
    key, state = found
    kept = _query_pages if query else _pages
    page = kept.get(key)
    if page is not None and page.state == state and time.monotonic() - page.stored < PAGE_MAX_AGE:
        return HttpResponse(_filled(page, request), content_type=page.content_type)
    request._page_markers = []  # type: ignore[attr-defined]
    try:
        response = draw()
    finally:
        fills: list[tuple[str, Fill]] = request.__dict__.pop("_page_markers")
    if response.streaming:
        return response
    html = response.content.decode(response.charset)
    nonce = get_nonce(request)
    if nonce:  # drawn into the page: each response gets its own
        marker = f"page-marker-{secrets.token_hex(8)}"
        html = html.replace(str(nonce), marker)
        fills.append((marker, _csp_nonce))
    page = _Page(state, time.monotonic(), response["Content-Type"], html, tuple(fills))
    if _keepable(request, response):
        kept.keep(key, page)
    if page.fills:
        response.content = _filled(page, request)
    return response


def _keepable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not getattr(request, "page_personal", False)
        and set(response.headers) <= {"Content-Type"}
    )


def page_forget_all() -> None:
    """Drop every page this process keeps (Redis was found unavailable: changes made
    meanwhile may not have replaced their versions)."""
    _pages.forget_all()
    _query_pages.forget_all()
