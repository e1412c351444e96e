import pytest
from django.urls import reverse

from letters.models import Letter
from signatories import counters
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db


def api(client, slug):
    return client.get(reverse("embeds:api-detail", args=[slug]))


def test_the_letter_json_has_the_documented_fields(client):
    letter = make_letter(title="Fair Pay", goal=500)
    make_signature(letter=letter)
    make_signature(letter=letter, show_name=False)
    response = api(client, letter.slug)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert {
        "slug",
        "title",
        "status",
        "signature_count",
        "goal",
        "url",
        "updated_at",
    } <= data.keys()
    assert data["slug"] == letter.slug
    assert data["title"] == "Fair Pay"
    assert data["status"] == "published"
    assert data["signature_count"] == 2
    assert data["goal"] == 500
    assert data["url"] == f"http://testserver/letters/{letter.slug}/"


@pytest.mark.parametrize("slug", ["no-such-letter", "draft-one", "weird slug!"])
def test_an_unknown_or_draft_slug_gives_a_json_404(client, slug):
    make_letter(slug="draft-one", status=Letter.Status.DRAFT)
    response = client.get(f"/api/letters/{slug}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == 404


@pytest.mark.parametrize("signatures", [1, 60])
def test_the_counter_json_uses_no_query_once_warm(client, django_assert_num_queries, signatures):
    letter = make_letter()
    for _ in range(signatures):
        make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    with django_assert_num_queries(2):  # the letter's id, then its public facts
        api(client, letter.slug)
    with django_assert_num_queries(0):
        assert api(client, letter.slug).json()["signature_count"] == signatures


def test_a_letter_past_its_closing_date_reads_as_closed(client):
    from datetime import timedelta

    from django.utils import timezone

    letter = make_letter(closes_at=timezone.now() - timedelta(seconds=1))
    data = api(client, letter.slug).json()
    assert (data["status"], data["open"]) == ("closed", False)
