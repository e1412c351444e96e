"""The feeds and the sitemap keep the API's public-read contract (embeds/http.py): a
shared Cache-Control, an ETag answered with a 304, CORS for any origin and no
``Vary: Accept-Language``, the same body whatever the reader's language (a feed differs
by ``?lang=`` only); summaries reach readers as text; archived letters leave the sitemap."""

import pytest
from defusedxml import ElementTree
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from config.handlers import SiteWSGIHandler
from letters import services as letter_services
from letters import translations
from letters.models import Letter
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
READS = {
    "rss": (reverse("embeds:feed-rss"), "application/rss+xml; charset=utf-8", 300),
    "atom": (reverse("embeds:feed-atom"), "application/atom+xml; charset=utf-8", 300),
    "sitemap": ("/sitemap.xml", "application/xml", 3600),
}
MARKUP = '<script>alert("x")</script> Tom & Jerry <b>bold</b>'
ESCAPED = (
    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;"
)


@pytest.mark.parametrize("read", READS)
def test_it_is_a_cacheable_public_read_with_cors(client, read):
    make_letter()
    path, content_type, max_age = READS[read]
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"].startswith(f"public, max-age={max_age},")
    assert "stale-if-error" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert response["ETag"].startswith('"')
    assert not response.cookies


@pytest.mark.parametrize("read", READS)
def test_its_etag_gets_a_304_without_a_body(client, read):
    make_letter()
    path = READS[read][0]
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in again["Cache-Control"]


@pytest.mark.parametrize("read", READS)
def test_a_new_letter_changes_its_etag(client, read):
    make_letter()
    path = READS[read][0]
    first = client.get(path)
    make_letter(title="Another letter")
    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]


@pytest.mark.parametrize("read", READS)
def test_the_readers_language_changes_nothing_and_is_not_a_vary(client, read):
    make_letter()
    path = READS[read][0]
    english = client.get(path, headers={"Accept-Language": "en"})
    for language in ("fr", "de", "es"):
        other = client.get(path, headers={"Accept-Language": language})
        assert other.content == english.content
        assert other["ETag"] == english["ETag"]
        assert "accept-language" not in other.get("Vary", "").lower()
        assert other["Content-Language"] == "en"


@pytest.mark.parametrize("read", READS)
def test_the_production_handler_serves_it_through_the_short_stack(read):
    make_letter()
    request = RequestFactory().get(READS[read][0], headers={"Accept-Language": "fr"})
    response = SiteWSGIHandler().get_response(request)
    assert response.status_code == 200
    assert not hasattr(request, "session")
    assert "Vary" not in response
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"]


@pytest.mark.parametrize("read", READS)
def test_it_takes_no_post(client, read):
    response = client.post(READS[read][0])
    assert response.status_code == 405


def french_letter() -> Letter:
    user = make_user()
    letter = make_letter(status=Letter.Status.DRAFT, title="Fair pay now")
    make_member(letter=letter, user=user)
    translations.translation_create(
        letter=letter,
        user=user,
        language="fr",
        fields={"title": "Salaire juste", "summary": MARKUP, "body": "Nous demandons."},
    )
    return letter_services.letter_publish(letter=letter, user=user)


@pytest.mark.parametrize("name", ["embeds:feed-rss", "embeds:feed-atom"])
def test_a_feed_in_a_language_varies_by_its_query_and_speaks_it(client, name):
    french_letter()
    plain = client.get(reverse(name))
    french = client.get(reverse(name) + "?lang=fr")
    assert french["ETag"] != plain["ETag"]
    assert french["Content-Language"] == "fr"
    assert "accept-language" not in french.get("Vary", "").lower()
    assert "Lettres ouvertes" in french.content.decode()
    assert "Lettres ouvertes" not in plain.content.decode()
    assert "Open letters" in plain.content.decode()
    same = client.get(reverse(name) + "?lang=fr", headers={"Accept-Language": "de"})
    assert same.content == french.content
    again = client.get(reverse(name) + "?lang=fr", headers={"If-None-Match": french["ETag"]})
    assert again.status_code == 304


def test_a_feed_in_a_language_the_site_does_not_speak_keeps_the_sites_words(client):
    make_letter()
    response = client.get(reverse("embeds:feed-rss") + "?lang=it")
    root = ElementTree.fromstring(response.content)
    assert root.findtext("channel/title") == "Open letters"
    assert root.findtext("channel/language") == "it"


def test_summaries_reach_both_feeds_as_escaped_text(client):
    make_letter(summary=MARKUP, title="Tom & Jerry <i>say</i>")
    rss = client.get(reverse("embeds:feed-rss")).content
    atom = client.get(reverse("embeds:feed-atom")).content
    for raw in (rss, atom):
        assert b"<script" not in raw
        assert b"<b>" not in raw
    rss_root, atom_root = ElementTree.fromstring(rss), ElementTree.fromstring(atom)
    assert rss_root.findtext("channel/item/description") == ESCAPED
    assert atom_root.find(f"{ATOM}entry/{ATOM}summary").text == ESCAPED
    # Titles are text elements: the XML parser gives the title back as it was typed.
    assert rss_root.findtext("channel/item/title") == "Tom & Jerry <i>say</i>"
    assert atom_root.find(f"{ATOM}entry/{ATOM}title").text == "Tom & Jerry <i>say</i>"


def test_a_translated_summary_reaches_the_feed_as_escaped_text(client):
    french_letter()
    raw = client.get(reverse("embeds:feed-rss") + "?lang=fr").content
    assert b"<script" not in raw
    assert ElementTree.fromstring(raw).findtext("channel/item/description") == ESCAPED


def test_archived_letters_leave_the_sitemap_and_closed_ones_stay(client):
    published = make_letter()
    closed = make_letter(status=Letter.Status.CLOSED)
    archived = make_letter(status=Letter.Status.ARCHIVED)
    draft = make_letter(status=Letter.Status.DRAFT)
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    locations = {node.text for node in root.iter(f"{SITEMAP}loc")}
    assert f"{settings.SITE_URL}{published.get_absolute_url()}" in locations
    assert f"{settings.SITE_URL}{closed.get_absolute_url()}" in locations
    assert f"{settings.SITE_URL}{archived.get_absolute_url()}" not in locations
    assert f"{settings.SITE_URL}{draft.get_absolute_url()}" not in locations
    # The archived letter keeps its own page.
    assert client.get(archived.get_absolute_url()).status_code == 200
