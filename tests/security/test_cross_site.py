"""The sign form needs no CSRF cookie (its page is cached) and is checked by origin instead:
a POST from another site is refused with a clear page and changes nothing."""

import json

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from letters.http import origin_checked
from signatories.models import OutboxMessage, Signature
from tests.factories import make_letter, sign_data

pytestmark = pytest.mark.django_db

REFUSED = "This form was sent from another website, so nothing was saved."


def browser() -> Client:
    # What a browser gets: Django's CSRF check on, no test-client exception.
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def post_sign(headers: dict[str, str]):
    letter = make_letter()
    url = reverse("signatories:sign", args=[letter.slug])
    return browser().post(url, sign_data(), headers=headers)


def assert_refused_and_nothing_stored(response) -> None:
    assert response.status_code == 403
    assert REFUSED in response.content.decode()
    assert not Signature.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://shop.testserver"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ],
    ids=["fetch-cross", "fetch-cross-origin", "fetch-same-site", "origin", "null", "referer"],
)
def test_a_sign_post_from_another_site_is_refused_and_stores_nothing(headers):
    assert_refused_and_nothing_stored(post_sign(headers))


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},
        {"Referer": "http://testserver/letters/x/"},
        {},  # no browser sends a cross-site POST without any of the three
    ],
    ids=["fetch-same-origin", "fetch-none", "origin", "referer", "no-headers"],
)
def test_a_sign_post_from_this_site_needs_no_csrf_cookie(headers):
    response = post_sign(headers)
    assert response.status_code == 200
    assert Signature.objects.count() == 1


def test_a_same_site_origin_named_in_csrf_trusted_origins_may_sign(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    response = post_sign({"Sec-Fetch-Site": "same-site", "Origin": "https://www.example.org"})
    assert response.status_code == 200
    assert Signature.objects.count() == 1


def test_the_site_url_is_trusted_behind_a_proxy_that_renames_the_host(settings):
    settings.SITE_URL = "https://letters.example.org"
    response = post_sign({"Origin": "https://letters.example.org"})
    assert response.status_code == 200


def test_the_language_switcher_is_checked_the_same_way():
    refused = browser().post(
        reverse("set_language"),
        {"language": "fr", "next": "/"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    assert "django_language" not in refused.cookies
    switched = browser().post(
        reverse("set_language"),
        {"language": "fr", "next": "/"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert switched.status_code == 302
    assert switched.cookies["django_language"].value == "fr"


def test_the_other_public_forms_keep_the_csrf_check():
    letter = make_letter()
    response = browser().post(
        reverse("signatories:resend", args=[letter.slug]),
        {"email": "ada@example.org"},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 403
    assert "security cookie" in response.content.decode()


def test_the_refusal_under_the_api_is_json():
    view = origin_checked(lambda request: HttpResponse("stored"))
    request = RequestFactory().post(
        "/api/letters/x/sign/", headers={"Sec-Fetch-Site": "cross-site"}
    )
    response = view(request)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    error = json.loads(response.content)["error"]
    assert error["status"] == 403
    assert error["message"].startswith(REFUSED)
