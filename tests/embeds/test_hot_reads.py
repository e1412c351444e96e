"""The most requested reads of a letter (counter JSON and its 304, badge, Shields JSON,
widget) come from the facts each process keeps (letters/facts.py) and the Redis count:
warm, they touch no database; any change to the letter is seen at once; without Redis
they still answer right, from the database."""

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from config.handlers import SiteWSGIHandler
from embeds import snippets
from embeds.widget import widget_context, widget_html
from letters import facts, services
from letters.facts import LetterFacts
from letters.models import Letter
from mailing.breaker import breaker_for
from signatories import counters
from tests.factories import make_letter, make_signature, make_user

pytestmark = pytest.mark.django_db

HOT = {
    "api": ("embeds:api-detail", ""),
    "badge": ("embeds:badge", ""),
    "shields": ("embeds:shields", ""),
    "widget": ("embeds:widget", ""),
    "widget-options": ("embeds:widget", "?lang=fr&theme=dark&size=compact&goal=0"),
}


def url(route: str, letter: Letter | str) -> str:
    name, query = HOT[route]
    slug = letter if isinstance(letter, str) else letter.slug
    return reverse(name, args=[slug]) + query


def warm(client, path: str) -> None:
    assert client.get(path).status_code == 200


@pytest.fixture
def letter() -> Letter:
    letter = make_letter(goal=100, title="Fair pay <now>", organizer_name="The Guild")
    for _ in range(3):
        make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)  # the count in Redis, as in production
    return letter


@pytest.mark.parametrize("route", sorted(HOT))
def test_a_warm_read_touches_no_database(client, letter, route, django_assert_num_queries):
    path = url(route, letter)
    # The letter's id, then its row; a widget whose ?lang= names another language than the
    # letter's also looks for the letter's text in it (kept with the facts' version).
    with django_assert_num_queries(3 if route == "widget-options" else 2):
        assert client.get(path).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 200
    assert b"Fair pay" in response.content or route == "shields"


def test_a_warm_revalidation_answers_304_without_the_database(
    client, letter, django_assert_num_queries
):
    path = url("api", letter)
    warm(client, path)
    etag = client.get(path)["ETag"]
    with django_assert_num_queries(0):
        response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag


