"""Embeds follow the language of the letter's text a visitor chose (``?lang=``): the widget
and its script, oEmbed, the feeds, the share cards and the letter page's share tags."""

import io
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from defusedxml import ElementTree
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from embeds import services, snippets, tasks
from letters import services as letter_services
from letters import translations
from letters.models import Letter, LetterTranslation, LetterVersion
from signatories import counters
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db

FRENCH = {
    "title": "Lettre pour un salaire juste",
    "summary": "Un court résumé.",
    "body": "Nous, soussignés, demandons un accord équitable.",
}
ARABIC = {
    "title": "رسالة مفتوحة",
    "summary": "ملخص قصير.",
    "body": "نحن الموقعين أدناه نطالب باتفاق عادل.",
}
ATOM = "{http://www.w3.org/2005/Atom}"


def translated(**texts: dict[str, str]) -> Letter:
    """A published English letter with a translation per keyword (``fr=FRENCH``)."""
    user = make_user()
    letter = make_letter(
        status=Letter.Status.DRAFT, title="Fair pay now", summary="A short summary."
    )
    make_member(letter=letter, user=user)
    for language, fields in texts.items():
        translations.translation_create(letter=letter, user=user, language=language, fields=fields)
    letter = letter_services.letter_publish(letter=letter, user=user)
    counters.counts_get(letter_id=letter.pk)
    return letter


def snapshot() -> tuple:
    return (
        sorted(Letter.objects.values_list("pk", "status", "title")),
        sorted(LetterTranslation.objects.values_list("pk", "language", "title")),
        sorted(LetterVersion.objects.values_list("pk", "language", "number")),
    )


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    @classmethod
    def of(cls, html: str) -> list[tuple[str, dict[str, str]]]:
        parser = cls()
        parser.feed(html)
        return parser.tags


def widget(client, letter: Letter, query: str = ""):
    response = client.get(reverse("embeds:widget", args=[letter.slug]) + query)
    assert response.status_code == 200
    return response


def links(html: str) -> list[str]:
    return [attrs["href"] for tag, attrs in Tags.of(html) if tag == "a"]


# The widget ------------------------------------------------------------------------------


def test_the_widget_shows_the_title_of_the_language_asked_for_and_links_to_that_text(client):
    letter = translated(fr=FRENCH)
    html = widget(client, letter, "?lang=fr").content.decode()
    assert "Lettre pour un salaire juste" in html
    assert "Fair pay now" not in html
    assert '<p class="t" lang="fr" dir="ltr">' in html
    assert '<html lang="fr"' in html  # the site speaks French: its words follow
    page = f"http://testserver{letter.get_absolute_url()}?lang=fr"
    assert links(html) == [page, page]


def test_a_right_to_left_text_is_marked_so_and_the_site_words_stay_in_a_language_it_speaks(
    client,
):
    letter = translated(ar=ARABIC)
    response = widget(client, letter, "?lang=ar")
    html = response.content.decode()
    assert '<p class="t" lang="ar" dir="rtl">' in html
    assert "رسالة مفتوحة" in html
    assert '<html lang="en"' in html  # no Arabic words of ours: the letter's language
    assert response["Content-Language"] == "en"
    assert links(html)[0].endswith(f"{letter.get_absolute_url()}?lang=ar")


def test_a_language_the_letter_lacks_gives_the_original_widget(client):
    letter = translated(fr=FRENCH)
    before = snapshot()
    original = widget(client, letter)
    for query in ("?lang=ar", "?lang=en", "?lang=zz", "?lang=<b>"):
        response = widget(client, letter, query)
        assert "Fair pay now" in response.content.decode()
        assert links(response.content.decode())[0] == f"http://testserver/letters/{letter.slug}/"
    assert widget(client, letter, "?lang=ar")["ETag"] == original["ETag"]
    assert snapshot() == before


def test_the_widget_tag_names_the_language_and_a_source_rides_along(client):
    letter = translated(fr=FRENCH)
    original, french = widget(client, letter), widget(client, letter, "?lang=fr")
    assert original["ETag"] != french["ETag"]
    again = client.get(
        reverse("embeds:widget", args=[letter.slug]) + "?lang=fr",
        headers={"If-None-Match": french["ETag"]},
    )
    assert again.status_code == 304
    html = widget(client, letter, "?lang=fr&ref=newsletter").content.decode()
    assert links(html)[0].endswith("?lang=fr&ref=newsletter")


def test_an_edited_translation_shows_in_the_widget_at_once(client):
    letter = translated(fr=FRENCH)
    first = widget(client, letter, "?lang=fr")
    translations.translation_update(
        letter=letter, user=make_user(), language="fr", fields={"title": "Nouveau titre"}
    )
    second = widget(client, letter, "?lang=fr")
    assert "Nouveau titre" in second.content.decode()
    assert second["ETag"] != first["ETag"]


