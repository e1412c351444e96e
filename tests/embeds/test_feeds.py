import pytest
from defusedxml import ElementTree
from django.urls import reverse

from letters.models import Letter
from tests.factories import make_letter

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_the_rss_feed_lists_published_letters_and_no_draft(client):
    published = make_letter(title="Published <letter>")
    closed = make_letter(status=Letter.Status.CLOSED)
    draft = make_letter(status=Letter.Status.DRAFT)
    root = ElementTree.fromstring(client.get(reverse("embeds:feed-rss")).content)
    links = [item.findtext("link") for item in root.iter("item")]
    assert f"http://testserver{published.get_absolute_url()}" in links
    assert f"http://testserver{closed.get_absolute_url()}" in links
    assert f"http://testserver{draft.get_absolute_url()}" not in links
    assert "Published <letter>" in [item.findtext("title") for item in root.iter("item")]


def test_the_atom_feed_lists_published_letters_and_no_draft_or_archived_one(client):
    published = make_letter()
    draft = make_letter(status=Letter.Status.DRAFT)
    archived = make_letter(status=Letter.Status.ARCHIVED)
    response = client.get(reverse("embeds:feed-atom"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    titles = [entry.findtext(f"{ATOM}title") for entry in root.iter(f"{ATOM}entry")]
    assert published.title in titles
    assert draft.title not in titles
    assert archived.title not in titles


def test_the_sitemap_lists_published_letters_and_no_draft(client):
    published = make_letter()
    draft = make_letter(status=Letter.Status.DRAFT)
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    locations = [node.text for node in root.iter(f"{SITEMAP}loc")]
    assert f"http://testserver{published.get_absolute_url()}" in locations
    assert f"http://testserver{draft.get_absolute_url()}" not in locations
    assert "http://testserver/" in locations
