"""The public correction log of a letter."""

import pytest
from django.urls import reverse

from letters.models import Letter
from moderation import services as moderation
from tests.factories import make_letter, make_member_user, make_signature

pytestmark = pytest.mark.django_db


def test_the_letter_page_links_the_log_only_once_it_has_an_entry(client):
    letter = make_letter()
    signature = make_signature(letter=letter)
    log_url = reverse("moderation:corrections", args=[letter.slug])
    assert log_url not in client.get(letter.get_absolute_url()).content.decode()
    moderation.signature_remove(
        signature=signature, actor=make_member_user(letter=letter), reason="Signed twice"
    )
    assert log_url in client.get(letter.get_absolute_url()).content.decode()


def test_the_log_names_no_one_and_shows_no_internal_note(client):
    letter = make_letter()
    editor = make_member_user(letter=letter)
    held = make_signature(letter=letter, name="Private Person")
    moderation.signature_hold(signature=held, actor=editor, reason="Call her on Monday")
    page = client.get(reverse("moderation:corrections", args=[letter.slug])).content.decode()
    assert "1 signature put on hold for review" in page
    assert "Private Person" not in page
    assert "Call her on Monday" not in page
    assert editor.username not in page


def test_a_draft_letter_has_no_public_log(client):
    letter = make_letter(status=Letter.Status.DRAFT)
    assert client.get(reverse("moderation:corrections", args=[letter.slug])).status_code == 404
