"""Attacks on what other sites fetch: the API, oEmbed and the feeds; and the headers and
production settings that every response depends on. See docs/security.md."""

import secrets

import pytest
from defusedxml import ElementTree as ET
from django.urls import reverse

from tests.factories import make_letter
from tests.processes import PRODUCTION, settings_in_child

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_a_summary_with_a_script_tag_reaches_feed_readers_as_text(client):
    make_letter(summary='<script>alert("x")</script> & <b>bold</b>')
    rss = ET.fromstring(client.get(reverse("embeds:feed-rss")).content)
    atom = ET.fromstring(client.get(reverse("embeds:feed-atom")).content)
    described = [
        rss.find("channel/item/description").text,
        atom.find(f"{ATOM}entry/{ATOM}summary").text,
    ]
    # What a reader renders as HTML must show the tags, not run them.
    expected = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert described == [expected, expected]


def _json_error(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.content[:200])
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    assert error["message"]
    return error["message"]


@pytest.fixture
def api_client():
    from django.test import Client

    # An attacker sees what a browser sees: no test-client exception, no CSRF exemption.
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.mark.parametrize(
    "query",
    ["limit=%D9%A1%D9%A2", "limit=%C2%B2", "limit=%EF%BC%95", "limit=1e2", "limit=-1"],
    ids=["arabic-indic", "superscript", "fullwidth", "exponent", "negative"],
)
def test_a_limit_in_exotic_digits_gets_a_json_400_not_a_crash_or_a_guess(api_client, query):
    letter = make_letter()
    for url in (
        reverse("embeds:api-list"),
        reverse("embeds:api-signatories", kwargs={"slug": letter.slug}),
    ):
        assert "limit" in _json_error(api_client.get(f"{url}?{query}"), 400)


@pytest.mark.parametrize("name", ["maxwidth", "maxheight"])
@pytest.mark.parametrize("value", ["%D9%A1%D9%A2", "%C2%B2", "0", "wide"])
def test_an_oembed_size_in_exotic_digits_gets_a_json_400(api_client, name, value):
    letter = make_letter()
    url = f"http://testserver{letter.get_absolute_url()}"
    response = api_client.get(f"{reverse('embeds:oembed')}?url={url}&{name}={value}")
    assert name in _json_error(response, 400)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_to_the_read_only_api_gets_json_not_an_html_csrf_page(api_client, method):
    letter = make_letter()
    for url in (
        reverse("embeds:api-list"),
        reverse("embeds:api-detail", kwargs={"slug": letter.slug}),
        reverse("embeds:oembed"),
    ):
        response = getattr(api_client, method)(url)
        assert response.status_code in {403, 405}
        _json_error(response, response.status_code)


def test_a_non_get_method_without_csrf_protection_gets_a_json_405(client):
    response = client.post(reverse("embeds:api-list"))  # the test client skips CSRF
    assert "GET" in _json_error(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize(
    "path",
    ["/api/nothing-here/", "/api/letters/%00/", "/api/letters/x%00y/signatories/"],
    ids=["unknown-path", "nul-slug", "nul-in-signatories"],
)
def test_odd_api_paths_get_a_json_4xx_never_a_500_or_an_html_page(api_client, path):
    response = api_client.get(path)
    assert 400 <= response.status_code < 500
    _json_error(response, response.status_code)


def test_the_api_still_answers_html_pages_nowhere_else(api_client):
    response = api_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path", ["/", "/privacy/", "/api/letters/", "/oembed", "/accounts/login/", "/no-such-page/"]
)
def test_no_page_may_ask_for_the_camera_microphone_location_or_payment(client, path):
    policy = client.get(path)["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_the_production_settings_pass_django_s_deployment_checks(tmp_path):
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='DEBUG')"
    )
    result = settings_in_child(
        code,
        **(PRODUCTION | {"SECRET_KEY": secrets.token_urlsafe(50)}),
        REDIS_URL="redis://127.0.0.1:6379/11",
        SITE_URL="https://letters.example.org",
        ALLOWED_HOSTS="letters.example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout
