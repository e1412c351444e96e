import pytest
from defusedxml import ElementTree
from django.urls import reverse

from letters.models import Letter
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
MARKUP_TITLE = '</title><script>alert("x")</script>&amp; <![CDATA[ ]]> "quotes" \'apostrophes\''


def test_the_badge_is_valid_svg_with_the_label_and_the_count(client):
    letter = make_letter()
    make_signature(letter=letter)
    response = client.get(reverse("embeds:badge", args=[letter.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    texts = [node.text for node in root.iter(f"{SVG}text")]
    assert texts == ["signatures", "1"]
    assert root.get("aria-label") == "signatures: 1"


def test_a_title_full_of_markup_is_escaped_in_the_badge(client):
    letter = make_letter(title=MARKUP_TITLE)
    response = client.get(reverse("embeds:badge", args=[letter.slug]))
    root = ElementTree.fromstring(response.content)
    assert root.find(f"{SVG}title").text == f"{MARKUP_TITLE}: 0 signatures"
    assert not list(root.iter(f"{SVG}script"))
    assert b"<script" not in response.content


def test_the_badge_has_cache_headers_and_a_304(client):
    letter = make_letter()
    url = reverse("embeds:badge", args=[letter.slug])
    first = client.get(url)
    assert "max-age=15" in first["Cache-Control"]
    assert first["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_the_badge_count_moves_with_the_counter(client):
    letter = make_letter()
    url = reverse("embeds:badge", args=[letter.slug])
    first = client.get(url)
    make_signature(letter=letter)
    from signatories import counters

    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)
    second = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200
    texts = [n.text for n in ElementTree.fromstring(second.content).iter(f"{SVG}text")]
    assert texts[-1] == "1"


def test_shields_gets_its_endpoint_format(client):
    letter = make_letter()
    for _ in range(3):
        make_signature(letter=letter)
    response = client.get(reverse("embeds:shields", args=[letter.slug]))
    assert response.json() == {
        "schemaVersion": 1,
        "label": "signatures",
        "message": "3",
        "color": "8a1c1c",
    }
    assert response["Access-Control-Allow-Origin"] == "*"
    assert (
        client.get(
            reverse("embeds:shields", args=[letter.slug]),
            headers={"If-None-Match": response["ETag"]},
        ).status_code
        == 304
    )


@pytest.mark.parametrize("route", ["embeds:badge", "embeds:shields"])
def test_a_draft_has_no_badge(client, route):
    draft = make_letter(status=Letter.Status.DRAFT)
    response = client.get(reverse(route, args=[draft.slug]))
    assert response.status_code == 404
    assert draft.title not in response.content.decode()


@pytest.mark.parametrize("signatures", [1, 40])
def test_the_badge_costs_no_query_once_warm_whatever_the_number_of_signatures(
    client, django_assert_num_queries, signatures
):
    letter = make_letter()
    for _ in range(signatures):
        make_signature(letter=letter)
    url = reverse("embeds:badge", args=[letter.slug])
    client.get(url)
    with django_assert_num_queries(0):
        texts = [n.text for n in ElementTree.fromstring(client.get(url).content).iter(f"{SVG}text")]
    assert texts[-1] == f"{signatures:,}"
