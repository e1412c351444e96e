"""The per-process memo of the hot reads (signatories/live.py): within
PUBLIC_READ_MEMO_SECONDS a read asks neither Redis nor the database; after it, exactly one
Redis round trip; a change is seen by then; unknown slugs are never kept; the memo is
bounded. The memo's clock is ``live._now``, which these tests move."""

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from config.handlers import SiteWSGIHandler
from letters import services
from letters.models import Letter
from signatories import counters, live
from tests.embeds.test_hot_reads import HOT, SHOWS_FOUR, url, warm
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db

WINDOW = 1.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch, settings) -> Clock:
    settings.PUBLIC_READ_MEMO_SECONDS = WINDOW
    clock = Clock()
    monkeypatch.setattr(live, "_now", clock)
    return clock


@pytest.fixture
def letter() -> Letter:
    letter = make_letter(goal=100, title="Fair pay <now>", organizer_name="The Guild")
    for _ in range(3):
        make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    return letter


def _serve(route: str, letter: Letter, handler: str):
    path = url(route.removesuffix("-304"), letter)
    headers = {}
    if route.endswith("-304"):
        headers["If-None-Match"] = Client().get(path)["ETag"]
    if handler == "short":
        return SiteWSGIHandler().get_response(RequestFactory().get(path, headers=headers))
    return Client().get(path, headers=headers)


ROUTES = sorted([*HOT, "api-304"])


@pytest.mark.parametrize("handler", ["whole", "short"])
@pytest.mark.parametrize("route", ROUTES)
def test_within_the_window_a_read_asks_neither_redis_nor_the_database(
    clock, letter, route, handler, django_assert_num_queries, redis_round_trips
):
    first = _serve(route, letter, handler)
    clock.move(WINDOW / 2)
    redis_round_trips.clear()
    with django_assert_num_queries(0):
        again = _serve(route, letter, handler)
    assert redis_round_trips == []
    assert again.status_code == (304 if route == "api-304" else 200)
    assert again.content == first.content
    assert dict(again.headers) == dict(first.headers)


@pytest.mark.parametrize("route", ROUTES)
def test_after_the_window_a_read_makes_one_redis_round_trip(
    clock, letter, route, django_assert_num_queries, redis_round_trips
):
    _serve(route, letter, "short")
    clock.move(WINDOW)
    redis_round_trips.clear()
    with django_assert_num_queries(0):
        response = _serve(route, letter, "short")
    assert response.status_code == (304 if route == "api-304" else 200)
    # The 304's own ETag came from a Client read before the clock moved: one round trip.
    assert len(redis_round_trips) == 1, redis_round_trips


@pytest.mark.parametrize("route", sorted(HOT))
def test_a_new_signature_shows_once_the_window_has_passed(clock, client, letter, route):
    path = url(route, letter)
    before = client.get(path)
    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)
    held = client.get(path)
    assert held.content == before.content  # the trade: up to the window late
    clock.move(WINDOW)
    after = client.get(path, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert SHOWS_FOUR[route] in after.content


def test_a_closed_letter_is_seen_once_the_window_has_passed(clock, client, letter):
    warm(client, url("api", letter))
    warm(client, url("widget", letter))
    services.letter_close(letter=letter)
    clock.move(WINDOW)
    data = client.get(url("api", letter)).json()
    assert (data["status"], data["open"]) == ("closed", False)
    widget = client.get(url("widget", letter)).content.decode()
    assert "Read the letter" in widget
    assert "Sign the letter" not in widget


def test_an_unpublished_letter_is_gone_once_the_window_has_passed(clock, client, letter):
    path = url("badge", letter)
    warm(client, path)
    letter.status = Letter.Status.DRAFT
    letter.published_at = None
    letter.save()
    clock.move(WINDOW)
    assert client.get(path).status_code == 404
    assert live.memo_size() == 0


def test_unknown_slugs_and_drafts_are_never_kept(clock, client, django_assert_num_queries):
    draft = make_letter(status=Letter.Status.DRAFT, published_at=None)
    for slug in ["no-such-letter", "another-guess", draft.slug]:
        assert client.get(url("api", slug)).status_code == 404
        with django_assert_num_queries(1):  # asked again: never remembered as missing
            assert client.get(url("badge", slug)).status_code == 404
    assert live.memo_size() == 0


def test_the_memo_holds_a_bounded_number_of_slugs(clock, client, monkeypatch):
    monkeypatch.setattr(live._memo, "limit", 3)
    letters = [make_letter() for _ in range(5)]
    for letter in letters:
        warm(client, url("api", letter))
    assert live.memo_size() == 3
    # The ones read longest ago left first.
    assert set(live._memo) == {letter.slug for letter in letters[2:]}


def test_a_fresh_read_of_an_unchanged_count_keeps_the_built_parts(clock, client, letter):
    warm(client, url("api", letter))
    held = live._memo[letter.slug].live
    clock.move(WINDOW)
    warm(client, url("api", letter))
    assert live._memo[letter.slug].live is held
    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)
    clock.move(WINDOW)
    warm(client, url("api", letter))
    assert live._memo[letter.slug].live is not held


def test_with_a_window_of_zero_every_read_asks_redis(
    clock, settings, client, letter, redis_round_trips
):
    settings.PUBLIC_READ_MEMO_SECONDS = 0
    path = url("api", letter)
    warm(client, path)
    redis_round_trips.clear()
    warm(client, path)
    assert len(redis_round_trips) == 1
    assert live.memo_size() == 0


def test_without_redis_nothing_is_kept(clock, settings, client, letter):
    warm(client, url("api", letter))
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    clock.move(WINDOW)
    Letter.objects.filter(pk=letter.pk).update(title="Changed while Redis was away")
    assert client.get(url("api", letter)).json()["title"] == "Changed while Redis was away"
    assert live.memo_size() == 0
    Letter.objects.filter(pk=letter.pk).update(title="Changed again")
    assert client.get(url("api", letter)).json()["title"] == "Changed again"


def test_the_signers_letter_page_shows_the_exact_count_while_the_memo_lags(clock, client, letter):
    assert client.get(url("api", letter)).json()["signature_count"] == 3
    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)  # as a confirmation does
    assert client.get(url("api", letter)).json()["signature_count"] == 3  # memo, in the window
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "<span data-count>4</span>" in page


def test_the_parts_kept_per_letter_are_bounded(clock, client, letter, monkeypatch):
    monkeypatch.setattr(live, "MEMO_PARTS", 4)
    path = url("widget", letter)
    for theme in ["light", "dark"]:
        for size in ["full", "compact"]:
            for goal in ["0", "1"]:
                response = client.get(f"{path}?theme={theme}&size={size}&goal={goal}")
                assert response.status_code == 200
    assert len(live._memo[letter.slug].live.parts) == 4


def test_a_closing_time_that_passes_is_seen_once_the_window_has_passed(clock, client, monkeypatch):
    closes = timezone.now() + timedelta(hours=1)
    letter = make_letter(closes_at=closes)
    assert client.get(url("api", letter)).json()["open"] is True
    clock.move(WINDOW)
    assert client.get(url("api", letter)).json()["open"] is True  # parts kept
    later = closes + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(url("api", letter)).json()["open"] is True  # in the window
    clock.move(WINDOW)
    data = client.get(url("api", letter)).json()
    assert (data["status"], data["open"]) == ("closed", False)
