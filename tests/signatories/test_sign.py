import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from letters.models import Letter
from signatories import outbox as signer_outbox
from signatories.forms import SignForm
from signatories.models import OutboxMessage, Signature
from tests.factories import (
    answer_without_secrets,
    is_check_inbox,
    make_letter,
    make_signature,
    sign_data,
)

pytestmark = pytest.mark.django_db


def sign(client, letter, **overrides):
    return client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**overrides))


def assert_nothing_stored():
    assert Signature.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_a_valid_signature_is_stored_pending_and_leads_to_check_your_inbox(client):
    letter = make_letter()
    response = sign(client, letter, role="Illustrator", organization="Studio Nord")
    assert is_check_inbox(response)
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert (signature.name, signature.role, signature.organization) == (
        "Ada Example",
        "Illustrator",
        "Studio Nord",
    )
    assert signature.consent_version
    assert signature.show_name is True
    assert signature.opt_in_updates is False
    assert OutboxMessage.objects.filter(signature=signature, sent_at=None).count() == 1
    assert "Check your inbox" in response.content.decode()


def test_the_email_is_queued_only_after_the_transaction_commits(
    client, django_capture_on_commit_callbacks
):
    letter = make_letter()
    with django_capture_on_commit_callbacks() as callbacks:
        sign(client, letter)
    assert [c.__name__ for c in callbacks] == ["outbox_kick"]
    assert mail.outbox == []


