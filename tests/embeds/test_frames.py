"""The HTML other sites frame the widget with: WordPress's embed shape in oEmbed, a
sandbox that lets the letter page open, and no inline style for strict publisher CSPs.
In a browser: tests/e2e/test_embed_frames_browser.py."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from embeds import snippets
from tests.factories import make_letter

pytestmark = pytest.mark.django_db


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def oembed_html(client, url: str, **params: str) -> str:
    response = client.get(reverse("embeds:oembed"), {"url": url, **params})
    assert response.status_code == 200
    return response.json()["html"]


def test_oembed_html_has_the_shape_of_wordpress_post_embeds(client):
    letter = make_letter(title="Fair <pay> now")
    url = f"http://testserver{letter.get_absolute_url()}"
    html = oembed_html(client, url)
    parsed = parse(html)
    assert [tag for tag, _ in parsed.tags] == ["blockquote", "a", "iframe"]
    (_, quote), (_, link), (_, frame) = parsed.tags
    secret = quote["data-secret"]
    assert secret and secret.isalnum() and len(secret) == 10
    assert quote["class"] == "wp-embedded-content"
    assert link["href"] == url
    assert "".join(parsed.text) == "Fair <pay> now"
    assert frame["class"] == "wp-embedded-content"
    assert frame["security"] == "restricted"
    assert frame["data-secret"] == secret
    assert frame["src"] == f"http://testserver/embed/letters/{letter.slug}/#?secret={secret}"
    # Consumers other than WordPress (which puts its own sandbox) keep ours: popups escape.
    assert frame["sandbox"] == "allow-scripts allow-popups allow-popups-to-escape-sandbox"
    assert all("style" not in attrs for _, attrs in parsed.tags)
    # The same answer every time, so that its ETag holds; each widget its own secret.
    assert oembed_html(client, url) == html
    other = make_letter()
    other_html = oembed_html(client, f"http://testserver{other.get_absolute_url()}")
    assert parse(other_html).tags[0][1]["data-secret"] != secret


def test_the_oembed_link_carries_the_source_like_the_widget(client):
    letter = make_letter()
    url = f"http://testserver{letter.get_absolute_url()}?ref=daily-news"
    (_, _), (_, link), (_, frame) = parse(oembed_html(client, url)).tags
    assert link["href"] == f"http://testserver{letter.get_absolute_url()}?ref=daily-news"
    assert "ref=daily-news#?secret=" in str(frame["src"])


def test_the_iframe_snippet_needs_no_inline_style_and_fits_any_width():
    letter = make_letter()
    (tag, attrs), *rest = parse(snippets.snippets(letter=letter)["iframe"]).tags
    assert (tag, rest) == ("iframe", [])
    assert "style" not in attrs
    assert (attrs["width"], attrs["height"], attrs["frameborder"]) == ("100%", "220", "0")


@pytest.mark.parametrize("query", ["", "?lang=fr", "?ref=daily-news"])
def test_the_letter_page_lets_a_sandboxed_frame_open_it(client, query):
    letter = make_letter()
    for _ in range(2):  # drawn, then the kept page
        response = client.get(letter.get_absolute_url() + query)
        assert response.status_code == 200
        assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"


def test_the_other_pages_keep_their_opener_policy(client):
    letter = make_letter()
    widget = client.get(reverse("embeds:widget", args=[letter.slug]))
    assert widget["Cross-Origin-Opener-Policy"] == "same-origin"
    assert client.get("/")["Cross-Origin-Opener-Policy"] == "same-origin"
