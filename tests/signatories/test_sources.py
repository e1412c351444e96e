"""Sources: a link's or an embed's ``ref`` carried to the signature, counted for organizers
only, with no cookie (docs/organizers.md, "Sources")."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from signatories.models import Signature
from signatories.services import source_clean
from tests.factories import make_letter, make_organizer, make_signature, sign_data

pytestmark = pytest.mark.django_db


def _hidden_ref(html: str) -> str | None:
    match = re.search(r'<input type="hidden" name="ref" value="([^"]*)"', html)
    return match.group(1) if match else None


def _sign(client, letter, **overrides):
    return client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**overrides))


@pytest.mark.parametrize(
    ("raw", "source"),
    [
        ("daily-news", "daily-news"),
        ("  Le_Monde.fr ", "le_monde.fr"),
        ("a" * 64, "a" * 64),
        ("a" * 65, ""),
        ("two words", ""),
        ("<script>", ""),
        ("café", ""),
        ("\u212a", ""),  # the Kelvin sign lowercases to an ASCII "k": still not a token
        ("", ""),
        (None, ""),
    ],
)
def test_a_ref_is_a_short_lowercased_token_or_nothing(raw, source):
    assert source_clean(raw) == source


def test_the_ref_of_a_link_is_carried_by_the_form_and_stored_on_the_signature(client):
    letter = make_letter()
    page = client.get(letter.get_absolute_url() + "?ref=Daily-News")
    assert page.status_code == 200
    html = page.content.decode()
    assert _hidden_ref(html) == "daily-news"
    assert not page.cookies
    assert "sessionid" not in client.cookies

    response = _sign(client, letter, ref=_hidden_ref(html))
    assert response.status_code == 200
    assert Signature.objects.get().source == "daily-news"
    assert not response.cookies


def test_the_page_without_a_ref_draws_no_ref_field_and_keeps_no_ref_of_another_visitor(client):
    letter = make_letter()
    assert _hidden_ref(client.get(letter.get_absolute_url() + "?ref=one").content.decode())
    plain = client.get(letter.get_absolute_url()).content.decode()
    assert _hidden_ref(plain) is None
    assert "one" not in re.findall(r'name="ref"[^>]*', plain)
    # A second ref page is drawn for its own link, not from the first.
    again = client.get(letter.get_absolute_url() + "?ref=two").content.decode()
    assert _hidden_ref(again) == "two"


@pytest.mark.parametrize("ref", ["has space", "x" * 65, "<b>", "é"])
def test_a_bad_ref_is_ignored_the_signature_stored_as_any_other(client, ref):
    letter = make_letter()
    page = client.get(letter.get_absolute_url(), {"ref": ref})
    assert page.status_code == 200
    assert _hidden_ref(page.content.decode()) is None

    response = _sign(client, letter, ref=ref, role="Illustrator")
    assert response.status_code == 200
    signature = Signature.objects.get()
    assert (signature.source, signature.role, signature.status) == ("", "Illustrator", "pending")


def test_a_form_with_errors_keeps_its_ref(client):
    letter = make_letter()
    response = _sign(client, letter, ref="daily-news", name=None)
    assert response.status_code == 400
    assert _hidden_ref(response.content.decode()) == "daily-news"
    assert not Signature.objects.exists()


def _sources_url(letter):
    return reverse("signatories:sources", kwargs={"slug": letter.slug})


def test_organizers_see_confirmed_signatures_by_source_in_one_query(client):
    letter = make_letter()
    for _ in range(3):
        make_signature(letter=letter, source="daily-news")
    make_signature(letter=letter, source="radio")
    make_signature(letter=letter)
    make_signature(letter=letter, source="radio", status=Signature.Status.PENDING)
    make_signature(source="radio")  # another letter
    client.force_login(make_organizer(letter=letter, role="viewer"))

    from signatories.selectors import signature_source_counts

    with CaptureQueriesContext(connection) as queries:
        rows = signature_source_counts(letter=letter)
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"]
    assert [(row.source, row.count) for row in rows] == [("daily-news", 3), ("", 1), ("radio", 1)]

    html = client.get(_sources_url(letter)).content.decode()
    assert "Confirmed signatures by source" in html
    cells = re.findall(r'<th scope="row">(.*?)</th><td class="number">(\d+)</td>', html)
    assert cells == [("<code>daily-news</code>", "3"), ("direct", "1"), ("<code>radio</code>", "1")]


def test_other_letters_organizers_and_strangers_cannot_see_the_sources(client):
    letter = make_letter()
    make_signature(letter=letter, source="daily-news")
    other = make_letter()
    client.force_login(make_organizer(letter=other, role="owner"))
    assert client.get(_sources_url(letter)).status_code == 404
    client.logout()
    response = client.get(_sources_url(letter))
    assert response.status_code == 302
    assert "daily-news" not in response.content.decode()


def test_the_public_api_and_pages_never_show_a_source(client):
    letter = make_letter()
    make_signature(letter=letter, source="secret-newsroom", name="Ada Public")
    api = client.get(reverse("embeds:api-signatories", args=[letter.slug]))
    assert api.json()["results"][0]["name"] == "Ada Public"
    assert "source" not in api.json()["results"][0]
    for url in (
        letter.get_absolute_url(),
        reverse("signatories:list", args=[letter.slug]),
        reverse("embeds:api-detail", args=[letter.slug]),
    ):
        assert "secret-newsroom" not in client.get(url).content.decode()
    assert "secret-newsroom" not in api.content.decode()


def test_the_export_offers_a_source_column(client):
    letter = make_letter()
    make_signature(letter=letter, name="Ada", source="daily-news")
    make_signature(letter=letter, name="Bob")
    client.force_login(make_organizer(letter=letter, role="editor"))
    response = client.post(
        reverse("signatories:export", kwargs={"slug": letter.slug}),
        {"format": "csv", "columns": ["name", "source"]},
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["Name", "Source"]
    assert sorted(rows[1:]) == [["Ada", "daily-news"], ["Bob", ""]]


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "how many confirmed signatures each source brought"),
     ("fr", "combien de signatures confirmées chaque source a apportées")],
)  # fmt: skip
def test_the_privacy_notice_says_the_source_is_kept_with_the_signature(client, language, words):
    page = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert words in page