def test_opt_in_and_hidden_name_are_stored(client):
    letter = make_letter()
    sign(client, letter, show_name=None, updates="on")
    signature = Signature.objects.get()
    assert signature.show_name is False
    assert signature.opt_in_updates is True


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": None}, "name", "Enter your name."),
        ({"name": "   "}, "name", "Enter your name."),
        ({"email": None}, "email", "Enter your email address."),
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"email": "ada@exa mple.org"}, "email", "Enter a valid email address."),
        ({"name": "x" * 201}, "name", "Ensure this value has at most 200 characters"),
        ({"comment": "y" * 501}, "comment", "Ensure this value has at most 500 characters"),
        ({"name": "Ada\x00Example"}, "name", "Null characters are not allowed."),
        ({"name": "Ada\x07Example"}, "name", "Remove the invisible control characters"),
        ({"comment": "Fine\u202eevil"}, "comment", "Remove the invisible control characters"),
        ({"consent": None}, "consent", "Tick the box to agree to the privacy notice."),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(client, overrides, field, message):
    letter = make_letter(ask_comment=True)
    response = sign(client, letter, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert_nothing_stored()


def test_a_comment_may_span_lines(client):
    letter = make_letter(ask_comment=True)
    assert is_check_inbox(sign(client, letter, comment="Line one\nLine two"))
    assert Signature.objects.get().comment == "Line one\nLine two"


def test_fields_the_letter_does_not_ask_for_are_ignored(client):
    letter = make_letter(ask_organization=False)
    sign(client, letter, organization="Should not be kept")
    assert Signature.objects.get().organization == ""


def test_signing_a_draft_is_not_found(client):
    letter = make_letter(status=Letter.Status.DRAFT)
    assert sign(client, letter).status_code == 404
    assert_nothing_stored()


def test_signing_an_unknown_letter_is_not_found(client):
    response = client.post("/letters/no-such-letter/sign/", sign_data())
    assert response.status_code == 404
    assert_nothing_stored()


def test_signing_a_closed_letter_is_refused_with_a_clear_message(client):
    letter = make_letter(status=Letter.Status.CLOSED)
    response = sign(client, letter)
    assert response.status_code == 409
    assert "Signing is closed" in response.content.decode()
    assert_nothing_stored()


def test_signing_after_the_closing_date_is_refused(client):
    from datetime import timedelta

    from django.utils import timezone

    letter = make_letter(closes_at=timezone.now() - timedelta(minutes=1))
    response = sign(client, letter)
    assert response.status_code == 409
    assert "Signing is closed" in response.content.decode()
    assert_nothing_stored()


def test_a_post_from_another_site_is_refused_even_with_csrf_checks_on():
    letter = make_letter()
    client = Client(enforce_csrf_checks=True)
    url = reverse("signatories:sign", args=[letter.slug])
    response = client.post(url, sign_data(), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert_nothing_stored()


def test_a_same_origin_post_needs_no_csrf_cookie():
    letter = make_letter()
    client = Client(enforce_csrf_checks=True)
    url = reverse("signatories:sign", args=[letter.slug])
    response = client.post(url, sign_data(), headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert Signature.objects.count() == 1


def test_get_on_the_sign_url_changes_nothing(client):
    letter = make_letter()
    assert client.get(reverse("signatories:sign", args=[letter.slug])).status_code == 405
    assert_nothing_stored()


def test_new_pending_and_confirmed_addresses_get_the_same_answer(client):
    letter = make_letter()
    make_signature(letter=letter, email="pending@example.org", status=Signature.Status.PENDING)
    make_signature(letter=letter, email="done@example.org")
    answers = [
        sign(client, letter, email=email)
        for email in ["new@example.org", "pending@example.org", "done@example.org"]
    ]
    assert all(is_check_inbox(answer) for answer in answers)
    emails = ["new@example.org", "pending@example.org", "done@example.org"]
    pages = {
        answer_without_secrets(answer, email=email)
        for answer, email in zip(answers, emails, strict=True)
    }
    assert len(pages) == 1


@pytest.mark.parametrize(
    "variant",
    ["ADA@EXAMPLE.ORG", " ada@example.org ", "ａｄａ@example.org", "Ada@ＥＸＡＭＰＬＥ.org"],
)
def test_the_same_address_in_another_form_is_one_signature(client, variant):
    letter = make_letter()
    assert is_check_inbox(sign(client, letter))
    assert is_check_inbox(sign(client, letter, email=variant))
    assert Signature.objects.count() == 1


def test_an_internationalised_domain_matches_its_ascii_form(client):
    letter = make_letter()
    assert is_check_inbox(sign(client, letter, email="jose@bücher.example"))
    assert is_check_inbox(sign(client, letter, email="jose@xn--bcher-kva.example"))
    assert Signature.objects.get().email_normalized == "jose@xn--bcher-kva.example"


def test_a_pending_signer_who_signs_again_gets_the_email_again_a_few_times_a_day(client, settings):
    settings.EMAILS_PER_SIGNATURE_PER_DAY = 3
    letter = make_letter()
    for _ in range(5):
        sign(client, letter)
    assert Signature.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.CONFIRM).count() == 3
    signer_outbox.outbox_drain()
    assert len(mail.outbox) == 3


def test_a_confirmed_signer_who_signs_again_gets_an_already_signed_email(client):
    letter = make_letter()
    signature = make_signature(letter=letter, email="ada@example.org", name="Ada First")
    sign(client, letter, name="Someone Else")
    signer_outbox.outbox_drain()
    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert "already" in message.subject.lower()
    assert "http://testserver/withdraw/" in message.body
    signature.refresh_from_db()
    assert signature.name == "Ada First"
    assert signature.status == Signature.Status.CONFIRMED


def test_markup_in_name_and_comment_is_escaped_on_pages_and_in_the_email(client):
    letter = make_letter(ask_comment=True)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    sign(client, letter, name=evil, comment=evil)
    signer_outbox.outbox_drain()
    (message,) = mail.outbox
    html = message.alternatives[0].content
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    signature = Signature.objects.get()
    token = next(w for w in message.body.split() if "/confirm/" in w).rsplit("/", 2)[-2]
    confirm_page = client.get(reverse("signatories:confirm", args=[token]))
    assert "<script>alert" not in confirm_page.content.decode()
    client.post(reverse("signatories:confirm", args=[token]))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    for url in [letter.get_absolute_url(), reverse("signatories:list", args=[letter.slug])]:
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
        assert "<script>alert" not in page
        assert "<img src=x" not in page


def test_the_country_list_is_the_same_drawn_once_or_each_time_and_keeps_a_choice():
    from django import forms
    from django.utils import translation

    from signatories.forms import CountrySelect

    letter = make_letter()
    field = SignForm(letter=letter)["country"]
    plain = forms.Select(choices=field.field.choices)
    cached = CountrySelect(choices=field.field.choices)
    for _ in range(2):
        assert cached.render("country", "", {"id": "id_country"}) == plain.render(
            "country", "", {"id": "id_country"}
        )
    assert '<option value="DE" selected>' in cached.render("country", "DE", {"id": "id_country"})
    with translation.override("fr"):
        assert "Allemagne" in cached.render("country", "", {"id": "id_country"})
    assert "Germany" in cached.render("country", "", {"id": "id_country"})
