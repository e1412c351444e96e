"""The letter page kept whole in each process for anonymous visitors (letters/pagecache.py):
the same page as one drawn anew, with what differs per response drawn fresh, and drawn
again as soon as anything it shows changes."""

import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware, get_nonce
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from letters import pagecache
from letters import services as letters
from letters.models import Letter
from moderation import services as moderation
from signatories import challenge, counters
from signatories import services as signatories
from signatories.forms import STAMP_SALT
from signatories.models import Signature
from signatories.selectors import Position
from tests.factories import (
    is_check_inbox,
    make_letter,
    make_pending_signature,
    make_signature,
    make_user,
    sign_data,
)
from tests.security.test_redis_faults import private_redis  # noqa: F401 (a fixture)
from updates import services as updates

pytestmark = pytest.mark.django_db

STAMP = re.compile(r'name="stamp" value="([^"]*)"')


@pytest.fixture
def letter() -> Letter:
    letter = make_letter(goal=100, ask_country=True)
    make_signature(letter=letter, name="Early Bird", opt_in_updates=True)
    counters.counts_get(letter_id=letter.pk)
    return letter


def page(client, letter: Letter, **headers: str) -> str:
    response = client.get(letter.get_absolute_url(), **headers)
    assert response.status_code == 200
    return response.content.decode()


def stamp_of(html: str) -> str:
    found = STAMP.search(html)
    assert found is not None
    return found[1]


def without_stamp(html: str) -> str:
    return STAMP.sub('name="stamp" value=""', html)


def queries_of(client, letter: Letter, **headers: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(letter.get_absolute_url(), **headers)
    return len(queries)


def test_a_kept_page_is_the_page_drawn_anew_but_for_its_stamp(client, letter):
    drawn = client.get(letter.get_absolute_url())
    kept = client.get(letter.get_absolute_url())
    pagecache.page_forget_all()
    anew = client.get(letter.get_absolute_url())
    assert "page-marker" not in kept.content.decode()
    assert without_stamp(kept.content.decode()) == without_stamp(anew.content.decode())
    assert without_stamp(drawn.content.decode()) == without_stamp(anew.content.decode())
    for header in ("Content-Type", "Cache-Control", "Vary", "Content-Language"):
        assert kept[header] == anew[header]
    assert kept["Cache-Control"].startswith("public")


def test_a_kept_page_costs_no_query_and_one_redis_round_trip(
    client, letter, django_assert_num_queries, redis_round_trips
):
    page(client, letter)
    redis_round_trips.sent.clear()
    with django_assert_num_queries(0):
        assert "Early Bird" in page(client, letter)
    # The letter's version, its count and the switches of the proof of work, pipelined.
    assert len(redis_round_trips) == 1, redis_round_trips.sent


def test_each_response_gets_a_fresh_stamp_that_signing_accepts(client, letter, settings):
    page(client, letter)
    time.sleep(0.01)  # the kept drawing's stamp is now older than any drawn from here on
    asked = time.time()
    first, second = stamp_of(page(client, letter)), stamp_of(page(client, letter))
    for stamp in (first, second):
        assert float(signing.loads(stamp, salt=STAMP_SALT)) >= round(asked, 3) - 0.001
    settings.MIN_FILL_SECONDS = 0
    response = client.post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(stamp=second),
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert is_check_inbox(response)


def test_the_letter_page_draws_no_nonce_and_its_header_names_none(client, letter):
    page(client, letter)
    response = client.get(letter.get_absolute_url())
    assert "nonce" not in response.content.decode()
    assert "nonce-" not in response["Content-Security-Policy"]


def test_a_nonce_drawn_into_a_kept_page_is_that_of_each_response(monkeypatch):
    monkeypatch.setitem(pagecache._states, "nonce-test", lambda request, slug: "same state")

    def view(request: HttpRequest) -> HttpResponse:
        def draw() -> HttpResponse:
            script = Template('<script nonce="{{ nonce }}"></script>')
            return HttpResponse(script.render(Context({"nonce": get_nonce(request)})))

        return pagecache.page_serve(request, kind="nonce-test", slug="x", draw=draw)

    handler = ContentSecurityPolicyMiddleware(view)
    nonces = []
    for _ in range(3):
        request = RequestFactory().get("/x/")
        request.user = AnonymousUser()
        response = handler(request)
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode())[1]
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert len(set(nonces)) == 3


