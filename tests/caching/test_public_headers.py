"""The public pages are held by shared caches for anonymous visitors, never for organizers."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils.http import split_header_value

from letters import services as letters
from letters.models import Letter
from moderation import services as moderation
from tests.factories import (
    make_letter,
    make_member,
    make_member_user,
    make_signature,
    make_user,
    sign_data,
)

pytestmark = pytest.mark.django_db

PAGES = ["letters:index", "letters:detail", "letters:changes", "signatories:list",
         "moderation:corrections"]  # fmt: skip


def url(name: str, slug: str) -> str:
    return reverse(name) if name == "letters:index" else reverse(name, args=[slug])


def vary(response) -> set[str]:
    return {field.lower() for field in split_header_value(response.get("Vary", ""))}


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


@pytest.fixture
def letter():
    user = make_user()
    letter = make_letter(status=Letter.Status.DRAFT)
    make_member(letter=letter, user=user)
    letter = letters.letter_publish(letter=letter, user=user)
    make_signature(letter=letter, name="Grace Example")
    return letter


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_gets_a_public_page_without_cookies(name, letter):
    response = Client().get(url(name, letter.slug))
    assert response.status_code == 200
    controls = cache_control(response)
    assert "public" in controls
    assert any(part.startswith("max-age=") and int(part[8:]) > 0 for part in controls)
    assert any(part.startswith("stale-while-revalidate=") for part in controls)
    assert not response.cookies
    assert "cookie" not in vary(response)
    assert vary(response) == {"accept-language"}


@pytest.mark.parametrize("name", PAGES)
def test_an_organizer_gets_a_private_page_of_their_own(name, letter):
    client = Client()
    client.force_login(make_member_user(letter=letter, role="editor"))
    response = client.get(url(name, letter.slug))
    assert response.status_code == 200
    assert {"private", "no-cache"} <= cache_control(response)
    assert "public" not in cache_control(response)
    assert "cookie" in vary(response)
    assert reverse("signatories:dashboard") in response.content.decode()


def test_an_anonymous_page_names_no_organizer_link(letter):
    html = Client().get(letter.get_absolute_url()).content.decode()
    assert reverse("signatories:dashboard") not in html
    assert reverse("account_login") in html


@pytest.mark.parametrize("cookie", ["django_language", "messages"])
def test_a_visitor_with_a_personal_cookie_gets_a_private_page(cookie, letter, settings):
    client = Client()
    client.cookies[cookie] = "fr"
    response = client.get(letter.get_absolute_url())
    assert "private" in cache_control(response)
    assert "cookie" in vary(response)


def test_a_chosen_language_is_kept_and_never_shared(letter):
    client = Client()
    switched = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert switched.status_code == 302
    response = client.get(letter.get_absolute_url())
    assert '<html lang="fr">' in response.content.decode()
    assert "private" in cache_control(response)


def test_the_language_follows_the_browser_and_the_page_says_it_varies_on_it(letter):
    response = Client().get(letter.get_absolute_url(), headers={"Accept-Language": "de"})
    assert '<html lang="de">' in response.content.decode()
    assert "public" in cache_control(response)
    assert vary(response) == {"accept-language"}


def test_no_page_carries_a_csrf_token_or_sets_its_cookie(letter):
    for name in PAGES:
        response = Client().get(url(name, letter.slug))
        assert "csrfmiddlewaretoken" not in response.content.decode(), name
        assert "csrftoken" not in response.cookies, name


def test_a_missing_letter_is_shared_too_but_a_bad_search_is_not(letter):
    missing = Client().get(reverse("letters:detail", args=["nothing-here"]))
    assert missing.status_code == 404
    assert "public" in cache_control(missing)
    bad = Client().get(reverse("signatories:list", args=[letter.slug]), {"country": "ZZ"})
    assert bad.status_code == 400
    assert "public" not in cache_control(bad)


def test_a_page_drawn_with_the_challenge_for_one_network_is_private(settings):
    settings.CHALLENGE_NETWORK_BURST = 1
    letter = make_letter()
    cache.clear()
    client = Client()
    sign = reverse("signatories:sign", args=[letter.slug])
    for n in range(2):
        client.post(sign, sign_data(email=f"s{n}@example.org"), REMOTE_ADDR="203.0.113.5")
    page = client.get(letter.get_absolute_url(), REMOTE_ADDR="203.0.113.9")
    assert "<altcha-widget" in page.content.decode()
    assert "private" in cache_control(page)
    other = client.get(letter.get_absolute_url(), REMOTE_ADDR="198.51.100.7")
    assert "<altcha-widget" not in other.content.decode()
    assert "public" in cache_control(other)


def test_the_corrections_page_of_a_letter_with_entries_is_public(letter):
    signature = make_signature(letter=letter, name="Wrong Example")
    moderation.signature_remove(signature=signature, actor=None, reason="Duplicate")
    response = Client().get(reverse("moderation:corrections", args=[letter.slug]))
    assert response.status_code == 200
    assert "public" in cache_control(response)
