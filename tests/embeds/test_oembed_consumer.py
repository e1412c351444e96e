"""A real oEmbed consumer against the running site: oEmbedPy (``oembedpy``), which finds
the endpoint either in its list of providers (the providers.json format of oembed.com,
as WordPress and most CMSs keep one) or by discovery, reading the page's
``<link rel="alternate" type="application/json+oembed">`` as any consumer does. It
fetches over real HTTP (httpx) from a live server and parses what it gets back."""

import httpx
import pytest
from django.conf import settings
from oembedpy.application import Oembed
from oembedpy.provider import ProviderRegistry

from letters.models import Letter
from tests.factories import make_letter

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch) -> None:
    """httpx honours proxy variables; a test talks to the live server on loopback only."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


def consumer(providers: list[dict] | None = None) -> Oembed:
    """An oEmbedPy client with the given providers (none: discovery only). Its ``init()``
    would download oembed.com's list; the tests hand it theirs instead."""
    client = Oembed()
    client._registry = ProviderRegistry.from_dict(providers or [])
    client._cache = {}
    return client


def our_provider(site: str) -> list[dict]:
    """Our site as an entry of oembed.com's providers.json."""
    return [
        {
            "provider_name": "Undersigned test",
            "provider_url": f"{site}/",
            "endpoints": [{"schemes": [f"{site}/letters/*"], "url": f"{site}/oembed"}],
        }
    ]


def iframe_src(html: str) -> str:
    return html.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_discovery_finds_the_endpoint_and_gets_the_iframe_title_and_provider(site):
    letter = make_letter(title="Open letter on <fair> pay & conditions")
    page = f"{site}{letter.get_absolute_url()}"
    content = consumer().fetch(page, max_width=320)
    assert content.type == "rich"
    assert content.version == "1.0"
    assert content.title == "Open letter on <fair> pay & conditions"
    assert content.provider_name == settings.SITE_NAME
    assert content.provider_url == f"{site}/"
    assert content.width == 320
    assert content.html.count("<iframe") == 1
    address, secret = iframe_src(content.html).split("#?secret=")
    assert address == f"{site}/embed/letters/{letter.slug}/"
    assert secret in content.html.split('data-secret="')[1]
    assert "&lt;fair&gt;" in content.html
    assert "<fair>" not in content.html
    # The card (1200 px wide) does not fit in 320 px: no thumbnail.
    assert content.thumbnail_url is None
    # What the iframe loads is the widget, and it answers.
    widget = httpx.get(iframe_src(content.html), timeout=5)
    assert widget.status_code == 200
    assert letter.title in widget.text.replace("&lt;", "<").replace("&gt;", ">").replace(
        "&amp;", "&"
    )


def test_discovery_with_a_small_maxheight_gets_the_compact_widget(site):
    letter = make_letter()
    content = consumer().fetch(f"{site}{letter.get_absolute_url()}", max_height=150)
    assert content.height <= 150
    assert "size=compact" in iframe_src(content.html)
    assert content.thumbnail_url is None


def test_a_listed_provider_gets_the_share_card_it_can_fetch(site):
    letter = make_letter()
    content = consumer(our_provider(site)).fetch(f"{site}{letter.get_absolute_url()}")
    assert (content.thumbnail_width, content.thumbnail_height) == (1200, 630)
    card = httpx.get(content.thumbnail_url, timeout=5)
    assert card.status_code == 200
    assert card.headers["content-type"] == "image/png"


def test_a_listed_provider_recognises_a_letter_url_pasted_without_its_slash(site):
    letter = make_letter(title="No slash")
    pasted = f"{site}{letter.get_absolute_url()}".rstrip("/")
    content = consumer(our_provider(site)).fetch(pasted)
    assert content.title == "No slash"
    address, secret = iframe_src(content.html).split("#?secret=")
    assert address == f"{site}/embed/letters/{letter.slug}/"
    assert secret in content.html.split('data-secret="')[1]


def test_a_german_letter_keeps_its_language_through_the_consumer(site):
    letter = make_letter(language="de", title="Offener Brief")
    content = consumer().fetch(f"{site}{letter.get_absolute_url()}")
    assert content.title == "Offener Brief"
    widget = httpx.get(iframe_src(content.html), timeout=5)
    assert 'lang="de"' in widget.text


def test_a_draft_is_a_404_to_the_consumer(site):
    draft = make_letter(status=Letter.Status.DRAFT)
    with pytest.raises(httpx.HTTPStatusError) as error:
        consumer(our_provider(site)).fetch(f"{site}{draft.get_absolute_url()}")
    assert error.value.response.status_code == 404
    assert error.value.response.json()["error"]["status"] == 404