def test_a_warm_translated_widget_touches_no_database_even_as_the_count_moves(
    client, django_assert_num_queries
):
    letter = translated(fr=FRENCH)
    widget(client, letter, "?lang=fr")
    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)
    with django_assert_num_queries(0):
        html = widget(client, letter, "?lang=fr").content.decode()
    assert 'data-count="1"' in html
    assert "Lettre pour un salaire juste" in html


def test_the_script_embed_hands_data_lang_to_the_frame(client):
    letter = translated(fr=FRENCH)
    text = translations.text_for(letter=letter, language="fr")
    assert 'data-lang="fr"' in snippets.script_html(letter=letter, text=text)
    loader = client.get(reverse("embeds:loader")).content.decode()
    # The loader copies data-lang (among others) into the frame's query.
    assert '"lang"' in re.search(r"var names = (\[.*?\]);", loader).group(1)


# oEmbed ----------------------------------------------------------------------------------


def test_oembed_of_a_page_in_a_language_gives_its_title_and_a_frame_in_it(client):
    letter = translated(fr=FRENCH)
    url = f"http://testserver{letter.get_absolute_url()}?lang=fr"
    body = client.get(reverse("embeds:oembed"), {"url": url}).json()
    assert body["title"] == "Lettre pour un salaire juste"
    src = re.search(r'src="([^"]+)"', body["html"]).group(1)
    assert parse_qs(urlsplit(src.replace("&amp;", "&")).query) == {"lang": ["fr"]}
    assert "Lettre pour un salaire juste" in body["html"]
    assert parse_qs(urlsplit(body["thumbnail_url"]).query)["lang"] == ["fr"]
    plain = f"http://testserver{letter.get_absolute_url()}"
    by_param = client.get(reverse("embeds:oembed"), {"url": plain, "lang": "fr"}).json()
    assert by_param["title"] == body["title"]


def test_oembed_of_a_page_in_a_language_with_a_ref_keeps_both_in_its_frame(client):
    letter = translated(fr=FRENCH)
    url = f"http://testserver{letter.get_absolute_url()}?lang=fr&ref=daily-news"
    body = client.get(reverse("embeds:oembed"), {"url": url}).json()
    src = re.search(r'src="([^"]+)"', body["html"]).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(src).query) == {"lang": ["fr"], "ref": ["daily-news"]}
    frame = client.get(src).content.decode()
    assert f"{letter.get_absolute_url()}?lang=fr&amp;ref=daily-news" in frame


def test_oembed_in_a_language_the_letter_lacks_gives_the_original(client):
    letter = translated(fr=FRENCH)
    before = snapshot()
    for lang in ("de", "zz", "x" * 40):
        url = f"http://testserver{letter.get_absolute_url()}?lang={lang}"
        body = client.get(reverse("embeds:oembed"), {"url": url}).json()
        assert body["title"] == "Fair pay now"
        assert f'src="http://testserver/embed/letters/{letter.slug}/#?secret=' in body["html"]
    assert snapshot() == before


# Feeds -----------------------------------------------------------------------------------


def test_the_rss_feed_in_a_language_gives_each_letter_in_it_where_it_has_it(client):
    french = translated(fr=FRENCH)
    english = make_letter(title="Only in English", summary="English summary.")
    root = ElementTree.fromstring(client.get(reverse("embeds:feed-rss") + "?lang=fr").content)
    assert root.findtext("channel/language") == "fr"
    items = {item.findtext("link"): item for item in root.iter("item")}
    item = items[f"http://testserver{french.get_absolute_url()}?lang=fr"]
    assert item.findtext("title") == "Lettre pour un salaire juste"
    assert item.findtext("description") == "Un court résumé."
    other = items[f"http://testserver{english.get_absolute_url()}"]
    assert other.findtext("title") == "Only in English"