def test_an_edit_of_the_letter_shows_at_once(client, letter):
    page(client, letter)
    letter.title = "A brand new title"
    letter.save()
    assert "A brand new title" in page(client, letter)


def test_a_new_text_shows_at_once(client, letter, django_capture_on_commit_callbacks):
    page(client, letter)
    with django_capture_on_commit_callbacks(execute=True):
        letters.letter_update(letter=letter, user=make_user(), fields={"body": "A *second* text"})
    assert letter.versions.exists()
    assert "A <em>second</em> text" in page(client, letter)


def test_an_update_shows_once_sent(client, letter, django_capture_on_commit_callbacks):
    assert "Updates from the organizers" not in page(client, letter)
    update = updates.update_create(letter=letter, author=make_user(), title="We met", body="Yes.")
    assert "Updates from the organizers" not in page(client, letter)
    with django_capture_on_commit_callbacks(execute=False):
        updates.update_send(update=update)
    html = page(client, letter)
    assert "Updates from the organizers" in html and "We met" in html


def test_a_correction_shows_its_link_at_once(client, letter, django_capture_on_commit_callbacks):
    assert "Corrections to the list" not in page(client, letter)
    signature = make_signature(letter=letter, name="Not A Person")
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_remove(signature=signature, actor=None, reason="A bot.")
    html = page(client, letter)
    assert "Corrections to the list" in html
    assert "Not A Person" not in html


def test_a_confirmed_signature_moves_the_count_shown(
    client, letter, django_capture_on_commit_callbacks
):
    assert "1 person has signed" in page(client, letter)
    make_pending_signature(letter=letter, token="c" * 20, name="Second Signer")
    with django_capture_on_commit_callbacks(execute=True):
        signatories.signature_confirm(token="c" * 20)
    html = page(client, letter)
    assert "2 people have signed" in html
    assert "data-count>2<" in html
    assert "Second Signer" in html
    assert len(pagecache._pages) == 1  # the new drawing replaced the old one


