"""Cursor pages for the API's lists: newest first over (timestamp, pk), with an opaque cursor.

A keyset cursor, unlike an offset, neither skips nor repeats rows when new ones arrive
between two pages, and the pk breaks ties between rows of the same timestamp.

Parsing the query (``page_query``) is apart from fetching (``cursor_page``) so that a
view can answer a bad query with a 400 first and compute its ETag before any page is
read, and so answer a revalidation without reading one.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from embeds.http import whole_number

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


class BadQuery(ValueError):
    """A query parameter the API cannot use; its message is shown to the client."""


@dataclass(frozen=True)
class PageQuery:
    """The checked ``limit`` and ``cursor`` of a list request; ``cursor`` is "" on page one."""

    limit: int = PAGE_SIZE
    cursor: str = ""
    after: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class CursorPage[M: Model]:
    """At most ``limit`` rows, and the absolute URL of the next page or None on the last."""

    rows: list[M]
    next: str | None


def cursor_encode(*, at: datetime, pk: int) -> str:
    return urlsafe_base64_encode(f"{at.isoformat()}|{pk}".encode())


def cursor_decode(raw: str) -> tuple[datetime, int]:
    """Read an opaque cursor given out in a ``next`` link."""
    try:
        at, pk = urlsafe_base64_decode(raw).decode().split("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("we only give out cursors with a time zone")
        return when, int(pk)
    except (ValueError, UnicodeDecodeError):
        raise BadQuery("The cursor is not valid: use the `next` link of a previous page.") from None


def page_limit(raw: str) -> int:
    if not raw:
        return PAGE_SIZE
    limit = whole_number(raw)
    if limit is None or not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadQuery(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    return limit


def page_query(request: HttpRequest) -> PageQuery:
    """The page a list request asks for; ``BadQuery`` names what is wrong with it."""
    limit = page_limit(request.GET.get("limit", ""))
    if "cursor" not in request.GET:
        return PageQuery(limit=limit)
    cursor = request.GET["cursor"]
    return PageQuery(limit=limit, cursor=cursor, after=cursor_decode(cursor))


def next_url(*, path: str, cursor: str, limit: int) -> str:
    query = {"cursor": cursor} | ({"limit": limit} if limit != PAGE_SIZE else {})
    return f"{settings.SITE_URL}{path}?{urlencode(query)}"


def cursor_page[M: Model](
    queryset: QuerySet[M], *, query: PageQuery, order_field: str, path: str
) -> CursorPage[M]:
    """The page of ``queryset``, newest ``order_field`` first (ties: highest pk first),
    after ``query``'s cursor; ``path`` is the list's own, for the ``next`` link.

    ``order_field`` must be a non-null timestamp for every row of ``queryset``.
    """
    rows = queryset.order_by(f"-{order_field}", "-pk")
    if query.after is not None:
        at, pk = query.after
        # The "<=" repeats what the OR implies: it is the range an index scan can start
        # from, so a cursor deep in a million rows costs what the first page does.
        rows = rows.filter(**{f"{order_field}__lte": at}).filter(
            Q(**{f"{order_field}__lt": at}) | Q(**{order_field: at, "pk__lt": pk})
        )
    fetched = list(rows[: query.limit + 1])
    page = fetched[: query.limit]
    if len(fetched) <= query.limit:
        return CursorPage(rows=page, next=None)
    last = page[-1]
    at = getattr(last, order_field)
    assert isinstance(at, datetime), f"{order_field} is null on {last!r}"
    cursor = cursor_encode(at=at, pk=last.pk)
    return CursorPage(rows=page, next=next_url(path=path, cursor=cursor, limit=query.limit))
