from html.parser import HTMLParser

import pytest

from tests.factories import make_letter

pytestmark = pytest.mark.django_db


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.textareas: dict[str, str] = {}
        self.iframes: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.buttons: list[dict[str, str | None]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or found.get("name")):
            self.meta[found.get("property") or found["name"] or ""] = found.get("content") or ""
        if tag == "textarea":
            assert "readonly" in found
            self._textarea = found["id"]
            self.textareas[self._textarea or ""] = ""
        if tag == "iframe":
            self.iframes.append(found)
        if tag == "script":
            self.scripts.append(found)
        if tag == "button" and "data-copy" in found:
            self.buttons.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.textareas[self._textarea] += data


def page(client, letter) -> Collect:
    parser = Collect()
    parser.feed(client.get(letter.get_absolute_url()).content.decode())
    return parser


def test_the_letter_page_has_open_graph_and_twitter_tags(client):
    letter = make_letter(title="Fair pay", summary="Pay illustrators.")
    meta = page(client, letter).meta
    assert meta["og:title"] == "Fair pay"
    assert meta["og:description"] == "Pay illustrators."
    assert meta["og:url"] == f"http://testserver{letter.get_absolute_url()}"
    assert meta["og:image"].startswith(f"http://testserver/letters/{letter.slug}/share.png?v=")
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["twitter:card"] == "summary_large_image"


def test_the_embed_panel_offers_every_snippet_in_readonly_textareas(client):
    letter = make_letter(title='Say "no" & <mean> it')
    parsed = page(client, letter)
    snippets = parsed.textareas
    assert set(snippets) == {
        "embed-iframe",
        "embed-script",
        "embed-badge",
        "embed-badge-md",
        "embed-link",
    }
    assert snippets["embed-iframe"].startswith(
        f'<iframe src="http://testserver/embed/letters/{letter.slug}/" '
        'title="Live signature count: Say &quot;no&quot; &amp; &lt;mean&gt; it" '
    )
    assert snippets["embed-script"] == (
        f'<script src="http://testserver/embed.js" data-letter="{letter.slug}" async></script>'
    )
    assert f"http://testserver/letters/{letter.slug}/badge.svg" in snippets["embed-badge"]
    assert snippets["embed-link"] == f"http://testserver{letter.get_absolute_url()}"
    # Copy buttons appear only with JavaScript; without it the text is there to select.
    assert len(parsed.buttons) == 5
    assert all("hidden" in button for button in parsed.buttons)


def test_the_panel_previews_the_widget_itself_with_a_title(client):
    letter = make_letter(title="Fair pay")
    (preview,) = page(client, letter).iframes
    assert preview["src"] == f"http://testserver/embed/letters/{letter.slug}/"
    assert preview["title"] == "Live signature count: Fair pay"


def test_the_letter_page_polls_its_cached_json(client):
    letter = make_letter()
    scripts = page(client, letter).scripts
    sources = [s.get("src") for s in scripts]
    # The polling shared with the widget runs first (both are deferred: in document order).
    assert sources.index("/static/js/live-count.js") < sources.index("/static/js/letter.js")
    assert [s for s in scripts if (s.get("src") or "").endswith("letter.js")] == [
        {"src": "/static/js/letter.js", "data-api": f"/api/letters/{letter.slug}/", "defer": None}
    ]
    html = client.get(letter.get_absolute_url()).content.decode()
    # An empty letter invites the first signature instead of a zero; the number the poll
    # fills in is already there, hidden.
    assert (
        '<p class="count-number count-empty" aria-live="polite"><span data-count hidden>0</span>'
        in html
    )