@pytest.mark.parametrize("route", sorted(HOT))
def test_a_new_signature_shows_at_once_on_a_warm_path(client, letter, route):
    path = url(route, letter)
    warm(client, path)
    before = client.get(path)
    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)
    after = client.get(path, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert SHOWS_FOUR[route] in after.content


SHOWS_FOUR = {
    "api": b'"signature_count": 4',
    "badge": b"4 signatures",
    "shields": b'"message": "4"',
    "widget": b'data-count="4"',
    "widget-options": b'data-count="4"',
}


@pytest.mark.parametrize("route", sorted(set(HOT) - {"shields"}))
def test_an_edited_title_is_served_at_once(client, letter, route):
    path = url(route, letter)
    warm(client, path)
    owner = make_user()
    services.letter_update(letter=letter, user=owner, fields={"title": "A corrected title"})
    response = client.get(path)
    assert response.status_code == 200
    assert b"A corrected title" in response.content
    assert b"Fair pay" not in response.content


def test_a_closed_letter_says_so_at_once(client, letter):
    warm(client, url("api", letter))
    warm(client, url("widget", letter))
    services.letter_close(letter=letter)
    data = client.get(url("api", letter)).json()
    assert (data["status"], data["open"]) == ("closed", False)
    widget = client.get(url("widget", letter)).content.decode()
    assert "Read the letter" in widget
    assert "Sign the letter" not in widget


@pytest.mark.parametrize("route", sorted(HOT))
def test_an_unpublished_letter_is_gone_at_once(client, letter, route):
    path = url(route, letter)
    warm(client, path)
    letter.status = Letter.Status.DRAFT
    letter.published_at = None
    letter.save()
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("route", sorted(HOT))
def test_a_deleted_letter_is_gone_at_once(client, letter, route):
    path = url(route, letter)
    warm(client, path)
    letter.delete()
    assert client.get(path).status_code == 404


def test_an_unknown_slug_is_not_remembered_as_missing(client, django_assert_num_queries):
    draft = make_letter(status=Letter.Status.DRAFT, slug="coming-soon")
    for _ in range(3):
        assert client.get(url("api", "coming-soon")).status_code == 404
    with django_assert_num_queries(1):
        assert client.get(url("api", "coming-soon")).status_code == 404
    services.letter_publish(letter=draft)
    assert client.get(url("api", "coming-soon")).json()["slug"] == "coming-soon"


def test_a_slug_given_to_another_letter_serves_that_letter(client, letter):
    path = url("api", letter)
    warm(client, path)
    slug = letter.slug
    letter.slug = "moved-away"
    letter.save()
    other = make_letter(slug=slug, title="Another letter")
    data = client.get(path).json()
    assert data["title"] == "Another letter"
    assert data["signature_count"] == counters.counts_get(letter_id=other.pk).all == 0


def test_a_lost_version_is_not_trusted(client, letter, django_assert_num_queries):
    path = url("api", letter)
    warm(client, path)
    cache.clear()  # as after a Redis restart: every version and count is gone
    # The letter's row, and the recount of its rows.
    with django_assert_num_queries(2):
        response = client.get(path)
    assert response.json()["signature_count"] == 3


def test_an_entry_is_not_used_past_its_age(client, letter, monkeypatch, django_assert_num_queries):
    path = url("api", letter)
    warm(client, path)
    monkeypatch.setattr(facts, "FACTS_MAX_AGE", 0.0)
    with django_assert_num_queries(1):
        assert client.get(path).status_code == 200


def test_without_redis_every_read_comes_from_the_database(client, letter, settings):
    paths = [url(route, letter) for route in sorted(HOT)]
    for path in paths:
        warm(client, path)
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    # A change no process hears of: no save(), so no new version.
    Letter.objects.filter(pk=letter.pk).update(title="Changed while Redis was away")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if "shields" not in path:
            assert b"Changed while Redis was away" in response.content, path
    assert client.get(url("api", letter)).json()["signature_count"] == 3
    assert client.get(url("api", "no-such-letter")).status_code == 404


def test_a_process_that_saw_redis_fail_drops_what_it_kept(client, letter, settings):
    path = url("api", letter)
    warm(client, path)
    redis_url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    assert client.get(path).status_code == 200
    Letter.objects.filter(pk=letter.pk).update(title="Changed while Redis was away")
    settings.REDIS_URL = redis_url
    assert client.get(path).json()["title"] == "Changed while Redis was away"


@pytest.mark.parametrize("lang", ["en", "fr", "de"])
@pytest.mark.parametrize("count", [0, 1, 1234567])
def test_the_kept_widget_equals_the_template_rendered_whole(letter, lang, count):
    letter.title = 'Pay <b>"us"</b> & others'
    letter.save()
    letter_facts = LetterFacts.from_letter(letter)
    options = snippets.WidgetOptions.from_query({"lang": lang}, letter=letter_facts)
    with translation.override(lang):
        whole = render_to_string("embed/widget.html", widget_context(letter_facts, options, count))
        widget_html(letter=letter_facts, options=options, count=7)  # kept with another count
        assert widget_html(letter=letter_facts, options=options, count=count) == whole


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Letter.Status.PUBLISHED},
        {"status": Letter.Status.PUBLISHED, "closes_at": timezone.now() - timedelta(minutes=1)},
        {"status": Letter.Status.PUBLISHED, "closes_at": timezone.now() + timedelta(days=1)},
        {"status": Letter.Status.CLOSED},
        {"status": Letter.Status.ARCHIVED},
    ],
)
def test_the_facts_read_open_and_status_as_the_letter_does(fields):
    letter = make_letter(**fields)
    letter_facts = LetterFacts.from_letter(letter)
    assert letter_facts.is_open == letter.is_open
    assert letter_facts.public_status == letter.public_status
    assert letter_facts.get_absolute_url() == letter.get_absolute_url()


@pytest.mark.parametrize("handler", ["whole", "short"])
@pytest.mark.parametrize("route", sorted([*HOT, "api-304"]))
def test_a_warm_read_costs_one_redis_round_trip(
    rf, letter, route, handler, django_assert_num_queries, redis_round_trips
):
    path = url(route.removesuffix("-304"), letter)
    headers = {}
    if route == "api-304":
        headers["If-None-Match"] = Client().get(path)["ETag"]
    serve = SiteWSGIHandler().get_response if handler == "short" else Client().get
    warm(Client(), path)
    redis_round_trips.clear()
    with django_assert_num_queries(0):
        request = rf.get(path, headers=headers) if handler == "short" else path
        response = serve(request, headers=headers) if handler == "whole" else serve(request)
    assert response.status_code == (304 if route == "api-304" else 200)
    assert len(redis_round_trips) == 1, redis_round_trips


def test_a_read_after_redis_dropped_its_connections_still_comes_from_redis(
    client, letter, django_assert_num_queries
):
    path = url("api", letter)
    warm(client, path)
    # As after a restart of Redis: every connection the web process holds is closed.
    admin = redis.Redis.from_url(settings.REDIS_URL)
    admin.client_kill_filter(_type="normal", skipme=True)
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.json()["signature_count"] == 3
    assert not breaker_for(settings.REDIS_URL).is_open
