from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from micawber import Provider, ProviderRegistry
from micawber.exceptions import ProviderHTTPException

from letters.models import Letter
from tests.factories import make_letter

pytestmark = pytest.mark.django_db


def oembed(client, **params):
    return client.get(reverse("embeds:oembed"), params)


def letter_url(letter: Letter) -> str:
    return f"http://testserver{letter.get_absolute_url()}"


class OEmbedLinks(HTMLParser):
    """Finds <link rel="alternate" type="application/json+oembed"> as a consumer would."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and found.get("type") == "application/json+oembed":
            self.hrefs.append(found["href"] or "")


def test_a_letter_url_gets_a_rich_embed_with_one_titled_iframe(client):
    letter = make_letter(title="Fair pay for illustrators")
    body = oembed(client, url=letter_url(letter), format="json").json()
    assert body["version"] == "1.0"
    assert body["type"] == "rich"
    assert body["title"] == "Fair pay for illustrators"
    assert body["html"].count("<iframe") == 1
    assert 'title="Live signature count: Fair pay for illustrators"' in body["html"]
    assert f'src="http://testserver/embed/letters/{letter.slug}/#?secret=' in body["html"]
    assert (body["width"], body["height"]) == (400, 220)


def test_maxwidth_and_maxheight_are_honoured(client):
    letter = make_letter()
    body = oembed(client, url=letter_url(letter), maxwidth="300", maxheight="100").json()
    assert body["width"] <= 300
    assert body["height"] <= 100
    assert f'width="{body["width"]}" height="{body["height"]}"' in body["html"]
    assert "size=compact" in body["html"]
    assert "thumbnail_url" not in body


@pytest.mark.parametrize(
    "url",
    [
        "http://testserver/letters/no-such-letter/",
        "http://elsewhere.example/letters/{slug}/",
        "http://testserver/privacy/",
        "javascript:alert(1)",
        "",
    ],
)
def test_an_unknown_url_or_another_host_is_a_404(client, url):
    letter = make_letter()
    response = oembed(client, url=url.format(slug=letter.slug))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No published letter of this site has that URL."


def test_a_draft_has_no_oembed(client):
    draft = make_letter(status=Letter.Status.DRAFT)
    assert oembed(client, url=letter_url(draft)).status_code == 404


def test_xml_is_not_implemented(client):
    letter = make_letter()
    response = oembed(client, url=letter_url(letter), format="xml")
    assert response.status_code == 501
    assert response.json()["error"]["message"] == "Only format=json is supported."


def test_oembed_answers_are_cached_and_revalidated(client):
    letter = make_letter()
    first = oembed(client, url=letter_url(letter))
    assert first["Access-Control-Allow-Origin"] == "*"
    assert "stale-if-error" in first["Cache-Control"]
    again = client.get(
        reverse("embeds:oembed"),
        {"url": letter_url(letter)},
        headers={"If-None-Match": first["ETag"]},
    )
    assert again.status_code == 304


def test_every_letter_page_advertises_its_oembed_endpoint(client):
    letter = make_letter()
    parser = OEmbedLinks()
    parser.feed(client.get(letter.get_absolute_url()).content.decode())
    (href,) = parser.hrefs
    parts = urlsplit(href)
    assert parts.path == reverse("embeds:oembed")
    assert parse_qs(parts.query) == {"url": [letter_url(letter)], "format": ["json"]}


@pytest.mark.django_db(transaction=True)
def test_a_real_oembed_client_embeds_a_letter_found_by_discovery(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter(title="Open letter on <fair> pay")
    page_url = f"{live_server.url}{letter.get_absolute_url()}"
    from urllib.request import urlopen

    with urlopen(page_url, timeout=5) as page:  # noqa: S310 - loopback live server
        parser = OEmbedLinks()
        parser.feed(page.read().decode())
    (href,) = parser.hrefs
    endpoint = href.split("?", 1)[0]
    registry = ProviderRegistry()
    registry.register(rf"{live_server.url}/letters/\S+", Provider(endpoint, timeout=5))

    data = registry.request(page_url, maxwidth=320)
    assert data["type"] == "rich"
    assert data["title"] == "Open letter on <fair> pay"
    assert data["width"] == 320
    assert f'src="{live_server.url}/embed/letters/{letter.slug}/#?secret=' in data["html"]

    article = registry.parse_text(f"Read it here:\n{page_url}\n")
    assert f"{live_server.url}/embed/letters/{letter.slug}/" in article


@pytest.mark.django_db(transaction=True)
def test_a_real_oembed_client_gets_a_404_for_a_draft(live_server, settings):
    settings.SITE_URL = live_server.url
    draft = make_letter(status=Letter.Status.DRAFT)
    provider = Provider(f"{live_server.url}{reverse('embeds:oembed')}", timeout=5)
    with pytest.raises(ProviderHTTPException) as error:
        provider.request(f"{live_server.url}{draft.get_absolute_url()}")
    assert "404" in str(error.value)


def iframe_src(html: str) -> str:
    return html.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_a_ref_in_the_letter_url_is_kept_by_the_iframe(client):
    letter = make_letter()
    body = oembed(client, url=letter_url(letter) + "?ref=Daily-News").json()
    src = urlsplit(iframe_src(body["html"]))
    assert src.path == f"/embed/letters/{letter.slug}/"
    assert parse_qs(src.query) == {"ref": ["daily-news"]}


def test_a_ref_parameter_is_kept_and_wins_over_the_url(client):
    letter = make_letter()
    body = oembed(
        client, url=letter_url(letter) + "?ref=from-url", ref="radio.4", maxheight="100"
    ).json()
    assert parse_qs(urlsplit(iframe_src(body["html"])).query) == {
        "size": ["compact"],
        "ref": ["radio.4"],
    }


def test_the_widget_of_an_oembed_with_a_ref_links_to_the_letter_with_it(client):
    letter = make_letter()
    body = oembed(client, url=letter_url(letter), ref="daily-news").json()
    widget = client.get(iframe_src(body["html"]))
    assert f'{letter.get_absolute_url()}?ref=daily-news"' in widget.content.decode()


@pytest.mark.parametrize("ref", ["", "no spaces", "<script>", "x" * 65])
def test_a_bad_ref_gives_the_plain_iframe(client, ref):
    letter = make_letter()
    plain = oembed(client, url=letter_url(letter)).json()
    body = oembed(client, url=letter_url(letter), ref=ref).json()
    assert body["html"] == plain["html"]
    assert "ref" not in iframe_src(body["html"])


def test_answers_with_different_refs_have_different_etags(client):
    letter = make_letter()
    one = oembed(client, url=letter_url(letter), ref="one")
    two = oembed(client, url=letter_url(letter), ref="two")
    assert one["ETag"] != two["ETag"]
