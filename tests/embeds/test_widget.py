import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from letters.models import Letter
from signatories import services
from tests.factories import make_letter, make_pending_signature, make_signature

pytestmark = pytest.mark.django_db


def widget(letter: Letter, query: str = "") -> str:
    return reverse("embeds:widget", args=[letter.slug]) + query


def data_count(response) -> int:
    match = re.search(r'data-count="(\d+)"', response.content.decode())
    assert match, "the widget carries its count in data-count"
    return int(match.group(1))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    @classmethod
    def of(cls, html: str) -> list[tuple[str, dict[str, str | None]]]:
        parser = cls()
        parser.feed(html)
        return parser.tags


def test_the_widget_shows_the_count_goal_and_a_button_that_opens_a_new_tab(client):
    letter = make_letter(goal=100)
    for _ in range(3):
        make_signature(letter=letter)
    response = client.get(widget(letter))
    assert response.status_code == 200
    assert data_count(response) == 3
    tags = Tags.of(response.content.decode())
    assert ("progress", {"max": "100", "value": "3", "aria-hidden": "true"}) in tags
    links = [attrs for tag, attrs in tags if tag == "a" and "b" in (attrs.get("class") or "")]
    assert links == [
        {
            "class": "b",
            "href": f"http://testserver{letter.get_absolute_url()}",
            "target": "_blank",
            "rel": "noopener",
        }
    ]
    assert not [tag for tag, _ in tags if tag in {"form", "input"}]


def test_a_closed_letter_offers_to_read_it_instead_of_signing(client):
    letter = make_letter(status=Letter.Status.CLOSED)
    html = client.get(widget(letter)).content.decode()
    assert "Read the letter" in html
    assert "Sign the letter" not in html


def test_the_count_is_announced_politely(client):
    letter = make_letter()
    html = client.get(widget(letter)).content.decode()
    live = [attrs for tag, attrs in Tags.of(html) if attrs.get("aria-live")]
    assert live == [{"class": "c", "aria-live": "polite", "aria-atomic": "true"}]


