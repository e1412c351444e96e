"""What each public read costs in database queries and Redis round trips, whatever the
size of the letter or the number of letters: the hot paths of issue 10.

Speed itself is measured by the harness (bench/run.py, bench/big.py), never here.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from letters.models import Letter
from signatories import counters
from signatories.figures import daily_figures
from signatories.live import letter_live_get
from signatories.selectors import signatory_breakdown, signatory_top_countries
from tests.factories import make_letter, make_signature, make_signatures

pytestmark = pytest.mark.django_db


def warm(letter: Letter) -> None:
    """The caches a running site keeps warm: the counter, the top countries, the breakdown,
    the letter's facts (letters/facts.py), the days before today of its daily figures
    (signatories/figures.py)."""
    counters.counts_get(letter_id=letter.pk)
    daily_figures(letter_id=letter.pk, time_zone=letter.time_zone)
    letter_live_get(slug=letter.slug)
    signatory_top_countries(letter=letter)
    signatory_breakdown(letter_id=letter.pk)


@pytest.mark.parametrize("signatures", [1, 120])
def test_the_letter_page_costs_the_same_queries_for_any_number_of_signatures(
    client, django_assert_num_queries, signatures
):
    letter = make_letter()
    make_signatures(letter=letter, count=signatures)
    warm(letter)
    # The letter, its translations, its verified and latest signatories (one UNION),
    # whether it has corrections, its updates.
    with django_assert_num_queries(5):
        assert client.get(letter.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("signatures", [1, 120])
def test_the_first_signatories_page_costs_three_queries(
    client, django_assert_num_queries, signatures
):
    letter = make_letter()
    make_signatures(letter=letter, count=signatures)
    warm(letter)
    # The letter; the verified signatories (none here) and the newest others.
    with django_assert_num_queries(3):
        response = client.get(reverse("signatories:list", args=[letter.slug]))
    assert response.status_code == 200


def test_a_deep_signatories_page_costs_what_the_first_one_does(client, django_assert_num_queries):
    letter = make_letter()
    make_signatures(letter=letter, count=260)
    warm(letter)
    url = reverse("signatories:list", args=[letter.slug])
    html = client.get(url).content.decode()
    for _ in range(4):  # four pages on, by the links a visitor or a crawler follows
        after = re.search(r'rel="next" href="\?after=([^"&]+)"', html)[1]
        with django_assert_num_queries(2):
            html = client.get(url, {"after": after}).content.decode()


def test_the_public_search_costs_a_fixed_number_of_queries(client, django_assert_num_queries):
    letter = make_letter()
    make_signatures(letter=letter, count=60, role="Nurse")
    make_signature(letter=letter, name="Ada Lovelace")
    warm(letter)
    # The letter; the verified (none here); the first rows of the others in order, then
    # those of them that match.
    with django_assert_num_queries(4):
        response = client.get(reverse("signatories:list", args=[letter.slug]), {"q": "ada"})
    assert "Ada Lovelace" in response.content.decode()


def test_the_home_page_with_fifty_letters_reads_every_count_in_one_redis_round_trip(
    client, django_assert_num_queries, monkeypatch
):
    letters = [make_letter() for _ in range(50)]
    for letter in letters[:5]:
        make_signature(letter=letter)
    counters.counts_get_many(letter_ids=[letter.pk for letter in letters])
    trips = []
    real = counters._redis

    def counted(command):
        trips.append(command)
        return real(command)

    monkeypatch.setattr(counters, "_redis", counted)
    # Drawn: the letters listed (kept in the process under the index's version), the
    # letters themselves.
    with django_assert_num_queries(2):
        drawn = client.get(reverse("letters:index")).content.decode()
    # Kept (letters/pagecache.py): the index's version and the 50 counts, one round trip.
    trips.clear()
    with django_assert_num_queries(0):
        html = client.get(reverse("letters:index")).content.decode()
    assert len(trips) == 1
    assert html == drawn
    assert html.count('class="meta standing"') == 50
    assert html.count("1 signature<") == 5


@pytest.mark.parametrize("name", ["embeds:feed-rss", "embeds:feed-atom"])
def test_a_feed_costs_one_query_for_thirty_letters(client, django_assert_num_queries, name):
    for _ in range(35):
        make_letter()
    with django_assert_num_queries(1):
        response = client.get(reverse(name))
    assert response.content.count(b"/letters/letter-") >= 30


def test_the_api_list_at_a_deep_cursor_costs_what_its_first_page_does(
    client, django_assert_num_queries
):
    letter = make_letter()
    make_signatures(letter=letter, count=130)
    warm(letter)
    url = reverse("embeds:api-signatories", args=[letter.slug])
    with CaptureQueriesContext(connection) as first:
        page = client.get(url).json()
    seen = [row["name"] for row in page["results"]]
    while page["next"]:
        with django_assert_num_queries(len(first)):
            page = client.get(page["next"]).json()
        seen += [row["name"] for row in page["results"]]
    assert len(seen) == len(set(seen)) == 130
