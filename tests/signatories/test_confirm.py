from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from signatories import counters, tokens
from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.factories import form_data, is_check_inbox, make_letter, sign_data

pytestmark = pytest.mark.django_db


def signed_and_mailed(client, letter, **overrides):
    """Sign through the form and return the token from the email the outbox sent."""
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**overrides))
    signer_outbox.outbox_drain()
    link = next(w for w in mail.outbox[-1].body.split() if "/confirm/" in w)
    return link.rstrip("/").rsplit("/", 1)[-1]


def confirm_url(token):
    return reverse("signatories:confirm", args=[token])


def test_the_email_has_text_and_html_parts_with_the_same_link(client):
    letter = make_letter(title="Fair Pay")
    token = signed_and_mailed(client, letter)
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert "Fair Pay" in message.subject
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    assert f"http://testserver{confirm_url(token)}" in message.body
    assert f"http://testserver{confirm_url(token)}" in html


def test_only_a_hash_of_the_token_is_stored(client):
    token = signed_and_mailed(client, make_letter())
    signature = Signature.objects.get()
    assert token not in signature.token_hash
    assert signature.token_hash == tokens.token_hash(token=token)


def test_get_shows_a_button_and_confirms_nothing(client):
    letter = make_letter()
    token = signed_and_mailed(client, letter)
    for _ in range(3):  # a mail scanner opening the link repeatedly
        response = client.get(confirm_url(token))
        assert response.status_code == 200
        assert "Confirm my signature" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert counters.counts_get(letter_id=letter.pk).all == 0


def test_post_confirms_and_the_count_is_exact_at_once(client, django_capture_on_commit_callbacks):
    letter = make_letter()
    assert counters.counts_get(letter_id=letter.pk).all == 0  # warm the counter first
    token = signed_and_mailed(client, letter)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(token))
    assert response.status_code == 200
    assert "your signature is confirmed" in response.content.decode()
    assert "/withdraw/" in response.content.decode()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    assert counters.counts_get(letter_id=letter.pk).all == 1
    api = client.get(reverse("embeds:api-detail", args=[letter.slug])).json()
    assert api["signature_count"] == 1
    assert "Ada Example" in client.get(letter.get_absolute_url()).content.decode()


def test_confirming_twice_is_harmless(client, django_capture_on_commit_callbacks):
    letter = make_letter()
    counters.counts_get(letter_id=letter.pk)
    token = signed_and_mailed(client, letter)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(token))
        response = client.post(confirm_url(token))
    assert response.status_code == 200
    assert "Already confirmed" in response.content.decode()
    assert counters.counts_get(letter_id=letter.pk).all == 1
    assert counters.counts_from_rows(letter_id=letter.pk).all == 1


def test_a_hidden_signature_is_counted_but_not_named(client, django_capture_on_commit_callbacks):
    letter = make_letter()
    counters.counts_get(letter_id=letter.pk)
    token = signed_and_mailed(client, letter, show_name=None, name="Secret Person")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url(token))
    counts = counters.counts_get(letter_id=letter.pk)
    assert (counts.all, counts.hidden) == (1, 1)
    page = client.get(reverse("signatories:list", args=[letter.slug])).content.decode()
    assert "Secret Person" not in page
    assert "and 1 other who chose not to be named" in page
    assert "Secret Person" not in client.get(letter.get_absolute_url()).content.decode()


def test_an_expired_token_gets_a_clear_page_and_changes_nothing(client, settings):
    letter = make_letter()
    token = signed_and_mailed(client, letter)
    Signature.objects.update(
        token_issued_at=timezone.now()
        - timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS, seconds=1)
    )
    response = client.post(confirm_url(token))
    assert response.status_code == 400
    body = response.content.decode()
    assert "This link has expired" in body
    assert reverse("signatories:resend", args=[letter.slug]) in body
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert counters.counts_get(letter_id=letter.pk).all == 0


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "x"]
)
def test_a_tampered_or_unknown_token_gets_a_clear_page_and_changes_nothing(client, mangle):
    letter = make_letter()
    token = signed_and_mailed(client, letter)
    response = client.post(confirm_url(mangle(token)))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_a_link_replaced_by_a_newer_email_no_longer_works(client):
    letter = make_letter()
    old = signed_and_mailed(client, letter)
    new = signed_and_mailed(client, letter)
    assert client.post(confirm_url(old)).status_code == 404
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert client.post(confirm_url(new)).status_code == 200
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_asking_for_a_new_link_sends_one_only_to_a_pending_signer(client):
    letter = make_letter()
    signed_and_mailed(client, letter)
    url = reverse("signatories:resend", args=[letter.slug])
    for email in ["ADA@example.org", "nobody@example.org"]:
        response = client.post(url, form_data(email=email))
        assert is_check_inbox(response)
    signer_outbox.outbox_drain()
    assert [m.to for m in mail.outbox] == [["ada@example.org"], ["ada@example.org"]]


def test_asking_for_a_new_link_with_a_bad_address_says_so(client):
    letter = make_letter()
    response = client.post(
        reverse("signatories:resend", args=[letter.slug]), form_data(email="nope")
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


@pytest.mark.parametrize("status", [Signature.Status.HELD, Signature.Status.REMOVED])
def test_a_held_or_removed_signature_cannot_be_confirmed_and_says_why(client, status):
    letter = make_letter()
    token = signed_and_mailed(client, letter)
    Signature.objects.update(status=status, status_before_moderation=Signature.Status.PENDING)
    for method in (client.get, client.post):
        response = method(confirm_url(token))
        assert response.status_code == 409
        assert "This signature is under review" in response.content.decode()
    assert Signature.objects.get().status == status
    assert counters.counts_get(letter_id=letter.pk).all == 0