def test_each_language_gets_its_own_page(client, letter):
    english = page(client, letter, HTTP_ACCEPT_LANGUAGE="en")
    french = page(client, letter, HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="en">' in english
    assert '<html lang="fr">' in french
    assert '<html lang="en">' in page(client, letter, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr">' in page(client, letter, HTTP_ACCEPT_LANGUAGE="fr")


def test_a_network_with_the_challenge_on_gets_a_page_of_its_own(client, letter):
    page(client, letter)
    network = challenge.request_network(RequestFactory().get("/"))
    cache.set(f"challenge:on:net:{network}", 1, timeout=60)
    response = client.get(letter.get_absolute_url())
    assert "altcha" in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert all("altcha" not in kept.html for kept in pagecache._pages.values())
    other = client.get(letter.get_absolute_url(), REMOTE_ADDR="203.0.113.9")
    assert "altcha" not in other.content.decode()
    assert other["Cache-Control"].startswith("public")


def test_the_challenge_on_for_the_letter_is_on_the_kept_page(client, letter):
    assert "altcha" not in page(client, letter)
    cache.set(f"challenge:on:letter:{letter.pk}", 1, timeout=60)
    assert "altcha" in page(client, letter)
    response = client.get(letter.get_absolute_url(), REMOTE_ADDR="203.0.113.9")
    assert "altcha" in response.content.decode()
    assert response["Cache-Control"].startswith("public")


@pytest.mark.parametrize(
    "extra",
    [
        {"path": "?utm_source=newsletter"},
        {"cookie": "sessionid"},
        {"cookie": "django_language"},
    ],
)
def test_a_kept_page_is_never_served_to_a_personal_request_or_a_query_string(client, letter, extra):
    page(client, letter)
    assert queries_of(client, letter) == 0
    if "cookie" in extra:
        client.cookies[extra["cookie"]] = "x"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(letter.get_absolute_url() + extra.get("path", ""))
    assert len(queries) > 0  # drawn for this request
    assert response.status_code == 200
    assert "page-marker" not in response.content.decode()


def test_a_logged_in_organizer_gets_the_page_drawn_for_them(client, letter):
    page(client, letter)
    client.force_login(make_user())
    html = page(client, letter)
    assert "Log in" not in html
    assert "Organize" in html


@pytest.mark.django_db(transaction=True)
def test_the_page_is_drawn_right_while_redis_is_stopped(client, private_redis):  # noqa: F811
    letter = make_letter(goal=100)
    make_signature(letter=letter, name="Early Bird")
    assert "Early Bird" in page(client, letter)
    private_redis.stop()
    # No version can be replaced now; nothing kept may be trusted.
    Letter.objects.filter(pk=letter.pk).update(title="Changed while Redis was away")
    html = page(client, letter)
    assert "Changed while Redis was away" in html
    assert "Early Bird" in html and "1 person has signed" in html
    assert "page-marker" not in html and stamp_of(html)


def test_the_first_signatories_page_is_kept_and_redrawn_when_a_name_leaves(
    client, letter, django_assert_num_queries, django_capture_on_commit_callbacks
):
    path = reverse("signatories:list", args=[letter.slug])
    leaving = make_signature(letter=letter, name="Leaving Soon", role="Astronaut")
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    drawn = client.get(path).content.decode()
    with django_assert_num_queries(0):
        kept = client.get(path).content.decode()
    assert kept == drawn and "Astronaut" in kept
    with django_capture_on_commit_callbacks(execute=True):
        signatories.signature_withdraw(signature=leaving)
    html = client.get(path).content.decode()
    assert "Leaving Soon" not in html and "Astronaut" not in html
    assert "Early Bird" in html


def test_the_index_is_kept_and_redrawn_when_a_letter_or_a_count_changes(
    client, letter, django_assert_num_queries, redis_round_trips, django_capture_on_commit_callbacks
):
    index = reverse("letters:index")
    client.get(index)
    redis_round_trips.sent.clear()
    with django_assert_num_queries(0):
        assert letter.title in client.get(index).content.decode()
    # The index's version and the counts of its letters, pipelined.
    assert len(redis_round_trips) == 1, redis_round_trips.sent
    make_pending_signature(letter=letter, token="i" * 20)
    with django_capture_on_commit_callbacks(execute=True):
        signatories.signature_confirm(token="i" * 20)
    assert "2 signatures" in client.get(index).content.decode()
    newcomer = make_letter(title="A letter just published")
    assert newcomer.title in client.get(index).content.decode()
    letter.status = Letter.Status.CLOSED
    letter.save()
    assert "signing closed" in client.get(index).content.decode()


def deep_path(letter: Letter, signature, direction: str = "after") -> str:
    position = Position.of(signature).encode()
    return reverse("signatories:list", args=[letter.slug]) + f"?{direction}={position}"


@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_position_link_page_is_kept_like_the_first_and_redrawn_when_a_name_leaves(
    client, letter, direction, django_assert_num_queries, redis_round_trips,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    signatures = [
        make_signature(letter=letter, name=f"Signer {i}", role="Astronaut") for i in range(3)
    ]
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    pivot = signatures[1] if direction == "after" else signatures[0]
    leaving = signatures[0] if direction == "after" else signatures[2]
    signatures[0].refresh_from_db()
    pivot.refresh_from_db()
    path = deep_path(letter, pivot, direction)
    drawn = client.get(path)
    assert drawn.status_code == 200
    redis_round_trips.sent.clear()
    with django_assert_num_queries(0):
        kept = client.get(path).content.decode()
    assert len(redis_round_trips) == 1, redis_round_trips.sent
    assert kept == drawn.content.decode() and leaving.name in kept
    assert "page-marker" not in kept
    with django_capture_on_commit_callbacks(execute=True):
        signatories.signature_withdraw(signature=leaving)
    html = client.get(path).content.decode()
    assert leaving.name not in html


def test_a_position_page_follows_a_verification(client, letter, django_capture_on_commit_callbacks):
    signatures = [make_signature(letter=letter, name=f"Signer {i}") for i in range(3)]
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    signatures[2].refresh_from_db()
    path = deep_path(letter, signatures[2])
    before = client.get(path).content.decode()
    assert client.get(path).content.decode() == before
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_verify(signature=signatures[0], actor=None, method="contact")
    after = client.get(path).content.decode()
    assert after != before


@pytest.mark.parametrize(
    "query",
    ["after=not-a-position", "q=Bird", "after={p}&q=Bird", "after={p}&after={p}", "utm_source=x"],
)
def test_other_queries_are_drawn_each_time(client, letter, query):
    signature = make_signature(letter=letter, name="Second")
    signature.refresh_from_db()
    position = Position.of(signature).encode()
    path = reverse("signatories:list", args=[letter.slug]) + "?" + query.format(p=position)
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert len(queries) > 0
    assert "page-marker" not in response.content.decode()
    assert not pagecache._query_pages


@pytest.mark.parametrize("cookie", ["sessionid", "django_language"])
def test_a_position_page_is_drawn_for_a_personal_request(client, letter, cookie):
    signature = make_signature(letter=letter, name="Second")
    signature.refresh_from_db()
    path = deep_path(letter, signature)
    client.get(path)
    client.cookies[cookie] = "x"
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    assert len(queries) > 0


def test_a_logged_in_organizer_gets_the_position_page_drawn(client, letter):
    signature = make_signature(letter=letter, name="Second")
    signature.refresh_from_db()
    path = deep_path(letter, signature)
    client.get(path)
    client.force_login(make_user())
    with CaptureQueriesContext(connection) as queries:
        html = client.get(path).content.decode()
    assert len(queries) > 0 and "Log in" not in html


def test_a_crawler_walking_positions_cannot_push_out_the_first_page(client, letter, monkeypatch):
    monkeypatch.setattr(pagecache._query_pages, "limit", 2)
    signatures = [make_signature(letter=letter, name=f"Signer {i}") for i in range(4)]
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    first = reverse("signatories:list", args=[letter.slug])
    client.get(first)
    for signature in signatures:
        signature.refresh_from_db()
        client.get(deep_path(letter, signature))
    assert len(pagecache._query_pages) == 2
    with CaptureQueriesContext(connection) as queries:
        client.get(first)
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_a_position_page_is_drawn_right_while_redis_is_stopped(client, private_redis):  # noqa: F811
    letter = make_letter(goal=100)
    first = make_signature(letter=letter, name="Early Bird")
    second = make_signature(letter=letter, name="Second Bird")
    second.refresh_from_db()
    path = deep_path(letter, second)
    assert "Early Bird" in client.get(path).content.decode()
    private_redis.stop()
    Signature.objects.filter(pk=first.pk).update(name="Renamed while Redis was away")
    html = client.get(path).content.decode()
    assert "Renamed while Redis was away" in html and "page-marker" not in html


def test_the_breakdown_drawn_once_leaves_every_page_with_the_name_that_leaves(
    client, letter, django_capture_on_commit_callbacks
):
    leaving = make_signature(letter=letter, name="Leaving Soon", role="Astronaut")
    staying = make_signature(letter=letter, name="Staying", role="Baker")
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    staying.refresh_from_db()
    first = reverse("signatories:list", args=[letter.slug])
    drawn_each_time = deep_path(letter, staying) + "&utm_source=x"
    assert "Astronaut" in client.get(first).content.decode()
    assert "Astronaut" in client.get(drawn_each_time).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        signatories.signature_withdraw(signature=leaving)
    for path in (drawn_each_time, first, deep_path(letter, staying)):
        html = client.get(path).content.decode()
        assert "Astronaut" not in html and "Baker" in html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_rows_drawn_in_python_are_those_of_the_template(letter, language):
    from django.template.loader import render_to_string
    from django.utils import timezone, translation

    from signatories.pages import signatory_items_html

    signatures = [
        make_signature(
            letter=letter, name="<b>Ada</b> & Co", role="Poet", organization="O'Brien & Sons",
            country="FR", city="Lyon", comment='"Yes" <i>please</i>',
            verified_at=timezone.now(), verification_method="contact",
        ),
        make_signature(letter=letter, name="Only Role", role="Baker"),
        make_signature(letter=letter, name="Only Org", organization="ACME"),
        make_signature(letter=letter, name="Only City", city="Ghent"),
        make_signature(letter=letter, name="Only Country", country="BE"),
        make_signature(letter=letter, name="Plain"),
    ]  # fmt: skip
    rows = list(Signature.objects.filter(pk__in=[s.pk for s in signatures]).order_by("pk"))
    with translation.override(language):
        drawn = render_to_string("letters/_signatory_list.html", {"signatures": rows})
        assert str(signatory_items_html(rows)) == drawn
