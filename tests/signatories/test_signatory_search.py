"""The public list of signatories: search, filters, pages of results and the breakdown."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from signatories import counters, selectors
from signatories import services as signature_services
from signatories.live import letter_live_get
from signatories.models import Signature
from tests.factories import make_letter, make_signature, make_signatures

pytestmark = pytest.mark.django_db


def url(letter, **params) -> tuple[str, dict[str, str]]:
    return reverse("signatories:list", args=[letter.slug]), params


def names(response) -> list[str]:
    """The names listed on a signatories page, in order."""
    return re.findall(r'<span class="name">([^<]*)</span>', response.content.decode())


def get(client, letter, **params):
    path, query = url(letter, **params)
    return client.get(path, query)


def everything() -> list[tuple]:
    return list(Signature.objects.order_by("pk").values_list())


@pytest.fixture
def letter():
    letter = make_letter()
    make_signature(
        letter=letter, name="José Müller", role="Pédiatre", organization="Hôpital Nord",
        country="FR",
    )  # fmt: skip
    make_signature(letter=letter, name="Ada Lovelace", role="Nurse", organization="St Mary")
    make_signature(letter=letter, name="Grace Hopper", role="nurse", country="US")
    make_signature(letter=letter, name="Bob Ross", role="Painter", organization="Médecins Unis")
    return letter


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jose", ["José Müller"]),
        ("MULLER", ["José Müller"]),
        ("Jösé", ["José Müller"]),
        ("pediatre", ["José Müller"]),
        ("hopital nord", ["José Müller"]),
        ("medecins", ["Bob Ross"]),
        ("NURSE", ["Grace Hopper", "Ada Lovelace"]),
        ("lovelace", ["Ada Lovelace"]),
    ],
)
def test_the_search_matches_name_role_and_organization_across_case_and_accents(
    client, letter, q, expected
):
    response = get(client, letter, q=q)
    assert response.status_code == 200
    assert names(response) == expected


def test_like_wildcards_in_a_query_are_plain_text(client, letter):
    make_signature(letter=letter, name="Percy 100% Sure")
    assert names(get(client, letter, q="%")) == ["Percy 100% Sure"]
    assert names(get(client, letter, q="_")) == []


def test_a_search_that_matches_nobody_says_so(client, letter):
    response = get(client, letter, q="nobody by this name")
    assert response.status_code == 200
    assert names(response) == []
    assert "Nobody listed by name matches this search." in response.content.decode()


def test_filters_by_role_whatever_its_case_and_by_country(client, letter):
    assert names(get(client, letter, role="nurse")) == ["Grace Hopper", "Ada Lovelace"]
    assert names(get(client, letter, role="Nurse", country="us")) == ["Grace Hopper"]
    assert names(get(client, letter, country="FR", q="jose")) == ["José Müller"]
    assert names(get(client, letter, country="DE")) == []


def test_the_select_lists_hold_what_named_signatories_entered_with_their_numbers(client, letter):
    page = get(client, letter).content.decode()
    roles = re.search(r'<select name="role".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="([^"]*)"', roles) == ["", "nurse", "painter", "pédiatre"]
    assert "Nurse (2)" in roles
    countries = re.search(r'<select name="country".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="([^"]*)"', countries) == ["", "FR", "US"]
    assert "France (1)" in countries


def test_the_search_keeps_the_country_names_of_the_visitors_language(client, letter):
    page = client.get(url(letter)[0], headers={"Accept-Language": "de"}).content.decode()
    assert "Frankreich (1)" in page
    assert "Vereinigte Staaten" in page


def test_hidden_and_unconfirmed_signers_are_never_found_listed_nor_bucketed(client, letter):
    secret = {"role": "Whistleblower", "organization": "Secret Ministry", "country": "NZ"}
    make_signature(letter=letter, name="Hidden Person", show_name=False, **secret)
    make_signature(letter=letter, name="Pending Person", status=Signature.Status.PENDING, **secret)
    make_signature(
        letter=letter, name="Held Person", status=Signature.Status.HELD,
        status_before_moderation=Signature.Status.CONFIRMED, confirmed_at=timezone.now(),
        **secret,
    )  # fmt: skip
    for params in ({"q": "hidden"}, {"q": "whistle"}, {"q": "secret ministry"},
                   {"country": "NZ"}, {"role": "whistleblower"}, {"q": "person"}):  # fmt: skip
        response = get(client, letter, **params)
        assert response.status_code == 200, params
        assert names(response) == [], params
    page = get(client, letter).content.decode()
    assert "Hidden Person" not in page
    assert "Whistleblower" not in page and "whistleblower" not in page
    assert "New Zealand" not in page
    assert "and 1 other who chose not to be named" in page
    breakdown = selectors.signatory_breakdown(letter_id=letter.pk)
    assert breakdown.named == 4
    assert [key for key, _label, _n in breakdown.roles] == ["nurse", "painter", "pédiatre"]
    assert dict(breakdown.countries) == {"FR": 1, "US": 1, "": 2}


def test_another_letters_signers_are_not_found(client, letter):
    make_signature(name="Elsewhere Person")
    assert names(get(client, letter, q="elsewhere")) == []


def test_the_breakdown_shows_the_top_countries_the_others_and_those_who_gave_none(client):
    letter = make_letter()
    for country, n in (("FR", 6), ("DE", 5), ("ES", 4), ("IT", 3), ("PT", 2), ("BE", 1)):
        make_signatures(letter=letter, count=n, country=country, role="Teacher")
    make_signatures(letter=letter, count=2, country="NL")
    make_signatures(letter=letter, count=3)  # no country, no role
    make_signatures(letter=letter, count=7, country="FR", role="Teacher", show_name=False)

    tally = selectors.signatory_breakdown(letter_id=letter.pk).country_tally()
    assert [(b.key, b.count) for b in tally.top] == [
        ("FR", 6), ("DE", 5), ("ES", 4), ("IT", 3), ("NL", 2),
    ]  # fmt: skip
    assert (tally.other, tally.not_given) == (3, 3)  # PT 2 + BE 1; three gave none
    roles = selectors.signatory_breakdown(letter_id=letter.pk).role_tally()
    assert [(b.label, b.count) for b in roles.top] == [("Teacher", 21)]
    assert (roles.other, roles.not_given) == (0, 5)

    page = get(client, letter).content.decode()
    table = re.search(r'<table class="breakdown-table">\s*<caption>By country</caption>.*?</table>',
                      page, re.S)[0]  # fmt: skip
    rows = re.findall(r'<th scope="row">([^<]*)</th><td class="number">([^<]*)<', table)
    assert rows == [("France", "6"), ("Germany", "5"), ("Spain", "4"), ("Italy", "3"),
                    ("Netherlands", "2"), ("Other countries", "3"), ("Not given", "3")]  # fmt: skip
    assert "Counted over the 26 signatories listed by name." in page
    assert "Those who chose not to be named are only in the total." in page


def test_the_breakdown_numbers_follow_the_visitors_locale(client):
    letter = make_letter()
    make_signatures(letter=letter, count=1234, country="DE")
    english = get(client, letter).content.decode()
    assert '<th scope="row">Germany</th><td class="number">1,234<' in english
    german = client.get(url(letter)[0], headers={"Accept-Language": "de"}).content.decode()
    assert '<th scope="row">Deutschland</th><td class="number">1.234<' in german
    assert 'max="1234"' in german  # the meter's attribute stays a plain number


def test_the_breakdown_comes_from_the_cache_on_the_next_view(
    client, letter, django_assert_num_queries
):
    # An empty search: the page is drawn each time, not kept whole (letters/pagecache.py).
    path = url(letter)[0] + "?q="
    counters.counts_get(letter_id=letter.pk)  # the live count is in Redis already
    letter_live_get(slug=letter.slug)  # and the letter's facts
    with CaptureQueriesContext(connection) as first:
        assert client.get(path).status_code == 200
    with django_assert_num_queries(len(first) - 2):  # its two GROUP BYs
        assert client.get(path).status_code == 200
    make_signature(letter=letter, name="Newcomer", country="FR")
    counters.counts_forget(letter_id=letter.pk)
    # Cached for a short while (SIGNATORY_BREAKDOWN_CACHE_SECONDS), not per count move.
    assert dict(selectors.signatory_breakdown(letter_id=letter.pk).countries)["FR"] == 1


@pytest.mark.parametrize("leave", ["withdraw", "remove", "hold"])
def test_what_a_departed_signer_entered_leaves_the_breakdown_at_once(
    client, letter, leave, django_capture_on_commit_callbacks
):
    from moderation import services as moderation

    departing = make_signature(letter=letter, name="Departing", role="Astronaut", country="IS")
    counters.counts_get(letter_id=letter.pk)
    assert "Astronaut" in get(client, letter).content.decode()  # now in the cache
    with django_capture_on_commit_callbacks(execute=True):
        if leave == "withdraw":
            signature_services.signature_withdraw(signature=departing)
        elif leave == "remove":
            moderation.signature_remove(signature=departing, actor=None, reason="Not a person")
        else:
            moderation.signature_hold(signature=departing, actor=None)
    page = get(client, letter).content.decode()
    assert "Astronaut" not in page and "astronaut" not in page
    assert "Iceland" not in page
    assert names(get(client, letter, q="departing")) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 101}, "Search for at most 100 characters (you typed 101)."),
        ({"country": "ZZ"}, "We know no country with the code “ZZ”. Choose one from the list."),
        ({"country": "Atlantis"}, "Choose a country from the list."),
        ({"q": "bad\x00byte"}, "Remove the invisible control characters from this field."),
        ({"role": "r" * 121}, "Ensure this value has at most 120 characters (it has 121)."),
        ({"q": "nurse", "after": "not-a-cursor"}, "This page link is not one we gave out."),
        ({"q": "nurse", "before": "MjAyNXwx"}, "This page link is not one we gave out."),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, letter, params, message):
    before = everything()
    response = get(client, letter, **params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert names(response) == []
    assert everything() == before


def test_filtered_results_page_forward_and_back_without_counting(client):
    letter = make_letter()
    now = timezone.now()
    verified = [
        make_signature(letter=letter, name=f"Verified nurse {i}", role="Nurse",
                       verified_at=now - timedelta(minutes=i), verification_method="contact")
        for i in range(3)
    ]  # fmt: skip
    # One confirmation time for all: the pk decides their order.
    make_signatures(letter=letter, count=110, role="Nurse", confirmed_at=now)
    make_signatures(letter=letter, count=5, role="Painter")
    expected = [s.name for s in verified] + list(
        Signature.objects.filter(letter=letter, role="Nurse", verified_at__isnull=True)
        .order_by("-pk")
        .values_list("name", flat=True)
    )
    get(client, letter)  # fills the breakdown's cache: pages themselves count nothing

    seen, pages, params = [], [], {"role": "nurse"}
    with CaptureQueriesContext(connection) as queries:
        while True:
            response = get(client, letter, **params)
            assert response.status_code == 200
            pages.append((params, names(response)))
            seen += names(response)
            found = re.search(r'rel="next" href="\?([^"#]*)#results"', response.content.decode())
            if not found:
                break
            params = dict(pair.split("=") for pair in found[1].replace("&amp;", "&").split("&"))
    assert seen == expected
    assert [len(found) for _params, found in pages] == [50, 50, 13]
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]

    last = get(client, letter, **pages[-1][0]).content.decode()
    back = re.search(r'rel="prev" href="\?([^"#]*)#results"', last)[1].replace("&amp;", "&")
    previous = dict(pair.split("=") for pair in back.split("&"))
    assert previous["role"] == "nurse"
    assert names(get(client, letter, **previous)) == pages[1][1]


def test_an_old_numbered_page_link_still_answers_and_leads_on_by_position(client):
    letter = make_letter()
    make_signatures(letter=letter, count=60)
    response = get(client, letter, page="2")
    assert len(names(response)) == 10
    html = response.content.decode()
    nav = html.split('class="pagination"')[1].split("</nav>")[0]
    assert "page=" not in nav
    newer = re.search(r'rel="prev" href="\?([^"]*)"', html)[1]
    assert newer.startswith("before=")


def test_the_embedded_default_falls_back_to_a_plain_case_insensitive_search(
    client, letter, monkeypatch
):
    class SQLite:
        vendor = "sqlite"

    monkeypatch.setattr(selectors, "connection", SQLite())
    assert names(get(client, letter, q="LOVELACE")) == ["Ada Lovelace"]
    assert names(get(client, letter, q="st mary")) == ["Ada Lovelace"]


def test_the_search_uses_the_trigram_index_of_public_signatures(letter):
    make_signatures(letter=letter, count=3000, role="Nurse")
    rows = selectors.signatory_search(letter=letter, query=selectors.SignatoryQuery(q="lovelace"))
    with connection.cursor() as cursor:
        # Every test before this one added index entries and rolled them back: rebuilt, the
        # index has the size of this letter's rows, not of the whole suite's history.
        cursor.execute("REINDEX INDEX signature_public_search")
        cursor.execute("ANALYZE signatories_signature")
        # Left to bitmap scans only (for this test's transaction), the planner picks between
        # the trigram index and the btree of the public list by cost, not by luck of timing.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    # The query folds its text exactly as the index does, or PostgreSQL could not use it.
    assert "signature_public_search" in rows.explain()
