"""oEmbed's parameters as consumers send them: maxheight bounds the thumbnail too, a
letter URL pasted without its trailing slash, an empty ``format=``."""

import pytest
from django.urls import reverse

from letters.models import Letter
from tests.factories import make_letter

pytestmark = pytest.mark.django_db


def oembed(client, **params):
    return client.get(reverse("embeds:oembed"), params)


def letter_url(letter: Letter) -> str:
    return f"http://testserver{letter.get_absolute_url()}"


def test_without_bounds_the_share_card_is_the_thumbnail_at_its_own_size(client):
    body = oembed(client, url=letter_url(make_letter())).json()
    assert body["thumbnail_url"].startswith("http://testserver/letters/")
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (1200, 630)


@pytest.mark.parametrize("maxheight", ["629", "300", "150"])
def test_a_maxheight_below_the_card_leaves_the_thumbnail_out(client, maxheight):
    body = oembed(client, url=letter_url(make_letter()), maxheight=maxheight).json()
    assert body["height"] <= int(maxheight)
    assert "thumbnail_url" not in body
    assert "thumbnail_width" not in body
    assert "thumbnail_height" not in body


@pytest.mark.parametrize(("maxwidth", "maxheight"), [("", "630"), ("1200", "630"), ("", "2000")])
def test_bounds_the_card_fits_in_keep_the_thumbnail_within_them(client, maxwidth, maxheight):
    params = {"maxheight": maxheight} | ({"maxwidth": maxwidth} if maxwidth else {})
    body = oembed(client, url=letter_url(make_letter()), **params).json()
    assert body["thumbnail_height"] <= int(maxheight)
    assert body["thumbnail_width"] <= int(maxwidth or 10**6)


def test_the_etag_differs_with_maxheight(client):
    letter = make_letter()
    tall = oembed(client, url=letter_url(letter), maxheight="700")
    short = oembed(client, url=letter_url(letter), maxheight="200")
    assert tall["ETag"] != short["ETag"]


def test_a_letter_url_without_its_trailing_slash_is_recognised(client):
    letter = make_letter(title="Pasted without a slash")
    url = letter_url(letter).rstrip("/")
    assert not url.endswith("/")
    response = oembed(client, url=url)
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Pasted without a slash"
    assert f'src="http://testserver/embed/letters/{letter.slug}/#?secret=' in body["html"]


def test_a_letter_url_without_its_slash_keeps_its_query(client):
    letter = make_letter()
    url = letter_url(letter).rstrip("/") + "?ref=daily-news"
    body = oembed(client, url=url).json()
    assert "ref=daily-news" in body["html"]


@pytest.mark.parametrize(
    "path", ["/letters/{slug}x", "/letters/no-such-letter", "/letters/{slug}//", "/privacy"]
)
def test_other_paths_without_a_slash_are_still_a_404(client, path):
    letter = make_letter()
    response = oembed(client, url="http://testserver" + path.format(slug=letter.slug))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_draft_without_its_slash_is_a_404(client):
    draft = make_letter(status=Letter.Status.DRAFT)
    assert oembed(client, url=letter_url(draft).rstrip("/")).status_code == 404


def test_an_empty_format_is_json(client):
    letter = make_letter()
    response = oembed(client, url=letter_url(letter), format="")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "rich"


@pytest.mark.parametrize("value", ["xml", "JSON ", "html"])
def test_any_other_format_is_not_implemented(client, value):
    response = oembed(client, url=letter_url(make_letter()), format=value)
    assert response.status_code == 501
