"""The names under a letter are drawn once per language and state of the count and the
letter's version, and redrawn as soon as a signature joins, leaves or changes its mark."""

import re

import pytest
from django.utils import translation

from letters.facts import facts_changed
from letters.models import Letter
from moderation import services as moderation
from signatories import counters, services
from signatories.live import letter_live_get
from signatories.pages import showcase_block
from tests.factories import make_letter, make_pending_signature, make_signature

pytestmark = pytest.mark.django_db


def shown(client, letter, query: str = "") -> str:
    html = client.get(letter.get_absolute_url() + query).content.decode()
    return html.split('class="undersigned"')[1].split("</section>")[0]


def names(block: str) -> list[str]:
    return re.findall(r'<span class="name">([^<]*)</span>', block)


@pytest.fixture
def letter():
    letter = make_letter()
    make_signature(letter=letter, name="Early Bird")
    counters.counts_get(letter_id=letter.pk)
    return letter


def test_a_confirmed_signature_appears_at_once(client, letter, django_capture_on_commit_callbacks):
    assert names(shown(client, letter)) == ["Early Bird"]
    make_pending_signature(letter=letter, token="n" * 20, name="New Signer")
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_confirm(token="n" * 20)
    assert names(shown(client, letter)) == ["New Signer", "Early Bird"]


def test_a_withdrawn_signature_disappears_at_once(
    client, letter, django_capture_on_commit_callbacks
):
    leaving = make_signature(letter=letter, name="Leaving Soon")
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    assert "Leaving Soon" in names(shown(client, letter))
    with django_capture_on_commit_callbacks(execute=True):
        services.signature_withdraw(signature=leaving)
    assert names(shown(client, letter)) == ["Early Bird"]


def test_a_held_signature_disappears_at_once(client, letter, django_capture_on_commit_callbacks):
    held = make_signature(letter=letter, name="Doubtful Name")
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    assert "Doubtful Name" in names(shown(client, letter))
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_hold(signature=held, actor=None)
    assert names(shown(client, letter)) == ["Early Bird"]


def test_a_verified_mark_shows_and_goes_at_once_though_no_count_moves(
    client, letter, django_capture_on_commit_callbacks
):
    signature = letter.signatures.get()
    assert "Verified signatories" not in shown(client, letter)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_verify(signature=signature, actor=None, method="contact")
    assert "Verified signatories" in shown(client, letter)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_unverify(signature=signature, actor=None)
    assert "Verified signatories" not in shown(client, letter)


def test_a_new_title_text_or_status_shows_at_once_beside_the_kept_names(client, letter):
    shown(client, letter)
    Letter.objects.filter(pk=letter.pk).update(
        title="A brand new title", body="Brand *new* text", status=Letter.Status.CLOSED
    )
    facts_changed(letter_id=letter.pk)  # what code that writes with update() must do
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "A brand new title" in html
    assert "Brand <em>new</em> text" in html
    assert "Signing is closed" in html
    assert 'name="consent"' not in html
    assert "Early Bird" in html


def test_each_language_gets_its_own_drawing(letter):
    make_signature(letter=letter, name="Berlin Signer", country="DE")
    counters.counts_rebuild(letter_id=letter.pk, expected="*")
    live = letter_live_get(slug=letter.slug)
    with translation.override("fr"):
        french = showcase_block(letter=letter, live=live)
    with translation.override("en"):
        english = showcase_block(letter=letter, live=live)
    with translation.override("fr"):
        french_again = showcase_block(letter=letter, live=live)
    assert "Allemagne" in french.latest and "Germany" not in french.latest
    assert "Germany" in english.latest and "Allemagne" not in english.latest
    assert french_again == french


def test_a_kept_drawing_saves_the_query_of_the_names(client, letter, django_assert_num_queries):
    shown(client, letter)
    # A query string the page does not key on: the page is drawn, the names are not.
    # The letter, its translations, whether it has corrections, its updates: the names
    # come from the cache.
    with django_assert_num_queries(4):
        assert "Early Bird" in shown(client, letter, query="?ref=newsletter")
