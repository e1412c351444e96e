import re

import pytest
from django.urls import reverse

from letters.models import Letter
from signatories import counters
from signatories.figures import daily_figures
from signatories.live import letter_live_get
from signatories.models import Signature
from signatories.selectors import signatory_top_countries
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db


def test_the_index_lists_published_and_closed_letters_with_counts_but_no_drafts(client):
    shown = make_letter(title="Visible letter")
    make_letter(title="Finished letter", status=Letter.Status.CLOSED)
    make_letter(title="Secret draft", status=Letter.Status.DRAFT)
    make_signature(letter=shown)
    make_signature(letter=shown)
    page = client.get("/").content.decode()
    assert "Visible letter" in page and "Finished letter" in page
    assert "Secret draft" not in page
    assert "2 signatures" in page


def test_a_draft_is_not_found_by_the_public(client):
    letter = make_letter(status=Letter.Status.DRAFT)
    assert client.get(letter.get_absolute_url()).status_code == 404
    assert client.get(reverse("signatories:list", args=[letter.slug])).status_code == 404


def test_the_letter_page_shows_text_count_goal_form_and_latest_signatories(client):
    letter = make_letter(goal=10, invited_signers="illustrators and animators")
    make_signature(letter=letter, name="Named Person", role="Animator")
    make_signature(letter=letter, name="Hidden Person", show_name=False)
    make_signature(letter=letter, name="Still Pending", status=Signature.Status.PENDING)
    response = client.get(letter.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "<em>ask</em>" in page
    assert "<span data-count>2</span>" in page
    assert 'max="10" value="2"' in page
    assert 'name="name"' in page and 'name="email"' in page and 'name="consent"' in page
    assert "illustrators and animators" in page
    assert "Named Person" in page
    assert "Hidden Person" not in page and "Still Pending" not in page


def test_the_letter_body_is_sanitised(client):
    letter = make_letter(
        body='Hello <script>alert(1)</script> <a href="javascript:alert(2)" onclick="x()">l</a>'
        '\n\n<img src=x onerror="alert(3)"> [ok](https://example.org)'
    )
    page = client.get(letter.get_absolute_url()).content.decode()
    body = page.split('class="letter-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body
    assert "onclick" not in body and "onerror" not in body
    assert "javascript:" not in body
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in body


def test_a_closed_letter_shows_text_count_and_list_but_no_form(client):
    letter = make_letter(status=Letter.Status.CLOSED, body="The closed text")
    make_signature(letter=letter, name="Early Signer")
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "The closed text" in page
    assert "Early Signer" in page
    assert "Signing is closed" in page
    assert 'name="consent"' not in page


def test_the_signatories_page_lists_named_confirmed_newest_first_and_pages(client):
    letter = make_letter()
    for n in range(55):
        make_signature(letter=letter, name=f"Person {n:02d}", organization="Guild")
    make_signature(letter=letter, name="Unnamed", show_name=False)
    make_signature(letter=letter, name="Unconfirmed", status=Signature.Status.PENDING)
    url = reverse("signatories:list", args=[letter.slug])
    first = client.get(url).content.decode()
    assert first.index("Person 54") < first.index("Person 53")
    assert "Person 04" not in first
    assert "and 1 other who chose not to be named" in first
    older = re.search(r'rel="next" href="\?after=([^"&]+)"', first)[1]
    second = client.get(url, {"after": older}).content.decode()
    assert "Person 04" in second and "Person 54" not in second
    assert "Unnamed" not in first + second and "Unconfirmed" not in first + second
    assert "@example.org" not in first + second


def test_a_page_number_out_of_range_shows_the_last_page(client):
    letter = make_letter()
    make_signature(letter=letter, name="Only One")
    page = client.get(reverse("signatories:list", args=[letter.slug]), {"page": "999"})
    assert page.status_code == 200
    assert "Only One" in page.content.decode()


@pytest.mark.parametrize("signatures", [1, 40])
def test_the_letter_page_uses_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, signatures
):
    letter = make_letter()
    for _ in range(signatures):
        make_signature(letter=letter)
    # The counter, the letter's top countries and its facts (letters/facts.py) are warm in
    # normal operation.
    counters.counts_get(letter_id=letter.pk)
    signatory_top_countries(letter=letter)
    letter_live_get(slug=letter.slug)
    # So are the days before today of its daily figures (added up once a day per process).
    daily_figures(letter_id=letter.pk, time_zone=letter.time_zone)
    # The letter, its translations, its latest signatories, whether it has corrections,
    # its updates.
    with django_assert_max_num_queries(5):
        assert client.get(letter.get_absolute_url()).status_code == 200


def test_the_privacy_notice_is_public(client):
    assert "Privacy notice" in client.get(reverse("privacy")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_letter_page_and_the_count_still_answer_while_redis_is_down(client, settings):
    letter = make_letter(body="Still *readable*")
    make_signature(letter=letter)
    dead = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.REDIS_URL = dead
    page = client.get(letter.get_absolute_url())
    api = client.get(reverse("embeds:api-detail", args=[letter.slug]))
    assert page.status_code == 200
    assert "<em>readable</em>" in page.content.decode()
    assert api.json()["signature_count"] == 1