def test_the_atom_feed_in_a_language_says_so_and_without_it_is_unchanged(client):
    french = translated(fr=FRENCH)
    response = client.get(reverse("embeds:feed-atom") + "?lang=fr")
    root = ElementTree.fromstring(response.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    titles = [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]
    assert titles == ["Lettre pour un salaire juste"]
    assert "Last-Modified" in response
    plain = ElementTree.fromstring(client.get(reverse("embeds:feed-atom")).content)
    assert plain.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    links_ = [e.find(f"{ATOM}link").get("href") for e in plain.iter(f"{ATOM}entry")]
    assert links_ == [f"http://testserver{french.get_absolute_url()}"]


def test_a_feed_in_a_language_costs_one_more_query_and_a_bad_one_none(
    client, django_assert_num_queries
):
    translated(fr=FRENCH)
    with django_assert_num_queries(2):
        client.get(reverse("embeds:feed-rss") + "?lang=fr")
    with django_assert_num_queries(1):
        body = client.get(reverse("embeds:feed-rss") + "?lang=<script>").content
    assert b"Fair pay now" in body


# Share cards -----------------------------------------------------------------------------


def ink_columns(png: bytes, top: int = 140, bottom: int = 300) -> tuple[int, int]:
    """The leftmost and rightmost columns with dark ink in the title's band."""
    image = Image.open(io.BytesIO(png)).convert("L").crop((0, top, 1200, bottom))
    box = image.point(lambda value: 255 if value < 100 else 0).getbbox()
    assert box, "the title is drawn"
    return box[0], box[2]


def test_each_language_has_its_own_card_drawn_by_the_task(client):
    letter = translated(fr=FRENCH, ar=ARABIC)
    french = translations.text_for(letter=letter, language="fr")
    page_card = snippets.share_card_url(letter=letter, count=0, text=french)
    assert page_card.endswith("&lang=fr")
    path = page_card.removeprefix("http://testserver")
    version = tasks.share_card_generate(letter_id=letter.pk, language="fr")
    assert version == services.share_card_version(letter=letter, count=0, text=french)
    assert version != services.share_card_version(letter=letter, count=0)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    original = services.share_card_render(letter=letter, count=0)
    assert response.content != original
    with default_storage.open(f"share-cards/{letter.pk}/{version}.png", "rb") as stored:
        assert stored.read() == response.content


def test_a_card_url_without_its_language_or_with_one_the_letter_lacks_redirects(client):
    letter = translated(fr=FRENCH)
    french = translations.text_for(letter=letter, language="fr")
    base = reverse("embeds:share-card", args=[letter.slug])
    response = client.get(base + "?lang=fr")
    assert response.status_code == 302
    assert response["Location"] == snippets.share_card_url(letter=letter, count=0, text=french)
    lacking = client.get(base + "?lang=de&v=0-00000000")
    assert lacking["Location"] == snippets.share_card_url(letter=letter, count=0)
    assert "lang" not in lacking["Location"]


def test_a_right_to_left_title_is_drawn_from_the_right():
    letter = translated(ar=ARABIC)
    arabic = translations.text_for(letter=letter, language="ar")
    left, right = ink_columns(services.share_card_render(letter=letter, count=0, text=arabic))
    assert right > 1050
    assert left > 600
    left, right = ink_columns(services.share_card_render(letter=letter, count=0))
    assert left < 120


def test_without_libraqm_a_right_to_left_title_is_still_right_aligned_in_reading_order(
    monkeypatch,
):
    monkeypatch.setattr(services, "has_layout_engine", lambda: False)
    letter = translated(ar=ARABIC)
    arabic = translations.text_for(letter=letter, language="ar")
    left, right = ink_columns(services.share_card_render(letter=letter, count=0, text=arabic))
    assert right > 1050
    assert left > 300  # a short title: nothing near the left margin
    # Letters reversed into drawing order; numbers and Latin words still read left to right.
    assert services._visual("أب 2026 cd") == "cd 2026 بأ"


# The letter page -------------------------------------------------------------------------


def metas(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag, attrs in Tags.of(html):
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            key = attrs.get("property") or attrs["name"]
            found.setdefault(key, []).append(attrs.get("content", ""))
        if tag == "link" and attrs.get("rel") == "canonical":
            found["canonical"] = [attrs["href"]]
        if tag == "link" and attrs.get("type") == "application/json+oembed":
            found["oembed"] = [attrs["href"]]
    return found


def test_the_page_in_a_language_shares_that_text_its_card_and_its_snippets(client):
    letter = translated(fr=FRENCH, ar=ARABIC)
    html = client.get(letter.get_absolute_url() + "?lang=fr").content.decode()
    tags = metas(html)
    assert tags["og:title"] == ["Lettre pour un salaire juste"]
    assert tags["og:description"] == ["Un court résumé."]
    assert tags["twitter:title"] == ["Lettre pour un salaire juste"]
    assert tags["og:locale"] == ["fr"]
    assert sorted(tags["og:locale:alternate"]) == ["ar", "en"]
    assert parse_qs(urlsplit(tags["og:image"][0]).query)["lang"] == ["fr"]
    page = f"http://testserver{letter.get_absolute_url()}?lang=fr"
    assert tags["canonical"] == [page] == tags["og:url"]
    oembed_query = parse_qs(urlsplit(tags["oembed"][0]).query)
    assert oembed_query["url"] == [page]
    # The embed panel hands out snippets in French.
    assert f"/embed/letters/{letter.slug}/?lang=fr" in html
    assert "data-lang=&quot;fr&quot;" in html


def test_the_original_page_shares_the_original_and_names_the_other_locales(client):
    letter = translated(ar=ARABIC)
    html = client.get(letter.get_absolute_url()).content.decode()
    tags = metas(html)
    assert tags["og:title"] == ["Fair pay now"]
    assert tags["og:locale"] == ["en"]
    assert tags["og:locale:alternate"] == ["ar"]
    assert "lang" not in parse_qs(urlsplit(tags["og:image"][0]).query)
    assert "data-lang" not in html


def test_open_graph_writes_a_regional_locale_with_an_underscore():
    assert snippets.og_locale("pt-br") == "pt_BR"
    assert snippets.og_locale("fr") == "fr"