def test_the_widget_may_be_framed_by_any_site(client):
    response = client.get(widget(make_letter()))
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name", ["letters:index", "letters:detail", "signatories:list", "signatories:check-inbox"]
)
def test_every_other_page_stays_unframable(client, name):
    letter = make_letter()
    url = reverse(name) if name == "letters:index" else reverse(name, args=[letter.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "route", ["embeds:widget", "embeds:badge", "embeds:shields", "embeds:loader", "embeds:oembed"]
)
def test_embed_routes_set_no_cookie_and_do_not_vary_on_cookies(client, route):
    letter = make_letter()
    if route == "embeds:loader":
        url = reverse(route)
    elif route == "embeds:oembed":
        url = reverse(route) + f"?url=http://testserver{letter.get_absolute_url()}"
    else:
        url = reverse(route, args=[letter.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert "Set-Cookie" not in str(response.serialize_headers())
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "stale-while-revalidate" in response["Cache-Control"]


def test_the_widget_answers_a_304_to_its_own_etag(client):
    letter = make_letter()
    first = client.get(widget(letter))
    again = client.get(widget(letter), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    other_theme = client.get(
        widget(letter, "?theme=dark"), headers={"If-None-Match": first["ETag"]}
    )
    assert other_theme.status_code == 200


def test_options_come_from_the_query_string(client):
    letter = make_letter(goal=50)
    html = client.get(widget(letter, "?theme=dark&size=compact&lang=fr&goal=0")).content.decode()
    html_tag = Tags.of(html)[0]
    assert html_tag == ("html", {"lang": "fr", "class": "dark compact"})
    assert "<progress" not in html
    assert "Goal" not in html


def test_unknown_options_fall_back_to_the_defaults(client):
    letter = make_letter(goal=50, language="de")
    response = client.get(widget(letter, "?theme=neon&size=huge&lang=xx&goal=maybe"))
    assert Tags.of(response.content.decode())[0] == ("html", {"lang": "de", "class": "light full"})
    assert "<progress" in response.content.decode()
    assert response["Content-Language"] == "de"


def test_a_draft_has_no_widget(client):
    draft = make_letter(status=Letter.Status.DRAFT)
    response = client.get(widget(draft))
    assert response.status_code == 404
    assert draft.title not in response.content.decode()


def test_a_confirmation_changes_the_count_an_open_widget_fetches(
    client, django_capture_on_commit_callbacks
):
    letter = make_letter()
    make_pending_signature(letter=letter, token="x" * 20)
    assert data_count(client.get(widget(letter))) == 0
    api = re.search(r'data-api="([^"]+)"', client.get(widget(letter)).content.decode()).group(1)
    assert client.get(api).json()["signature_count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_confirm(token="x" * 20)
    assert client.get(api).json()["signature_count"] == 1
    assert data_count(client.get(widget(letter))) == 1


def scripts_of(html: str) -> list[Path]:
    """The files of the scripts a page loads, in order."""
    sources = [attrs["src"] or "" for tag, attrs in Tags.of(html) if tag == "script"]
    found = [finders.find(src.removeprefix(settings.STATIC_URL)) for src in sources]
    assert all(isinstance(path, str) for path in found), f"a script is missing: {sources}"
    return [Path(str(path)) for path in found]


def test_the_widget_polls_often_enough_and_pauses_while_hidden(client):
    scripts = scripts_of(client.get(widget(make_letter())).content.decode())
    assert [path.name for path in scripts] == ["live-count.js", "widget.js"]
    live_count, own = (path.read_text() for path in scripts)
    assert "visibilityState" in live_count
    every = int(re.search(r"var every = (\d+);", live_count).group(1))
    assert 15000 <= every <= 60000
    assert "Undersigned.liveCount(" in own
    assert "message: message, value: value, secret: secret" in own


def test_the_widget_is_small(client):
    letter = make_letter(goal=1000, title="T" * 200)
    html = client.get(widget(letter)).content
    scripts = scripts_of(html.decode())
    assert len(scripts) == 2
    assert len(html) + sum(len(path.read_bytes()) for path in scripts) < 15_000


@pytest.mark.parametrize("signatures", [1, 40])
def test_the_widget_costs_no_query_once_warm_whatever_the_number_of_signatures(
    client, django_assert_num_queries, signatures
):
    letter = make_letter()
    for _ in range(signatures):
        make_signature(letter=letter)
    client.get(widget(letter))
    with django_assert_num_queries(0):
        assert data_count(client.get(widget(letter))) == signatures


def test_the_script_embed_inserts_an_iframe_with_absolute_urls(client):
    response = client.get(reverse("embeds:loader"))
    assert response["Content-Type"].startswith("text/javascript")
    source = response.content.decode()
    assert 'var base = "http://testserver/embed/letters/";' in source
    assert "frame.title" in source
    assert "#?secret=" in source
    again = client.get(reverse("embeds:loader"), headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_the_widget_links_carry_its_ref_to_the_letter_page(client):
    letter = make_letter()
    plain = client.get(widget(letter))
    with_ref = client.get(widget(letter, "?ref=Daily-News"))
    hrefs = [attrs["href"] for tag, attrs in Tags.of(with_ref.content.decode()) if tag == "a"]
    assert hrefs and all(
        href.endswith(f"{letter.get_absolute_url()}?ref=daily-news") for href in hrefs
    )
    assert "?ref=" not in plain.content.decode()
    assert with_ref["ETag"] != plain["ETag"]
    assert not with_ref.cookies
    # A bad ref is dropped: the widget is the plain one.
    bad = client.get(widget(letter, "?ref=%3Cb%3E"))
    assert bad.content == plain.content
    assert bad["ETag"] == plain["ETag"]


def test_the_embed_script_passes_data_ref_to_its_frame(client):
    body = client.get(reverse("embeds:loader")).content.decode()
    assert '"ref"' in body
