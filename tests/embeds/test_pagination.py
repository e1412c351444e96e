from datetime import datetime, timedelta

import pytest
from django.test import RequestFactory
from django.utils.http import urlsafe_base64_encode

from embeds.pagination import BadQuery, PageQuery, cursor_encode, cursor_page, next_url, page_query
from signatories.models import Signature
from tests.factories import make_letter, make_signature

PATH = "/api/letters/x/signatories/"
BAD_CURSOR = "The cursor is not valid: use the `next` link of a previous page."


def query_of(query_string: str) -> PageQuery:
    return page_query(RequestFactory().get(f"{PATH}?{query_string}"))


def forged(text: str) -> str:
    return urlsafe_base64_encode(text.encode())


def test_no_query_asks_for_the_first_page_of_fifty():
    assert query_of("") == PageQuery(limit=50, cursor="", after=None)


def test_a_cursor_reads_back_as_the_time_and_pk_it_was_made_from():
    at = datetime.fromisoformat("2025-03-01T10:00:00.123456+00:00")
    cursor = cursor_encode(at=at, pk=42)
    assert query_of(f"cursor={cursor}&limit=7") == PageQuery(limit=7, cursor=cursor, after=(at, 42))


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "",
        forged("2025-03-01T10:00:00+00:00"),
        forged("yesterday|42"),
        forged("2025-03-01T10:00:00+00:00|forty-two"),
        forged("2025-03-01T10:00:00+00:00|42|7"),
        forged("2025-03-01T10:00:00|42"),
        urlsafe_base64_encode(b"\xff\xfe|42"),
    ],
)
def test_a_bad_cursor_is_refused_with_a_clear_message(cursor):
    with pytest.raises(BadQuery) as refused:
        query_of(f"cursor={cursor}")
    assert str(refused.value) == BAD_CURSOR


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
def test_a_bad_limit_is_refused_with_a_clear_message(limit):
    with pytest.raises(BadQuery) as refused:
        query_of(f"limit={limit}")
    assert str(refused.value) == "limit must be a whole number from 1 to 100."


def walk(queryset, *, limit: int) -> list[list[int]]:
    """The pks of every page, following ``next`` links as a client would."""
    pages, query = [], query_of(f"limit={limit}")
    while True:
        page = cursor_page(queryset, query=query, order_field="confirmed_at", path=PATH)
        pages.append([row.pk for row in page.rows])
        if page.next is None:
            return pages
        assert page.next.startswith(f"http://testserver{PATH}?cursor=")
        query = query_of(page.next.partition("?")[2])


@pytest.mark.django_db
def test_page_boundaries_inside_equal_timestamps_neither_skip_nor_repeat_rows():
    letter = make_letter()
    older = make_signature(letter=letter)
    same = older.confirmed_at + timedelta(seconds=1)
    tied = [make_signature(letter=letter, confirmed_at=same) for _ in range(5)]
    newer = make_signature(letter=letter, confirmed_at=same + timedelta(seconds=1))
    queryset = Signature.objects.filter(letter=letter)

    pages = walk(queryset, limit=2)

    expected = [newer.pk, *sorted((s.pk for s in tied), reverse=True), older.pk]
    assert pages == [expected[0:2], expected[2:4], expected[4:6], expected[6:7]]


@pytest.mark.django_db
def test_a_full_last_page_has_no_next_link():
    letter = make_letter()
    for _ in range(2):
        make_signature(letter=letter)
    page = cursor_page(
        Signature.objects.filter(letter=letter),
        query=PageQuery(limit=2),
        order_field="confirmed_at",
        path=PATH,
    )
    assert len(page.rows) == 2
    assert page.next is None


def test_the_next_link_names_the_limit_only_when_it_is_not_the_default():
    assert next_url(path=PATH, cursor="abc", limit=50) == f"http://testserver{PATH}?cursor=abc"
    assert (
        next_url(path=PATH, cursor="abc", limit=3) == f"http://testserver{PATH}?cursor=abc&limit=3"
    )
