import json

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from letters.models import Letter
from signatories import services
from tests.factories import make_letter, make_pending_signature, make_signature

pytestmark = pytest.mark.django_db


def api(name: str, *args: str) -> str:
    return reverse(f"embeds:{name}", args=args)


def assert_public_read(response) -> None:
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=15" in cache_control
    assert "stale-while-revalidate=" in cache_control
    assert "stale-if-error=" in cache_control
    assert "Cookie" not in response.get("Vary", "")
    assert "Accept-Language" not in response.get("Vary", "")
    assert not response.cookies


@pytest.mark.parametrize("route", ["api-list", "api-detail", "api-signatories"])
def test_every_public_read_has_cors_cache_headers_and_an_etag_that_gives_a_304(client, route):
    letter = make_letter()
    make_signature(letter=letter)
    url = api(route) if route == "api-list" else api(route, letter.slug)
    response = client.get(url)
    assert response.status_code == 200
    assert_public_read(response)
    etag = response["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""
    assert_public_read(again)


def test_the_etag_changes_when_a_signature_is_confirmed(client, django_capture_on_commit_callbacks):
    letter = make_letter()
    make_pending_signature(letter=letter, token="t" * 20)
    first = client.get(api("api-detail", letter.slug))
    assert first.json()["signature_count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_confirm(token="t" * 20)
    second = client.get(api("api-detail", letter.slug), headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200
    assert second.json()["signature_count"] == 1
    assert second["ETag"] != first["ETag"]


def test_the_etag_changes_when_the_letter_is_edited(client):
    letter = make_letter()
    first = client.get(api("api-detail", letter.slug))
    letter.title = "A new title"
    letter.save(update_fields=["title", "updated_at"])
    second = client.get(api("api-detail", letter.slug), headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200
    assert second.json()["title"] == "A new title"


def test_a_preflight_is_answered_without_credentials(client):
    letter = make_letter()
    response = client.options(api("api-detail", letter.slug))
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


def test_writing_to_the_api_is_refused(client):
    letter = make_letter()
    response = client.post(api("api-detail", letter.slug))
    assert response.status_code == 405
    assert Letter.objects.get(pk=letter.pk).title == letter.title


def test_the_list_holds_published_and_closed_letters_but_no_draft_or_archived_one(client):
    published = make_letter()
    closed = make_letter(status=Letter.Status.CLOSED)
    make_letter(status=Letter.Status.DRAFT)
    archived = make_letter(status=Letter.Status.ARCHIVED)
    assert client.get(api("api-detail", archived.slug)).status_code == 200
    slugs = {row["slug"] for row in client.get(api("api-list")).json()["results"]}
    assert slugs == {published.slug, closed.slug}


@pytest.mark.parametrize("route", ["api-detail", "api-signatories"])
def test_a_draft_is_a_404_with_a_json_message(client, route):
    draft = make_letter(status=Letter.Status.DRAFT)
    make_signature(letter=draft)
    response = client.get(api(route, draft.slug))
    assert response.status_code == 404
    assert (
        response.json()["error"]["message"] == f"No published letter has the slug {draft.slug!r}."
    )
    assert response["Access-Control-Allow-Origin"] == "*"


def test_letters_are_paged_with_an_opaque_cursor(client):
    letters = [make_letter() for _ in range(5)]
    seen = []
    url = api("api-list") + "?limit=2"
    while url:
        body = client.get(url).json()
        seen += [row["slug"] for row in body["results"]]
        url = body["next"] and body["next"].removeprefix("http://testserver")
    assert sorted(seen) == sorted(letter.slug for letter in letters)
    assert len(seen) == 5


def test_signatories_are_public_ones_only_newest_first_and_never_with_an_email(client):
    letter = make_letter()
    named = [make_signature(letter=letter, email=f"named{n}@example.org") for n in range(3)]
    named[0].country = "FR"
    named[0].save(update_fields=["country"])
    make_signature(letter=letter, show_name=False, email="hidden@example.org")
    make_signature(letter=letter, status="pending", email="pending@example.org")
    response = client.get(api("api-signatories", letter.slug))
    body = response.json()
    assert [row["name"] for row in body["results"]] == [s.name for s in reversed(named)]
    assert "@" not in response.content.decode()
    assert "email" not in body["results"][0]
    assert body["results"][-1]["country"] == "FR"
    assert body["results"][0]["country"] == ""
    assert body["signature_count"] == 4
    assert body["named_count"] == 3


def test_signatories_are_paged_over_equal_confirmation_times_without_gaps_or_repeats(client):
    letter = make_letter()
    first = make_signature(letter=letter)
    same_time = [make_signature(letter=letter, confirmed_at=first.confirmed_at) for _ in range(4)]
    names = []
    url = api("api-signatories", letter.slug) + "?limit=2"
    while url:
        body = client.get(url).json()
        names += [row["name"] for row in body["results"]]
        url = body["next"] and body["next"].removeprefix("http://testserver")
    assert sorted(names) == sorted(s.name for s in [first, *same_time])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cursor=not-a-cursor", "The cursor is not valid: use the `next` link of a previous page."),
        ("limit=0", "limit must be a whole number from 1 to 100."),
        ("limit=abc", "limit must be a whole number from 1 to 100."),
        ("limit=101", "limit must be a whole number from 1 to 100."),
    ],
)
def test_a_bad_cursor_or_limit_gets_a_clear_400(client, query, message):
    letter = make_letter()
    for url in (api("api-signatories", letter.slug), api("api-list")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert response.json()["error"]["message"] == message


@pytest.mark.parametrize("signatures", [1, 40])
def test_the_letter_json_costs_no_query_once_warm_whatever_the_number_of_signatures(
    client, django_assert_num_queries, signatures
):
    letter = make_letter()
    for _ in range(signatures):
        make_signature(letter=letter)
    client.get(api("api-detail", letter.slug))  # the counter and the facts are now kept
    with django_assert_num_queries(0):
        assert client.get(api("api-detail", letter.slug)).json()["signature_count"] == signatures


def test_the_openapi_document_is_valid_and_lists_every_public_route(client):
    response = client.get(api("api-openapi"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=3600" in response["Cache-Control"]
    document = json.loads(response.content)
    validate(document)
    assert set(document["paths"]) == {
        "/api/letters/",
        "/api/letters/{slug}/",
        "/api/letters/{slug}/signatories/",
        "/api/letters/{slug}/shields.json",
        "/oembed",
    }


def test_public_reads_answer_the_same_whatever_the_browser_language(client):
    response = client.get(api("api-detail", "no-such-letter"), headers={"Accept-Language": "fr"})
    assert (
        response.json()["error"]["message"] == "No published letter has the slug 'no-such-letter'."
    )
    assert "Accept-Language" not in response.get("Vary", "")
    page = client.get(reverse("letters:index"), headers={"Accept-Language": "fr"})
    assert "Accept-Language" in page["Vary"]


def test_signatories_pages_stay_newest_first_with_verified_signatories_among_them(client):
    letter = make_letter()
    signatures = [make_signature(letter=letter) for _ in range(5)]
    verified = signatures[1]
    verified.verified_at = verified.confirmed_at
    verified.verification_method = "contact"
    verified.save(update_fields=["verified_at", "verification_method"])
    names, flags = [], []
    url = api("api-signatories", letter.slug) + "?limit=2"
    while url:
        body = client.get(url).json()
        names += [row["name"] for row in body["results"]]
        flags += [row["verified"] for row in body["results"]]
        url = body["next"] and body["next"].removeprefix("http://testserver")
    assert names == [s.name for s in reversed(signatures)]
    assert flags == [False, False, False, True, False]


def test_verifying_a_signatory_changes_the_signatories_etag(client):
    from moderation.services import signature_verify

    letter = make_letter()
    signature = make_signature(letter=letter)
    url = api("api-signatories", letter.slug)
    first = client.get(url)
    assert first.json()["results"][0]["verified"] is False
    signature_verify(signature=signature, actor=None, method="contact")
    second = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200
    assert second.json()["results"][0]["verified"] is True
